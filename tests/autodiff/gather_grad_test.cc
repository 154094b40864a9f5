// Finite-difference checks of gather and scatter_add
// (autodiff/rules/gather.cc). Linear: eps 1e-2, atol 1e-4, rtol 1e-3.
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"
#include "tests/autodiff/grad_test_util.h"

namespace attune::testing {
namespace {

const GradCheckOptions kTol = Tolerances(1e-2, 1e-4, 1e-3);

TEST(GatherGradTest, Axis0WithRepeatedIndices) {
  // Row 2 is gathered twice (its gradient sums), row 1 never (zero).
  absl::Status s = CheckGradients(
      OpCode::kGather, {Var({4, 3}, 1), IntConst({2, 2}, {2, 0, 3, 2})}, {},
      kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kGather,
                     {Var({5}, 2), IntConst({3}, {4, 4, 1}, DType::kInt64)}, {},
                     kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(GatherGradTest, InnerAxis) {
  absl::Status s = CheckGradients(OpCode::kGather,
                                  {Var({2, 4, 3}, 3), IntConst({3}, {3, 0, 3})},
                                  Attributes().SetInt("axis", 1), kTol);
  EXPECT_TRUE(s.ok()) << s;
  s = CheckGradients(OpCode::kGather,
                     {Var({2, 3}, 4), IntConst({2, 2}, {2, 1, 1, 0})},
                     Attributes().SetInt("axis", -1), kTol);
  EXPECT_TRUE(s.ok()) << s;
}

TEST(GatherGradTest, BatchDimsIsUnimplemented) {
  absl::Status s = CheckGradients(
      OpCode::kGather, {Var({2, 3}, 5), IntConst({2, 1}, {0, 2})},
      Attributes().SetInt("axis", 1).SetInt("batch_dims", 1), kTol);
  EXPECT_EQ(s.code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("batch_dims"));
}

TEST(GatherGradTest, ScatterAddUpdates) {
  absl::Status s = CheckGradients(
      OpCode::kScatterAdd,
      {IntConst({3}, {1, 0, 1}), Var({3, 2}, 6), IntConst({2}, {3, 2})}, {},
      kTol);
  EXPECT_TRUE(s.ok()) << s;
}

}  // namespace
}  // namespace attune::testing
