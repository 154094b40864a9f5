// The *_grad activation kernels against double-precision references of the
// derivatives written in the test (finite differences of the rules that use
// them: tests/autodiff/activations_grad_test.cc).
#include <cmath>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;

std::vector<float> RunGrad(OpCode op, const std::vector<float>& dy,
                           const std::vector<float>& v, Attributes attrs = {}) {
  OpTester t(op);
  const Shape shape = {static_cast<int64_t>(v.size())};
  t.Input<float>(shape, dy).Input<float>(shape, v);
  for (const auto& [name, value] : attrs.entries()) t.Attr(name, value);
  absl::Status s = t.Run();
  EXPECT_TRUE(s.ok()) << s;
  return s.ok() ? t.Output<float>(0) : std::vector<float>{};
}

void ExpectNear(const std::vector<float>& got, const std::vector<double>& want,
                double tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_NEAR(got[i], want[i], tol * (1 + std::abs(want[i]))) << i;
  }
}

const std::vector<float> kX = {-5,   -3.5f, -2,   -0.7f, -0.1f,
                               0.2f, 1,     2.5f, 4,     7};
std::vector<float> Dy() {
  std::vector<float> dy;
  for (size_t i = 0; i < kX.size(); ++i) dy.push_back(0.5f + 0.25f * i);
  return dy;
}

TEST(ActivationGradTest, ReluAndRelu6MaskOnOutput) {
  EXPECT_THAT(RunGrad(OpCode::kReluGrad, {1, 2, 3, 4}, {0, 0.5f, -1, 6}),
              ElementsAre(0, 2, 0, 4));
  EXPECT_THAT(RunGrad(OpCode::kRelu6Grad, {1, 2, 3, 4}, {0, 0.5f, 5.9f, 6}),
              ElementsAre(0, 2, 3, 0));
}

TEST(ActivationGradTest, SigmoidAndTanhFromOutput) {
  const std::vector<float> y = {0.1f, 0.5f, 0.9f};
  ExpectNear(RunGrad(OpCode::kSigmoidGrad, {2, 2, 2}, y),
             {2 * 0.1 * 0.9, 2 * 0.25, 2 * 0.9 * 0.1}, 1e-6);
  const std::vector<float> t = {-0.5f, 0, 0.8f};
  ExpectNear(RunGrad(OpCode::kTanhGrad, {2, 2, 2}, t),
             {2 * 0.75, 2.0, 2 * (1 - 0.64)}, 1e-6);
}

TEST(ActivationGradTest, LeakyReluDefaultAndCustomAlpha) {
  std::vector<double> want, want_custom;
  const std::vector<float> dy = Dy();
  for (size_t i = 0; i < kX.size(); ++i) {
    want.push_back(kX[i] > 0 ? dy[i] : 0.2 * dy[i]);
    want_custom.push_back(kX[i] > 0 ? dy[i] : 0.01 * dy[i]);
  }
  ExpectNear(RunGrad(OpCode::kLeakyReluGrad, dy, kX), want, 1e-6);
  ExpectNear(RunGrad(OpCode::kLeakyReluGrad, dy, kX,
                     Attributes().SetFloat("alpha", 0.01)),
             want_custom, 1e-6);
}

TEST(ActivationGradTest, Elu) {
  std::vector<double> want;
  const std::vector<float> dy = Dy();
  for (size_t i = 0; i < kX.size(); ++i) {
    want.push_back(kX[i] > 0 ? dy[i] : dy[i] * 0.7 * std::exp(double{kX[i]}));
  }
  ExpectNear(
      RunGrad(OpCode::kEluGrad, dy, kX, Attributes().SetFloat("alpha", 0.7)),
      want, 1e-6);
}

TEST(ActivationGradTest, HardSwish) {
  std::vector<double> want;
  const std::vector<float> dy = Dy();
  for (size_t i = 0; i < kX.size(); ++i) {
    const double x = kX[i];
    const double d = x <= -3 ? 0 : (x >= 3 ? 1 : (2 * x + 3) / 6);
    want.push_back(dy[i] * d);
  }
  ExpectNear(RunGrad(OpCode::kHardSwishGrad, dy, kX), want, 1e-6);
}

TEST(ActivationGradTest, GeluExactAndTanhForm) {
  std::vector<double> exact, approx;
  const std::vector<float> dy = Dy();
  const double pi = std::acos(-1.0);
  for (size_t i = 0; i < kX.size(); ++i) {
    const double x = kX[i];
    const double cdf = 0.5 * (1 + std::erf(x / std::sqrt(2.0)));
    const double pdf = std::exp(-0.5 * x * x) / std::sqrt(2 * pi);
    exact.push_back(dy[i] * (cdf + x * pdf));
    const double c = std::sqrt(2 / pi);
    const double u = c * (x + 0.044715 * x * x * x);
    const double t = std::tanh(u);
    approx.push_back(dy[i] * (0.5 * (1 + t) + 0.5 * x * (1 - t * t) * c *
                                                  (1 + 3 * 0.044715 * x * x)));
  }
  ExpectNear(RunGrad(OpCode::kGeluGrad, dy, kX), exact, 1e-5);
  ExpectNear(
      RunGrad(OpCode::kGeluGrad, dy, kX, Attributes().SetInt("approximate", 1)),
      approx, 1e-5);
}

TEST(ActivationGradTest, ShapeMismatchAndDtypeErrors) {
  OpTester t(OpCode::kReluGrad);
  t.Input<float>({2}, {1, 2}).Input<float>({3}, {1, 2, 3});
  EXPECT_EQ(t.Run().code(), absl::StatusCode::kInvalidArgument);
  OpTester u(OpCode::kTanhGrad);
  u.Input<float>({2}, {1, 2}).Input<int32_t>({2}, {1, 2});
  EXPECT_EQ(u.Run().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ActivationGradTest, ZeroSizeAndRank0) {
  OpTester t(OpCode::kSigmoidGrad);
  t.Input<float>({0, 3}, {}).Input<float>({0, 3}, {});
  ASSERT_TRUE(t.Run().ok());
  EXPECT_EQ(t.OutputShape(0), Shape({0, 3}));
  OpTester u(OpCode::kReluGrad);
  u.Input<float>({}, {3}).Input<float>({}, {1});
  ASSERT_TRUE(u.Run().ok());
  EXPECT_THAT(u.Output<float>(0), ElementsAre(3));
}

}  // namespace
}  // namespace attune
