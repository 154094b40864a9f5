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
  bool bias;
  std::string activation;
  int threads;
};

void PrintTo(const ConvCase& p, std::ostream* os) {
  *os << "b" << p.batch << " x" << p.h << "x" << p.w << "x" << p.c << " f"
      << p.kh << "x" << p.kw << "x" << p.o << " s" << p.sh << "," << p.sw
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

// TensorFlow's output size and leading padding for one axis, written
// independently of the kernel.
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

// Direct convolution in double precision.
std::vector<double> ReferenceConv(const ConvCase& p,
                                  const std::vector<float>& x,
                                  const std::vector<float>& f,
                                  const std::vector<float>& b, int* oh,
                                  int* ow) {
  int pt, pl;
  AxisGeometry(p.h, p.kh, p.sh, p.dh, p.padding, oh, &pt);
  AxisGeometry(p.w, p.kw, p.sw, p.dw, p.padding, ow, &pl);
  std::vector<double> y(static_cast<size_t>(p.batch) * *oh * *ow * p.o);
  size_t idx = 0;
  for (int n = 0; n < p.batch; ++n) {
    for (int oy = 0; oy < *oh; ++oy) {
      for (int ox = 0; ox < *ow; ++ox) {
        for (int oc = 0; oc < p.o; ++oc) {
          double acc = p.bias ? b[oc] : 0.0;
          for (int ky = 0; ky < p.kh; ++ky) {
            const int iy = oy * p.sh - pt + ky * p.dh;
            if (iy < 0 || iy >= p.h) continue;
            for (int kx = 0; kx < p.kw; ++kx) {
              const int ix = ox * p.sw - pl + kx * p.dw;
              if (ix < 0 || ix >= p.w) continue;
              for (int ic = 0; ic < p.c; ++ic) {
                acc += double{x[((n * p.h + iy) * p.w + ix) * p.c + ic]} *
                       f[((ky * p.kw + kx) * p.c + ic) * p.o + oc];
              }
            }
          }
          y[idx++] = Activate(p.activation, acc);
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

class Conv2dRandomTest : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Conv2dRandomTest, MatchesDoubleReference) {
  const ConvCase& p = GetParam();
  std::mt19937 rng(p.h * 1000 + p.w * 100 + p.c * 10 + p.o + p.kh);
  const std::vector<float> x =
      RandomVector(static_cast<size_t>(p.batch) * p.h * p.w * p.c, rng);
  const std::vector<float> f =
      RandomVector(static_cast<size_t>(p.kh) * p.kw * p.c * p.o, rng);
  const std::vector<float> b = RandomVector(p.o, rng);
  OpTester t(OpCode::kConv2d);
  t.Input<float>({p.batch, p.h, p.w, p.c}, x)
      .Const<float>({p.kh, p.kw, p.c, p.o}, f);
  if (p.bias) t.Const<float>({p.o}, b);
  t.Ints("strides", {p.sh, p.sw})
      .Ints("dilations", {p.dh, p.dw})
      .String("padding", p.padding)
      .String("activation", p.activation)
      .Threads(p.threads);
  const absl::Status status = t.Run();
  ASSERT_TRUE(status.ok()) << status;
  int oh, ow;
  const std::vector<double> expected = ReferenceConv(p, x, f, b, &oh, &ow);
  EXPECT_EQ(t.OutputShape(0), Shape({p.batch, oh, ow, p.o}));
  const std::vector<float> actual = t.Output<float>(0);
  ASSERT_EQ(actual.size(), expected.size());
  // float32 accumulation of kh*kw*c products of magnitude <= 1 (plus the
  // bias); every activation is 1-Lipschitz, so the bound carries over.
  const double tolerance = 4e-6 * (p.kh * p.kw * p.c + 1);
  for (size_t i = 0; i < actual.size(); ++i) {
    ASSERT_NEAR(actual[i], expected[i], tolerance) << "element " << i;
  }
}

// batch, h, w, c, kh, kw, o, sh, sw, dh, dw, padding, bias, activation, threads
INSTANTIATE_TEST_SUITE_P(
    Conv2dShapes, Conv2dRandomTest,
    ::testing::Values(
        // SAME, odd input, stride 1.
        ConvCase{1, 5, 5, 1, 3, 3, 1, 1, 1, 1, 1, "same", true, "none", 1},
        // SAME, even input, stride 2: TF pads the extra row/col at the end.
        ConvCase{1, 6, 6, 3, 3, 3, 2, 2, 2, 1, 1, "same", false, "none", 1},
        ConvCase{3, 8, 10, 7, 4, 4, 5, 2, 2, 1, 1, "same", true, "relu", 2},
        // VALID, stride 3, rectangular kernel.
        ConvCase{1, 7, 8, 7, 2, 3, 5, 3, 3, 1, 1, "valid", true, "relu", 2},
        ConvCase{3, 10, 9, 1, 3, 2, 7, 3, 2, 1, 1, "valid", false, "relu6", 1},
        // Dilation 2, SAME and VALID.
        ConvCase{1, 9, 9, 3, 3, 3, 4, 1, 1, 2, 2, "same", true, "relu6", 1},
        ConvCase{3, 11, 12, 7, 3, 2, 3, 2, 1, 2, 2, "valid", true, "tanh", 2},
        ConvCase{1, 8, 7, 2, 2, 3, 3, 2, 3, 2, 1, "same", false, "none", 2},
        // Kernel larger than the input with SAME.
        ConvCase{1, 3, 3, 2, 5, 5, 3, 1, 1, 1, 1, "same", true, "sigmoid", 1},
        ConvCase{3, 2, 4, 7, 5, 7, 1, 2, 2, 1, 1, "same", false, "tanh", 2},
        // 1x1 stride 1 unpadded: direct GEMM (both paddings), and strided.
        ConvCase{3, 6, 5, 7, 1, 1, 9, 1, 1, 1, 1, "valid", true, "relu", 2},
        ConvCase{1, 4, 4, 7, 1, 1, 1, 1, 1, 1, 1, "same", false, "none", 1},
        ConvCase{3, 7, 6, 7, 1, 1, 4, 2, 2, 1, 1, "same", true, "none", 1},
        // Channels 1 in and out, sigmoid.
        ConvCase{3, 6, 6, 1, 3, 3, 1, 1, 2, 1, 1, "same", true, "sigmoid", 2},
        // im2col larger than 8 MB: processed in two chunks.
        ConvCase{2, 32, 32, 128, 3, 3, 4, 1, 1, 1, 1, "same", true, "none", 2},
        ConvCase{1, 28, 28, 1, 5, 5, 32, 1, 1, 1, 1, "same", true, "relu", 1},
        // Zero-size batch.
        ConvCase{0, 5, 5, 3, 3, 3, 2, 1, 1, 1, 1, "same", true, "relu", 2}));

TEST(Conv2dTest, SameStride2EvenInputPadsBottomRight) {
  // x = 1..16 as 4x4, 3x3 filter of ones, SAME stride 2: out 2x2, total
  // padding 1 per axis, all of it after the input (TensorFlow).
  std::vector<float> x(16);
  for (int i = 0; i < 16; ++i) x[i] = static_cast<float>(i + 1);
  OpTester t(OpCode::kConv2d);
  t.Input<float>({1, 4, 4, 1}, x)
      .Const<float>({3, 3, 1, 1}, std::vector<float>(9, 1.0f))
      .Ints("strides", {2, 2})
      .String("padding", "same");
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({1, 2, 2, 1}));
  // [1+2+3+5+6+7+9+10+11, 3+4+7+8+11+12, 9+10+11+13+14+15, 11+12+15+16].
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-5),
                                   {54.0f, 45.0f, 72.0f, 54.0f}));
}

TEST(Conv2dTest, ValidWithBiasGoldenValues) {
  // x = 1..9 as 3x3, filter [[1,2],[3,4]], bias 1.
  OpTester t(OpCode::kConv2d);
  t.Input<float>({1, 3, 3, 1}, {1, 2, 3, 4, 5, 6, 7, 8, 9})
      .Const<float>({2, 2, 1, 1}, {1, 2, 3, 4})
      .Const<float>({1}, {1});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({1, 2, 2, 1}));
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-5),
                                   {38.0f, 48.0f, 68.0f, 78.0f}));
}

