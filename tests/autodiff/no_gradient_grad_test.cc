// Graphs mixing differentiable ops with integer/bool-producing ops
// (comparisons, arg_max, cast to int) and ops without input gradients
// (one_hot, zeros_like; autodiff/rules/no_gradient.cc): the gradient flows
// through the float path only.
#include <vector>

#include "autodiff/gradients.h"
#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

// loss = sum(x * cast(x > 0))                     mask path (bool)
//      + sum(x * one_hot(arg_max(x), 4))         index path (int64)
//      + sum(zeros_like(x) + cast(cast(x, int32), float32))
// d loss / dx = (x > 0) + one_hot(arg_max(x)); the rest is constant in x.
TEST(NoGradientTest, MixedGraphDifferentiatesTheFloatPathOnly) {
  ModelBuilder b("mixed");
  const int x = b.Input("x", DType::kFloat32, {2, 4});
  const int positive =
      b.Op1(OpCode::kGreater, {x, b.ConstantScalar("zero", 0)});
  const int mask = b.Op1(OpCode::kCast, {positive},
                         Attributes().SetString("dtype", "float32"));
  const int masked = b.Op1(OpCode::kMul, {x, mask});
  const int best = b.Op1(OpCode::kArgMax, {x}, Attributes().SetInt("axis", -1));
  const int hot =
      b.Op1(OpCode::kOneHot, {best}, Attributes().SetInt("depth", 4));
  const int picked = b.Op1(OpCode::kMul, {x, hot});
  const int truncated =
      b.Op1(OpCode::kCast, {x}, Attributes().SetString("dtype", "int32"));
  const int back = b.Op1(OpCode::kCast, {truncated},
                         Attributes().SetString("dtype", "float32"));
  const int zero = b.Op1(OpCode::kZerosLike, {x});
  const int constant = b.Op1(OpCode::kAdd, {zero, back});
  const int sum =
      b.Op1(OpCode::kAdd, {b.Op1(OpCode::kAdd, {masked, picked}), constant});
  const int loss = b.Op1(OpCode::kSum, {sum});
  b.AddSignature("loss", {{"x", x}}, {{"loss", loss}});
  auto graph = b.Build();
  ASSERT_TRUE(graph.ok()) << graph.status();
  ModelBuilder g = ModelBuilder::FromGraph(*std::move(graph));
  auto result = AddGradients(g, loss, {x});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_NE(result->source_gradients[0], -1);
  g.AddSignature("grad", {{"x", x}}, {{"dx", result->source_gradients[0]}});
  auto model = g.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* run = *(*interpreter)->GetSignatureRunner("grad");
  ASSERT_TRUE(run->AllocateTensors().ok());
  ASSERT_TRUE(run->SetInput<float>(
                     "x", std::vector<float>{-1, 2, 0.5f, 3, 4, -2, -3, 1})
                  .ok());
  ASSERT_TRUE(run->Invoke().ok());
  auto dx = *run->typed_output<float>("dx");
  // mask:    0 1 1 1 | 1 0 0 1;  one_hot(argmax): 0 0 0 1 | 1 0 0 0
  const std::vector<float> expected = {0, 1, 1, 2, 2, 0, 0, 1};
  EXPECT_EQ(std::vector<float>(dx.begin(), dx.end()), expected);
}

TEST(NoGradientTest, OnlyIntegerPathToLossGivesNoGradient) {
  // loss = sum(one_hot(arg_max(x))): depends on x only through integers.
  ModelBuilder b("int path");
  const int x = b.Input("x", DType::kFloat32, {3});
  const int best = b.Op1(OpCode::kArgMax, {x});
  const int hot =
      b.Op1(OpCode::kOneHot, {best}, Attributes().SetInt("depth", 3));
  const int loss = b.Op1(OpCode::kSum, {hot});
  b.AddSignature("loss", {{"x", x}}, {{"loss", loss}});
  auto graph = b.Build();
  ASSERT_TRUE(graph.ok()) << graph.status();
  ModelBuilder g = ModelBuilder::FromGraph(*std::move(graph));
  auto result = AddGradients(g, loss, {x});
  ASSERT_TRUE(result.ok()) << result.status();
  EXPECT_EQ(result->source_gradients[0], -1);
}

}  // namespace
}  // namespace attune
