#include <cmath>
#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::Each;

TEST(ZerosLikeTest, Float32KeepsShape) {
  OpTester t(OpCode::kZerosLike);
  t.Input<float>({2, 1, 3}, {1, -2, 3.5f, 1e30f, -0.0f, 7});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputDType(0), DType::kFloat32);
  EXPECT_EQ(t.OutputShape(0), Shape({2, 1, 3}));
  const std::vector<float> y = t.Output<float>(0);
  ASSERT_EQ(y.size(), 6u);
  for (float v : y) {
    EXPECT_NEAR(v, 0.0f, 0.0f);
    EXPECT_FALSE(std::signbit(v));
  }
}

TEST(ZerosLikeTest, IntegerAndBoolDTypes) {
  OpTester a(OpCode::kZerosLike);
  a.Input<int32_t>({3}, {1, -1, 5});
  ASSERT_TRUE(a.Run().ok());
  EXPECT_EQ(a.OutputDType(0), DType::kInt32);
  EXPECT_THAT(a.Output<int32_t>(0), Each(0));

  OpTester b(OpCode::kZerosLike);
  b.Input<int64_t>({2, 2}, {int64_t{1} << 50, -1, 2, 3});
  ASSERT_TRUE(b.Run().ok());
  EXPECT_EQ(b.OutputDType(0), DType::kInt64);
  EXPECT_THAT(b.Output<int64_t>(0), Each(0));

  OpTester c(OpCode::kZerosLike);
  c.Input<bool>({3}, {true, false, true});
  ASSERT_TRUE(c.Run().ok());
  EXPECT_EQ(c.OutputDType(0), DType::kBool);
  EXPECT_THAT(c.Output<bool>(0), Each(false));

  OpTester d(OpCode::kZerosLike);
  d.Input<uint8_t>({2}, {255, 9});
  ASSERT_TRUE(d.Run().ok());
  EXPECT_EQ(d.OutputDType(0), DType::kUint8);
  EXPECT_THAT(d.Output<uint8_t>(0), Each(0));

  OpTester e(OpCode::kZerosLike);
  e.Input<int8_t>({}, {-3});
  ASSERT_TRUE(e.Run().ok());
  EXPECT_EQ(e.OutputShape(0), Shape({}));
  EXPECT_THAT(e.Output<int8_t>(0), Each(0));
}

TEST(ZerosLikeTest, ZeroSizeInput) {
  OpTester t(OpCode::kZerosLike);
  t.Input<float>({0, 4}, {});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({0, 4}));
  EXPECT_TRUE(t.Output<float>(0).empty());
}

// A constant input is folded at prepare time; the output is static.
TEST(ZerosLikeTest, ConstantInputIsFolded) {
  OpTester t(OpCode::kZerosLike);
  t.Const<int32_t>({2}, {4, 5});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<int32_t>(0), Each(0));
}

}  // namespace
}  // namespace attune
