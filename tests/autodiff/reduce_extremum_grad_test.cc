// reduce_max / reduce_min (autodiff/rules/reduce_extremum.cc): finite
// differences on distinct values (no ties, so the arg-extremum does not move
// within eps: values are a shuffled grid with spacing 0.1 > 2 * eps), and
// the tie convention (an equal share each) checked directly.
// eps 1e-3, atol 1e-4, rtol 1e-3.
#include <algorithm>
#include <random>
#include <vector>

#include "autodiff/gradients.h"
#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"
#include "tests/autodiff/grad_test_util.h"

namespace attune::testing {
namespace {

const GradCheckOptions kTol = Tolerances(1e-3, 1e-4, 1e-3);

GradCheckInput Distinct(Shape shape, uint64_t seed) {
  GradCheckInput in;
  const int64_t n = NumElements(shape);
  in.shape = std::move(shape);
  for (int64_t i = 0; i < n; ++i) in.values.push_back(-1.0f + 0.1f * i);
  std::mt19937 rng(seed);
  std::shuffle(in.values.begin(), in.values.end(), rng);
  return in;
}

TEST(ReduceExtremumGradTest, ReduceMaxOverAxes) {
  absl::Status s = CheckGradients(OpCode::kReduceMax, {Distinct({2, 3, 4}, 1)},
                                  Attributes().SetInts("axes", {1}), kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kReduceMax, {Distinct({3, 4}, 2)},
                     Attributes().SetInts("axes", {0, 1}).SetInt("keepdims", 1),
                     kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kReduceMax, {Distinct({5}, 3)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ReduceExtremumGradTest, ReduceMinAxesInput) {
  absl::Status s = CheckGradients(
      OpCode::kReduceMin, {Distinct({3, 2, 4}, 4), IntConst({2}, {-1, 0})},
      Attributes().SetInt("keepdims", 0), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ReduceExtremumGradTest, TiedPositionsShareTheGradient) {
  ModelBuilder b("ties");
  const int x = b.Input("x", DType::kFloat32, {2, 3});
  const int m =
      b.Op1(OpCode::kReduceMax, {x}, Attributes().SetInts("axes", {1}));
  const int loss = b.Op1(OpCode::kSum, {m});
  b.AddSignature("loss", {{"x", x}}, {{"loss", loss}});
  auto graph = b.Build();
  ASSERT_TRUE(graph.ok()) << graph.status();
  ModelBuilder g = ModelBuilder::FromGraph(*std::move(graph));
  auto result = AddGradients(g, loss, {x});
  ASSERT_TRUE(result.ok()) << result.status();
  g.AddSignature("grad", {{"x", x}}, {{"dx", result->source_gradients[0]}});
  auto model = g.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* run = *(*interpreter)->GetSignatureRunner("grad");
  ASSERT_TRUE(run->AllocateTensors().ok());
  ASSERT_TRUE(
      run->SetInput<float>("x", std::vector<float>{3, 1, 3, 2, 2, 2}).ok());
  ASSERT_TRUE(run->Invoke().ok());
  auto dx = *run->typed_output<float>("dx");
  const std::vector<float> expected = {0.5f,     0,        0.5f,
                                       1 / 3.0f, 1 / 3.0f, 1 / 3.0f};
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(dx[i], expected[i], 1e-6) << i;
  }
}

}  // namespace
}  // namespace attune::testing
