#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::HasSubstr;

template <typename T>
void CheckSqueeze(std::vector<int64_t> axes, Shape expected) {
  std::vector<T> x;
  for (int i = 0; i < 6; ++i) x.push_back(static_cast<T>(i % 4));
  OpTester t(OpCode::kSqueeze);
  t.Input<T>({1, 2, 1, 3, 1}, x);
  if (!axes.empty()) t.Ints("axes", axes);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), expected);
  EXPECT_EQ(t.Output<T>(0), x);
}

TEST(SqueezeTest, AllSizeOneDimsByDefault) {
  CheckSqueeze<float>({}, {2, 3});
  CheckSqueeze<bool>({}, {2, 3});
}

TEST(SqueezeTest, SelectedAxesIncludingNegative) {
  CheckSqueeze<int32_t>({0}, {2, 1, 3, 1});
  CheckSqueeze<int64_t>({-1, 2}, {1, 2, 3});
  CheckSqueeze<uint8_t>({0, -3}, {2, 3, 1});
}

TEST(SqueezeTest, ZeroSizeAndAllOnes) {
  OpTester e(OpCode::kSqueeze);
  e.Input<float>({1, 0, 1}, {});
  ASSERT_TRUE(e.Run().ok());
  EXPECT_EQ(e.OutputShape(0), Shape({0}));
  OpTester s(OpCode::kSqueeze);
  s.Input<float>({1, 1}, {4});
  ASSERT_TRUE(s.Run().ok());
  EXPECT_EQ(s.OutputShape(0), Shape({}));
  EXPECT_EQ(s.Output<float>(0), std::vector<float>{4});
}

TEST(SqueezeTest, NonOneDimIsInvalidArgument) {
  OpTester t(OpCode::kSqueeze);
  t.Input<float>({1, 2}, {1, 2}).Ints("axes", {1});
  absl::Status s = t.Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("not 1"));
}

TEST(SqueezeTest, AxisOutOfRangeIsInvalidArgument) {
  OpTester t(OpCode::kSqueeze);
  t.Input<float>({1, 2}, {1, 2}).Ints("axes", {-3});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
