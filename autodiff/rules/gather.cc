// gather(params, indices) along `axis` (batch_dims 0):
//   axis 0:  dparams = scatter_add(indices, dy, shape(params)); repeated
//            indices accumulate.
//   axis k:  dy [P[:k], I, P[k+1:]] is transposed to [I, P[:k], P[k+1:]],
//            scattered into [P[k], P[:k], P[k+1:]] and transposed back
//            (params' shape must be static).
//   batch_dims != 0 is Unimplemented. indices get none.
// scatter_add(indices, updates, shape): dupdates = gather(dy, indices).

#include "absl/strings/str_cat.h"
#include "autodiff/grad_rule.h"
#include "autodiff/rules/static_args.h"
#include "engine/status_macros.h"

namespace attune {

absl::Status GatherGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int params = ctx.x(0);
  const int indices = ctx.x(1);
  const int r = static_cast<int>(ctx.info(params).shape.size());
  const int q = static_cast<int>(ctx.info(indices).shape.size());
  ATTUNE_ASSIGN_OR_RETURN(const int64_t batch_dims,
                          ctx.attrs().GetIntOr("batch_dims", 0));
  if (batch_dims != 0) {
    return ctx.Unimplemented(absl::StrCat("batch_dims ", batch_dims));
  }
  ATTUNE_ASSIGN_OR_RETURN(const int64_t axis_attr,
                          ctx.attrs().GetIntOr("axis", 0));
  ATTUNE_ASSIGN_OR_RETURN(const int k, NormalizedAxis(ctx, axis_attr, r));
  if (k == 0) {
    dxs[0] = ctx.Op1(OpCode::kScatterAdd,
                     {indices, ctx.dy(), ctx.ShapeOf(params)}, {}, "dparams");
    return absl::OkStatus();
  }
  ATTUNE_ASSIGN_OR_RETURN(Shape p,
                          StaticShape(ctx, params, "gather axis != 0"));
  std::vector<int64_t> dy_perm;
  for (int d = 0; d < q; ++d) dy_perm.push_back(k + d);
  for (int d = 0; d < k; ++d) dy_perm.push_back(d);
  for (int d = k + q; d < r + q - 1; ++d) dy_perm.push_back(d);
  std::vector<int64_t> moved_shape = {p[k]};
  for (int d = 0; d < r; ++d) {
    if (d != k) moved_shape.push_back(p[d]);
  }
  std::vector<int64_t> back_perm;
  for (int d = 0; d < k; ++d) back_perm.push_back(d + 1);
  back_perm.push_back(0);
  for (int d = k + 1; d < r; ++d) back_perm.push_back(d);
  const int dy_moved = ctx.Op1(OpCode::kTranspose, {ctx.dy()},
                               Attributes().SetInts("perm", dy_perm));
  const int scattered = ctx.Op1(
      OpCode::kScatterAdd,
      {indices, dy_moved, ctx.ConstantInts("moved_shape", moved_shape)});
  dxs[0] = ctx.Op1(OpCode::kTranspose, {scattered},
                   Attributes().SetInts("perm", back_perm), "dparams");
  return absl::OkStatus();
}

absl::Status ScatterAddGrad(GradContext& ctx, std::vector<int>& dxs) {
  dxs[1] = ctx.Op1(OpCode::kGather, {ctx.dy(), ctx.x(0)}, {}, "dupdates");
  return absl::OkStatus();
}

}  // namespace attune
