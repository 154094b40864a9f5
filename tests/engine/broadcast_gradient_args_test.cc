#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

TEST(BroadcastGradientArgsTest, ReductionAxesOfEachSide) {
  // [2,1,3] and [4,1] broadcast to [2,4,3].
  OpTester t(OpCode::kBroadcastGradientArgs);
  t.Const<int32_t>({3}, {2, 1, 3}).Const<int32_t>({2}, {4, 1}).NumOutputs(2);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAre(1));
  EXPECT_THAT(t.Output<int32_t>(1), ElementsAre(0, 2));
}

TEST(BroadcastGradientArgsTest, EqualShapesAndOnes) {
  OpTester t(OpCode::kBroadcastGradientArgs);
  t.Const<int64_t>({2}, {1, 5}).Const<int64_t>({2}, {1, 5}).NumOutputs(2);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputDType(0), DType::kInt64);
  // An axis of size 1 on both sides is reduced on both (TensorFlow's rule).
  EXPECT_THAT(t.Output<int64_t>(0), ElementsAre(0));
  EXPECT_THAT(t.Output<int64_t>(1), ElementsAre(0));
  OpTester u(OpCode::kBroadcastGradientArgs);
  u.Const<int32_t>({2}, {3, 5}).Const<int32_t>({2}, {3, 5}).NumOutputs(2);
  ASSERT_TRUE(u.Run().ok());
  EXPECT_THAT(u.Output<int32_t>(0), IsEmpty());
  EXPECT_THAT(u.Output<int32_t>(1), IsEmpty());
}

TEST(BroadcastGradientArgsTest, Errors) {
  OpTester t(OpCode::kBroadcastGradientArgs);
  t.Const<int32_t>({1}, {3}).Const<int32_t>({1}, {4}).NumOutputs(2);
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester u(OpCode::kBroadcastGradientArgs);
  u.Const<int32_t>({1}, {3}).Const<int64_t>({1}, {3}).NumOutputs(2);
  EXPECT_EQ(u.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
