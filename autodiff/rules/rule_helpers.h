#ifndef ATTUNE_AUTODIFF_RULES_RULE_HELPERS_H_
#define ATTUNE_AUTODIFF_RULES_RULE_HELPERS_H_

#include "absl/status/statusor.h"
#include "autodiff/grad_rule.h"

namespace attune {

// Gradient through the node's fused "activation" attribute: returns dy
// itself for "none", else the matching *_grad op applied to (dy, y).
absl::StatusOr<int> FusedActivationGrad(GradContext& ctx, int dy, int y);

// dy of a reduction over `axes` (keepdims as given) broadcast back to the
// shape of `x`: reshape to x's rank with the reduced axes set to 1, then
// broadcast_to(shape(x)).
absl::StatusOr<int> BroadcastBack(GradContext& ctx, int dy, int x,
                                  const std::vector<int64_t>& axes);

// The reduction axes of a sum/mean node, normalized and sorted (all axes
// when none are given). InvalidArgument for a non-static axes input.
absl::StatusOr<std::vector<int64_t>> ReductionAxes(const GradContext& ctx);

}  // namespace attune

#endif  // ATTUNE_AUTODIFF_RULES_RULE_HELPERS_H_
