#include <algorithm>
#include <cstdint>
#include <limits>
#include <ostream>
#include <random>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::HasSubstr;

struct PoolCase {
  bool max;
  int batch, h, w, c;
  int kh, kw, sh, sw;
  std::string padding;
  int threads;
};

void PrintTo(const PoolCase& p, std::ostream* os) {
  *os << (p.max ? "max" : "avg") << " b" << p.batch << " x" << p.h << "x" << p.w
      << "x" << p.c << " k" << p.kh << "x" << p.kw << " s" << p.sh << ","
      << p.sw << " " << p.padding << " t" << p.threads;
}

void AxisGeometry(int in, int k, int s, const std::string& padding, int* out,
                  int* pad_before) {
  if (padding == "same") {
    *out = (in + s - 1) / s;
    *pad_before = std::max((*out - 1) * s + k - in, 0) / 2;
  } else {
    *out = (in - k) / s + 1;
    *pad_before = 0;
  }
}

// Max / mean over the in-bounds part of each window, in double precision.
std::vector<double> ReferencePool(const PoolCase& p,
                                  const std::vector<float>& x, int* oh,
                                  int* ow) {
  int pt, pl;
  AxisGeometry(p.h, p.kh, p.sh, p.padding, oh, &pt);
  AxisGeometry(p.w, p.kw, p.sw, p.padding, ow, &pl);
  std::vector<double> y;
  for (int n = 0; n < p.batch; ++n) {
    for (int oy = 0; oy < *oh; ++oy) {
      for (int ox = 0; ox < *ow; ++ox) {
        for (int ch = 0; ch < p.c; ++ch) {
          double best = -std::numeric_limits<double>::infinity();
          double sum = 0.0;
          int count = 0;
          for (int ky = 0; ky < p.kh; ++ky) {
            for (int kx = 0; kx < p.kw; ++kx) {
              const int iy = oy * p.sh - pt + ky;
              const int ix = ox * p.sw - pl + kx;
              if (iy < 0 || iy >= p.h || ix < 0 || ix >= p.w) continue;
              const double v = x[((n * p.h + iy) * p.w + ix) * p.c + ch];
              best = std::max(best, v);
              sum += v;
              ++count;
            }
          }
          y.push_back(p.max ? best : sum / count);
        }
      }
    }
  }
  return y;
}

class Pool2dRandomTest : public ::testing::TestWithParam<PoolCase> {};

TEST_P(Pool2dRandomTest, MatchesDoubleReference) {
  const PoolCase& p = GetParam();
  std::mt19937 rng(p.h * 100 + p.w * 10 + p.c + p.kh + (p.max ? 7 : 0));
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(p.batch) * p.h * p.w * p.c);
  for (float& v : x) v = dist(rng);
  OpTester t(p.max ? OpCode::kMaxPool2d : OpCode::kAvgPool2d);
  t.Input<float>({p.batch, p.h, p.w, p.c}, x)
      .Ints("ksize", {p.kh, p.kw})
      .Ints("strides", {p.sh, p.sw})
      .String("padding", p.padding)
      .Threads(p.threads);
  const absl::Status status = t.Run();
  ASSERT_TRUE(status.ok()) << status;
  int oh, ow;
  const std::vector<double> expected = ReferencePool(p, x, &oh, &ow);
  EXPECT_EQ(t.OutputShape(0), Shape({p.batch, oh, ow, p.c}));
  const std::vector<float> actual = t.Output<float>(0);
  ASSERT_EQ(actual.size(), expected.size());
  // Max is exact; the mean of kh*kw values in [-1, 1] in float32.
  const double tolerance = p.max ? 1e-7 : 4e-6 * (p.kh * p.kw + 1);
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_NEAR(actual[i], expected[i], tolerance) << "element " << i;
  }
}

