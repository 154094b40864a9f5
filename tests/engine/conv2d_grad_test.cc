// conv2d_backprop_input and conv2d_backprop_filter against double-precision
// references written from the forward's index map: backprop_input scatters
// dy through it (the adjoint of the forward), backprop_filter correlates x
// with dy through it.
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

struct ConvCase {
  int batch, h, w, c;
  int kh, kw, o;
  int sh, sw, dh, dw;
  std::string padding;
  int threads;
};

void PrintTo(const ConvCase& p, std::ostream* os) {
  *os << "b" << p.batch << " x" << p.h << "x" << p.w << "x" << p.c << " f"
      << p.kh << "x" << p.kw << "x" << p.o << " s" << p.sh << "," << p.sw
      << " d" << p.dh << "," << p.dw << " " << p.padding << " t" << p.threads;
}

// TensorFlow's output size and leading padding of one axis; false when a
// VALID window does not fit.
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

Geometry GeometryOf(const ConvCase& p) {
  Geometry g{};
  EXPECT_TRUE(AxisGeometry(p.h, p.kh, p.sh, p.dh, p.padding, &g.oh, &g.pt));
  EXPECT_TRUE(AxisGeometry(p.w, p.kw, p.sw, p.dw, p.padding, &g.ow, &g.pl));
  return g;
}

