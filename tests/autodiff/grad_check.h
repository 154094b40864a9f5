#ifndef ATTUNE_TESTS_AUTODIFF_GRAD_CHECK_H_
#define ATTUNE_TESTS_AUTODIFF_GRAD_CHECK_H_

// Finite-difference checking of gradient rules and kernels.
//
// CheckGradients builds loss = sum(f(inputs) * probe) for a one-op forward
// graph f (any op with float32 inputs and outputs), where `probe` is a fixed
// random tensor so every output element matters differently. It then
//  1. differentiates it with AddGradients (attune's rules and kernels), and
//  2. estimates every d loss / d input element by central differences in
//     double precision, re-running the float32 forward graph at x +- eps
//     with the loss accumulated in double,
// and compares element-wise: |analytic - numeric| <= atol + rtol * |numeric|.
// Inputs to check are fed as signature inputs; others (indices, shapes) are
// constants. Keep inputs away from kinks (e.g. relu at 0) yourself.

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "engine/attributes.h"
#include "engine/dtype.h"
#include "engine/op_code.h"
#include "engine/shape.h"

namespace attune::testing {

struct GradCheckInput {
  Shape shape;
  std::vector<float> values;
  bool differentiate = true;  // false: fed as a constant, not checked
  DType dtype = DType::kFloat32;
  std::vector<int64_t> int_values;  // for int32/int64/bool constant inputs
};

struct GradCheckOptions {
  double eps = 1e-3;
  double atol = 1e-3;
  double rtol = 1e-2;
  int num_outputs = 1;
  uint64_t seed = 1;
  // Which outputs the loss weights with a probe; empty: all of them. An
  // output left out gets no gradient (e.g. the backprop output of
  // softmax_cross_entropy, whose own gradient is not supported).
  std::vector<bool> probe_outputs;
};

// OK when every analytic gradient matches its numeric estimate; otherwise
// an error naming the input, element, both values. Errors building or
// running either graph are returned as they are.
absl::Status CheckGradients(OpCode op, const std::vector<GradCheckInput>& inputs,
                            const Attributes& attrs,
                            const GradCheckOptions& options = {});

// Uniform random floats in [lo, hi), deterministic for `seed`.
std::vector<float> RandomValues(int64_t n, float lo, float hi, uint64_t seed);

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_AUTODIFF_GRAD_CHECK_H_
