// Finite-difference checks of neg, abs, exp, log, sqrt, rsqrt, square
// (autodiff/rules/unary.cc). log/sqrt/rsqrt inputs in [0.5, 3] (far from
// the pole at 0); abs kept 0.05 from 0. eps 1e-3, atol 2e-3, rtol 1e-2.
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"
#include "tests/autodiff/grad_test_util.h"

namespace attune::testing {
namespace {

const GradCheckOptions kTol = Tolerances(1e-3, 2e-3, 1e-2);

absl::Status Check(OpCode op, GradCheckInput x) {
  return CheckGradients(op, {std::move(x)}, {}, kTol);
}

TEST(UnaryGradTest, Neg) {
  absl::Status s = Check(OpCode::kNeg, Var({2, 3}, 1));
  EXPECT_TRUE(s.ok()) << s;
}

TEST(UnaryGradTest, Abs) {
  absl::Status s = Check(OpCode::kAbs, VarAwayFrom({3, 4}, 2, -2, 2, {0}));
  EXPECT_TRUE(s.ok()) << s;
}

TEST(UnaryGradTest, Exp) {
  absl::Status s = Check(OpCode::kExp, Var({3, 4}, 3, -2, 2));
  EXPECT_TRUE(s.ok()) << s;
}

TEST(UnaryGradTest, Log) {
  absl::Status s = Check(OpCode::kLog, Var({3, 4}, 4, 0.5f, 3));
  EXPECT_TRUE(s.ok()) << s;
}

TEST(UnaryGradTest, Sqrt) {
  absl::Status s = Check(OpCode::kSqrt, Var({3, 4}, 5, 0.5f, 3));
  EXPECT_TRUE(s.ok()) << s;
}

TEST(UnaryGradTest, Rsqrt) {
  absl::Status s = Check(OpCode::kRsqrt, Var({3, 4}, 6, 0.5f, 3));
  EXPECT_TRUE(s.ok()) << s;
}

TEST(UnaryGradTest, Square) {
  absl::Status s = Check(OpCode::kSquare, Var({2, 2, 3}, 7, -2, 2));
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace attune::testing
