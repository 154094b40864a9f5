// Finite-difference checks of sum and mean (autodiff/rules/reduce.cc), with
// and without keepdims, axes as attribute or constant input.
// Linear: eps 1e-2, atol 1e-4, rtol 1e-3.
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"
#include "tests/autodiff/grad_test_util.h"

namespace attune::testing {
namespace {

const GradCheckOptions kTol = Tolerances(1e-2, 1e-4, 1e-3);

TEST(ReduceGradTest, SumKeepdims) {
  absl::Status s = CheckGradients(
      OpCode::kSum, {Var({2, 3, 4}, 1)},
      Attributes().SetInts("axes", {1}).SetInt("keepdims", 1), kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(
      OpCode::kSum, {Var({2, 3, 4}, 2)},
      Attributes().SetInts("axes", {0, -1}).SetInt("keepdims", 1), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ReduceGradTest, SumAllAndAxesInput) {
  absl::Status s = CheckGradients(OpCode::kSum, {Var({3, 2}, 3)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kSum, {Var({2, 3, 4}, 4), IntConst({2}, {2, 0})},
                     {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ReduceGradTest, MeanKeepdims) {
  absl::Status s = CheckGradients(
      OpCode::kMean, {Var({4, 5}, 5)},
      Attributes().SetInts("axes", {1}).SetInt("keepdims", 1), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace attune::testing
