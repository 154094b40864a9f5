// Finite-difference checks of maximum, minimum, pow, select and cast
// (autodiff/rules/elementwise.cc), with broadcasting. maximum/minimum
// inputs are interleaved so |a - b| >= 0.1 (no ties within eps).
// eps 1e-3, atol 2e-3, rtol 1e-2.
#include <vector>

#include "autodiff/gradients.h"
#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"
#include "tests/autodiff/grad_test_util.h"

namespace attune::testing {
namespace {

const GradCheckOptions kTol = Tolerances(1e-3, 2e-3, 1e-2);

// b values from {-0.75, -0.25, 0.25, 0.75}; a in [-1, 1] kept 0.1 away.
GradCheckInput GridB(Shape shape) {
  GradCheckInput in = Var(std::move(shape), 99);
  for (size_t i = 0; i < in.values.size(); ++i) {
    in.values[i] = -0.75f + 0.5f * static_cast<float>(i % 4);
  }
  return in;
}

TEST(ElementwiseGradTest, MaximumSameShape) {
  absl::Status s = CheckGradients(
      OpCode::kMaximum,
      {VarAwayFrom({2, 4}, 1, -1, 1, {-0.75f, -0.25f, 0.25f, 0.75f}, 0.1f),
       GridB({2, 4})},
      {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ElementwiseGradTest, MaximumAndMinimumBroadcast) {
  // b [4] broadcasts over a [3, 4]: db sums the rows it wins.
  GradCheckInput a =
      VarAwayFrom({3, 4}, 2, -1, 1, {-0.75f, -0.25f, 0.25f, 0.75f}, 0.1f);
  absl::Status s = CheckGradients(OpCode::kMaximum, {a, GridB({4})}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kMinimum, {GridB({4}), a}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ElementwiseGradTest, TiesGoToTheFirstInput) {
  // maximum(a, a'): with a == a' all of dy goes to a.
  ModelBuilder b("ties");
  const int x = b.Input("x", DType::kFloat32, {3});
  const int y = b.Input("y", DType::kFloat32, {3});
  const int m = b.Op1(OpCode::kMaximum, {x, y});
  const int loss = b.Op1(OpCode::kSum, {m});
  b.AddSignature("loss", {{"x", x}, {"y", y}}, {{"loss", loss}});
  auto graph = b.Build();
  ASSERT_TRUE(graph.ok()) << graph.status();
  ModelBuilder g = ModelBuilder::FromGraph(*std::move(graph));
  auto result = AddGradients(g, loss, {x, y});
  ASSERT_TRUE(result.ok()) << result.status();
  g.AddSignature("grad", {{"x", x}, {"y", y}},
                 {{"dx", result->source_gradients[0]},
                  {"dy", result->source_gradients[1]}});
  auto model = g.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* run = *(*interpreter)->GetSignatureRunner("grad");
  ASSERT_TRUE(run->AllocateTensors().ok());
  ASSERT_TRUE(run->SetInput<float>("x", std::vector<float>{1, 2, 3}).ok());
  ASSERT_TRUE(run->SetInput<float>("y", std::vector<float>{1, 5, 0}).ok());
  ASSERT_TRUE(run->Invoke().ok());
  auto dx = *run->typed_output<float>("dx");
  auto dy = *run->typed_output<float>("dy");
  EXPECT_EQ(std::vector<float>(dx.begin(), dx.end()),
            (std::vector<float>{1, 0, 1}));
  EXPECT_EQ(std::vector<float>(dy.begin(), dy.end()),
            (std::vector<float>{0, 1, 0}));
}

TEST(ElementwiseGradTest, PowBothInputsPositiveBase) {
  absl::Status s = CheckGradients(
      OpCode::kPow, {Var({3, 4}, 3, 0.5f, 2.0f), Var({3, 4}, 4, -2, 2)}, {},
      kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ElementwiseGradTest, PowBroadcastExponent) {
  absl::Status s = CheckGradients(
      OpCode::kPow, {Var({2, 3}, 5, 0.5f, 2.0f), Var({3}, 6, 0.5f, 3.0f)}, {},
      kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ElementwiseGradTest, PowNegativeBaseIntegerExponent) {
  // a < 0 with b = 2 or 3 (constant): only da is defined.
  absl::Status s = CheckGradients(
      OpCode::kPow, {Var({4}, 7, -2.0f, -0.5f), FloatConst({4}, {2, 3, 2, 3})},
      {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ElementwiseGradTest, SelectBroadcastsAllThree) {
  // cond [3, 1] (bool constant), x [3, 4], y [4].
  absl::Status s = CheckGradients(
      OpCode::kSelect,
      {IntConst({3, 1}, {1, 0, 1}, DType::kBool), Var({3, 4}, 8), Var({4}, 9)},
      {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ElementwiseGradTest, CastFloatToFloat) {
  absl::Status s =
      CheckGradients(OpCode::kCast, {Var({2, 3}, 10)},
                     Attributes().SetString("dtype", "float32"), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace attune::testing
