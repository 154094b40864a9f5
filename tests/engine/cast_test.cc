#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(CastTest, FloatToIntegersTruncatesTowardZero) {
  const std::vector<float> x = {-2.7f, -0.5f, 0.0f, 0.9f, 3.99f, 100.5f};
  OpTester i32(OpCode::kCast);
  i32.Input<float>({2, 3}, x).String("dtype", "int32");
  ASSERT_TRUE(i32.Run().ok());
  EXPECT_EQ(i32.OutputDType(0), DType::kInt32);
  EXPECT_EQ(i32.OutputShape(0), Shape({2, 3}));
  EXPECT_THAT(i32.Output<int32_t>(0), ElementsAre(-2, 0, 0, 0, 3, 100));
  OpTester i64(OpCode::kCast);
  i64.Input<float>({2, 3}, x).String("dtype", "int64");
  ASSERT_TRUE(i64.Run().ok());
  EXPECT_THAT(i64.Output<int64_t>(0), ElementsAre(-2, 0, 0, 0, 3, 100));
  OpTester i8(OpCode::kCast);
  i8.Input<float>({2, 3}, x).String("dtype", "int8");
  ASSERT_TRUE(i8.Run().ok());
  EXPECT_THAT(i8.Output<int8_t>(0), ElementsAre(-2, 0, 0, 0, 3, 100));
}

TEST(CastTest, FloatToIntegerSaturatesAndMapsNaNToZero) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> x = {1e10f, -1e10f, inf, -inf, nan, 300.0f, -1.5f};
  OpTester i32(OpCode::kCast);
  i32.Input<float>({7}, x).String("dtype", "int32");
  ASSERT_TRUE(i32.Run().ok());
  const int32_t max32 = std::numeric_limits<int32_t>::max();
  const int32_t min32 = std::numeric_limits<int32_t>::min();
  EXPECT_THAT(i32.Output<int32_t>(0),
              ElementsAre(max32, min32, max32, min32, 0, 300, -1));
  OpTester u8(OpCode::kCast);
  u8.Input<float>({7}, x).String("dtype", "uint8");
  ASSERT_TRUE(u8.Run().ok());
  EXPECT_THAT(u8.Output<uint8_t>(0), ElementsAre(255, 0, 255, 0, 0, 255, 0));
  OpTester i64(OpCode::kCast);
  i64.Input<float>({7}, x).String("dtype", "int64");
  ASSERT_TRUE(i64.Run().ok());
  EXPECT_THAT(i64.Output<int64_t>(0),
              ElementsAre(10000000000, -10000000000,
                          std::numeric_limits<int64_t>::max(),
                          std::numeric_limits<int64_t>::min(), 0, 300, -1));
}

TEST(CastTest, IntegersToFloat) {
  OpTester t(OpCode::kCast);
  t.Input<int64_t>({3}, {-5, 16777217, int64_t{1} << 40})
      .String("dtype", "float32");
  ASSERT_TRUE(t.Run().ok());
  const std::vector<float> out = t.Output<float>(0);
  EXPECT_FLOAT_EQ(out[0], -5.0f);
  EXPECT_FLOAT_EQ(out[1], 16777216.0f);  // nearest float
  EXPECT_FLOAT_EQ(out[2], 1099511627776.0f);
  OpTester u8(OpCode::kCast);
  u8.Input<uint8_t>({2}, {0, 255}).String("dtype", "float32");
  ASSERT_TRUE(u8.Run().ok());
  EXPECT_THAT(u8.Output<float>(0), ElementsAre(0.0f, 255.0f));
  OpTester i8(OpCode::kCast);
  i8.Input<int8_t>({2}, {-128, 127}).String("dtype", "float32");
  ASSERT_TRUE(i8.Run().ok());
  EXPECT_THAT(i8.Output<float>(0), ElementsAre(-128.0f, 127.0f));
}

TEST(CastTest, IntegerNarrowingWraps) {
  OpTester i32(OpCode::kCast);
  i32.Input<int64_t>({3}, {(int64_t{1} << 32) + 7, -1, int64_t{1} << 31})
      .String("dtype", "int32");
  ASSERT_TRUE(i32.Run().ok());
  EXPECT_THAT(i32.Output<int32_t>(0),
              ElementsAre(7, -1, std::numeric_limits<int32_t>::min()));
  OpTester u8(OpCode::kCast);
  u8.Input<int32_t>({3}, {-1, 256, 300}).String("dtype", "uint8");
  ASSERT_TRUE(u8.Run().ok());
  EXPECT_THAT(u8.Output<uint8_t>(0), ElementsAre(255, 0, 44));
  OpTester i8(OpCode::kCast);
  i8.Input<uint8_t>({2}, {200, 5}).String("dtype", "int8");
  ASSERT_TRUE(i8.Run().ok());
  EXPECT_THAT(i8.Output<int8_t>(0), ElementsAre(-56, 5));
}

