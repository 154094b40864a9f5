// y = act(x . w + b), x [..., k], w [k, n]:
//   g  = act'(dy)                       (relu_grad / relu6_grad / ... on y)
//   dx = g . w^T                        batch_matmul(g, w, adj_y)
//   dw = x2^T . g2                      batch_matmul(x2, g2, adj_x), with
//        x2 = x as [rows, k], g2 = g as [rows, n]
//   db = sum of g over all but the last axis

#include "absl/strings/str_cat.h"
#include "autodiff/grad_rule.h"
#include "autodiff/rules/rule_helpers.h"
#include "engine/status_macros.h"

namespace attune {

absl::Status FullyConnectedGrad(GradContext& ctx, std::vector<int>& dxs) {
  ATTUNE_ASSIGN_OR_RETURN(int g, FusedActivationGrad(ctx, ctx.dy(), ctx.y()));
  // Copies: emitting ops grows the tensor list and would invalidate
  // references into it.
  const Shape x_shape = ctx.info(ctx.x(0)).shape;
  const Shape w_shape = ctx.info(ctx.x(1)).shape;
  const int64_t k = w_shape[0];
  const int64_t n = w_shape[1];
  dxs[0] = ctx.Op1(OpCode::kBatchMatMul, {g, ctx.x(1)},
                   Attributes().SetInt("adj_y", 1), "dx");
  int x2 = ctx.x(0);
  int g2 = g;
  if (x_shape.size() != 2) {
    x2 = ctx.Op1(OpCode::kReshape, {x2, ctx.ConstantInts("x2_shape", {-1, k})});
    g2 = ctx.Op1(OpCode::kReshape, {g2, ctx.ConstantInts("g2_shape", {-1, n})});
  }
  dxs[1] = ctx.Op1(OpCode::kBatchMatMul, {x2, g2},
                   Attributes().SetInt("adj_x", 1), "dw");
  if (ctx.has_input(2)) {
    std::vector<int64_t> axes;
    for (size_t a = 0; a + 1 < x_shape.size(); ++a) {
      axes.push_back(static_cast<int64_t>(a));
    }
    dxs[2] = ctx.Op1(OpCode::kSum, {g}, Attributes().SetInts("axes", axes),
                     "db");
  }
  return absl::OkStatus();
}

}  // namespace attune
