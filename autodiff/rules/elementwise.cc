// Elementwise ops beyond binary.cc. Rules produce gradients in the output's
// (broadcast) shape; the engine sums them back to each input's shape.
//   maximum(a, b): dy to a where a >= b, else to b (ties go to a).
//   minimum(a, b): dy to a where a <= b, else to b (ties go to a).
//   pow(a, b) = a^b: da = dy * b * a^(b-1);
//                    db = dy * a^b * log(a) where a > 0, else 0 (a^b is not
//                    differentiable in b for a <= 0).
//   select(cond, x, y): dx = dy where cond else 0, dy_y = dy where !cond
//                    else 0; cond gets none.
//   cast: float32 -> float32 passes dy; any other cast gets none (integer
//                    and bool values carry no gradient).

#include "autodiff/grad_rule.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// (dy where mask, dy where !mask).
void SplitByMask(GradContext& ctx, int mask, std::vector<int>& dxs, int a,
                 int b) {
  const int zeros = ctx.Op1(OpCode::kZerosLike, {ctx.dy()});
  dxs[a] = ctx.Op1(OpCode::kSelect, {mask, ctx.dy(), zeros}, {}, "da");
  dxs[b] = ctx.Op1(OpCode::kSelect, {mask, zeros, ctx.dy()}, {}, "db");
}

}  // namespace

absl::Status MaximumGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int a_wins = ctx.Op1(OpCode::kGreaterEqual, {ctx.x(0), ctx.x(1)});
  SplitByMask(ctx, a_wins, dxs, 0, 1);
  return absl::OkStatus();
}

absl::Status MinimumGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int a_wins = ctx.Op1(OpCode::kLessEqual, {ctx.x(0), ctx.x(1)});
  SplitByMask(ctx, a_wins, dxs, 0, 1);
  return absl::OkStatus();
}

absl::Status PowGrad(GradContext& ctx, std::vector<int>& dxs) {
  if (ctx.info(ctx.x(0)).dtype != DType::kFloat32) {
    return ctx.Unimplemented("integer pow");
  }
  const int a = ctx.x(0);
  const int b = ctx.x(1);
  const int b_minus_1 =
      ctx.Op1(OpCode::kSub, {b, ctx.ConstantScalar("one", 1)});
  const int a_pow = ctx.Op1(OpCode::kPow, {a, b_minus_1});
  const int slope = ctx.Op1(OpCode::kMul, {b, a_pow});
  dxs[0] = ctx.Op1(OpCode::kMul, {ctx.dy(), slope}, {}, "da");
  // log(a) where a > 0, else 0: log of the rest is NaN/-inf but not chosen.
  const int positive =
      ctx.Op1(OpCode::kGreater, {a, ctx.ConstantScalar("zero", 0)});
  const int log_a = ctx.Op1(OpCode::kLog, {a});
  const int safe_log = ctx.Op1(
      OpCode::kSelect, {positive, log_a, ctx.Op1(OpCode::kZerosLike, {a})});
  const int dy_y = ctx.Op1(OpCode::kMul, {ctx.dy(), ctx.y()});
  dxs[1] = ctx.Op1(OpCode::kMul, {dy_y, safe_log}, {}, "db");
  return absl::OkStatus();
}

absl::Status SelectGrad(GradContext& ctx, std::vector<int>& dxs) {
  SplitByMask(ctx, ctx.x(0), dxs, 1, 2);
  return absl::OkStatus();
}

absl::Status CastGrad(GradContext& ctx, std::vector<int>& dxs) {
  if (ctx.info(ctx.x(0)).dtype == DType::kFloat32 &&
      ctx.info(ctx.y()).dtype == DType::kFloat32) {
    dxs[0] = ctx.dy();
  }
  return absl::OkStatus();
}

}  // namespace attune
