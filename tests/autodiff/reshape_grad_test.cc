// Finite-difference checks of reshape, expand_dims and squeeze
// (autodiff/rules/reshape.cc). Linear: eps 1e-2, atol 1e-4, rtol 1e-3.
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"
#include "tests/autodiff/grad_test_util.h"

namespace attune::testing {
namespace {

const GradCheckOptions kTol = Tolerances(1e-2, 1e-4, 1e-3);

TEST(ReshapeGradTest, ReshapeByAttributeAndInput) {
  absl::Status s = CheckGradients(OpCode::kReshape, {Var({2, 3, 4}, 1)},
                                  Attributes().SetInts("shape", {4, -1}), kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kReshape,
                     {Var({6}, 2), IntConst({3}, {3, 1, 2}, DType::kInt64)}, {},
                     kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ReshapeGradTest, ExpandDims) {
  absl::Status s = CheckGradients(OpCode::kExpandDims, {Var({2, 3}, 3)},
                                  Attributes().SetInt("axis", -1), kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kExpandDims, {Var({2, 3}, 4)},
                     Attributes().SetInt("axis", 1), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(ReshapeGradTest, SqueezeAllAndSomeAxes) {
  absl::Status s =
      CheckGradients(OpCode::kSqueeze, {Var({1, 3, 1, 2}, 5)}, {}, kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kSqueeze, {Var({1, 3, 1, 2}, 6)},
                     Attributes().SetInts("axes", {2}), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace attune::testing
