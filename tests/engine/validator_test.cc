// One test per rule of ValidateGraph (engine/validator.h): each breaks one
// rule in an otherwise valid graph and checks for InvalidArgument with a
// message naming the offending entity.

#include "engine/validator.h"

#include <cstdint>
#include <initializer_list>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fuzz/sample_models.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

// TinyModel's layout: tensors 0 "x" [2,3], 1 "d0/kernel" [3,2] (buffer 0),
// 2 "d0/bias" [2] (buffer 1), 3 "d0" [2,2], 4 "d1/kernel" [2,1] (buffer 2),
// 5 "d1" [2,1]; node 0: (0,1,2)->3, node 1: (3,4)->5; signature "infer".
Graph Tiny() { return testing_models::TinyModel(); }

void ExpectInvalid(const Graph& graph,
                   std::initializer_list<const char*> substrings) {
  absl::Status status = ValidateGraph(graph);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  for (const char* s : substrings) {
    EXPECT_THAT(std::string(status.message()), HasSubstr(s));
  }
}

TEST(ValidatorTest, SampleModelsAreValid) {
  for (const auto& [name, graph] : testing_models::AllSampleModels()) {
    EXPECT_TRUE(ValidateGraph(graph).ok())
        << name << ": " << ValidateGraph(graph);
  }
}

// Rule 1: indices in range.
TEST(ValidatorTest, TensorBufferIndexOutOfRange) {
  Graph g = Tiny();
  g.subgraphs[0].tensors[1].buffer = 7;
  ExpectInvalid(g, {"tensor #1 \"d0/kernel\"", "buffer index 7"});
}

TEST(ValidatorTest, NegativeTensorBufferIndex) {
  Graph g = Tiny();
  g.subgraphs[0].tensors[1].buffer = -5;
  ExpectInvalid(g, {"\"d0/kernel\"", "buffer index -5"});
}

TEST(ValidatorTest, VariableBufferIndexOutOfRange) {
  Graph g = Tiny();
  g.variables.push_back(
      {"w", DType::kFloat32, {2}, Initializer::kConstantBuffer, 3, 0, true});
  ExpectInvalid(g, {"variable #0 \"w\"", "buffer index 3"});
}

TEST(ValidatorTest, NodeInputTensorOutOfRange) {
  Graph g = Tiny();
  g.subgraphs[0].nodes[1].inputs[1] = 6;
  ExpectInvalid(g, {"fully_connected node #1", "input 1", "tensor 6"});
}

TEST(ValidatorTest, NodeOutputTensorOutOfRange) {
  Graph g = Tiny();
  g.subgraphs[0].nodes[1].outputs[0] = -2;
  ExpectInvalid(g, {"fully_connected node #1", "output 0", "tensor -2"});
}

TEST(ValidatorTest, RequiredInputOmitted) {
  Graph g = Tiny();
  g.subgraphs[0].nodes[0].inputs[1] = -1;  // the weight is required
  ExpectInvalid(g, {"fully_connected node #0", "input 1", "tensor -1"});
  g = Tiny();
  g.subgraphs[0].nodes[0].inputs[2] = -1;  // the bias is optional
  EXPECT_TRUE(ValidateGraph(g).ok());
}

TEST(ValidatorTest, SignatureSubgraphOutOfRange) {
  Graph g = Tiny();
  g.signatures[0].subgraph = 1;
  ExpectInvalid(g, {"signature \"infer\"", "subgraph index 1"});
}

TEST(ValidatorTest, SignatureTensorOutOfRange) {
  Graph g = Tiny();
  g.signatures[0].inputs[0].tensor = 6;
  ExpectInvalid(g, {"signature \"infer\"", "input \"x\"", "tensor 6"});
  g = Tiny();
  g.signatures[0].outputs[0].tensor = -1;
  ExpectInvalid(g, {"signature \"infer\"", "output \"y\"", "tensor -1"});
}

// Rule 2: shapes and constants.
TEST(ValidatorTest, ConstantSizeMismatch) {
  Graph g = Tiny();
  g.buffers[0] = testing_models::FloatBuffer({1, 2, 3, 4, 5});  // needs 6
  ExpectInvalid(g, {"\"d0/kernel\"", "holds 20 bytes", "needs 24"});
}

TEST(ValidatorTest, VariableConstantSizeMismatch) {
  Graph g = Tiny();
  g.variables.push_back(
      {"w", DType::kFloat32, {3}, Initializer::kConstantBuffer, 1, 0, true});
  ExpectInvalid(g, {"variable #0 \"w\"", "holds 8 bytes", "needs 12"});
}

TEST(ValidatorTest, DynamicConstant) {
  Graph g = Tiny();
  g.subgraphs[0].tensors[2].shape = {-1};
  ExpectInvalid(g, {"\"d0/bias\"", "dynamic shape [-1]"});
}