// max, batch, h, w, c, kh, kw, sh, sw, padding, threads
INSTANTIATE_TEST_SUITE_P(
    Pool2dShapes, Pool2dRandomTest,
    ::testing::Values(PoolCase{true, 1, 4, 4, 1, 2, 2, 2, 2, "valid", 1},
                      PoolCase{false, 1, 4, 4, 1, 2, 2, 2, 2, "valid", 1},
                      PoolCase{true, 3, 5, 5, 7, 2, 2, 2, 2, "same", 2},
                      PoolCase{false, 3, 5, 5, 7, 2, 2, 2, 2, "same", 2},
                      PoolCase{true, 1, 6, 6, 7, 3, 3, 2, 2, "same", 1},
                      PoolCase{false, 1, 6, 6, 7, 3, 3, 2, 2, "same", 1},
                      PoolCase{true, 3, 10, 9, 3, 3, 2, 3, 3, "valid", 2},
                      PoolCase{false, 3, 10, 9, 3, 3, 2, 3, 3, "valid", 2},
                      PoolCase{true, 1, 7, 8, 2, 3, 3, 1, 1, "same", 1},
                      PoolCase{false, 1, 7, 8, 2, 3, 3, 1, 1, "same", 2},
                      // Window larger than the input with SAME.
                      PoolCase{true, 1, 3, 2, 7, 5, 5, 1, 1, "same", 1},
                      PoolCase{false, 3, 3, 2, 7, 5, 5, 2, 2, "same", 1},
                      // W2's pools and enough work for the thread pool.
                      PoolCase{true, 3, 28, 28, 32, 2, 2, 2, 2, "valid", 2},
                      PoolCase{false, 3, 28, 28, 32, 3, 3, 1, 1, "same", 2},
                      PoolCase{true, 0, 4, 4, 3, 2, 2, 2, 2, "same", 2},
                      PoolCase{false, 0, 4, 4, 3, 2, 2, 2, 2, "same", 2}));

TEST(Pool2dTest, AvgSameDividesByInBoundsCount) {
  // x = 1..9 as 3x3, 2x2 window, stride 2, SAME: total padding 1 per axis,
  // after the input, so the edge windows hold 2 or 1 elements.
  OpTester t(OpCode::kAvgPool2d);
  t.Input<float>({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9})
      .Ints("ksize", {2, 2})
      .String("padding", "same");
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({1, 2, 2, 1}));
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-6),
                                   {3.0f, 4.5f, 7.5f, 9.0f}));
}

TEST(Pool2dTest, MaxSameIgnoresPadding) {
  // All negative: padding must not contribute a 0.
  OpTester t(OpCode::kMaxPool2d);
  t.Input<float>({1, 3, 3, 1}, {-1, -2, -3, -4, -5, -6, -7, -8, -9})
      .Ints("ksize", {2, 2})
      .String("padding", "same");
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-6),
                                   {-1.0f, -3.0f, -7.0f, -9.0f}));
}

TEST(Pool2dTest, StridesDefaultToKsize) {
  OpTester t(OpCode::kMaxPool2d);
  t.Input<float>({1, 4, 4, 1},
                 {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
      .Ints("ksize", {2, 2});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({1, 2, 2, 1}));
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-6),
                                   {6.0f, 8.0f, 14.0f, 16.0f}));
}

TEST(Pool2dTest, MissingKsizeNamesTheNode) {
  OpTester t(OpCode::kMaxPool2d);
  t.Input<float>({1, 4, 4, 1}, std::vector<float>(16));
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("max_pool2d node #0"));
  EXPECT_THAT(std::string(status.message()), HasSubstr("ksize"));
}

TEST(Pool2dTest, BadAttributes) {
  OpTester t(OpCode::kAvgPool2d);
  t.Input<float>({1, 4, 4, 1}, std::vector<float>(16))
      .Ints("ksize", {2, 2})
      .String("padding", "reflect");
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester t2(OpCode::kAvgPool2d);
  t2.Input<float>({1, 4, 4, 1}, std::vector<float>(16))
      .Ints("ksize", {1, 2, 2, 1});
  EXPECT_EQ(t2.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester t3(OpCode::kMaxPool2d);
  t3.Input<float>({1, 2, 2, 1}, std::vector<float>(4)).Ints("ksize", {3, 3});
  EXPECT_EQ(t3.Run().code(), absl::StatusCode::kInvalidArgument);  // VALID
}

TEST(Pool2dTest, RankAndDTypeErrors) {
  OpTester t(OpCode::kMaxPool2d);
  t.Input<float>({4, 4, 1}, std::vector<float>(16)).Ints("ksize", {2, 2});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester t2(OpCode::kAvgPool2d);
  t2.Input<int32_t>({1, 2, 2, 1}, {1, 2, 3, 4}).Ints("ksize", {2, 2});
  EXPECT_EQ(t2.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
