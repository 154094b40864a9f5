// Malformed .tflite files get clear errors, never a crash.

#include "importers/tflite/reader.h"

#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "importers/tflite/importer.h"
#include "tests/importers/op_test_util.h"
#include "tests/importers/tflite_test_util.h"

namespace attune {
namespace tflite {
namespace {

using ::testing::HasSubstr;
using TT = tfl::TensorType;

std::vector<uint8_t> ReadModel(const std::string& name) {
  std::ifstream in(ModelPath(name), std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(TfliteReader, RejectsShortAndForeignFiles) {
  EXPECT_EQ(ImportTflite({}).status().code(), absl::StatusCode::kDataLoss);
  std::vector<uint8_t> bytes =
      ReadModel("tflite_testdata/call_once_mul.tflite");
  ASSERT_FALSE(bytes.empty());
  bytes[5] = 'X';  // identifier TFL3 -> TXL3
  auto r = ImportTflite(bytes);
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("TFL3"));
}

// Every truncation of a real file is rejected cleanly.
TEST(TfliteReader, TruncatedFilesFailTheVerifier) {
  const std::vector<uint8_t> bytes =
      ReadModel("tflite_testdata/flutter_training_model.tflite");
  for (size_t size = 0; size < bytes.size(); size += 97) {
    auto r = ImportTflite(absl::MakeConstSpan(bytes.data(), size));
    EXPECT_FALSE(r.ok()) << size;
  }
}

// Random bit flips: any outcome but a crash (ASan/UBSan builds check).
TEST(TfliteReader, CorruptedBytesNeverCrash) {
  for (const char* name : {"tflite_testdata/resource_vars_calibrated.tflite",
                           "tflite_testdata/flutter_training_model.tflite",
                           "tflite_testdata/call_once_mul.tflite"}) {
    const std::vector<uint8_t> original = ReadModel(name);
    ASSERT_FALSE(original.empty()) << name;
    uint32_t seed = 12345;
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<uint8_t> bytes = original;
      // One bit: most flips then pass the verifier and reach the importer.
      seed = seed * 1664525u + 1013904223u;
      bytes[8 + seed % (bytes.size() - 8)] ^=
          static_cast<uint8_t>(1u << ((seed >> 24) % 8));
      auto graph = ImportTflite(bytes);
      if (graph.ok()) (void)Model::FromGraph(*std::move(graph));
    }
  }
}

TEST(TfliteReader, OutOfRangeIndicesAreDataLoss) {
  TfliteWriter w;
  const int x = w.Tensor("x", TT::FLOAT32, {1});
  const int y = w.Tensor("y", TT::FLOAT32, {1});
  w.Op(tfl::BuiltinOperator::RELU, {x, 7}, {y});  // tensor 7 does not exist
  auto r = ImportTflite(w.Finish({x}, {y}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(),
              HasSubstr("operator 0 input refers to tensor 7"));
}

TEST(TfliteReader, ConstantOfWrongSizeIsDataLoss) {
  TfliteWriter w;
  const int x = w.Tensor("x", TT::FLOAT32, {2});
  const int c = w.Tensor("c", TT::FLOAT32, {2},
                         TfliteWriter::Bytes(std::vector<float>{1}));
  const int y = w.Tensor("y", TT::FLOAT32, {2});
  w.Op(tfl::BuiltinOperator::ADD, {x, c}, {y});
  auto r = ImportTflite(w.Finish({x}, {y}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(r.status().message(), HasSubstr("\"c\" holds 4 bytes"));
}

TEST(TfliteReader, UnsupportedBuiltinNamesOpAndSubgraph) {
  TfliteWriter w;
  const int x = w.Tensor("x", TT::FLOAT32, {1});
  const int y = w.Tensor("y", TT::FLOAT32, {1});
  w.Op(tfl::BuiltinOperator::SIN, {x}, {y});
  auto r = ImportTflite(w.Finish({x}, {y}));
  EXPECT_EQ(r.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(r.status().message(),
              HasSubstr("subgraph 0 (\"main\") operator 0 (SIN)"));
}

// Older files set only deprecated_builtin_code; newer ones builtin_code
// (with the deprecated byte saturated at 127).
TEST(TfliteReader, EffectiveBuiltinCode) {
  flatbuffers::FlatBufferBuilder fbb;
  fbb.Finish(tfl::CreateOperatorCode(fbb, 25));
  const auto* old_code =
      flatbuffers::GetRoot<tfl::OperatorCode>(fbb.GetBufferPointer());
  EXPECT_EQ(EffectiveBuiltinCode(*old_code), tfl::BuiltinOperator::SOFTMAX);
  flatbuffers::FlatBufferBuilder fbb2;
  fbb2.Finish(tfl::CreateOperatorCode(fbb2, 127, 0, 1,
                                      tfl::BuiltinOperator::VAR_HANDLE));
  const auto* new_code =
      flatbuffers::GetRoot<tfl::OperatorCode>(fbb2.GetBufferPointer());
  EXPECT_EQ(EffectiveBuiltinCode(*new_code), tfl::BuiltinOperator::VAR_HANDLE);
}

// A model without SignatureDefs gets "serving_default" named after its
// subgraph's input and output tensors.
TEST(TfliteReader, ModelWithoutSignatures) {
  TfliteWriter w;
  const int x = w.Tensor("x", TT::FLOAT32, {2}, {}, nullptr, {-1});
  const int y = w.Tensor("y", TT::FLOAT32, {2}, {}, nullptr, {-1});
  w.Op(tfl::BuiltinOperator::RELU, {x}, {y});
  auto graph = ImportTflite(w.Finish({x}, {y}));
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->signatures.size(), 1u);
  const Signature& sig = graph->signatures[0];
  EXPECT_EQ(sig.key, "serving_default");
  ASSERT_EQ(sig.inputs.size(), 1u);
  EXPECT_EQ(sig.inputs[0].name, "x");
  EXPECT_EQ(sig.outputs[0].name, "y");
  EXPECT_EQ(graph->subgraphs[0].tensors[sig.inputs[0].tensor].shape,
            Shape({-1}));
}

}  // namespace
}  // namespace tflite
}  // namespace attune
