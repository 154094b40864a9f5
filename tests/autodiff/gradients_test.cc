// The autodiff engine: pruning of frozen parts, fan-out accumulation,
// broadcast reduction, missing rules; and finite-difference checks of the
// rules written with the engine.
#include "autodiff/gradients.h"
#include "engine/interpreter.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"

namespace attune {
namespace {

using ::attune::testing::CheckGradients;
using ::attune::testing::GradCheckInput;
using ::attune::testing::RandomValues;
using ::testing::HasSubstr;

GradCheckInput Var(Shape shape, uint64_t seed, float lo = -1, float hi = 1) {
  GradCheckInput in;
  in.values = RandomValues(NumElements(shape), lo, hi, seed);
  in.shape = std::move(shape);
  return in;
}

TEST(GradientsTest, FullyConnectedWithBiasAndRelu) {
  // Inputs away from the relu kink: |pre-activation| is rarely below eps.
  absl::Status status = CheckGradients(
      OpCode::kFullyConnected, {Var({3, 4}, 1), Var({4, 5}, 2), Var({5}, 3)},
      Attributes().SetString("activation", "relu"));
  EXPECT_TRUE(status.ok()) << status;
}

TEST(GradientsTest, FullyConnectedRank3Input) {
  absl::Status status = CheckGradients(
      OpCode::kFullyConnected, {Var({2, 3, 4}, 4), Var({4, 2}, 5)}, {});
  EXPECT_TRUE(status.ok()) << status;
}

TEST(GradientsTest, BroadcastingMulReducesToEachInputShape) {
  absl::Status status =
      CheckGradients(OpCode::kMul, {Var({2, 3, 4}, 6), Var({3, 1}, 7)}, {});
  EXPECT_TRUE(status.ok()) << status;
}

TEST(GradientsTest, DivAndSquaredDifference) {
  EXPECT_TRUE(CheckGradients(OpCode::kDiv,
                             {Var({4, 3}, 8), Var({3}, 9, 0.5f, 2.0f)}, {})
                  .ok());
  EXPECT_TRUE(CheckGradients(OpCode::kSquaredDifference,
                             {Var({2, 3}, 10), Var({1, 3}, 11)}, {})
                  .ok());
}

TEST(GradientsTest, MeanOverAxesWithDynamicBatchShape) {
  absl::Status status = CheckGradients(
      OpCode::kMean, {Var({3, 4, 5}, 12)},
      Attributes().SetInts("axes", {0, 2}).SetInt("keepdims", 0));
  EXPECT_TRUE(status.ok()) << status;
}

TEST(GradientsTest, SoftmaxAndLogSoftmax) {
  EXPECT_TRUE(CheckGradients(OpCode::kSoftmax, {Var({3, 5}, 13, -2, 2)}, {}).ok());
  EXPECT_TRUE(
      CheckGradients(OpCode::kLogSoftmax, {Var({3, 5}, 14, -2, 2)}, {}).ok());
}

TEST(GradientsTest, SparseSoftmaxCrossEntropyLossOutput) {
  GradCheckInput labels;
  labels.shape = {4};
  labels.differentiate = false;
  labels.dtype = DType::kInt32;
  labels.int_values = {0, 2, 1, 2};
  testing::GradCheckOptions options;
  options.num_outputs = 2;
  // The probe also weights the backprop output, whose gradient is not
  // supported: check through a graph that reads only the loss instead.
  absl::Status status = CheckGradients(OpCode::kSparseSoftmaxCrossEntropy,
                                       {Var({4, 3}, 15, -3, 3), labels}, {},
                                       options);
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(status.message()), HasSubstr("backprop output"));
}

TEST(GradientsTest, MissingRuleIsUnimplementedNamingTheOp) {
  absl::Status status = CheckGradients(OpCode::kReduceProd, {Var({2, 3}, 16)},
                                       Attributes().SetInts("axes", {1}));
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"reduce_prod\""));
}