// Calls fn(x_index, filter_index, y_index) for every product of the forward
// convolution y[yi] += x[xi] * filter[fi].
template <typename Fn>
void ForEachTap(const ConvCase& p, const Geometry& g, Fn fn) {
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
              for (int oc = 0; oc < p.o; ++oc) {
                fn(((static_cast<size_t>(n) * p.h + iy) * p.w + ix) * p.c + ic,
                   ((static_cast<size_t>(ky) * p.kw + kx) * p.c + ic) * p.o +
                       oc,
                   ((static_cast<size_t>(n) * g.oh + oy) * g.ow + ox) * p.o +
                       oc);
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

OpTester& WindowAttrs(OpTester& t, const ConvCase& p) {
  return t.Ints("strides", {p.sh, p.sw})
      .Ints("dilations", {p.dh, p.dw})
      .String("padding", p.padding)
      .Threads(p.threads);
}

// Compares with a bound scaled by the sum of |terms| of each element.
void ExpectClose(const std::vector<float>& actual,
                 const std::vector<double>& expected,
                 const std::vector<double>& magnitude) {
  ASSERT_EQ(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_NEAR(actual[i], expected[i], 1e-6 + 2e-6 * magnitude[i])
        << "element " << i;
  }
}

void CheckBackpropInput(const ConvCase& p, uint32_t seed) {
  const Geometry g = GeometryOf(p);
  std::mt19937 rng(seed);
  const std::vector<float> dy =
      RandomVector(static_cast<size_t>(p.batch) * g.oh * g.ow * p.o, rng);
  const std::vector<float> f =
      RandomVector(static_cast<size_t>(p.kh) * p.kw * p.c * p.o, rng);
  std::vector<double> dx(static_cast<size_t>(p.batch) * p.h * p.w * p.c, 0.0);
  std::vector<double> mag(dx.size(), 0.0);
  ForEachTap(p, g, [&](size_t xi, size_t fi, size_t yi) {
    dx[xi] += double{dy[yi]} * f[fi];
    mag[xi] += std::abs(double{dy[yi]} * f[fi]);
  });
  OpTester t(OpCode::kConv2dBackpropInput);
  t.Input<float>({p.batch, g.oh, g.ow, p.o}, dy)
      .Const<float>({p.kh, p.kw, p.c, p.o}, f)
      .Const<int32_t>({4}, {p.batch, p.h, p.w, p.c});
  WindowAttrs(t, p);
  const absl::Status status = t.Run();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(t.OutputShape(0), Shape({p.batch, p.h, p.w, p.c}));
  ExpectClose(t.Output<float>(0), dx, mag);
}

void CheckBackpropFilter(const ConvCase& p, uint32_t seed) {
  const Geometry g = GeometryOf(p);
  std::mt19937 rng(seed);
  const std::vector<float> x =
      RandomVector(static_cast<size_t>(p.batch) * p.h * p.w * p.c, rng);
  const std::vector<float> dy =
      RandomVector(static_cast<size_t>(p.batch) * g.oh * g.ow * p.o, rng);
  std::vector<double> df(static_cast<size_t>(p.kh) * p.kw * p.c * p.o, 0.0);
  std::vector<double> mag(df.size(), 0.0);
  ForEachTap(p, g, [&](size_t xi, size_t fi, size_t yi) {
    df[fi] += double{x[xi]} * dy[yi];
    mag[fi] += std::abs(double{x[xi]} * dy[yi]);
  });
  OpTester t(OpCode::kConv2dBackpropFilter);
  t.Input<float>({p.batch, p.h, p.w, p.c}, x)
      .Input<float>({p.batch, g.oh, g.ow, p.o}, dy)
      .Const<int64_t>({4}, {p.kh, p.kw, p.c, p.o});
  WindowAttrs(t, p);
  const absl::Status status = t.Run();
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(t.OutputShape(0), Shape({p.kh, p.kw, p.c, p.o}));
  ExpectClose(t.Output<float>(0), df, mag);
}

class Conv2dGradTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2dGradTest, BackpropInputMatchesAdjointOfForward) {
  CheckBackpropInput(GetParam(), 11);
}

TEST_P(Conv2dGradTest, BackpropFilterMatchesReference) {
  CheckBackpropFilter(GetParam(), 12);
}

// batch, h, w, c, kh, kw, o, sh, sw, dh, dw, padding, threads
INSTANTIATE_TEST_SUITE_P(
    Shapes, Conv2dGradTest,
    ::testing::Values(
        ConvCase{1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, "same", 1},
        // Even input, stride 2: the extra padding row/column is at the end.
        ConvCase{3, 8, 6, 5, 3, 2, 4, 2, 2, 1, 1, "same", 2},
        ConvCase{1, 6, 6, 5, 4, 4, 5, 2, 2, 1, 1, "same", 1},
        ConvCase{3, 9, 8, 5, 3, 3, 5, 1, 1, 2, 2, "valid", 1},
        ConvCase{3, 10, 11, 5, 3, 3, 5, 2, 2, 2, 2, "same", 2},
        ConvCase{1, 8, 7, 1, 2, 3, 3, 2, 1, 1, 2, "valid", 2},
        ConvCase{1, 7, 8, 5, 5, 5, 1, 1, 1, 1, 1, "same", 2},
        // Kernel larger than the input with SAME.
        ConvCase{3, 3, 2, 5, 5, 4, 2, 1, 2, 1, 1, "same", 1},
        // 1x1 stride 1 (direct GEMM) and 1x1 strided (column path).
        ConvCase{3, 5, 6, 5, 1, 1, 3, 1, 1, 1, 1, "valid", 2},
        ConvCase{1, 4, 4, 5, 1, 1, 1, 1, 1, 1, 1, "same", 1},
        ConvCase{3, 7, 6, 5, 1, 1, 4, 2, 2, 1, 1, "same", 1},
        // Column buffer over 8 MB: two chunks, threaded gather / col2im.
        ConvCase{3, 40, 40, 64, 3, 3, 2, 1, 1, 1, 1, "same", 2},
        // The W2 first layer's geometry at batch 3.
        ConvCase{3, 28, 28, 1, 5, 5, 8, 1, 1, 1, 1, "same", 2},
        // Empty batch.
        ConvCase{0, 5, 5, 3, 3, 3, 2, 1, 1, 1, 1, "same", 2}));

// Random geometries: sizes 1..9, kernels 1..4, strides and dilations 1/2,
// both paddings, batch 1/3, channels 1/5, 1 and 2 threads.
TEST(Conv2dGradRandomTest, RandomGeometries) {
  std::mt19937 rng(2024);
  auto pick = [&rng](int lo, int hi) {
    return std::uniform_int_distribution<int>(lo, hi)(rng);
  };
  int checked = 0;
  while (checked < 40) {
    ConvCase p{pick(0, 1) ? 3 : 1, pick(1, 9), pick(1, 9),
               pick(0, 1) ? 5 : 1, pick(1, 4), pick(1, 4),
               pick(0, 1) ? 4 : 1, pick(1, 2), pick(1, 2),
               pick(1, 2),         pick(1, 2), pick(0, 1) ? "same" : "valid",
               pick(1, 2)};
    int out, pad;
    if (!AxisGeometry(p.h, p.kh, p.sh, p.dh, p.padding, &out, &pad) ||
        !AxisGeometry(p.w, p.kw, p.sw, p.dw, p.padding, &out, &pad)) {
      continue;
    }
    SCOPED_TRACE(::testing::PrintToString(p));
    CheckBackpropInput(p, 100 + checked);
    CheckBackpropFilter(p, 200 + checked);
    if (::testing::Test::HasFatalFailure()) return;
    ++checked;
  }
}

TEST(Conv2dGradTest, BackpropInputGoldenValues) {
  // 2x2 input, 2x2 filter [[1,2],[3,4]], VALID: y = sum(x * f), so
  // dx = dy * f.
  OpTester t(OpCode::kConv2dBackpropInput);
  t.Input<float>({1, 1, 1, 1}, {2})
      .Const<float>({2, 2, 1, 1}, {1, 2, 3, 4})
      .Const<int32_t>({4}, {1, 2, 2, 1});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-6),
                                   {2.0f, 4.0f, 6.0f, 8.0f}));
}