TEST(CastTest, ToBoolIsNonzero) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  OpTester f(OpCode::kCast);
  f.Input<float>({4}, {0.0f, -0.0f, 0.25f, nan}).String("dtype", "bool");
  ASSERT_TRUE(f.Run().ok());
  EXPECT_EQ(f.OutputDType(0), DType::kBool);
  const uint8_t* bytes = f.output(0).data_as<uint8_t>();
  EXPECT_THAT(std::vector<uint8_t>(bytes, bytes + 4), ElementsAre(0, 0, 1, 1));
  OpTester i(OpCode::kCast);
  i.Input<int64_t>({3}, {0, int64_t{1} << 40, -3}).String("dtype", "bool");
  ASSERT_TRUE(i.Run().ok());
  EXPECT_THAT(i.Output<bool>(0), ElementsAre(false, true, true));
  OpTester u(OpCode::kCast);
  u.Input<uint8_t>({2}, {0, 2}).String("dtype", "bool");
  ASSERT_TRUE(u.Run().ok());
  const uint8_t* ub = u.output(0).data_as<uint8_t>();
  EXPECT_THAT(std::vector<uint8_t>(ub, ub + 2), ElementsAre(0, 1));
}

TEST(CastTest, FromBoolIsZeroOrOne) {
  const std::vector<bool> x = {true, false, true};
  OpTester f(OpCode::kCast);
  f.Input<bool>({3}, x).String("dtype", "float32");
  ASSERT_TRUE(f.Run().ok());
  EXPECT_THAT(f.Output<float>(0), ElementsAre(1.0f, 0.0f, 1.0f));
  OpTester i64(OpCode::kCast);
  i64.Input<bool>({3}, x).String("dtype", "int64");
  ASSERT_TRUE(i64.Run().ok());
  EXPECT_THAT(i64.Output<int64_t>(0), ElementsAre(1, 0, 1));
  OpTester i8(OpCode::kCast);
  i8.Input<bool>({3}, x).String("dtype", "int8");
  ASSERT_TRUE(i8.Run().ok());
  EXPECT_THAT(i8.Output<int8_t>(0), ElementsAre(1, 0, 1));
  OpTester b(OpCode::kCast);
  b.Input<bool>({3}, x).String("dtype", "bool");
  ASSERT_TRUE(b.Run().ok());
  EXPECT_THAT(b.Output<bool>(0), ElementsAre(true, false, true));
}

// Every pair of supported dtypes on values exact in all of them.
TEST(CastTest, AllPairsOnSmallValues) {
  const char* names[] = {"float32", "int32", "int64", "uint8", "int8", "bool"};
  const std::vector<double> values = {0, 1, 5, 100, 0, 7};
  for (const char* from : names) {
    for (const char* to : names) {
      SCOPED_TRACE(std::string(from) + " -> " + to);
      OpTester t(OpCode::kCast);
      const Shape shape = {2, 3};
      const std::string f = from;
      if (f == "float32") {
        t.Input<float>(shape, {0, 1, 5, 100, 0, 7});
      } else if (f == "int32") {
        t.Input<int32_t>(shape, {0, 1, 5, 100, 0, 7});
      } else if (f == "int64") {
        t.Input<int64_t>(shape, {0, 1, 5, 100, 0, 7});
      } else if (f == "uint8") {
        t.Input<uint8_t>(shape, {0, 1, 5, 100, 0, 7});
      } else if (f == "int8") {
        t.Input<int8_t>(shape, {0, 1, 5, 100, 0, 7});
      } else {
        t.Input<bool>(shape, {false, true, true, true, false, true});
      }
      t.String("dtype", to);
      ASSERT_TRUE(t.Run().ok());
      EXPECT_EQ(DTypeName(t.OutputDType(0)), to);
      EXPECT_EQ(t.OutputShape(0), shape);
      const bool boolish = f == "bool" || std::string(to) == "bool";
      std::vector<double> expected = values;
      if (boolish) expected = {0, 1, 1, 1, 0, 1};
      const std::vector<double> actual = t.OutputAsDouble(0);
      ASSERT_EQ(actual.size(), expected.size());
      for (size_t i = 0; i < actual.size(); ++i) {
        EXPECT_NEAR(actual[i], expected[i], 0.0) << i;
      }
    }
  }
}

TEST(CastTest, LargeThreaded) {
  const int64_t n = 90001;
  std::vector<float> x(n);
  for (int64_t i = 0; i < n; ++i) x[i] = static_cast<float>(i) * 0.75f - 30000;
  OpTester t(OpCode::kCast);
  t.Input<float>({n}, x).String("dtype", "int32").Threads(2);
  ASSERT_TRUE(t.Run().ok());
  const std::vector<int32_t> y = t.Output<int32_t>(0);
  for (int64_t i = 0; i < n; ++i) {
    ASSERT_EQ(y[i], static_cast<int32_t>(std::trunc(double{x[i]}))) << i;
  }
}

TEST(CastTest, EmptyTensor) {
  OpTester t(OpCode::kCast);
  t.Input<int32_t>({0, 4}, {}).String("dtype", "float32");
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({0, 4}));
}

// ---- Errors.

TEST(CastTest, MissingDTypeAttributeIsInvalidArgument) {
  OpTester t(OpCode::kCast);
  t.Input<float>({1}, {1});
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("cast node #0"));
}

TEST(CastTest, UnknownDTypeNameIsInvalidArgument) {
  OpTester t(OpCode::kCast);
  t.Input<float>({1}, {1}).String("dtype", "float64");
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(CastTest, Float16TargetIsUnimplemented) {
  OpTester t(OpCode::kCast);
  t.Input<float>({1}, {1}).String("dtype", "float16");
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attune
