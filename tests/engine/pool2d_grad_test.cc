// max_pool2d_grad and avg_pool2d_grad against double-precision references
// written from the forward's windows (dy scattered through them).
#include <algorithm>
#include <cstdint>
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
  int batch, h, w, c;
  int kh, kw, sh, sw;
  std::string padding;
  int threads;
};

void PrintTo(const PoolCase& p, std::ostream* os) {
  *os << "b" << p.batch << " x" << p.h << "x" << p.w << "x" << p.c << " k"
      << p.kh << "x" << p.kw << " s" << p.sh << "," << p.sw << " " << p.padding
      << " t" << p.threads;
}

bool AxisGeometry(int in, int k, int s, const std::string& padding, int* out,
                  int* pad_before) {
  if (padding == "same") {
    *out = (in + s - 1) / s;
    *pad_before = std::max((*out - 1) * s + k - in, 0) / 2;
    return true;
  }
  if (k > in) return false;
  *out = (in - k) / s + 1;
  *pad_before = 0;
  return true;
}

struct Window {
  int y_lo, y_hi, x_lo, x_hi;
};

// Calls fn(n, oy, ox, window) for every output pixel; the window is clipped
// to the image.
template <typename Fn>
void ForEachWindow(const PoolCase& p, int* oh, int* ow, Fn fn) {
  int pt, pl;
  EXPECT_TRUE(AxisGeometry(p.h, p.kh, p.sh, p.padding, oh, &pt));
  EXPECT_TRUE(AxisGeometry(p.w, p.kw, p.sw, p.padding, ow, &pl));
  for (int n = 0; n < p.batch; ++n) {
    for (int oy = 0; oy < *oh; ++oy) {
      for (int ox = 0; ox < *ow; ++ox) {
        const int y0 = oy * p.sh - pt, x0 = ox * p.sw - pl;
        fn(n, oy, ox,
           Window{std::max(y0, 0), std::min(y0 + p.kh, p.h), std::max(x0, 0),
                  std::min(x0 + p.kw, p.w)});
      }
    }
  }
}

std::vector<float> RandomVector(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& e : v) e = dist(rng);
  return v;
}

void CheckMax(const PoolCase& p, uint32_t seed) {
  std::mt19937 rng(seed);
  const std::vector<float> x =
      RandomVector(static_cast<size_t>(p.batch) * p.h * p.w * p.c, rng);
  int oh = 0, ow = 0;
  ForEachWindow(p, &oh, &ow, [](int, int, int, const Window&) {});
  const std::vector<float> dy =
      RandomVector(static_cast<size_t>(p.batch) * oh * ow * p.c, rng);
  std::vector<double> dx(x.size(), 0.0);
  ForEachWindow(p, &oh, &ow, [&](int n, int oy, int ox, const Window& win) {
    for (int ch = 0; ch < p.c; ++ch) {
      size_t best = 0;
      bool found = false;
      for (int iy = win.y_lo; iy < win.y_hi; ++iy) {
        for (int ix = win.x_lo; ix < win.x_hi; ++ix) {
          const size_t i =
              ((static_cast<size_t>(n) * p.h + iy) * p.w + ix) * p.c + ch;
          if (!found || x[i] > x[best]) best = i;
          found = true;
        }
      }
      dx[best] += dy[((static_cast<size_t>(n) * oh + oy) * ow + ox) * p.c + ch];
    }
  });
  OpTester t(OpCode::kMaxPool2dGrad);
  t.Input<float>({p.batch, p.h, p.w, p.c}, x)
      .Input<float>({p.batch, oh, ow, p.c}, dy)
      .Ints("ksize", {p.kh, p.kw})
      .Ints("strides", {p.sh, p.sw})
      .String("padding", p.padding)
      .Threads(p.threads);
  const absl::Status status = t.Run();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(t.OutputShape(0), Shape({p.batch, p.h, p.w, p.c}));
  const std::vector<float> actual = t.Output<float>(0);
  ASSERT_EQ(actual.size(), dx.size());
  for (size_t i = 0; i < dx.size(); ++i) {
    ASSERT_NEAR(actual[i], dx[i], 1e-5) << "max element " << i;
  }
}

void CheckAvg(const PoolCase& p, uint32_t seed) {
  std::mt19937 rng(seed);
  int oh = 0, ow = 0;
  ForEachWindow(p, &oh, &ow, [](int, int, int, const Window&) {});
  const std::vector<float> dy =
      RandomVector(static_cast<size_t>(p.batch) * oh * ow * p.c, rng);
  std::vector<double> dx(static_cast<size_t>(p.batch) * p.h * p.w * p.c, 0.0);
  ForEachWindow(p, &oh, &ow, [&](int n, int oy, int ox, const Window& win) {
    const double count =
        static_cast<double>(win.y_hi - win.y_lo) * (win.x_hi - win.x_lo);
    for (int iy = win.y_lo; iy < win.y_hi; ++iy) {
      for (int ix = win.x_lo; ix < win.x_hi; ++ix) {
        for (int ch = 0; ch < p.c; ++ch) {
          dx[((static_cast<size_t>(n) * p.h + iy) * p.w + ix) * p.c + ch] +=
              dy[((static_cast<size_t>(n) * oh + oy) * ow + ox) * p.c + ch] /
              count;
        }
      }
    }
  });
  OpTester t(OpCode::kAvgPool2dGrad);
  t.Input<float>({p.batch, oh, ow, p.c}, dy)
      .Const<int64_t>({4}, {p.batch, p.h, p.w, p.c})
      .Ints("ksize", {p.kh, p.kw})
      .Ints("strides", {p.sh, p.sw})
      .String("padding", p.padding)
      .Threads(p.threads);
  const absl::Status status = t.Run();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(t.OutputShape(0), Shape({p.batch, p.h, p.w, p.c}));
  const std::vector<float> actual = t.Output<float>(0);
  ASSERT_EQ(actual.size(), dx.size());
  for (size_t i = 0; i < dx.size(); ++i) {
    ASSERT_NEAR(actual[i], dx[i], 1e-5) << "avg element " << i;
  }
}

