// Ops whose float32 output carries no gradient to any input: one_hot (from
// integer indices), zeros_like (constant in x), dequantize (from integer
// or float16 data) and random_mask (reads only its input's shape; in
// dropout, mul(x, mask) carries x's gradient). The engine reaches them when
// their input depends on a trainable tensor (through an integer path, e.g.
// arg_max -> one_hot, or through a shape); the rule leaves every input
// without a gradient. Ops with integer or bool outputs (comparisons,
// arg_max, shape, ...) need no rule: no gradient ever reaches such an
// output.

#include "autodiff/grad_rule.h"

namespace attune {

absl::Status NoGradient(GradContext& ctx, std::vector<int>& dxs) {
  (void)ctx;
  (void)dxs;
  return absl::OkStatus();
}

}  // namespace attune
