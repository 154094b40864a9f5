#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;

Quantization PerTensor(float scale, int64_t zero_point) {
  Quantization q;
  q.scale = {scale};
  q.zero_point = {zero_point};
  return q;
}

std::vector<uint8_t> HalfBytes(const std::vector<uint16_t>& halves) {
  std::vector<uint8_t> bytes(halves.size() * 2);
  if (!halves.empty()) std::memcpy(bytes.data(), halves.data(), bytes.size());
  return bytes;
}

// Per-channel reference: element k's channel is (k / inner) % channels.
std::vector<double> Reference(const std::vector<int>& q, const Shape& shape,
                              int axis, const std::vector<float>& scale,
                              const std::vector<int64_t>& zero_point) {
  int64_t inner = 1;
  for (int d = axis + 1; d < static_cast<int>(shape.size()); ++d) {
    inner *= shape[d];
  }
  std::vector<double> y(q.size());
  for (size_t k = 0; k < q.size(); ++k) {
    const int64_t c = (static_cast<int64_t>(k) / inner) % shape[axis];
    y[k] = double{scale[c]} * (q[k] - zero_point[c]);
  }
  return y;
}

void ExpectNear(const std::vector<float>& actual,
                const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_NEAR(actual[i], expected[i], 1e-6 * (1 + std::abs(expected[i])))
        << "element " << i;
  }
}

TEST(DequantizeTest, Int8PerTensor) {
  OpTester t(OpCode::kDequantize);
  t.Input<int8_t>({2, 3}, {-128, -3, 0, 1, 100, 127})
      .Quantize(PerTensor(0.5f, -3));
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputDType(0), DType::kFloat32);
  EXPECT_EQ(t.OutputShape(0), Shape({2, 3}));
  ExpectNear(t.Output<float>(0), {-62.5, 0, 1.5, 2, 51.5, 65});
}

TEST(DequantizeTest, Uint8PerTensor) {
  OpTester t(OpCode::kDequantize);
  t.Input<uint8_t>({4}, {0, 128, 129, 255}).Quantize(PerTensor(0.25f, 128));
  ASSERT_TRUE(t.Run().ok());
  ExpectNear(t.Output<float>(0), {-32, 0, 0.25, 31.75});
}

TEST(DequantizeTest, MissingZeroPointMeansZero) {
  Quantization q;
  q.scale = {2.0f};
  OpTester t(OpCode::kDequantize);
  t.Input<int8_t>({3}, {-1, 0, 5}).Quantize(q);
  ASSERT_TRUE(t.Run().ok());
  ExpectNear(t.Output<float>(0), {-2, 0, 10});
}

// A constant input is folded at prepare time; the output is static.
TEST(DequantizeTest, ConstantInputIsFolded) {
  OpTester t(OpCode::kDequantize);
  t.Const<int8_t>({2}, {10, -10}).Quantize(PerTensor(0.1f, 0));
  ASSERT_TRUE(t.Run().ok());
  ExpectNear(t.Output<float>(0), {1, -1});
}

class DequantizePerChannelTest : public ::testing::TestWithParam<int> {};

TEST_P(DequantizePerChannelTest, MatchesReference) {
  const int axis = GetParam();
  Shape shape = {2, 2, 2, 2};
  shape[axis] = 3;
  Quantization q;
  q.scale = {0.5f, 0.125f, 3.0f};
  q.zero_point = {0, -7, 12};
  q.axis = axis;
  std::vector<int> values(NumElements(shape));
  for (size_t k = 0; k < values.size(); ++k) {
    values[k] = static_cast<int>(k * 37 % 256) - 128;
  }
  const std::vector<double> expected =
      Reference(values, shape, axis, q.scale, q.zero_point);
  {
    OpTester t(OpCode::kDequantize);
    t.Input<int8_t>(shape, std::vector<int8_t>(values.begin(), values.end()))
        .Quantize(q);
    ASSERT_TRUE(t.Run().ok());
    ExpectNear(t.Output<float>(0), expected);
  }
  // Same parameters on uint8 data (values shifted by 128).
  for (int64_t& z : q.zero_point) z += 128;
  std::vector<uint8_t> u(values.size());
  for (size_t k = 0; k < u.size(); ++k) u[k] = values[k] + 128;
  OpTester t(OpCode::kDequantize);
  t.Input<uint8_t>(shape, u).Quantize(q);
  ASSERT_TRUE(t.Run().ok());
  ExpectNear(t.Output<float>(0), expected);
}

INSTANTIATE_TEST_SUITE_P(Axes, DequantizePerChannelTest,
                         ::testing::Values(0, 1, 2, 3));

