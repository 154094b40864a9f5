// Writes the written .tflite seeds of tflite_importer_fuzzer into a
// directory: small files for the importer paths the real test files in
// models/tflite_testdata/ do not reach (Flex Save/Restore and their
// flexbuffer options, quantized conv / depthwise / fully-connected weights,
// quantized signature inputs and outputs). Usage: make_tflite_seeds DIR

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "tests/importers/flex_checkpoint_model.h"
#include "tests/importers/op_test_util.h"

namespace attune {
namespace tflite {
namespace {

using B = tfl::BuiltinOperator;
using O = tfl::BuiltinOptions;
using TT = tfl::TensorType;

std::vector<double> Ramp(int n) {
  std::vector<double> v;
  for (int i = 0; i < n; ++i) v.push_back((i % 7) - 3);
  return v;
}

bool Write(const std::string& dir, const std::string& name,
           const std::vector<uint8_t>& bytes) {
  std::ofstream out(dir + "/" + name, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  return static_cast<bool>(out);
}

int Main(const std::string& dir) {
  bool ok = Write(dir, "flex_save_restore.tflite", FlexCheckpointModel());
  FlexCheckpointModelOptions v2;
  v2.v2 = true;
  ok = ok && Write(dir, "flex_save_restore_v2.tflite", FlexCheckpointModel(v2));

  // CONV_2D with an int8 per-channel filter [2,3,3,1] and a float bias.
  TfliteWriter::Quant per_channel{{0.5f, 0.25f}, {0, 0}, 0};
  TensorSpec filter{TT::INT8, {2, 3, 3, 1}, Ramp(18), true, &per_channel};
  ok = ok &&
       Write(
           dir, "conv2d_int8_per_channel.tflite",
           OneOpModel(B::CONV_2D,
                      {F({1, 4, 4, 1}, {}), filter, Const(F({2}, {0.5, -0.5}))},
                      {FOut({1, 2, 2, 2})}, O::Conv2DOptions, [](auto& fbb) {
                        return tfl::CreateConv2DOptions(
                                   fbb, tfl::Padding::SAME, 2, 2,
                                   tfl::ActivationFunctionType::RELU)
                            .Union();
                      }));

  // DEPTHWISE_CONV_2D, filter [1,2,2,4] (2 channels, multiplier 2).
  ok = ok &&
       Write(dir, "depthwise_conv2d.tflite",
             OneOpModel(B::DEPTHWISE_CONV_2D,
                        {F({1, 3, 3, 2}, {}), Const(F({1, 2, 2, 4}, Ramp(16))),
                         Const(F({4}, {1, 2, 3, 4}))},
                        {FOut({1, 2, 2, 4})}, O::DepthwiseConv2DOptions,
                        [](auto& fbb) {
                          return tfl::CreateDepthwiseConv2DOptions(
                                     fbb, tfl::Padding::VALID, 1, 1, 2)
                              .Union();
                        }));

  // FULLY_CONNECTED with a uint8 input, uint8 weights and a uint8 output:
  // a quantized signature plus its "_float" twin.
  TfliteWriter::Quant u8{{0.5f}, {128}, 0};
  TensorSpec x{TT::UINT8, {1, 3}, {}, false, &u8};
  TensorSpec w{TT::UINT8, {2, 3}, {130, 126, 128, 129, 127, 131}, true, &u8};
  TensorSpec y{TT::UINT8, {1, 2}, {}, false, &u8};
  ok = ok &&
       Write(dir, "fully_connected_uint8.tflite",
             OneOpModel(B::FULLY_CONNECTED, {x, w, {TT::FLOAT32, {-1}}}, {y},
                        O::FullyConnectedOptions, [](auto& fbb) {
                          return tfl::CreateFullyConnectedOptions(fbb).Union();
                        }));
  if (!ok) {
    std::fprintf(stderr, "make_tflite_seeds: cannot write into %s\n",
                 dir.c_str());
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace tflite
}  // namespace attune

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: make_tflite_seeds DIR\n");
    return 2;
  }
  return attune::tflite::Main(argv[1]);
}
