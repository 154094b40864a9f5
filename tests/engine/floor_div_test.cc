#include <cstdint>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;

TEST(FloorDivTest, IntegerRoundsTowardNegativeInfinity) {
  OpTester t(OpCode::kFloorDiv);
  t.Input<int32_t>({6}, {7, -7, 7, -7, 6, -6})
      .Input<int32_t>({6}, {2, 2, -2, -2, 3, 3});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int32_t>(0), ElementsAre(3, -4, -4, 3, 2, -2));
}

TEST(FloorDivTest, Int64BroadcastAndMinOverMinusOne) {
  const int64_t lo = std::numeric_limits<int64_t>::min();
  OpTester t(OpCode::kFloorDiv);
  t.Input<int64_t>({3}, {lo, -9, 9}).Input<int64_t>({}, {-1});
  ASSERT_TRUE(t.Run().ok());
  // min / -1 wraps (two's complement), as div does.
  EXPECT_THAT(t.Output<int64_t>(0), ElementsAre(lo, 9, -9));
}

TEST(FloorDivTest, Float) {
  OpTester t(OpCode::kFloorDiv);
  t.Input<float>({3}, {-7.5f, 7.5f, 1.0f}).Input<float>({3}, {2, 2, -3});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0), ElementsAre(-4.0f, 3.0f, -1.0f));
}

TEST(FloorDivTest, IntegerDivisionByZeroIsInvalidArgument) {
  OpTester t(OpCode::kFloorDiv);
  t.Input<int32_t>({2}, {1, 2}).Input<int32_t>({2}, {1, 0});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
