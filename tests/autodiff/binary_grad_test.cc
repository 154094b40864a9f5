// Finite-difference checks of add and sub (autodiff/rules/binary.cc),
// including broadcasting in both directions and a fused activation.
// Linear ops: eps 1e-2, atol 1e-3, rtol 1e-3.
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"
#include "tests/autodiff/grad_test_util.h"

namespace attune::testing {
namespace {

const GradCheckOptions kTol = Tolerances(1e-2, 1e-3, 1e-3);

TEST(BinaryGradTest, SubSameShape) {
  absl::Status s =
      CheckGradients(OpCode::kSub, {Var({3, 4}, 1), Var({3, 4}, 2)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(BinaryGradTest, SubBroadcastsSecondInput) {
  absl::Status s = CheckGradients(
      OpCode::kSub, {Var({2, 3, 4}, 3), Var({3, 1}, 4)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(BinaryGradTest, AddBroadcastsFirstInput) {
  absl::Status s =
      CheckGradients(OpCode::kAdd, {Var({4}, 5), Var({2, 3, 4}, 6)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(BinaryGradTest, AddBroadcastsBothWays) {
  // [1, 4] + [3, 1] -> [3, 4]: each input is summed over a different dim.
  absl::Status s =
      CheckGradients(OpCode::kAdd, {Var({1, 4}, 7), Var({3, 1}, 8)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kAdd, {Var({2, 1, 5}, 9), Var({3, 1}, 10)}, {},
                     kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(BinaryGradTest, AddScalarAndTensor) {
  absl::Status s =
      CheckGradients(OpCode::kAdd, {Var({}, 11), Var({2, 3}, 12)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(BinaryGradTest, SubWithFusedRelu) {
  // a in [1, 2), b in [-2, 0) or [3, 5): |a - b| >= 1, far from the kink,
  // and both sides of it are exercised.
  GradCheckInput a = Var({3, 4}, 13, 1, 2);
  GradCheckInput b = Var({3, 4}, 14, -2, 0);
  for (size_t i = 1; i < b.values.size(); i += 2) b.values[i] += 5;
  absl::Status s = CheckGradients(
      OpCode::kSub, {a, b}, Attributes().SetString("activation", "relu"), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace attune::testing
