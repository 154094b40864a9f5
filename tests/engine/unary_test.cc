#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/engine/elementwise_reference.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::attune::testing::RandomValues;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Float32 transcendental functions against double: a few ulps relative plus
// an absolute floor for results near zero.
constexpr double kRelTol = 2e-6;
constexpr double kAbsTol = 1e-6;

void ExpectNear(const std::vector<float>& actual,
                const std::vector<double>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    if (std::isnan(expected[i])) {
      EXPECT_TRUE(std::isnan(actual[i])) << "element " << i;
    } else if (std::isinf(expected[i])) {
      EXPECT_EQ(std::isinf(actual[i]), true) << "element " << i;
      EXPECT_EQ(actual[i] > 0, expected[i] > 0) << "element " << i;
    } else {
      EXPECT_NEAR(actual[i], expected[i],
                  kAbsTol + kRelTol * std::fabs(expected[i]))
          << "element " << i << " (expected " << expected[i] << ")";
    }
  }
}

double Relu6(double x) { return std::min(std::max(x, 0.0), 6.0); }

struct UnaryCase {
  OpCode op;
  double (*fn)(double);
  double lo, hi;  // input range
};

const UnaryCase kCases[] = {
    {OpCode::kRelu, [](double x) { return x > 0 ? x : 0.0; }, -5, 5},
    {OpCode::kRelu6, Relu6, -3, 9},
    {OpCode::kLeakyRelu, [](double x) { return x >= 0 ? x : 0.2 * x; }, -5, 5},
    {OpCode::kSigmoid, [](double x) { return 1 / (1 + std::exp(-x)); }, -12,
     12},
    {OpCode::kTanh, [](double x) { return std::tanh(x); }, -6, 6},
    {OpCode::kHardSwish, [](double x) { return x * Relu6(x + 3) / 6; }, -5, 5},
    {OpCode::kGelu,
     [](double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }, -5,
     5},
    {OpCode::kElu, [](double x) { return x > 0 ? x : std::exp(x) - 1; }, -5, 5},
    {OpCode::kExp, [](double x) { return std::exp(x); }, -10, 10},
    {OpCode::kLog, [](double x) { return std::log(x); }, 1e-3, 100},
    {OpCode::kSqrt, [](double x) { return std::sqrt(x); }, 0, 100},
    {OpCode::kRsqrt, [](double x) { return 1 / std::sqrt(x); }, 1e-2, 100},
    {OpCode::kSquare, [](double x) { return x * x; }, -10, 10},
    {OpCode::kNeg, [](double x) { return -x; }, -10, 10},
    {OpCode::kAbs, [](double x) { return std::fabs(x); }, -10, 10},
};

class UnaryFloatTest : public ::testing::TestWithParam<UnaryCase> {};

TEST_P(UnaryFloatTest, MatchesDoubleReference) {
  const UnaryCase& c = GetParam();
  const Shape shape = {3, 1, 2, 7, 5};  // rank 5, 210 elements
  std::vector<float> x = RandomValues<float>(210, c.lo, c.hi, 11);
  OpTester t(c.op);
  t.Input<float>(shape, x);
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), shape);
  EXPECT_EQ(t.OutputDType(0), DType::kFloat32);
  std::vector<double> expected;
  for (float v : x) expected.push_back(c.fn(v));
  ExpectNear(t.Output<float>(0), expected);
}

TEST_P(UnaryFloatTest, LargeThreadedMatchesReference) {
  const UnaryCase& c = GetParam();
  const int64_t n = 100003;
  std::vector<float> x = RandomValues<float>(n, c.lo, c.hi, 12);
  OpTester t(c.op);
  t.Input<float>({n}, x).Threads(3);
  ASSERT_TRUE(t.Run().ok());
  std::vector<double> expected;
  for (float v : x) expected.push_back(c.fn(v));
  ExpectNear(t.Output<float>(0), expected);
}

TEST_P(UnaryFloatTest, EmptyTensor) {
  OpTester t(GetParam().op);
  t.Input<float>({2, 0, 3}, {});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({2, 0, 3}));
}