TEST(DequantizeTest, Float16Goldens) {
  const std::vector<uint16_t> h = {
      0x3c00,  // 1
      0xc000,  // -2
      0x3555,  // 0.333251953125
      0x7bff,  // 65504, largest finite
      0x0400,  // 2^-14, smallest normal
      0x0001,  // 2^-24, smallest subnormal
      0x03ff,  // 1023 * 2^-24, largest subnormal
      0x8001,  // -2^-24
      0x0000,  // +0
      0x8000,  // -0
  };
  OpTester t(OpCode::kDequantize);
  t.RawInput(DType::kFloat16, {static_cast<int64_t>(h.size())}, HalfBytes(h));
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputDType(0), DType::kFloat32);
  const std::vector<float> y = t.Output<float>(0);
  ASSERT_EQ(y.size(), h.size());
  EXPECT_FLOAT_EQ(y[0], 1.0f);
  EXPECT_FLOAT_EQ(y[1], -2.0f);
  EXPECT_FLOAT_EQ(y[2], 0.333251953125f);
  EXPECT_FLOAT_EQ(y[3], 65504.0f);
  EXPECT_FLOAT_EQ(y[4], std::ldexp(1.0f, -14));
  EXPECT_FLOAT_EQ(y[5], std::ldexp(1.0f, -24));
  EXPECT_FLOAT_EQ(y[6], std::ldexp(1023.0f, -24));
  EXPECT_FLOAT_EQ(y[7], -std::ldexp(1.0f, -24));
  EXPECT_NEAR(y[8], 0.0f, 0.0f);
  EXPECT_FALSE(std::signbit(y[8]));
  EXPECT_NEAR(y[9], 0.0f, 0.0f);
  EXPECT_TRUE(std::signbit(y[9]));
}

TEST(DequantizeTest, Float16Specials) {
  const std::vector<uint16_t> h = {0x7c00, 0xfc00, 0x7e00, 0xfe00, 0x7c01};
  OpTester t(OpCode::kDequantize);
  t.RawInput(DType::kFloat16, {5}, HalfBytes(h));
  ASSERT_TRUE(t.Run().ok());
  const std::vector<float> y = t.Output<float>(0);
  EXPECT_TRUE(std::isinf(y[0]) && y[0] > 0);
  EXPECT_TRUE(std::isinf(y[1]) && y[1] < 0);
  EXPECT_TRUE(std::isnan(y[2]));
  EXPECT_TRUE(std::isnan(y[3]));
  EXPECT_TRUE(std::signbit(y[3]));
  EXPECT_TRUE(std::isnan(y[4]));  // signalling-NaN pattern stays NaN
}

// Every one of the 65536 bit patterns against the binary16 definition:
// (-1)^s * 2^(e-15) * (1 + m/1024) for normals, 2^-14 * m/1024 for e == 0.
TEST(DequantizeTest, Float16AllBitPatterns) {
  std::vector<uint16_t> h(65536);
  for (size_t k = 0; k < h.size(); ++k) h[k] = static_cast<uint16_t>(k);
  OpTester t(OpCode::kDequantize);
  t.RawInput(DType::kFloat16, {256, 256}, HalfBytes(h));
  ASSERT_TRUE(t.Run().ok());
  const std::vector<float> y = t.Output<float>(0);
  ASSERT_EQ(y.size(), h.size());
  for (size_t k = 0; k < h.size(); ++k) {
    const int s = (k >> 15) & 1;
    const int e = (k >> 10) & 0x1f;
    const int m = k & 0x3ff;
    const double sign = s ? -1.0 : 1.0;
    if (e == 31) {
      if (m == 0) {
        ASSERT_TRUE(std::isinf(y[k]) && std::signbit(y[k]) == (s == 1)) << k;
      } else {
        ASSERT_TRUE(std::isnan(y[k])) << k;
      }
      continue;
    }
    const double expected = e == 0 ? sign * std::ldexp(m, -24)
                                   : sign * std::ldexp(1024 + m, e - 25);
    ASSERT_NEAR(y[k], expected, 0.0) << k;
    ASSERT_EQ(std::signbit(y[k]), s == 1) << k;
  }
}

TEST(DequantizeTest, ZeroSizeInput) {
  OpTester t(OpCode::kDequantize);
  t.Input<int8_t>({0, 3}, {}).Quantize(PerTensor(1.0f, 0));
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({0, 3}));
}

TEST(DequantizeTest, RejectsMissingQuantization) {
  OpTester a(OpCode::kDequantize);
  a.Input<int8_t>({2}, {1, 2});
  EXPECT_EQ(a.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester b(OpCode::kDequantize);
  b.Input<uint8_t>({2}, {1, 2});
  EXPECT_EQ(b.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DequantizeTest, RejectsOtherDTypes) {
  OpTester a(OpCode::kDequantize);
  a.Input<float>({2}, {1, 2});
  EXPECT_EQ(a.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester b(OpCode::kDequantize);
  b.Input<int32_t>({2}, {1, 2}).Quantize(PerTensor(1.0f, 0));
  EXPECT_EQ(b.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DequantizeTest, RejectsPerChannelShapeMismatch) {
  Quantization q;
  q.scale = {1.0f, 2.0f, 3.0f};
  q.zero_point = {0, 0, 0};
  q.axis = 0;
  OpTester t(OpCode::kDequantize);
  t.Input<int8_t>({2, 3}, {1, 2, 3, 4, 5, 6}).Quantize(q);
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
