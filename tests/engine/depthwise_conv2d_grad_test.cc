// depthwise_conv2d_backprop_input / _filter against double-precision
// references written from the forward's index map (backprop_input is its
// adjoint: dy scattered back through it).
#include <algorithm>
#include <cmath>
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

struct DwCase {
  int batch, h, w, c;
  int kh, kw, m;
  int sh, sw, dh, dw;
  std::string padding;
  int threads;
};

void PrintTo(const DwCase& p, std::ostream* os) {
  *os << "b" << p.batch << " x" << p.h << "x" << p.w << "x" << p.c << " f"
      << p.kh << "x" << p.kw << " m" << p.m << " s" << p.sh << "," << p.sw
      << " d" << p.dh << "," << p.dw << " " << p.padding << " t" << p.threads;
}

bool AxisGeometry(int in, int k, int s, int d, const std::string& padding,
                  int* out, int* pad_before) {
  const int eff = (k - 1) * d + 1;
  if (padding == "same") {
    *out = (in + s - 1) / s;
    *pad_before = std::max((*out - 1) * s + eff - in, 0) / 2;
    return true;
  }
  if (eff > in) return false;
  *out = (in - eff) / s + 1;
  *pad_before = 0;
  return true;
}

struct Geometry {
  int oh, ow, pt, pl;
};

Geometry GeometryOf(const DwCase& p) {
  Geometry g{};
  EXPECT_TRUE(AxisGeometry(p.h, p.kh, p.sh, p.dh, p.padding, &g.oh, &g.pt));
  EXPECT_TRUE(AxisGeometry(p.w, p.kw, p.sw, p.dw, p.padding, &g.ow, &g.pl));
  return g;
}