INSTANTIATE_TEST_SUITE_P(Ops, UnaryFloatTest, ::testing::ValuesIn(kCases),
                         [](const ::testing::TestParamInfo<UnaryCase>& info) {
                           return std::string(OpName(info.param.op));
                         });

// ---- Hand goldens and attributes.

TEST(UnaryTest, ReluFamilyGoldens) {
  OpTester relu(OpCode::kRelu);
  relu.Input<float>({4}, {-2, 0, 0.5f, 7});
  ASSERT_TRUE(relu.Run().ok());
  ExpectNear(relu.Output<float>(0), {0, 0, 0.5, 7});
  OpTester relu6(OpCode::kRelu6);
  relu6.Input<float>({4}, {-2, 0, 5.5f, 7});
  ASSERT_TRUE(relu6.Run().ok());
  ExpectNear(relu6.Output<float>(0), {0, 0, 5.5, 6});
  OpTester hs(OpCode::kHardSwish);
  hs.Input<float>({4}, {-4, -1, 1, 4});
  ASSERT_TRUE(hs.Run().ok());
  ExpectNear(hs.Output<float>(0), {0, -1.0 / 3, 2.0 / 3, 4});
}

TEST(UnaryTest, LeakyReluAlpha) {
  OpTester dflt(OpCode::kLeakyRelu);
  dflt.Input<float>({3}, {-10, 0, 3});
  ASSERT_TRUE(dflt.Run().ok());
  ExpectNear(dflt.Output<float>(0), {-2, 0, 3});
  OpTester custom(OpCode::kLeakyRelu);
  custom.Input<float>({3}, {-10, 0, 3}).Float("alpha", 0.01);
  ASSERT_TRUE(custom.Run().ok());
  ExpectNear(custom.Output<float>(0), {-0.1, 0, 3});
}

TEST(UnaryTest, EluAlpha) {
  OpTester dflt(OpCode::kElu);
  dflt.Input<float>({3}, {-1, 0, 2});
  ASSERT_TRUE(dflt.Run().ok());
  ExpectNear(dflt.Output<float>(0), {std::exp(-1.0) - 1, 0, 2});
  OpTester custom(OpCode::kElu);
  custom.Input<float>({3}, {-1, -30, 2}).Float("alpha", 2.5);
  ASSERT_TRUE(custom.Run().ok());
  ExpectNear(custom.Output<float>(0),
             {2.5 * (std::exp(-1.0) - 1), 2.5 * (std::exp(-30.0) - 1), 2});
}

TEST(UnaryTest, GeluExactAndTanhForms) {
  const std::vector<float> x = {-3, -1, -0.25f, 0, 0.5f, 2, 4};
  auto exact = [](double v) {
    return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0)));
  };
  auto approx = [](double v) {
    const double k = std::sqrt(2 / 3.14159265358979323846);
    return 0.5 * v * (1 + std::tanh(k * (v + 0.044715 * v * v * v)));
  };
  std::vector<double> want_exact, want_approx;
  for (float v : x) {
    want_exact.push_back(exact(v));
    want_approx.push_back(approx(v));
  }
  OpTester t0(OpCode::kGelu);
  t0.Input<float>({7}, x).Int("approximate", 0);
  ASSERT_TRUE(t0.Run().ok());
  ExpectNear(t0.Output<float>(0), want_exact);
  OpTester t1(OpCode::kGelu);
  t1.Input<float>({7}, x).Int("approximate", 1);
  ASSERT_TRUE(t1.Run().ok());
  ExpectNear(t1.Output<float>(0), want_approx);
  // The two forms differ by more than the tolerance at x = -1 (~1.6e-4).
  EXPECT_GT(std::fabs(want_exact[1] - want_approx[1]), 1e-4);
}

