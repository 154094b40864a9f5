// Finite-difference checks of the max_pool2d and avg_pool2d gradient rules
// (and the *_grad kernels). eps 1e-3, |analytic - numeric| <= 1e-3 + 1e-2 *
// |numeric|. max_pool2d inputs are a shuffled grid of distinct values 0.05
// apart, so +-eps never changes a window's maximum (no ties, no kinks).
#include <algorithm>
#include <random>
#include <vector>

#include "gtest/gtest.h"
#include "tests/autodiff/grad_check.h"

namespace attune {
namespace {

using ::attune::testing::CheckGradients;
using ::attune::testing::GradCheckInput;
using ::attune::testing::RandomValues;

GradCheckInput Distinct(Shape shape, uint32_t seed) {
  GradCheckInput in;
  const int64_t n = NumElements(shape);
  in.values.resize(n);
  for (int64_t i = 0; i < n; ++i) in.values[i] = 0.05f * (i - n / 2);
  std::shuffle(in.values.begin(), in.values.end(), std::mt19937(seed));
  in.shape = std::move(shape);
  return in;
}

Attributes PoolAttrs(int k, int s, const std::string& padding) {
  return Attributes()
      .SetInts("ksize", {k, k})
      .SetInts("strides", {s, s})
      .SetString("padding", padding);
}

TEST(Pool2dGradRuleTest, MaxPoolOverlappingSame) {
  absl::Status status = CheckGradients(
      OpCode::kMaxPool2d, {Distinct({2, 5, 6, 3}, 1)}, PoolAttrs(3, 2, "same"));
  EXPECT_TRUE(status.ok()) << status;
}

TEST(Pool2dGradRuleTest, MaxPoolValid) {
  absl::Status status =
      CheckGradients(OpCode::kMaxPool2d, {Distinct({1, 6, 6, 2}, 2)},
                     PoolAttrs(2, 2, "valid"));
  EXPECT_TRUE(status.ok()) << status;
}

TEST(Pool2dGradRuleTest, AvgPoolSamePartialWindows) {
  GradCheckInput x;
  x.shape = {2, 5, 5, 3};
  x.values = RandomValues(NumElements(x.shape), -1, 1, 3);
  absl::Status status =
      CheckGradients(OpCode::kAvgPool2d, {x}, PoolAttrs(3, 2, "same"));
  EXPECT_TRUE(status.ok()) << status;
  x.shape = {1, 6, 4, 2};
  x.values = RandomValues(NumElements(x.shape), -1, 1, 4);
  status = CheckGradients(OpCode::kAvgPool2d, {x}, PoolAttrs(2, 1, "valid"));
  EXPECT_TRUE(status.ok()) << status;
}

}  // namespace
}  // namespace attune
