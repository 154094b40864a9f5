#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;

template <typename T>
void CheckExpandDims(int64_t axis, Shape expected) {
  std::vector<T> x;
  for (int i = 0; i < 6; ++i) x.push_back(static_cast<T>(i % 3));
  OpTester t(OpCode::kExpandDims);
  t.Input<T>({2, 3}, x);
  t.Const<int32_t>({}, {static_cast<int32_t>(axis)});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), expected) << "axis " << axis;
  EXPECT_EQ(t.Output<T>(0), x);
}

TEST(ExpandDimsTest, EveryAxisIncludingNegative) {
  CheckExpandDims<float>(0, {1, 2, 3});
  CheckExpandDims<int32_t>(1, {2, 1, 3});
  CheckExpandDims<int64_t>(2, {2, 3, 1});
  CheckExpandDims<bool>(-1, {2, 3, 1});
  CheckExpandDims<uint8_t>(-3, {1, 2, 3});
  CheckExpandDims<float>(-2, {2, 1, 3});
}

TEST(ExpandDimsTest, AttributeScalarAndZeroSize) {
  OpTester t(OpCode::kExpandDims);
  t.Input<float>({}, {5}).Int("axis", 0);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({1}));
  EXPECT_THAT(t.Output<float>(0), ElementsAre(5));

  OpTester e(OpCode::kExpandDims);
  e.Input<float>({0, 2}, {}).Int("axis", 1);
  ASSERT_TRUE(e.Run().ok());
  EXPECT_EQ(e.OutputShape(0), Shape({0, 1, 2}));
}

TEST(ExpandDimsTest, AxisOutOfRangeIsInvalidArgument) {
  for (int64_t axis : {3, -4}) {
    OpTester t(OpCode::kExpandDims);
    t.Input<float>({2, 3}, std::vector<float>(6)).Int("axis", axis);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument) << axis;
  }
}

TEST(ExpandDimsTest, RunTimeAxisIsUnimplemented) {
  OpTester t(OpCode::kExpandDims);
  t.Input<float>({2}, {1, 2}).Input<int32_t>({}, {0});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attune