TEST(Conv2dGradTest, SizesChannelsMismatchIsInvalidArgument) {
  OpTester t(OpCode::kConv2dBackpropInput);
  t.Input<float>({1, 3, 3, 2}, std::vector<float>(18))
      .Const<float>({3, 3, 4, 2}, std::vector<float>(72))
      .Const<int32_t>({4}, {1, 3, 3, 3})
      .String("padding", "same");
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("channels"));

  OpTester u(OpCode::kConv2dBackpropFilter);
  u.Input<float>({1, 3, 3, 3}, std::vector<float>(27))
      .Input<float>({1, 3, 3, 2}, std::vector<float>(18))
      .Const<int32_t>({4}, {3, 3, 4, 2})
      .String("padding", "same");
  EXPECT_EQ(u.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Conv2dGradTest, DyShapeMismatchIsInvalidArgument) {
  // SAME stride 2 on 5x5 gives 3x3, not 2x2.
  OpTester t(OpCode::kConv2dBackpropInput);
  t.Input<float>({1, 2, 2, 2}, std::vector<float>(8))
      .Const<float>({3, 3, 1, 2}, std::vector<float>(18))
      .Const<int32_t>({4}, {1, 5, 5, 1})
      .Ints("strides", {2, 2})
      .String("padding", "same");
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("dy"));

  OpTester u(OpCode::kConv2dBackpropFilter);
  u.Input<float>({1, 5, 5, 1}, std::vector<float>(25))
      .Input<float>({1, 5, 5, 2}, std::vector<float>(50))
      .Const<int32_t>({4}, {3, 3, 1, 2})
      .String("padding", "valid");
  EXPECT_EQ(u.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Conv2dGradTest, SizesOfWrongLengthAreInvalidArgument) {
  OpTester t(OpCode::kConv2dBackpropInput);
  t.Input<float>({1, 3, 3, 1}, std::vector<float>(9))
      .Const<float>({1, 1, 1, 1}, {1})
      .Const<int32_t>({3}, {1, 3, 3});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Conv2dGradTest, RuntimeSizesAreUnimplemented) {
  // input_sizes fed at run time: not static at prepare.
  OpTester t(OpCode::kConv2dBackpropInput);
  t.Input<float>({1, 3, 3, 1}, std::vector<float>(9))
      .Const<float>({1, 1, 1, 1}, {1})
      .Input<int32_t>({4}, {1, 3, 3, 1});
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnimplemented) << status;

  OpTester u(OpCode::kConv2dBackpropFilter);
  u.Input<float>({1, 3, 3, 1}, std::vector<float>(9))
      .Input<float>({1, 3, 3, 1}, std::vector<float>(9))
      .Input<int64_t>({4}, {1, 1, 1, 1});
  EXPECT_EQ(u.Run().code(), absl::StatusCode::kUnimplemented);
}

TEST(Conv2dGradTest, FusedActivationIsInvalidArgument) {
  OpTester t(OpCode::kConv2dBackpropInput);
  t.Input<float>({1, 3, 3, 1}, std::vector<float>(9))
      .Const<float>({1, 1, 1, 1}, {1})
      .Const<int32_t>({4}, {1, 3, 3, 1})
      .String("activation", "relu");
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