TEST(UnaryTest, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  OpTester log(OpCode::kLog);
  log.Input<float>({3}, {0, -1, inf});
  ASSERT_TRUE(log.Run().ok());
  ExpectNear(log.Output<float>(0), {-INFINITY, NAN, INFINITY});
  OpTester rsqrt(OpCode::kRsqrt);
  rsqrt.Input<float>({2}, {0, 4});
  ASSERT_TRUE(rsqrt.Run().ok());
  ExpectNear(rsqrt.Output<float>(0), {INFINITY, 0.5});
  OpTester sigmoid(OpCode::kSigmoid);
  sigmoid.Input<float>({2}, {-inf, inf});
  ASSERT_TRUE(sigmoid.Run().ok());
  ExpectNear(sigmoid.Output<float>(0), {0, 1});
}

TEST(UnaryTest, IntegerNegAbsSquare) {
  const int32_t min32 = std::numeric_limits<int32_t>::min();
  OpTester neg(OpCode::kNeg);
  neg.Input<int32_t>({4}, {3, -4, 0, min32});
  ASSERT_TRUE(neg.Run().ok());
  EXPECT_EQ(neg.OutputDType(0), DType::kInt32);
  EXPECT_THAT(neg.Output<int32_t>(0), ElementsAre(-3, 4, 0, min32));
  OpTester abs(OpCode::kAbs);
  abs.Input<int64_t>({2, 2}, {3, -4, 0, -5000000000});
  ASSERT_TRUE(abs.Run().ok());
  EXPECT_EQ(abs.OutputDType(0), DType::kInt64);
  EXPECT_THAT(abs.Output<int64_t>(0), ElementsAre(3, 4, 0, 5000000000));
  OpTester square(OpCode::kSquare);
  square.Input<int64_t>({3}, {-3, 100000, 0});
  ASSERT_TRUE(square.Run().ok());
  EXPECT_THAT(square.Output<int64_t>(0), ElementsAre(9, 10000000000, 0));
  OpTester square32(OpCode::kSquare);
  square32.Input<int32_t>({2}, {-7, 46341});  // 46341^2 wraps int32
  ASSERT_TRUE(square32.Run().ok());
  EXPECT_THAT(square32.Output<int32_t>(0),
              ElementsAre(49, static_cast<int32_t>(2147488281u)));
}

TEST(UnaryTest, IntegerNegLargeThreaded) {
  const int64_t n = 70000;
  std::vector<int64_t> x(n);
  for (int64_t i = 0; i < n; ++i) x[i] = i * 31 - 1000000;
  OpTester t(OpCode::kNeg);
  t.Input<int64_t>({n}, x).Threads(2);
  ASSERT_TRUE(t.Run().ok());
  const std::vector<int64_t> y = t.Output<int64_t>(0);
  for (int64_t i = 0; i < n; ++i) ASSERT_EQ(y[i], -x[i]) << i;
}

// ---- Errors.

TEST(UnaryTest, IntegerInputToFloatOnlyOpIsInvalidArgument) {
  for (OpCode op :
       {OpCode::kRelu, OpCode::kExp, OpCode::kSqrt, OpCode::kGelu}) {
    OpTester t(op);
    t.Input<int32_t>({2}, {1, 2});
    const absl::Status status = t.Run();
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << OpName(op);
    EXPECT_THAT(std::string(status.message()), HasSubstr("int32"));
  }
}

TEST(UnaryTest, BoolAndUint8AreInvalidArgument) {
  OpTester neg(OpCode::kNeg);
  neg.Input<bool>({2}, {true, false});
  EXPECT_EQ(neg.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester abs(OpCode::kAbs);
  abs.Input<uint8_t>({2}, {1, 2});
  EXPECT_EQ(abs.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(UnaryTest, GeluBadApproximateIsInvalidArgument) {
  OpTester t(OpCode::kGelu);
  t.Input<float>({1}, {1}).Int("approximate", 2);
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("gelu node #0"));
}

TEST(UnaryTest, AlphaOfWrongTypeIsInvalidArgument) {
  OpTester t(OpCode::kLeakyRelu);
  t.Input<float>({1}, {1}).String("alpha", "big");
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
