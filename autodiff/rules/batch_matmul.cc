// c = op(a) . op(b) with op = transpose when adj_x / adj_y is set:
//   adj_x adj_y   da                       db
//   0     0       dc . b^T   (0, 1)        a^T . dc   (1, 0)
//   0     1       dc . b     (0, 0)        dc^T . a   (1, 0)
//   1     0       b . dc^T   (0, 1)        a . dc     (0, 0)
//   1     1       b^T . dc^T (1, 1)        dc^T . a^T (1, 1)
// each a batch_matmul with the (adj_x, adj_y) shown. The products have the
// broadcast batch dims of c; where an operand's batch dims differ (fewer, or
// size 1, or unknown) its gradient is sum_to_shape(d, shape(operand)).

#include "autodiff/grad_rule.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

int MatMul(GradContext& ctx, int a, int b, bool adj_x, bool adj_y,
           absl::string_view suffix) {
  return ctx.Op1(OpCode::kBatchMatMul, {a, b},
                 Attributes()
                     .SetInt("adj_x", adj_x ? 1 : 0)
                     .SetInt("adj_y", adj_y ? 1 : 0),
                 suffix);
}

// True when `operand`'s batch dims may differ from the output's.
bool NeedsReduction(const GradContext& ctx, int operand) {
  const Shape& s = ctx.info(operand).shape;
  const Shape& out = ctx.info(ctx.y()).shape;
  if (s.size() != out.size()) return true;
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] < 0 || s[i] != out[i]) return true;
  }
  return false;
}

int ReduceTo(GradContext& ctx, int gradient, int operand,
             absl::string_view suffix) {
  if (!NeedsReduction(ctx, operand)) return gradient;
  return ctx.Op1(OpCode::kSumToShape, {gradient, ctx.ShapeOf(operand)}, {},
                 suffix);
}

}  // namespace

absl::Status BatchMatMulGrad(GradContext& ctx, std::vector<int>& dxs) {
  absl::StatusOr<int64_t> adj_x = ctx.attrs().GetIntOr("adj_x", 0);
  absl::StatusOr<int64_t> adj_y = ctx.attrs().GetIntOr("adj_y", 0);
  if (!adj_x.ok() || !adj_y.ok()) {
    return ctx.Unimplemented("adj_x / adj_y must be int attributes");
  }
  const int a = ctx.x(0);
  const int b = ctx.x(1);
  const int dc = ctx.dy();
  int da, db;
  if (*adj_x == 0 && *adj_y == 0) {
    da = MatMul(ctx, dc, b, false, true, "da_full");
    db = MatMul(ctx, a, dc, true, false, "db_full");
  } else if (*adj_x == 0) {
    da = MatMul(ctx, dc, b, false, false, "da_full");
    db = MatMul(ctx, dc, a, true, false, "db_full");
  } else if (*adj_y == 0) {
    da = MatMul(ctx, b, dc, false, true, "da_full");
    db = MatMul(ctx, a, dc, false, false, "db_full");
  } else {
    da = MatMul(ctx, b, dc, true, true, "da_full");
    db = MatMul(ctx, dc, a, true, true, "db_full");
  }
  dxs[0] = ReduceTo(ctx, da, a, "da");
  dxs[1] = ReduceTo(ctx, db, b, "db");
  return absl::OkStatus();
}

}  // namespace attune