TEST(Conv2dTest, ReluOnTwoOutputChannels) {
  // 1x1 conv (direct GEMM path): channels [1, -2] -> o0 = a + b, o1 = a - b.
  OpTester t(OpCode::kConv2d);
  t.Input<float>({1, 1, 2, 2}, {1, -2, 3, 1})
      .Const<float>({1, 1, 2, 2}, {1, 1, 1, -1})
      .String("activation", "relu");
  ASSERT_TRUE(t.Run().ok());
  EXPECT_THAT(t.Output<float>(0),
              ::testing::Pointwise(::testing::FloatNear(1e-6),
                                   {0.0f, 3.0f, 4.0f, 2.0f}));
}

TEST(Conv2dTest, ChannelMismatchNamesTheNode) {
  OpTester t(OpCode::kConv2d);
  t.Input<float>({1, 4, 4, 3}, std::vector<float>(48))
      .Const<float>({3, 3, 4, 2}, std::vector<float>(72));
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("conv2d node #0"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("input channels 3 != filter channels 4"));
}

TEST(Conv2dTest, BadPaddingString) {
  OpTester t(OpCode::kConv2d);
  t.Input<float>({1, 4, 4, 1}, std::vector<float>(16))
      .Const<float>({3, 3, 1, 1}, std::vector<float>(9))
      .String("padding", "full");
  const absl::Status status = t.Run();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("padding"));
}

TEST(Conv2dTest, RankErrors) {
  OpTester t(OpCode::kConv2d);
  t.Input<float>({4, 4, 1}, std::vector<float>(16))
      .Const<float>({3, 3, 1, 1}, std::vector<float>(9));
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester t2(OpCode::kConv2d);
  t2.Input<float>({1, 4, 4, 1}, std::vector<float>(16))
      .Const<float>({3, 3, 1}, std::vector<float>(9));
  EXPECT_EQ(t2.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Conv2dTest, NonFloatInputIsRejected) {
  OpTester t(OpCode::kConv2d);
  t.Input<int32_t>({1, 2, 2, 1}, {1, 2, 3, 4})
      .Const<float>({1, 1, 1, 1}, {1.0f});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Conv2dTest, BadStridesAndBias) {
  OpTester t(OpCode::kConv2d);
  t.Input<float>({1, 4, 4, 1}, std::vector<float>(16))
      .Const<float>({3, 3, 1, 1}, std::vector<float>(9))
      .Ints("strides", {0, 1});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester t2(OpCode::kConv2d);
  t2.Input<float>({1, 4, 4, 1}, std::vector<float>(16))
      .Const<float>({3, 3, 1, 2}, std::vector<float>(18))
      .Const<float>({3}, {1, 2, 3});
  EXPECT_EQ(t2.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(Conv2dTest, ValidKernelLargerThanInputIsRejected) {
  OpTester t(OpCode::kConv2d);
  t.Input<float>({1, 2, 2, 1}, std::vector<float>(4))
      .Const<float>({3, 3, 1, 1}, std::vector<float>(9));
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
