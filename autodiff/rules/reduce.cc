// sum: dx = broadcast of dy back to x's shape.
// mean: the same divided by the number of elements averaged, computed from
// the prepare-time shapes (count = size(x) / size(y)), so a dynamic batch
// works.

#include "autodiff/grad_rule.h"
#include "autodiff/rules/rule_helpers.h"
#include "engine/status_macros.h"

namespace attune {

absl::Status SumGrad(GradContext& ctx, std::vector<int>& dxs) {
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReductionAxes(ctx));
  ATTUNE_ASSIGN_OR_RETURN(dxs[0], BroadcastBack(ctx, ctx.dy(), ctx.x(0), axes));
  return absl::OkStatus();
}

absl::Status MeanGrad(GradContext& ctx, std::vector<int>& dxs) {
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReductionAxes(ctx));
  ATTUNE_ASSIGN_OR_RETURN(int spread,
                          BroadcastBack(ctx, ctx.dy(), ctx.x(0), axes));
  const Attributes to_float = Attributes().SetString("dtype", "float32");
  const int x_size = ctx.Op1(OpCode::kReduceProd, {ctx.ShapeOf(ctx.x(0))});
  const int y_size = ctx.Op1(OpCode::kReduceProd, {ctx.ShapeOf(ctx.y())});
  const int count = ctx.Op1(
      OpCode::kDiv, {ctx.Op1(OpCode::kCast, {x_size}, to_float),
                     ctx.Op1(OpCode::kCast, {y_size}, to_float)});
  dxs[0] = ctx.Op1(OpCode::kDiv, {spread, count}, {}, "dx");
  return absl::OkStatus();
}

}  // namespace attune