TEST(ValidatorTest, RankAboveMaximum) {
  Graph g = Tiny();
  g.subgraphs[0].tensors[3].shape = Shape(kMaxRank + 1, 1);
  ExpectInvalid(g, {"tensor #3 \"d0\"", "rank 17"});
}

TEST(ValidatorTest, DimBelowMinusOne) {
  Graph g = Tiny();
  g.subgraphs[0].tensors[0].shape = {2, -2};
  ExpectInvalid(g, {"tensor #0 \"x\"", "[2,-2]", "below -1"});
}

TEST(ValidatorTest, ElementCountOverflow) {
  Graph g = Tiny();
  const int64_t big = int64_t{1} << 31;
  g.subgraphs[0].tensors[0].shape = {big, big, big};
  ExpectInvalid(g, {"tensor #0 \"x\"", "2^40"});
}

TEST(ValidatorTest, ByteCountOverflow) {
  Graph g = Tiny();
  // 2^40 elements is allowed, 2^42 bytes of float32 is not.
  g.subgraphs[0].tensors[0].shape = {int64_t{1} << 20, int64_t{1} << 20};
  ExpectInvalid(g, {"tensor #0 \"x\"", "bytes"});
  g.subgraphs[0].tensors[0].dtype = DType::kInt8;  // exactly 2^40 bytes
  g.subgraphs[0].tensors[0].shape = {int64_t{1} << 20, int64_t{1} << 20};
  EXPECT_TRUE(ValidateGraph(g).ok()) << ValidateGraph(g);
}

TEST(ValidatorTest, DynamicDimsCountAsOneForTheCap) {
  Graph g = Tiny();
  g.subgraphs[0].tensors[0].shape = {-1, int64_t{1} << 30};
  EXPECT_TRUE(ValidateGraph(g).ok());
}

TEST(ValidatorTest, VariableShapeRules) {
  Graph g = Tiny();
  g.variables.push_back(
      {"v", DType::kFloat32, {-1, 2}, Initializer::kZeros, -1, 0, true});
  ExpectInvalid(g, {"variable #0 \"v\"", "fully defined", "[-1,2]"});
  g.variables[0].shape = {3, -4};
  ExpectInvalid(g, {"variable #0 \"v\"", "below -1"});
  g.variables[0].shape = Shape(kMaxRank + 1, 1);
  ExpectInvalid(g, {"variable #0 \"v\"", "rank 17"});
}

TEST(ValidatorTest, InvalidDTypes) {
  Graph g = Tiny();
  g.subgraphs[0].tensors[3].dtype = static_cast<DType>(42);
  ExpectInvalid(g, {"tensor #3 \"d0\"", "invalid dtype"});
  g = Tiny();
  g.variables.push_back(
      {"s", DType::kString, {1}, Initializer::kZeros, -1, 0, true});
  ExpectInvalid(g, {"variable #0 \"s\"", "invalid dtype"});
}

// Rule 3: op codes and arity.
TEST(ValidatorTest, UnknownOpCode) {
  Graph g = Tiny();
  g.subgraphs[0].nodes[1].op = static_cast<OpCode>(kNumOpCodes);
  ExpectInvalid(g, {"node #1", "unknown op code"});
  g.subgraphs[0].nodes[1].op = static_cast<OpCode>(-1);
  ExpectInvalid(g, {"node #1", "unknown op code -1"});
}

TEST(ValidatorTest, TooFewInputs) {
  Graph g = Tiny();
  g.subgraphs[0].nodes[1].inputs = {3};
  ExpectInvalid(g, {"fully_connected node #1", "has 1 inputs", "2 to 3"});
}

TEST(ValidatorTest, TooManyInputs) {
  Graph g = Tiny();
  g.subgraphs[0].nodes[0].inputs = {0, 1, 2, 2};
  ExpectInvalid(g, {"fully_connected node #0", "has 4 inputs"});
}

TEST(ValidatorTest, WrongOutputCount) {
  Graph g = Tiny();
  g.subgraphs[0].nodes[0].outputs = {};
  ExpectInvalid(g, {"fully_connected node #0", "has 0 outputs", "expected 1"});
  g = Tiny();
  g.subgraphs[0].nodes[0].op = OpCode::kUnpack;  // variadic outputs
  g.subgraphs[0].nodes[0].inputs = {0};
  g.subgraphs[0].nodes[0].outputs = {};
  ExpectInvalid(g, {"unpack node #0", "at least 1"});
}

// Rule 4: producers and order.
TEST(ValidatorTest, TensorProducedTwice) {
  Graph g = Tiny();
  g.subgraphs[0].nodes[1].outputs = {3};
  ExpectInvalid(g,
                {"node #1", "tensor #3 \"d0\"", "already produced by node #0"});
}

