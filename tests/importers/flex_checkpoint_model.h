#ifndef ATTUNE_TESTS_IMPORTERS_FLEX_CHECKPOINT_MODEL_H_
#define ATTUNE_TESTS_IMPORTERS_FLEX_CHECKPOINT_MODEL_H_

// A .tflite file shaped like TensorFlow's on-device training recipe (model
// personalization) after conversion: resource variables "dense/kernel"
// [2,3] and "dense/bias" [3] initialized by a CALL_ONCE init subgraph, and
// signatures
//   set(kernel, bias)            assigns both variables
//   get() -> kernel, bias        reads them
//   save(checkpoint_path)        FlexSave (or FlexSaveV2) of both under the
//                                TF names "dense/kernel:0", "dense/bias:0"
//   restore(checkpoint_path)     FlexRestore + ASSIGN_VARIABLE per variable,
//                                interleaved as TF writes them (or one
//                                FlexRestoreV2 and two ASSIGN_VARIABLEs)
// The restored tensors have an unknown (empty) shape, as the converter
// leaves them. Written by the test (no real Flex model is available
// offline).

#include <string>
#include <vector>

#include "flatbuffers/flexbuffers.h"
#include "tests/importers/tflite_writer.h"

namespace attune {
namespace tflite {

inline constexpr float kInitKernel[6] = {0.5f, -1.25f, 2.0f,
                                         3.5f, -0.75f, 1.0f};
inline constexpr float kInitBias[3] = {0.1f, 0.2f, -0.3f};

struct FlexCheckpointModelOptions {
  bool v2 = false;
  // V2: the shape_and_slices entry of "dense/bias:0" ("" = whole tensor).
  std::string bias_slice;
  // false: no init subgraph (variables start at zeros) and the restore
  // subgraph comes first, so its shapeless outputs are the first tensors
  // assigned to the variables.
  bool with_init = true;
};

// custom_options as TensorFlow writes them: a flexbuffer vector of the op
// name and the serialized NodeDef (opaque here).
inline std::vector<uint8_t> FlexOptions(const std::string& op) {
  flexbuffers::Builder fbb;
  fbb.Vector([&] {
    fbb.String(op);
    fbb.String("\x0a\x02op\x12" + op);
  });
  fbb.Finish();
  return fbb.GetBuffer();
}

inline std::vector<uint8_t> FlexCheckpointModel(
    const FlexCheckpointModelOptions& options = {}) {
  using B = tfl::BuiltinOperator;
  using O = tfl::BuiltinOptions;
  using TT = tfl::TensorType;
  TfliteWriter w;
  auto handle = [&w](const std::string& name) {
    return tfl::CreateVarHandleOptions(w.fbb(), w.fbb().CreateString(""),
                                       w.fbb().CreateString(name))
        .Union();
  };
  // Per subgraph: VAR_HANDLEs of both variables (after CALL_ONCE unless
  // `init` or there is no init subgraph); returns {kernel resource, bias
  // resource}.
  auto handles = [&](bool init) {
    if (!init && options.with_init) {
      w.Op(B::CALL_ONCE, {}, {}, O::CallOnceOptions,
           tfl::CreateCallOnceOptions(w.fbb(), 0).Union());
    }
    const int k = w.Tensor("kernel_resource", TT::RESOURCE, {});
    const int b = w.Tensor("bias_resource", TT::RESOURCE, {});
    w.Op(B::VAR_HANDLE, {}, {k}, O::VarHandleOptions, handle("dense/kernel"));
    w.Op(B::VAR_HANDLE, {}, {b}, O::VarHandleOptions, handle("dense/bias"));
    return std::vector<int>{k, b};
  };
  const std::vector<std::string> names = {"dense/kernel:0", "dense/bias:0"};

  // restore(checkpoint_path): the last subgraph, or the first without init.
  auto restore = [&] {
    const int path = w.Tensor("checkpoint_path", TT::STRING, {});
    const std::vector<int> r = handles(!options.with_init);
    const int k = w.Tensor("restored_kernel", TT::FLOAT32, {});
    const int b = w.Tensor("restored_bias", TT::FLOAT32, {});
    if (options.v2) {
      const int name_list = w.Tensor("tensor_names", TT::STRING, {2},
                                     TfliteWriter::StringBytes(names));
      const int slices =
          w.Tensor("shape_and_slices", TT::STRING, {2},
                   TfliteWriter::StringBytes({"", options.bias_slice}));
      w.Custom("FlexRestoreV2", {path, name_list, slices}, {k, b},
               FlexOptions("RestoreV2"));
      w.Op(B::ASSIGN_VARIABLE, {r[0], k}, {});
      w.Op(B::ASSIGN_VARIABLE, {r[1], b}, {});
    } else {
      const int kn = w.Tensor("kernel_name", TT::STRING, {},
                              TfliteWriter::StringBytes({names[0]}));
      const int bn = w.Tensor("bias_name", TT::STRING, {},
                              TfliteWriter::StringBytes({names[1]}));
      w.Custom("FlexRestore", {path, kn}, {k}, FlexOptions("Restore"));
      w.Op(B::ASSIGN_VARIABLE, {r[0], k}, {});
      w.Custom("FlexRestore", {path, bn}, {b}, FlexOptions("Restore"));
      w.Op(B::ASSIGN_VARIABLE, {r[1], b}, {});
    }
    w.AddSignature("restore", w.EndSubgraph({path}, {}, "restore"),
                   {{"checkpoint_path", path}}, {});
  };
  if (!options.with_init) restore();

  // 0: init (CALL_ONCE in every other subgraph).
  if (options.with_init) {
    std::vector<int> r = handles(true);
    const int k0 = w.Tensor(
        "kernel_init", TT::FLOAT32, {2, 3},
        TfliteWriter::Bytes(std::vector<float>(kInitKernel, kInitKernel + 6)));
    const int b0 = w.Tensor(
        "bias_init", TT::FLOAT32, {3},
        TfliteWriter::Bytes(std::vector<float>(kInitBias, kInitBias + 3)));
    w.Op(B::ASSIGN_VARIABLE, {r[0], k0}, {});
    w.Op(B::ASSIGN_VARIABLE, {r[1], b0}, {});
    w.EndSubgraph({}, {}, "init");
  }

  // set(kernel, bias).
  std::vector<int> r = handles(false);
  int k = w.Tensor("kernel", TT::FLOAT32, {2, 3});
  int b = w.Tensor("bias", TT::FLOAT32, {3});
  w.Op(B::ASSIGN_VARIABLE, {r[0], k}, {});
  w.Op(B::ASSIGN_VARIABLE, {r[1], b}, {});
  w.AddSignature("set", w.EndSubgraph({k, b}, {}, "set"),
                 {{"kernel", k}, {"bias", b}}, {});

  // get() -> kernel, bias.
  r = handles(false);
  k = w.Tensor("kernel", TT::FLOAT32, {2, 3});
  b = w.Tensor("bias", TT::FLOAT32, {3});
  w.Op(B::READ_VARIABLE, {r[0]}, {k});
  w.Op(B::READ_VARIABLE, {r[1]}, {b});
  w.AddSignature("get", w.EndSubgraph({}, {k, b}, "get"), {},
                 {{"kernel", k}, {"bias", b}});

  // save(checkpoint_path).
  int path = w.Tensor("checkpoint_path", TT::STRING, {});
  r = handles(false);
  k = w.Tensor("kernel", TT::FLOAT32, {2, 3});
  b = w.Tensor("bias", TT::FLOAT32, {3});
  w.Op(B::READ_VARIABLE, {r[0]}, {k});
  w.Op(B::READ_VARIABLE, {r[1]}, {b});
  int name_list = w.Tensor("tensor_names", TT::STRING, {2},
                           TfliteWriter::StringBytes(names));
  if (options.v2) {
    const int slices =
        w.Tensor("shape_and_slices", TT::STRING, {2},
                 TfliteWriter::StringBytes({"", options.bias_slice}));
    w.Custom("FlexSaveV2", {path, name_list, slices, k, b}, {},
             FlexOptions("SaveV2"));
  } else {
    w.Custom("FlexSave", {path, name_list, k, b}, {}, FlexOptions("Save"));
  }
  w.AddSignature("save", w.EndSubgraph({path}, {}, "save"),
                 {{"checkpoint_path", path}}, {});

  if (options.with_init) restore();
  return w.Finish({}, {});
}

}  // namespace tflite
}  // namespace attune

#endif  // ATTUNE_TESTS_IMPORTERS_FLEX_CHECKPOINT_MODEL_H_