// x -> read w -> fc -> relu -> fc(frozen v) -> loss, with a frozen branch:
// only the trainable path gets backward ops and the fan-out of a tensor
// used twice is summed.
TEST(GradientsTest, FrozenPartsGetNoBackwardOpsAndFanOutIsSummed) {
  ModelBuilder b("prune");
  const int x = b.Input("x", DType::kFloat32, {-1, 3});
  const std::vector<float> frozen(9, 0.5f);
  const int frozen_w = b.Constant<float>("frozen_w", {3, 3}, frozen);
  const int features = b.Op1(OpCode::kFullyConnected, {x, frozen_w}, {},
                             "backbone");
  b.AddVariable({"head/kernel", DType::kFloat32, {3, 3},
                 Initializer::kGlorotUniform, -1, 1, true});
  const int w = b.Op1(OpCode::kReadVariable, {},
                      Attributes().SetInt("variable", 0), "w");
  const int h = b.Op1(OpCode::kFullyConnected, {features, w});
  const int twice = b.Op1(OpCode::kAdd, {h, h});  // fan-out of h
  const int loss = b.Op1(OpCode::kSum, {twice});
  b.AddSignature("loss", {{"x", x}}, {{"loss", loss}});
  auto graph = b.Build();
  ASSERT_TRUE(graph.ok()) << graph.status();
  ModelBuilder g = ModelBuilder::FromGraph(*std::move(graph));
  const int nodes_before = static_cast<int>(g.nodes().size());
  auto result = AddGradients(g, loss, {w});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_NE(result->source_gradients[0], -1);
  // No backward node reads the backbone's weights or writes d(features).
  for (size_t n = nodes_before; n < g.nodes().size(); ++n) {
    for (int t : g.nodes()[n].inputs) EXPECT_NE(t, frozen_w);
    EXPECT_THAT(g.tensor(g.nodes()[n].outputs[0]).name,
                ::testing::Not(HasSubstr("gradients/backbone")));
  }
  g.AddSignature("grad", {{"x", x}}, {{"dw", result->source_gradients[0]}});
  auto model = g.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("grad");
  ASSERT_TRUE(runner->ResizeInput("x", {2, 3}).ok());
  ASSERT_TRUE(runner->AllocateTensors().ok());
  ASSERT_TRUE(
      runner->SetInput<float>("x", std::vector<float>{1, 2, 3, -1, 0, 1}).ok());
  ASSERT_TRUE(runner->Invoke().ok());
  // features = 0.5 * rowsum(x) per unit: row 0 -> 3, row 1 -> 0.
  // loss = 2 * sum(features . w) => dw[i][j] = 2 * sum_rows features[r][i].
  auto dw = *runner->typed_output<float>("dw");
  for (float v : dw) EXPECT_NEAR(v, 2 * (3.0f + 0.0f), 1e-5);
}

// loss = sum(w * float(argmax(w))): the factor reaches w only through an
// integer tensor, so it is a constant to autodiff (dw = argmax(w)), and
// the pass differentiates nothing on the integer path (no gradient for the
// cast's output, which feeds the loss but does not carry w's gradient).
TEST(GradientsTest, IntegerPathsCarryNoGradient) {
  ModelBuilder b("integer_path");
  b.AddVariable({"w", DType::kFloat32, {3}, Initializer::kZeros, -1, 1, true});
  const int w =
      b.Op1(OpCode::kReadVariable, {}, Attributes().SetInt("variable", 0), "w");
  const int index = b.Op1(
      OpCode::kArgMax, {w},
      Attributes().SetInt("axis", 0).SetString("output_type", "int32"), "idx");
  const int factor = b.Op1(OpCode::kCast, {index},
                           Attributes().SetString("dtype", "float32"), "f");
  const int loss = b.Op1(OpCode::kSum, {b.Op1(OpCode::kMul, {w, factor})});
  b.AddSignature("loss", {}, {{"loss", loss}});
  auto graph = b.Build();
  ASSERT_TRUE(graph.ok()) << graph.status();
  ModelBuilder g = ModelBuilder::FromGraph(*std::move(graph));
  auto result = AddGradients(g, loss, {w});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_NE(result->source_gradients[0], -1);
  for (const auto& [forward, gradient] : result->gradient_of) {
    EXPECT_NE(forward, factor);
    EXPECT_NE(forward, index);
  }
  g.AddSignature("grad", {}, {{"dw", result->source_gradients[0]}});
  auto model = g.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  ASSERT_TRUE((*interpreter)
                  ->variables()
                  .Set<float>("w", std::vector<float>{0.5f, 2.0f, 1.0f})
                  .ok());
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("grad");
  ASSERT_TRUE(runner->AllocateTensors().ok());
  ASSERT_TRUE(runner->Invoke().ok());
  auto dw = *runner->typed_output<float>("dw");
  ASSERT_EQ(dw.size(), 3u);
  for (float v : dw) EXPECT_NEAR(v, 1.0f, 1e-6f);  // argmax(w) = 1
}

}  // namespace
}  // namespace attune