class Pool2dGradTest : public ::testing::TestWithParam<PoolCase> {};

TEST_P(Pool2dGradTest, MaxMatchesReference) { CheckMax(GetParam(), 5); }
TEST_P(Pool2dGradTest, AvgMatchesReference) { CheckAvg(GetParam(), 6); }

// batch, h, w, c, kh, kw, sh, sw, padding, threads
INSTANTIATE_TEST_SUITE_P(
    Shapes, Pool2dGradTest,
    ::testing::Values(
        PoolCase{1, 4, 4, 1, 2, 2, 2, 2, "valid", 1},
        // Overlapping windows (stride < ksize) accumulate.
        PoolCase{3, 7, 6, 5, 3, 3, 1, 1, "same", 2},
        PoolCase{1, 8, 7, 5, 3, 2, 2, 1, "same", 1},
        PoolCase{3, 5, 5, 1, 3, 3, 2, 2, "valid", 2},
        // Even input, SAME stride 2: partial windows at the bottom/right.
        PoolCase{3, 6, 8, 5, 3, 3, 2, 2, "same", 2},
        PoolCase{1, 3, 2, 5, 4, 4, 1, 1, "same", 1},
        // More than one channel block, threaded.
        PoolCase{3, 16, 16, 70, 3, 3, 2, 2, "same", 2},
        PoolCase{0, 4, 4, 3, 2, 2, 2, 2, "valid", 2}));

TEST(Pool2dGradRandomTest, RandomGeometries) {
  std::mt19937 rng(99);
  auto pick = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  int checked = 0;
  while (checked < 40) {
    PoolCase p{pick(0, 1) ? 3 : 1, pick(1, 9), pick(1, 9),
               pick(0, 1) ? 5 : 1, pick(1, 4), pick(1, 4),
               pick(1, 3),         pick(1, 3), pick(0, 1) ? "same" : "valid",
               pick(1, 2)};
    int out, pad;
    if (!AxisGeometry(p.h, p.kh, p.sh, p.padding, &out, &pad) ||
        !AxisGeometry(p.w, p.kw, p.sw, p.padding, &out, &pad)) {
      continue;
    }
    SCOPED_TRACE(::testing::PrintToString(p));
    CheckMax(p, 400 + checked);
    CheckAvg(p, 500 + checked);
    if (::testing::Test::HasFatalFailure()) return;
    ++checked;
  }
}

TEST(Pool2dGradTest, MaxTiesGoToTheFirstMaximum) {
  // One 2x2 window of equal values: all of dy goes to the top-left element.
  OpTester t(OpCode::kMaxPool2dGrad);
  t.Input<float>({1, 2, 2, 1}, {3, 3, 3, 3})
      .Input<float>({1, 1, 1, 1}, {5})
      .Ints("ksize", {2, 2});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(
      t.Output<float>(0),
      ::testing::Pointwise(::testing::FloatEq(), {5.0f, 0.0f, 0.0f, 0.0f}));
}

TEST(Pool2dGradTest, AvgSameDividesByInBoundsCount) {
  // 3x3 input, 2x2 windows, SAME stride 2: windows of 4, 2, 2 and 1
  // elements.
  OpTester t(OpCode::kAvgPool2dGrad);
  t.Input<float>({1, 2, 2, 1}, {4, 2, 2, 1})
      .Const<int32_t>({4}, {1, 3, 3, 1})
      .Ints("ksize", {2, 2})
      .String("padding", "same");
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-6),
                                   std::vector<float>(9, 1.0f)));
}

TEST(Pool2dGradTest, DyShapeMismatchIsInvalidArgument) {
  OpTester t(OpCode::kMaxPool2dGrad);
  t.Input<float>({1, 4, 4, 2}, std::vector<float>(32))
      .Input<float>({1, 3, 3, 2}, std::vector<float>(18))
      .Ints("ksize", {2, 2});
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("dy"));

  OpTester u(OpCode::kAvgPool2dGrad);
  u.Input<float>({1, 2, 2, 3}, std::vector<float>(12))
      .Const<int32_t>({4}, {1, 4, 4, 2})
      .Ints("ksize", {2, 2});
  EXPECT_EQ(u.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Pool2dGradTest, MissingKsizeIsInvalidArgument) {
  OpTester t(OpCode::kMaxPool2dGrad);
  t.Input<float>({1, 2, 2, 1}, std::vector<float>(4))
      .Input<float>({1, 2, 2, 1}, std::vector<float>(4));
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Pool2dGradTest, AvgRuntimeSizesAreUnimplemented) {
  OpTester t(OpCode::kAvgPool2dGrad);
  t.Input<float>({1, 1, 1, 1}, {1})
      .Input<int32_t>({4}, {1, 2, 2, 1})
      .Ints("ksize", {2, 2});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
}

}  // namespace
}  // namespace attune
