#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::Each;

template <typename T>
void CheckFill(T value) {
  OpTester t(OpCode::kFill);
  t.Const<int32_t>({3}, {2, 1, 3}).Input<T>({}, {value});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputDType(0), DTypeOf<T>::value);
  EXPECT_EQ(t.OutputShape(0), Shape({2, 1, 3}));
  EXPECT_EQ(t.Output<T>(0), std::vector<T>(6, value));
}

TEST(FillTest, AllDTypes) {
  CheckFill<float>(-2.5f);
  CheckFill<int32_t>(-7);
  CheckFill<int64_t>(int64_t{1} << 40);
  CheckFill<bool>(true);
  CheckFill<uint8_t>(200);
}

// (A fill of constants is folded at prepare time; shape_folding_test.cc covers
// that path.)
TEST(FillTest, Int64Dims) {
  OpTester t(OpCode::kFill);
  t.Const<int64_t>({2}, {4, 5}).Input<float>({}, {1.5f});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({4, 5}));
  EXPECT_THAT(t.Output<float>(0), Each(1.5f));
}

TEST(FillTest, ZeroSizeAndScalar) {
  OpTester e(OpCode::kFill);
  e.Const<int32_t>({2}, {3, 0}).Input<float>({}, {1});
  ASSERT_TRUE(e.Run().ok());
  EXPECT_EQ(e.OutputShape(0), Shape({3, 0}));
  OpTester s(OpCode::kFill);
  s.Const<int32_t>({0}, {}).Input<int32_t>({1}, {9});
  ASSERT_TRUE(s.Run().ok());
  EXPECT_EQ(s.OutputShape(0), Shape({}));
  EXPECT_EQ(s.Output<int32_t>(0), std::vector<int32_t>{9});
}

TEST(FillTest, NegativeDimIsInvalidArgument) {
  OpTester t(OpCode::kFill);
  t.Const<int32_t>({2}, {2, -1}).Input<float>({}, {1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FillTest, NonScalarValueIsInvalidArgument) {
  OpTester t(OpCode::kFill);
  t.Const<int32_t>({1}, {2}).Input<float>({2}, {1, 2});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(FillTest, RunTimeDimsIsUnimplemented) {
  OpTester t(OpCode::kFill);
  t.Input<int32_t>({1}, {2}).Input<float>({}, {1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attune
