// max_pool2d: dx = max_pool2d_grad(x, dy) (dy to the first maximum of each
//   window, accumulated where windows overlap).
// avg_pool2d: dx = avg_pool2d_grad(dy, shape(x)) (dy spread over each
//   window's in-bounds elements); shape(x) is folded at prepare time.
// Both pass the node's ksize, strides and padding on.

#include "autodiff/grad_rule.h"

namespace attune {

absl::Status MaxPool2dGrad(GradContext& ctx, std::vector<int>& dxs) {
  dxs[0] =
      ctx.Op1(OpCode::kMaxPool2dGrad, {ctx.x(0), ctx.dy()}, ctx.attrs(), "dx");
  return absl::OkStatus();
}

absl::Status AvgPool2dGrad(GradContext& ctx, std::vector<int>& dxs) {
  dxs[0] = ctx.Op1(OpCode::kAvgPool2dGrad, {ctx.dy(), ctx.ShapeOf(ctx.x(0))},
                   ctx.attrs(), "dx");
  return absl::OkStatus();
}

}  // namespace attune
