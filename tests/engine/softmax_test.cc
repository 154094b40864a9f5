#include <cmath>
#include <random>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;

// softmax(beta * x) or log_softmax(x) along `axis`, in double precision,
// straight from the definition (no max subtraction: test logits are small).
std::vector<double> Reference(const std::vector<float>& x, const Shape& shape,
                              int axis, double beta, bool log) {
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= shape[d];
  for (int d = axis + 1; d < static_cast<int>(shape.size()); ++d) {
    inner *= shape[d];
  }
  const int64_t n = shape[axis];
  std::vector<double> y(x.size());
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      double sum = 0;
      for (int64_t a = 0; a < n; ++a) {
        sum += std::exp(beta * x[(o * n + a) * inner + i]);
      }
      for (int64_t a = 0; a < n; ++a) {
        const int64_t k = (o * n + a) * inner + i;
        y[k] = log ? x[k] - std::log(sum) : std::exp(beta * x[k]) / sum;
      }
    }
  }
  return y;
}

std::vector<float> RandomValues(size_t n, uint32_t seed, float lo, float hi) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

void ExpectNear(const std::vector<float>& actual,
                const std::vector<double>& expected, double tol) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_NEAR(actual[i], expected[i], tol) << "element " << i;
  }
}

TEST(SoftmaxTest, EveryAxisOfRank1To4) {
  const std::vector<Shape> shapes = {{7}, {3, 5}, {2, 3, 4}, {2, 3, 1, 5}};
  uint32_t seed = 1;
  for (const Shape& shape : shapes) {
    const int rank = static_cast<int>(shape.size());
    const std::vector<float> x =
        RandomValues(NumElements(shape), ++seed, -5.0f, 5.0f);
    for (int axis = -rank; axis < rank; ++axis) {
      const int a = axis < 0 ? axis + rank : axis;
      for (bool log : {false, true}) {
        for (double beta : log ? std::vector<double>{1.0}
                               : std::vector<double>{1.0, 0.5, -2.0}) {
          SCOPED_TRACE(::testing::Message()
                       << ShapeToString(shape) << " axis " << axis
                       << (log ? " log_softmax" : " softmax") << " beta "
                       << beta);
          OpTester t(log ? OpCode::kLogSoftmax : OpCode::kSoftmax);
          t.Input<float>(shape, x).Int("axis", axis);
          if (!log) t.Float("beta", beta);
          ASSERT_TRUE(t.Run().ok());
          EXPECT_EQ(t.OutputShape(0), shape);
          ExpectNear(t.Output<float>(0), Reference(x, shape, a, beta, log),
                     1e-5);
        }
      }
    }
  }
}

TEST(SoftmaxTest, DefaultAxisIsLast) {
  const Shape shape = {2, 3};
  const std::vector<float> x = {1, 2, 3, -1, 0, 1};
  OpTester t(OpCode::kSoftmax);
  t.Input<float>(shape, x);
  ASSERT_TRUE(t.Run().ok());
  // Hand golden: softmax([1,2,3]) = [0.0900306, 0.2447285, 0.6652410].
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-6),
                                   {0.0900306f, 0.2447285f, 0.6652410f,
                                    0.0900306f, 0.2447285f, 0.6652410f}));
}

TEST(SoftmaxTest, LargeLogitsDoNotOverflow) {
  OpTester t(OpCode::kSoftmax);
  t.Input<float>({2, 2}, {1000, 1001, -1000, -1001});
  ASSERT_TRUE(t.Run().ok());
  const double e = std::exp(1.0);
  ExpectNear(t.Output<float>(0),
             {1 / (1 + e), e / (1 + e), e / (1 + e), 1 / (1 + e)}, 1e-6);

  OpTester l(OpCode::kLogSoftmax);
  l.Input<float>({2, 2}, {1000, 1001, -1000, -1001});
  ASSERT_TRUE(l.Run().ok());
  const double lse = std::log(1 + e);  // log(e^0 + e^1) - 1
  ExpectNear(l.Output<float>(0), {-lse, 1 - lse, 1 - lse, -lse}, 1e-5);
}

TEST(SoftmaxTest, LargeLogitsAlongStridedAxis) {
  OpTester t(OpCode::kSoftmax);
  t.Input<float>({2, 2}, {1000, -1000, 1001, -1001}).Int("axis", 0);
  ASSERT_TRUE(t.Run().ok());
  const double e = std::exp(1.0);
  ExpectNear(t.Output<float>(0),
             {1 / (1 + e), e / (1 + e), e / (1 + e), 1 / (1 + e)}, 1e-6);
}

TEST(SoftmaxTest, NegativeBetaUsesMaxOfScaledLogits) {
  // beta = -1000 turns small logits into huge ones of opposite sign.
  OpTester t(OpCode::kSoftmax);
  t.Input<float>({2}, {1.0f, 1.001f}).Float("beta", -1000.0);
  ASSERT_TRUE(t.Run().ok());
  const double d = std::exp(-1000.0 * (1.001f - 1.0f));
  ExpectNear(t.Output<float>(0), {1 / (1 + d), d / (1 + d)}, 1e-5);
}

TEST(SoftmaxTest, SizeOneAxis) {
  OpTester t(OpCode::kSoftmax);
  t.Input<float>({3, 1}, {-7, 0, 42});
  ASSERT_TRUE(t.Run().ok());
  ExpectNear(t.Output<float>(0), {1, 1, 1}, 1e-7);
  OpTester l(OpCode::kLogSoftmax);
  l.Input<float>({3, 1}, {-7, 0, 42});
  ASSERT_TRUE(l.Run().ok());
  ExpectNear(l.Output<float>(0), {0, 0, 0}, 1e-7);
}

TEST(SoftmaxTest, ZeroSizeDims) {
  for (int axis : {0, 1, 2}) {
    OpTester t(OpCode::kSoftmax);
    t.Input<float>({2, 0, 3}, {}).Int("axis", axis);
    ASSERT_TRUE(t.Run().ok()) << axis;
    EXPECT_EQ(t.OutputShape(0), Shape({2, 0, 3}));
    EXPECT_TRUE(t.Output<float>(0).empty());
  }
}

TEST(SoftmaxTest, RejectsIntegerInput) {
  OpTester t(OpCode::kSoftmax);
  t.Input<int32_t>({2}, {1, 2});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SoftmaxTest, RejectsAxisOutOfRange) {
  for (int axis : {2, -3}) {
    OpTester t(OpCode::kLogSoftmax);
    t.Input<float>({2, 2}, {1, 2, 3, 4}).Int("axis", axis);
    EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument) << axis;
  }
}

TEST(SoftmaxTest, RejectsScalar) {
  OpTester t(OpCode::kSoftmax);
  t.Input<float>({}, {1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(SoftmaxTest, RejectsNonFiniteBeta) {
  OpTester t(OpCode::kSoftmax);
  t.Input<float>({2}, {1, 2}).Float("beta", INFINITY);
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
