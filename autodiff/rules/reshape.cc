// reshape, expand_dims, squeeze only move the same elements: the gradient is
// dy reshaped to the input's shape (taken at prepare time, so a dynamic
// batch works).

#include "autodiff/grad_rule.h"

namespace attune {

absl::Status ReshapeLikeGrad(GradContext& ctx, std::vector<int>& dxs) {
  dxs[0] = ctx.Op1(OpCode::kReshape, {ctx.dy(), ctx.ShapeOf(ctx.x(0))}, {},
                   "dx");
  return absl::OkStatus();
}

}  // namespace attune
