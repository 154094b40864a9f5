// Elementwise binary ops. Rules produce gradients in the output's
// (broadcast) shape; the engine sums them back to each input's shape.
//   add: (dy, dy)            sub: (dy, -dy)
//   mul: (dy*b, dy*a)        div: (dy/b, -dy*a/b^2 = -(dy/b)*(a/b))
//   squared_difference: (2(a-b)dy, -2(a-b)dy)

#include "autodiff/grad_rule.h"
#include "autodiff/rules/rule_helpers.h"
#include "engine/status_macros.h"

namespace attune {

absl::Status AddGrad(GradContext& ctx, std::vector<int>& dxs) {
  ATTUNE_ASSIGN_OR_RETURN(int g, FusedActivationGrad(ctx, ctx.dy(), ctx.y()));
  dxs[0] = g;
  dxs[1] = g;
  return absl::OkStatus();
}

absl::Status SubGrad(GradContext& ctx, std::vector<int>& dxs) {
  ATTUNE_ASSIGN_OR_RETURN(int g, FusedActivationGrad(ctx, ctx.dy(), ctx.y()));
  dxs[0] = g;
  dxs[1] = ctx.Op1(OpCode::kNeg, {g}, {}, "db");
  return absl::OkStatus();
}

absl::Status MulGrad(GradContext& ctx, std::vector<int>& dxs) {
  ATTUNE_ASSIGN_OR_RETURN(int g, FusedActivationGrad(ctx, ctx.dy(), ctx.y()));
  dxs[0] = ctx.Op1(OpCode::kMul, {g, ctx.x(1)}, {}, "da");
  dxs[1] = ctx.Op1(OpCode::kMul, {g, ctx.x(0)}, {}, "db");
  return absl::OkStatus();
}

absl::Status DivGrad(GradContext& ctx, std::vector<int>& dxs) {
  ATTUNE_ASSIGN_OR_RETURN(int g, FusedActivationGrad(ctx, ctx.dy(), ctx.y()));
  const int g_over_b = ctx.Op1(OpCode::kDiv, {g, ctx.x(1)}, {}, "da");
  dxs[0] = g_over_b;
  const int a_over_b = ctx.Op1(OpCode::kDiv, {ctx.x(0), ctx.x(1)});
  const int product = ctx.Op1(OpCode::kMul, {g_over_b, a_over_b});
  dxs[1] = ctx.Op1(OpCode::kNeg, {product}, {}, "db");
  return absl::OkStatus();
}

absl::Status SquaredDifferenceGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int diff = ctx.Op1(OpCode::kSub, {ctx.x(0), ctx.x(1)});
  const int two_diff =
      ctx.Op1(OpCode::kMul, {diff, ctx.ConstantScalar("two", 2.0f)});
  dxs[0] = ctx.Op1(OpCode::kMul, {two_diff, ctx.dy()}, {}, "da");
  dxs[1] = ctx.Op1(OpCode::kNeg, {dxs[0]}, {}, "db");
  return absl::OkStatus();
}

}  // namespace attune
