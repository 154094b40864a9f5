#ifndef ATTUNE_TESTS_AUTODIFF_GRAD_TEST_UTIL_H_
#define ATTUNE_TESTS_AUTODIFF_GRAD_TEST_UTIL_H_

// Inputs for CheckGradients in the *_grad_test.cc files.

#include <cmath>
#include <cstdint>
#include <vector>

#include "tests/autodiff/grad_check.h"

namespace attune::testing {

// A differentiated float32 input with uniform values in [lo, hi).
inline GradCheckInput Var(Shape shape, uint64_t seed, float lo = -1,
                          float hi = 1) {
  GradCheckInput in;
  in.values = RandomValues(NumElements(shape), lo, hi, seed);
  in.shape = std::move(shape);
  return in;
}

// Var, with every value closer than `margin` to one of `kinks` moved
// 2 * margin away from it, so central differences never straddle a kink.
inline GradCheckInput VarAwayFrom(Shape shape, uint64_t seed, float lo,
                                  float hi, std::vector<float> kinks,
                                  float margin = 0.05f) {
  GradCheckInput in = Var(std::move(shape), seed, lo, hi);
  for (float& v : in.values) {
    for (float k : kinks) {
      if (std::abs(v - k) < margin) v = v < k ? k - 2 * margin : k + 2 * margin;
    }
  }
  return in;
}

// A float32 constant (not differentiated).
inline GradCheckInput FloatConst(Shape shape, std::vector<float> values) {
  GradCheckInput in;
  in.shape = std::move(shape);
  in.values = std::move(values);
  in.differentiate = false;
  return in;
}

// An int32 / int64 / bool constant.
inline GradCheckInput IntConst(Shape shape, std::vector<int64_t> values,
                               DType dtype = DType::kInt32) {
  GradCheckInput in;
  in.shape = std::move(shape);
  in.int_values = std::move(values);
  in.differentiate = false;
  in.dtype = dtype;
  return in;
}

inline GradCheckOptions Tolerances(double eps, double atol, double rtol) {
  GradCheckOptions options;
  options.eps = eps;
  options.atol = atol;
  options.rtol = rtol;
  return options;
}

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_AUTODIFF_GRAD_TEST_UTIL_H_