TEST(ValidatorTest, NodeWritesConstant) {
  Graph g = Tiny();
  g.subgraphs[0].nodes[1].outputs = {4};
  ExpectInvalid(g, {"node #1", "writes constant tensor #4"});
}

TEST(ValidatorTest, NodesOutOfOrder) {
  Graph g = Tiny();
  std::swap(g.subgraphs[0].nodes[0], g.subgraphs[0].nodes[1]);
  ExpectInvalid(
      g, {"node #0", "reads tensor #3 \"d0\"", "node #1", "topological order"});
}

TEST(ValidatorTest, Cycle) {
  Graph g = Tiny();
  // node 0 reads node 1's output, node 1 reads node 0's.
  g.subgraphs[0].nodes[0].inputs[0] = 5;
  ExpectInvalid(g, {"node #0", "tensor #5 \"d1\"", "cycle"});
}

TEST(ValidatorTest, NodeReadsItsOwnOutput) {
  Graph g = Tiny();
  g.subgraphs[0].nodes[0].inputs[0] = 3;
  ExpectInvalid(g, {"node #0", "tensor #3", "produced by node #0"});
}

// Rule 5: signatures.
TEST(ValidatorTest, SignatureInputIsAConstant) {
  Graph g = Tiny();
  g.signatures[0].inputs.push_back({"w", 1});
  ExpectInvalid(g, {"signature \"infer\"", "input \"w\"", "constant"});
}

TEST(ValidatorTest, SignatureInputIsComputed) {
  Graph g = Tiny();
  g.signatures[0].inputs.push_back({"h", 3});
  ExpectInvalid(g, {"signature \"infer\"", "input \"h\"", "computed"});
}

TEST(ValidatorTest, DuplicateSignatureKeys) {
  Graph g = Tiny();
  g.signatures.push_back(g.signatures[0]);
  ExpectInvalid(g, {"duplicate signature key \"infer\""});
}

TEST(ValidatorTest, DuplicateIoNames) {
  Graph g = Tiny();
  g.signatures[0].inputs.push_back({"x", 0});
  ExpectInvalid(g, {"signature \"infer\"", "duplicate input name \"x\""});
  g = Tiny();
  g.signatures[0].outputs.push_back({"y", 3});
  ExpectInvalid(g, {"signature \"infer\"", "duplicate output name \"y\""});
  // An input and an output may share a name.
  g = Tiny();
  g.signatures[0].outputs.push_back({"x", 3});
  EXPECT_TRUE(ValidateGraph(g).ok());
}

TEST(ValidatorTest, DuplicateVariableNames) {
  Graph g = Tiny();
  g.variables.push_back(
      {"dense/kernel", DType::kFloat32, {2}, Initializer::kZeros, -1, 0, true});
  g.variables.push_back(g.variables[0]);
  ExpectInvalid(g, {"variable #1 \"dense/kernel\"", "duplicate name"});
}

// Quantization.
TEST(ValidatorTest, PerChannelScaleCountMismatch) {
  Graph g = Tiny();
  // d0/kernel is [3, 2]: two channels on axis 1, three given.
  g.subgraphs[0].tensors[1].quantization =
      Quantization{{0.1f, 0.2f, 0.3f}, {0, 0, 0}, 1};
  ExpectInvalid(g, {"\"d0/kernel\"", "axis 1 with 3 scales", "[3,2]"});
}

TEST(ValidatorTest, PerChannelAxisOutOfRange) {
  Graph g = Tiny();
  g.subgraphs[0].tensors[1].quantization = Quantization{{0.1f, 0.2f}, {}, 2};
  ExpectInvalid(g, {"\"d0/kernel\"", "axis 2"});
  g.subgraphs[0].tensors[1].quantization->axis = -1;
  ExpectInvalid(g, {"\"d0/kernel\"", "axis -1"});
  g.subgraphs[0].tensors[1].quantization->axis = 1;
  EXPECT_TRUE(ValidateGraph(g).ok());
}

TEST(ValidatorTest, ZeroPointCountMismatch) {
  Graph g = Tiny();
  g.subgraphs[0].tensors[1].quantization =
      Quantization{{0.1f, 0.2f}, {0, 0, 0}, 1};
  ExpectInvalid(g, {"\"d0/kernel\"", "2 scales and 3 zero points"});
}

TEST(ValidatorTest, QuantizationWithoutScales) {
  Graph g = Tiny();
  g.subgraphs[0].tensors[0].quantization = Quantization{};
  ExpectInvalid(g, {"tensor #0 \"x\"", "0 scales"});
}

}  // namespace
}  // namespace attune