// fn(x_index, filter_index, y_index) for every forward product.
template <typename Fn>
void ForEachTap(const DwCase& p, const Geometry& g, Fn fn) {
  const size_t cm = static_cast<size_t>(p.c) * p.m;
  for (int n = 0; n < p.batch; ++n) {
    for (int oy = 0; oy < g.oh; ++oy) {
      for (int ox = 0; ox < g.ow; ++ox) {
        for (int ky = 0; ky < p.kh; ++ky) {
          const int iy = oy * p.sh - g.pt + ky * p.dh;
          if (iy < 0 || iy >= p.h) continue;
          for (int kx = 0; kx < p.kw; ++kx) {
            const int ix = ox * p.sw - g.pl + kx * p.dw;
            if (ix < 0 || ix >= p.w) continue;
            for (int ic = 0; ic < p.c; ++ic) {
              for (int j = 0; j < p.m; ++j) {
                const size_t ch = static_cast<size_t>(ic) * p.m + j;
                fn(((static_cast<size_t>(n) * p.h + iy) * p.w + ix) * p.c + ic,
                   (static_cast<size_t>(ky) * p.kw + kx) * cm + ch,
                   ((static_cast<size_t>(n) * g.oh + oy) * g.ow + ox) * cm +
                       ch);
              }
            }
          }
        }
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

void ExpectClose(const std::vector<float>& actual,
                 const std::vector<double>& expected,
                 const std::vector<double>& magnitude) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_NEAR(actual[i], expected[i], 1e-6 + 2e-6 * magnitude[i])
        << "element " << i;
  }
}

void CheckBoth(const DwCase& p, uint32_t seed) {
  const Geometry g = GeometryOf(p);
  std::mt19937 rng(seed);
  const size_t cm = static_cast<size_t>(p.c) * p.m;
  const std::vector<float> x =
      RandomVector(static_cast<size_t>(p.batch) * p.h * p.w * p.c, rng);
  const std::vector<float> f =
      RandomVector(static_cast<size_t>(p.kh) * p.kw * cm, rng);
  const std::vector<float> dy =
      RandomVector(static_cast<size_t>(p.batch) * g.oh * g.ow * cm, rng);
  std::vector<double> dx(x.size(), 0.0), dx_mag(x.size(), 0.0);
  std::vector<double> df(f.size(), 0.0), df_mag(f.size(), 0.0);
  ForEachTap(p, g, [&](size_t xi, size_t fi, size_t yi) {
    dx[xi] += double{dy[yi]} * f[fi];
    dx_mag[xi] += std::abs(double{dy[yi]} * f[fi]);
    df[fi] += double{x[xi]} * dy[yi];
    df_mag[fi] += std::abs(double{x[xi]} * dy[yi]);
  });
  const int c = p.c, m = p.m;
  {
    OpTester t(OpCode::kDepthwiseConv2dBackpropInput);
    t.Input<float>({p.batch, g.oh, g.ow, c * m}, dy)
        .Const<float>({p.kh, p.kw, c, m}, f)
        .Const<int32_t>({4}, {p.batch, p.h, p.w, c})
        .Ints("strides", {p.sh, p.sw})
        .Ints("dilations", {p.dh, p.dw})
        .String("padding", p.padding)
        .Threads(p.threads);
    const absl::Status status = t.Run();
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(t.OutputShape(0), Shape({p.batch, p.h, p.w, c}));
    SCOPED_TRACE("backprop_input");
    ExpectClose(t.Output<float>(0), dx, dx_mag);
  }
  {
    OpTester t(OpCode::kDepthwiseConv2dBackpropFilter);
    t.Input<float>({p.batch, p.h, p.w, c}, x)
        .Input<float>({p.batch, g.oh, g.ow, c * m}, dy)
        .Const<int64_t>({4}, {p.kh, p.kw, c, m})
        .Ints("strides", {p.sh, p.sw})
        .Ints("dilations", {p.dh, p.dw})
        .String("padding", p.padding)
        .Threads(p.threads);
    const absl::Status status = t.Run();
    ASSERT_TRUE(status.ok()) << status;
    EXPECT_EQ(t.OutputShape(0), Shape({p.kh, p.kw, c, m}));
    SCOPED_TRACE("backprop_filter");
    ExpectClose(t.Output<float>(0), df, df_mag);
  }
}

class DepthwiseConv2dGradTest : public ::testing::TestWithParam<DwCase> {};

TEST_P(DepthwiseConv2dGradTest, MatchesReference) { CheckBoth(GetParam(), 7); }

// batch, h, w, c, kh, kw, m, sh, sw, dh, dw, padding, threads
INSTANTIATE_TEST_SUITE_P(
    Shapes, DepthwiseConv2dGradTest,
    ::testing::Values(
        DwCase{1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, "same", 1},
        DwCase{3, 8, 6, 5, 3, 3, 2, 2, 2, 1, 1, "same", 2},
        DwCase{1, 9, 8, 5, 3, 2, 1, 1, 1, 2, 2, "valid", 2},
        DwCase{3, 10, 11, 5, 3, 3, 2, 2, 2, 2, 2, "same", 1},
        DwCase{3, 7, 7, 1, 4, 4, 2, 2, 1, 1, 2, "valid", 2},
        DwCase{1, 3, 2, 5, 5, 4, 1, 1, 2, 1, 1, "same", 1},
        // Enough work for the threaded paths (partial filters per thread).
        DwCase{3, 24, 24, 16, 3, 3, 2, 1, 1, 1, 1, "same", 2},
        DwCase{3, 20, 21, 8, 5, 5, 1, 2, 2, 1, 1, "same", 2},
        DwCase{0, 5, 5, 3, 3, 3, 2, 1, 1, 1, 1, "same", 2}));

TEST(DepthwiseConv2dGradRandomTest, RandomGeometries) {
  std::mt19937 rng(77);
  auto pick = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  int checked = 0;
  while (checked < 40) {
    DwCase p{pick(0, 1) ? 3 : 1, pick(1, 9), pick(1, 9),
             pick(0, 1) ? 5 : 1, pick(1, 4), pick(1, 4),
             pick(1, 2),         pick(1, 2), pick(1, 2),
             pick(1, 2),         pick(1, 2), pick(0, 1) ? "same" : "valid",
             pick(1, 2)};
    int out, pad;
    if (!AxisGeometry(p.h, p.kh, p.sh, p.dh, p.padding, &out, &pad) ||
        !AxisGeometry(p.w, p.kw, p.sw, p.dw, p.padding, &out, &pad)) {
      continue;
    }
    SCOPED_TRACE(::testing::PrintToString(p));
    CheckBoth(p, 300 + checked);
    if (::testing::Test::HasFatalFailure()) return;
    ++checked;
  }
}

TEST(DepthwiseConv2dGradTest, FilterChannelMismatchIsInvalidArgument) {
  OpTester t(OpCode::kDepthwiseConv2dBackpropInput);
  t.Input<float>({1, 3, 3, 4}, std::vector<float>(36))
      .Const<float>({3, 3, 2, 2}, std::vector<float>(36))
      .Const<int32_t>({4}, {1, 3, 3, 3})
      .String("padding", "same");
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("channels"));
}

TEST(DepthwiseConv2dGradTest, DyShapeMismatchIsInvalidArgument) {
  // c * m = 4 output channels expected, dy has 3.
  OpTester t(OpCode::kDepthwiseConv2dBackpropFilter);
  t.Input<float>({1, 3, 3, 2}, std::vector<float>(18))
      .Input<float>({1, 3, 3, 3}, std::vector<float>(27))
      .Const<int32_t>({4}, {3, 3, 2, 2})
      .String("padding", "same");
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("dy"));
}

TEST(DepthwiseConv2dGradTest, RuntimeSizesAreUnimplemented) {
  OpTester t(OpCode::kDepthwiseConv2dBackpropInput);
  t.Input<float>({1, 3, 3, 1}, std::vector<float>(9))
      .Const<float>({1, 1, 1, 1}, {1})
      .Input<int32_t>({4}, {1, 3, 3, 1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kUnimplemented);
  OpTester u(OpCode::kDepthwiseConv2dBackpropFilter);
  u.Input<float>({1, 3, 3, 1}, std::vector<float>(9))
      .Input<float>({1, 3, 3, 1}, std::vector<float>(9))
      .Const<int32_t>({2}, {1, 1});
  EXPECT_EQ(u.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
