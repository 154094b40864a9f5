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

struct DepthwiseCase {
  int batch, h, w, c;
  int kh, kw, mult;
  int sh, sw, dh, dw;
  std::string padding;
  bool bias;
  std::string activation;
  int threads;
};

void PrintTo(const DepthwiseCase& p, std::ostream* os) {
  *os << "b" << p.batch << " x" << p.h << "x" << p.w << "x" << p.c << " f"
      << p.kh << "x" << p.kw << " m" << p.mult << " s" << p.sh << "," << p.sw
      << " d" << p.dh << "," << p.dw << " " << p.padding
      << (p.bias ? " bias " : " nobias ") << p.activation << " t" << p.threads;
}

double Activate(const std::string& act, double v) {
  if (act == "relu") return std::max(v, 0.0);
  if (act == "relu6") return std::min(std::max(v, 0.0), 6.0);
  if (act == "sigmoid") return 1.0 / (1.0 + std::exp(-v));
  if (act == "tanh") return std::tanh(v);
  return v;
}

void AxisGeometry(int in, int k, int s, int d, const std::string& padding,
                  int* out, int* pad_before) {
  const int eff = (k - 1) * d + 1;
  if (padding == "same") {
    *out = (in + s - 1) / s;
    *pad_before = std::max((*out - 1) * s + eff - in, 0) / 2;
  } else {
    *out = (in - eff) / s + 1;
    *pad_before = 0;
  }
}

// Output channel ic*mult + j sees only input channel ic.
std::vector<double> ReferenceDepthwise(const DepthwiseCase& p,
                                       const std::vector<float>& x,
                                       const std::vector<float>& f,
                                       const std::vector<float>& b, int* oh,
                                       int* ow) {
  int pt, pl;
  AxisGeometry(p.h, p.kh, p.sh, p.dh, p.padding, oh, &pt);
  AxisGeometry(p.w, p.kw, p.sw, p.dw, p.padding, ow, &pl);
  const int oc_count = p.c * p.mult;
  std::vector<double> y(static_cast<size_t>(p.batch) * *oh * *ow * oc_count);
  for (int n = 0; n < p.batch; ++n) {
    for (int oy = 0; oy < *oh; ++oy) {
      for (int ox = 0; ox < *ow; ++ox) {
        for (int ic = 0; ic < p.c; ++ic) {
          for (int j = 0; j < p.mult; ++j) {
            const int oc = ic * p.mult + j;
            double acc = p.bias ? b[oc] : 0.0;
            for (int ky = 0; ky < p.kh; ++ky) {
              const int iy = oy * p.sh - pt + ky * p.dh;
              if (iy < 0 || iy >= p.h) continue;
              for (int kx = 0; kx < p.kw; ++kx) {
                const int ix = ox * p.sw - pl + kx * p.dw;
                if (ix < 0 || ix >= p.w) continue;
                acc += double{x[((n * p.h + iy) * p.w + ix) * p.c + ic]} *
                       f[((ky * p.kw + kx) * p.c + ic) * p.mult + j];
              }
            }
            y[((static_cast<size_t>(n) * *oh + oy) * *ow + ox) * oc_count +
              oc] = Activate(p.activation, acc);
          }
        }
      }
    }
  }
  return y;
}

std::vector<float> RandomVector(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& e : v) e = dist(rng);
  return v;
}

class DepthwiseConv2dRandomTest
    : public ::testing::TestWithParam<DepthwiseCase> {};

TEST_P(DepthwiseConv2dRandomTest, MatchesDoubleReference) {
  const DepthwiseCase& p = GetParam();
  std::mt19937 rng(p.h * 1000 + p.w * 100 + p.c * 10 + p.mult + p.kh);
  const int oc = p.c * p.mult;
  const std::vector<float> x =
      RandomVector(static_cast<size_t>(p.batch) * p.h * p.w * p.c, rng);
  const std::vector<float> f =
      RandomVector(static_cast<size_t>(p.kh) * p.kw * oc, rng);
  const std::vector<float> b = RandomVector(oc, rng);
  OpTester t(OpCode::kDepthwiseConv2d);
  t.Input<float>({p.batch, p.h, p.w, p.c}, x)
      .Const<float>({p.kh, p.kw, p.c, p.mult}, f);
  if (p.bias) t.Const<float>({oc}, b);
  t.Ints("strides", {p.sh, p.sw})
      .Ints("dilations", {p.dh, p.dw})
      .String("padding", p.padding)
      .String("activation", p.activation)
      .Threads(p.threads);
  const absl::Status status = t.Run();
  ASSERT_TRUE(status.ok()) << status;
  int oh, ow;
  const std::vector<double> expected = ReferenceDepthwise(p, x, f, b, &oh, &ow);
  EXPECT_EQ(t.OutputShape(0), Shape({p.batch, oh, ow, oc}));
  const std::vector<float> actual = t.Output<float>(0);
  ASSERT_EQ(actual.size(), expected.size());
  // float32 accumulation of kh*kw products of magnitude <= 1, plus bias.
  const double tolerance = 4e-6 * (p.kh * p.kw + 1);
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_NEAR(actual[i], expected[i], tolerance) << "element " << i;
  }
}

