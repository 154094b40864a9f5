// reduce_max / reduce_min: dy goes to the positions of x equal to the
// result; tied positions share it equally (TensorFlow's convention):
//   y_b   = y broadcast back to x's shape, dy_b likewise
//   mask  = cast(equal(x, y_b), float32)
//   dx    = dy_b * mask / sum(mask, axes, keepdims)

#include "autodiff/grad_rule.h"
#include "autodiff/rules/rule_helpers.h"
#include "engine/status_macros.h"

namespace attune {

absl::Status ReduceExtremumGrad(GradContext& ctx, std::vector<int>& dxs) {
  if (ctx.info(ctx.x(0)).dtype != DType::kFloat32) {
    return ctx.Unimplemented("integer reduction");
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> axes, ReductionAxes(ctx));
  ATTUNE_ASSIGN_OR_RETURN(int y_b, BroadcastBack(ctx, ctx.y(), ctx.x(0), axes));
  ATTUNE_ASSIGN_OR_RETURN(int dy_b,
                          BroadcastBack(ctx, ctx.dy(), ctx.x(0), axes));
  const int hit = ctx.Op1(OpCode::kEqual, {ctx.x(0), y_b});
  const int mask =
      ctx.Op1(OpCode::kCast, {hit}, Attributes().SetString("dtype", "float32"));
  const int count =
      ctx.Op1(OpCode::kSum, {mask},
              Attributes().SetInts("axes", axes).SetInt("keepdims", 1));
  const int share = ctx.Op1(OpCode::kDiv, {mask, count});
  dxs[0] = ctx.Op1(OpCode::kMul, {dy_b, share}, {}, "dx");
  return absl::OkStatus();
}

}  // namespace attune
