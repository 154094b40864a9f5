// softmax:      dx = y * (dy - sum(dy * y, axis, keepdims))
// log_softmax:  dx = dy - exp(y) * sum(dy, axis, keepdims)
// (sparse_)softmax_cross_entropy (outputs loss [b], backprop [b, c]):
//   dlogits = backprop * dloss[:, None]; labels get no gradient. A gradient
//   flowing into the backprop output itself is not supported.

#include "autodiff/grad_rule.h"

namespace attune {
namespace {

Attributes KeepAxis(const GradContext& ctx) {
  const int64_t axis = ctx.attrs().GetIntOr("axis", -1).value_or(-1);
  return Attributes().SetInts("axes", {axis}).SetInt("keepdims", 1);
}

}  // namespace

absl::Status SoftmaxGrad(GradContext& ctx, std::vector<int>& dxs) {
  if (ctx.attrs().GetFloatOr("beta", 1.0).value_or(1.0) != 1.0) {
    return ctx.Unimplemented("softmax with beta != 1");
  }
  const int dy_y = ctx.Op1(OpCode::kMul, {ctx.dy(), ctx.y()});
  const int summed = ctx.Op1(OpCode::kSum, {dy_y}, KeepAxis(ctx));
  const int centered = ctx.Op1(OpCode::kSub, {ctx.dy(), summed});
  dxs[0] = ctx.Op1(OpCode::kMul, {ctx.y(), centered}, {}, "dx");
  return absl::OkStatus();
}

absl::Status LogSoftmaxGrad(GradContext& ctx, std::vector<int>& dxs) {
  const int summed = ctx.Op1(OpCode::kSum, {ctx.dy()}, KeepAxis(ctx));
  const int probabilities = ctx.Op1(OpCode::kExp, {ctx.y()});
  const int scaled = ctx.Op1(OpCode::kMul, {probabilities, summed});
  dxs[0] = ctx.Op1(OpCode::kSub, {ctx.dy(), scaled}, {}, "dx");
  return absl::OkStatus();
}

absl::Status SoftmaxCrossEntropyGrad(GradContext& ctx, std::vector<int>& dxs) {
  if (ctx.dy(1) != -1) {
    return ctx.Unimplemented("gradient through the backprop output");
  }
  const int column = ctx.Op1(OpCode::kExpandDims, {ctx.dy(0)},
                             Attributes().SetInt("axis", -1));
  dxs[0] = ctx.Op1(OpCode::kMul, {ctx.y(1), column}, {}, "dlogits");
  return absl::OkStatus();
}

}  // namespace attune