// batch, h, w, c, kh, kw, mult, sh, sw, dh, dw, padding, bias, act, threads
INSTANTIATE_TEST_SUITE_P(
    DepthwiseShapes, DepthwiseConv2dRandomTest,
    ::testing::Values(
        DepthwiseCase{1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, "same", true, "none", 1},
        DepthwiseCase{1, 6, 6, 7, 3, 3, 1, 2, 2, 1, 1, "same", false, "relu",
                      1},
        DepthwiseCase{3, 8, 10, 7, 3, 3, 2, 2, 2, 1, 1, "same", true, "relu6",
                      2},
        DepthwiseCase{1, 7, 8, 7, 2, 3, 3, 3, 3, 1, 1, "valid", true, "tanh",
                      2},
        DepthwiseCase{3, 9, 9, 3, 3, 3, 1, 1, 1, 2, 2, "same", true, "sigmoid",
                      1},
        DepthwiseCase{1, 11, 12, 7, 3, 2, 2, 2, 1, 2, 2, "valid", false, "none",
                      2},
        // Kernel larger than the input with SAME.
        DepthwiseCase{1, 3, 3, 2, 5, 5, 1, 1, 1, 1, 1, "same", true, "none", 1},
        DepthwiseCase{3, 2, 4, 7, 5, 7, 2, 2, 2, 1, 1, "same", false, "relu",
                      2},
        // Enough work to use the thread pool.
        DepthwiseCase{3, 24, 24, 32, 3, 3, 1, 1, 1, 1, 1, "same", true, "relu6",
                      2},
        DepthwiseCase{0, 5, 5, 3, 3, 3, 2, 1, 1, 1, 1, "same", true, "relu",
                      2}));

TEST(DepthwiseConv2dTest, GoldenValuesWithMultiplier) {
  // x: 1x2x2x2 channels (a, b); 2x2 VALID filter, multiplier 2 -> 4 outputs
  // [sum a*f0, sum a*f1, sum b*f2, sum b*f3] plus bias.
  OpTester t(OpCode::kDepthwiseConv2d);
  t.Input<float>({1, 2, 2, 2}, {1, 10, 2, 20, 3, 30, 4, 40})
      .Const<float>({2, 2, 2, 2},
                    {1, 1, 1, 0,    // ky0 kx0: c0 (m0, m1), c1 (m0, m1)
                     1, 2, 0, 1,    // ky0 kx1
                     1, 3, 0, 0,    // ky1 kx0
                     1, 4, 1, -1})  // ky1 kx1
      .Const<float>({4}, {0, 0, 0.5f, 0});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({1, 1, 1, 4}));
  // c0: 1+2+3+4 = 10; 1*1+2*2+3*3+4*4 = 30. c1: 10+40+0.5 = 50.5;
  // 0+20+0-40 = -20.
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-5),
                                   {10.0f, 30.0f, 50.5f, -20.0f}));
}

TEST(DepthwiseConv2dTest, ChannelMismatchNamesTheNode) {
  OpTester t(OpCode::kDepthwiseConv2d);
  t.Input<float>({1, 4, 4, 3}, std::vector<float>(48))
      .Const<float>({3, 3, 2, 1}, std::vector<float>(18));
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("depthwise_conv2d node #0"));
}

TEST(DepthwiseConv2dTest, BiasMustCoverChannelsTimesMultiplier) {
  OpTester t(OpCode::kDepthwiseConv2d);
  t.Input<float>({1, 4, 4, 3}, std::vector<float>(48))
      .Const<float>({3, 3, 3, 2}, std::vector<float>(54))
      .Const<float>({3}, {1, 2, 3});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DepthwiseConv2dTest, BadPaddingString) {
  OpTester t(OpCode::kDepthwiseConv2d);
  t.Input<float>({1, 4, 4, 1}, std::vector<float>(16))
      .Const<float>({3, 3, 1, 1}, std::vector<float>(9))
      .String("padding", "SAME_LOWER");
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DepthwiseConv2dTest, RankAndDTypeErrors) {
  OpTester t(OpCode::kDepthwiseConv2d);
  t.Input<float>({1, 4, 4}, std::vector<float>(16))
      .Const<float>({3, 3, 1, 1}, std::vector<float>(9));
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester t2(OpCode::kDepthwiseConv2d);
  t2.Input<int32_t>({1, 2, 2, 1}, {1, 2, 3, 4})
      .Const<float>({1, 1, 1, 1}, {1.0f});
  EXPECT_EQ(t2.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
