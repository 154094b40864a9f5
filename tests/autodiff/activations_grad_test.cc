// Finite-difference checks of the activation rules (autodiff/rules/
// activations.cc) and their *_grad kernels. Inputs are kept >= 0.05 from
// every kink. eps 1e-3; tolerances atol 2e-3, rtol 1e-2 (float32 forward,
// loss accumulated in double).
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"
#include "tests/autodiff/grad_test_util.h"

namespace attune::testing {
namespace {

const GradCheckOptions kTol = Tolerances(1e-3, 2e-3, 1e-2);

TEST(ActivationsGradTest, Relu) {
  EXPECT_TRUE(CheckGradients(OpCode::kRelu,
                             {VarAwayFrom({3, 5}, 1, -2, 2, {0})}, {}, kTol)
                  .ok());
}

TEST(ActivationsGradTest, Relu6) {
  absl::Status s = CheckGradients(
      OpCode::kRelu6, {VarAwayFrom({4, 6}, 2, -2, 8, {0, 6})}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ActivationsGradTest, LeakyReluDefaultAndCustomAlpha) {
  absl::Status s = CheckGradients(
      OpCode::kLeakyRelu, {VarAwayFrom({2, 3, 4}, 3, -2, 2, {0})}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kLeakyRelu, {VarAwayFrom({7}, 4, -2, 2, {0})},
                     Attributes().SetFloat("alpha", 0.05), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ActivationsGradTest, EluDefaultAndCustomAlpha) {
  absl::Status s = CheckGradients(
      OpCode::kElu, {VarAwayFrom({3, 4}, 5, -3, 2, {0})}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kElu, {VarAwayFrom({3, 4}, 6, -3, 2, {0})},
                     Attributes().SetFloat("alpha", 0.5), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ActivationsGradTest, SigmoidAndTanh) {
  absl::Status s =
      CheckGradients(OpCode::kSigmoid, {Var({4, 5}, 7, -4, 4)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kTanh, {Var({4, 5}, 8, -3, 3)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ActivationsGradTest, HardSwish) {
  // Kinks at -3 and 3 (derivative jumps there).
  absl::Status s = CheckGradients(
      OpCode::kHardSwish, {VarAwayFrom({5, 6}, 9, -5, 5, {-3, 3})}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ActivationsGradTest, GeluExactAndApproximate) {
  absl::Status s =
      CheckGradients(OpCode::kGelu, {Var({4, 6}, 10, -4, 4)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kGelu, {Var({4, 6}, 11, -4, 4)},
                     Attributes().SetInt("approximate", 1), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace attune::testing
