// Finite-difference checks of the conv2d gradient rule (and through it the
// conv2d_backprop_input / _filter kernels): central differences of
// loss = sum(conv2d(x, filter, bias) * probe) in double precision.
// Tolerances: eps 1e-3, |analytic - numeric| <= 2e-3 + 1e-2 * |numeric|.
// conv2d is linear in each input, so the only truncation error comes from
// the activation's curvature (O(eps^2)); relu/relu6 kinks are avoided by
// checking the pre-activations of the chosen inputs (SameWithBias).
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "autodiff/gradients.h"
#include "engine/interpreter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"

namespace attune {
namespace {

using ::attune::testing::CheckGradients;
using ::attune::testing::GradCheckInput;
using ::attune::testing::GradCheckOptions;
using ::attune::testing::RandomValues;

GradCheckInput Var(Shape shape, uint64_t seed, float lo = -1, float hi = 1) {
  GradCheckInput in;
  in.values = RandomValues(NumElements(shape), lo, hi, seed);
  in.shape = std::move(shape);
  return in;
}

GradCheckOptions Options() {
  GradCheckOptions options;
  options.eps = 1e-3;
  options.atol = 2e-3;
  options.rtol = 1e-2;
  return options;
}

Attributes ConvAttrs(const std::string& padding, int stride, int dilation,
                     const std::string& activation) {
  return Attributes()
      .SetString("padding", padding)
      .SetInts("strides", {stride, stride})
      .SetInts("dilations", {dilation, dilation})
      .SetString("activation", activation);
}

// Pre-activations of a SAME, stride-1, undilated conv2d in double.
std::vector<double> PreActivations(const GradCheckInput& x,
                                   const GradCheckInput& w,
                                   const GradCheckInput& bias) {
  const int64_t b = x.shape[0], h = x.shape[1], wd = x.shape[2], c = x.shape[3];
  const int64_t kh = w.shape[0], kw = w.shape[1], o = w.shape[3];
  std::vector<double> y;
  for (int64_t n = 0; n < b; ++n) {
    for (int64_t oy = 0; oy < h; ++oy) {
      for (int64_t ox = 0; ox < wd; ++ox) {
        for (int64_t oc = 0; oc < o; ++oc) {
          double acc = bias.values[oc];
          for (int64_t ky = 0; ky < kh; ++ky) {
            const int64_t iy = oy - (kh - 1) / 2 + ky;
            if (iy < 0 || iy >= h) continue;
            for (int64_t kx = 0; kx < kw; ++kx) {
              const int64_t ix = ox - (kw - 1) / 2 + kx;
              if (ix < 0 || ix >= wd) continue;
              for (int64_t ic = 0; ic < c; ++ic) {
                acc += double{x.values[((n * h + iy) * wd + ix) * c + ic]} *
                       w.values[((ky * kw + kx) * c + ic) * o + oc];
              }
            }
          }
          y.push_back(acc);
        }
      }
    }
  }
  return y;
}

class Conv2dActivationGradTest : public ::testing::TestWithParam<std::string> {
};

TEST_P(Conv2dActivationGradTest, SameWithBias) {
  const std::string act = GetParam();
  // relu6: a bias around 5 puts part of the outputs above 6.
  const float bias_lo = act == "relu6" ? 4.0f : -0.5f;
  const float bias_hi = act == "relu6" ? 6.0f : 0.5f;
  // Kinks: one input element moves a pre-activation by at most eps (|x|,
  // |w|, |bias step| <= 1), so the first seed whose pre-activations all
  // stay 2 * eps away from 0 and 6 gives a kink-free check.
  const GradCheckOptions options = Options();
  for (uint64_t seed = 1; seed < 200; seed += 3) {
    const GradCheckInput x = Var({2, 5, 5, 3}, seed);
    const GradCheckInput w = Var({3, 3, 3, 2}, seed + 1, -0.5f, 0.5f);
    const GradCheckInput bias = Var({2}, seed + 2, bias_lo, bias_hi);
    bool near_kink = false;
    for (double v : PreActivations(x, w, bias)) {
      near_kink |=
          std::abs(v) < 2 * options.eps || std::abs(v - 6.0) < 2 * options.eps;
    }
    if (near_kink) continue;
    absl::Status status = CheckGradients(OpCode::kConv2d, {x, w, bias},
                                         ConvAttrs("same", 1, 1, act), options);
    EXPECT_TRUE(status.ok()) << "seed " << seed << ": " << status;
    return;
  }
  FAIL() << "no kink-free seed";
}

INSTANTIATE_TEST_SUITE_P(Activations, Conv2dActivationGradTest,
                         ::testing::Values("none", "relu", "relu6", "sigmoid",
                                           "tanh"));

TEST(Conv2dGradRuleTest, ValidStride2) {
  absl::Status status =
      CheckGradients(OpCode::kConv2d,
                     {Var({2, 7, 6, 2}, 4), Var({3, 2, 2, 3}, 5), Var({3}, 6)},
                     ConvAttrs("valid", 2, 1, "none"), Options());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(Conv2dGradRuleTest, SameStride2EvenInput) {
  absl::Status status = CheckGradients(
      OpCode::kConv2d, {Var({1, 6, 6, 2}, 7), Var({3, 3, 2, 2}, 8)},
      ConvAttrs("same", 2, 1, "tanh"), Options());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(Conv2dGradRuleTest, Dilation2SameAndValid) {
  absl::Status status = CheckGradients(
      OpCode::kConv2d, {Var({2, 6, 7, 2}, 9), Var({2, 3, 2, 2}, 10)},
      ConvAttrs("same", 1, 2, "none"), Options());
  EXPECT_TRUE(status.ok()) << status;
  status = CheckGradients(
      OpCode::kConv2d,
      {Var({1, 7, 7, 3}, 11), Var({2, 2, 3, 2}, 12), Var({2}, 13)},
      ConvAttrs("valid", 2, 2, "sigmoid"), Options());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(Conv2dGradRuleTest, PointwiseDirectPath) {
  absl::Status status = CheckGradients(
      OpCode::kConv2d, {Var({2, 3, 4, 3}, 14), Var({1, 1, 3, 4}, 15)},
      ConvAttrs("valid", 1, 1, "none"), Options());
  EXPECT_TRUE(status.ok()) << status;
}

// The dx input_sizes come from shape(x) folded at prepare time: one
// gradient graph serves any batch. loss = sum(conv2d(ones, w)), VALID 3x3
// on 4x4: each filter tap sees b * 2 * 2 ones.
TEST(Conv2dGradRuleTest, DynamicBatch) {
  ModelBuilder b("conv dynamic batch");
  const int x = b.Input("x", DType::kFloat32, {-1, 4, 4, 2});
  const int w = b.Input("w", DType::kFloat32, {3, 3, 2, 1});
  const int y = b.Op1(OpCode::kConv2d, {x, w}, {});
  const int loss = b.Op1(OpCode::kSum, {y});
  b.AddSignature("loss", {{"x", x}, {"w", w}}, {{"loss", loss}});
  auto graph = b.Build();
  ASSERT_TRUE(graph.ok()) << graph.status();
  ModelBuilder g = ModelBuilder::FromGraph(*std::move(graph));
  auto result = AddGradients(g, loss, {x, w});
  ASSERT_TRUE(result.ok()) << result.status();
  g.AddSignature("grad", {{"x", x}, {"w", w}},
                 {{"dx", result->source_gradients[0]},
                  {"dw", result->source_gradients[1]}});
  auto model = g.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("grad");
  for (int batch : {1, 3}) {
    ASSERT_TRUE(runner->ResizeInput("x", {batch, 4, 4, 2}).ok());
    ASSERT_TRUE(runner->AllocateTensors().ok());
    ASSERT_TRUE(
        runner->SetInput<float>("x", std::vector<float>(batch * 32, 1.0f))
            .ok());
    ASSERT_TRUE(
        runner->SetInput<float>("w", std::vector<float>(18, 0.5f)).ok());
    ASSERT_TRUE(runner->Invoke().ok());
    auto dx = *runner->typed_output<float>("dx");
    auto dw = *runner->typed_output<float>("dw");
    EXPECT_EQ(dx.size(), static_cast<size_t>(batch * 32));
    ASSERT_EQ(dw.size(), 18u);
    for (float v : dw) EXPECT_NEAR(v, 4.0f * batch, 1e-5);
    // Corner pixels are in one window: dx = w = 0.5.
    EXPECT_NEAR(dx[0], 0.5f, 1e-6);
  }
}

}  // namespace
}  // namespace attune
