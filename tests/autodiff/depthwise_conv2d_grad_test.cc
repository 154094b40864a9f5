// Finite-difference checks of the depthwise_conv2d gradient rule (and its
// backprop kernels). eps 1e-3, |analytic - numeric| <= 2e-3 + 1e-2 *
// |numeric|; the op is linear in each input, relu kinks avoided by seed.
#include <string>
#include <vector>

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

Attributes DwAttrs(const std::string& padding, int stride, int dilation,
                   const std::string& activation) {
  return Attributes()
      .SetString("padding", padding)
      .SetInts("strides", {stride, stride})
      .SetInts("dilations", {dilation, dilation})
      .SetString("activation", activation);
}

TEST(DepthwiseConv2dGradRuleTest, SameMultiplier1WithBiasAndRelu) {
  absl::Status status = CheckGradients(
      OpCode::kDepthwiseConv2d,
      {Var({2, 5, 5, 3}, 21), Var({3, 3, 3, 1}, 22), Var({3}, 23)},
      DwAttrs("same", 1, 1, "relu"), Options());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(DepthwiseConv2dGradRuleTest, ValidStride2Multiplier2) {
  absl::Status status = CheckGradients(
      OpCode::kDepthwiseConv2d,
      {Var({2, 7, 6, 2}, 24), Var({3, 2, 2, 2}, 25), Var({4}, 26)},
      DwAttrs("valid", 2, 1, "tanh"), Options());
  EXPECT_TRUE(status.ok()) << status;
}

TEST(DepthwiseConv2dGradRuleTest, SameStride2Dilation2) {
  absl::Status status = CheckGradients(
      OpCode::kDepthwiseConv2d, {Var({1, 6, 7, 2}, 27), Var({2, 3, 2, 2}, 28)},
      DwAttrs("same", 2, 2, "none"), Options());
  EXPECT_TRUE(status.ok()) << status;
}

}  // namespace
}  // namespace attune
