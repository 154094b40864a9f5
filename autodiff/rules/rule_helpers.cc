#include "autodiff/rules/rule_helpers.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace attune {

absl::StatusOr<int> FusedActivationGrad(GradContext& ctx, int dy, int y) {
  absl::StatusOr<std::string> act = ctx.attrs().GetStringOr("activation", "none");
  if (!act.ok()) return act.status();
  if (*act == "none" || act->empty()) return dy;
  OpCode grad_op;
  if (*act == "relu") {
    grad_op = OpCode::kReluGrad;
  } else if (*act == "relu6") {
    grad_op = OpCode::kRelu6Grad;
  } else if (*act == "sigmoid") {
    grad_op = OpCode::kSigmoidGrad;
  } else if (*act == "tanh") {
    grad_op = OpCode::kTanhGrad;
  } else {
    return ctx.Unimplemented(absl::StrCat("fused activation \"", *act, "\""));
  }
  return ctx.Op1(grad_op, {dy, y}, {}, "activation_grad");
}

absl::StatusOr<std::vector<int64_t>> ReductionAxes(const GradContext& ctx) {
  const int rank = static_cast<int>(ctx.info(ctx.x(0)).shape.size());
  std::vector<int64_t> axes;
  if (ctx.has_input(1)) {
    const TensorInfo& info = ctx.info(ctx.x(1));
    if (info.buffer < 0) {
      return ctx.Unimplemented("reduction axes must be a constant");
    }
    const ConstantBuffer& buffer = ctx.builder().graph().buffers[info.buffer];
    const size_t n = buffer.size / DTypeSize(info.dtype);
    for (size_t i = 0; i < n; ++i) {
      if (info.dtype == DType::kInt32) {
        int32_t v;
        std::memcpy(&v, buffer.data + 4 * i, 4);
        axes.push_back(v);
      } else {
        int64_t v;
        std::memcpy(&v, buffer.data + 8 * i, 8);
        axes.push_back(v);
      }
    }
  } else if (ctx.attrs().Has("axes")) {
    absl::StatusOr<std::vector<int64_t>> attr = ctx.attrs().GetInts("axes");
    if (!attr.ok()) return attr.status();
    axes = *attr;
  } else {
    for (int a = 0; a < rank; ++a) axes.push_back(a);
  }
  for (int64_t& a : axes) {
    if (a < 0) a += rank;
  }
  std::sort(axes.begin(), axes.end());
  return axes;
}

absl::StatusOr<int> BroadcastBack(GradContext& ctx, int dy, int x,
                                  const std::vector<int64_t>& axes) {
  const Shape& x_shape = ctx.info(x).shape;
  std::vector<int64_t> kept(x_shape.begin(), x_shape.end());
  int dynamic = 0;
  for (int64_t a : axes) kept[a] = 1;
  for (int64_t d : kept) dynamic += d < 0 ? 1 : 0;
  if (dynamic > 1) {
    return ctx.Unimplemented(
        "reduction gradient of a tensor with several dynamic dims");
  }
  const int reshaped = ctx.Op1(
      OpCode::kReshape, {dy, ctx.ConstantInts("kept_shape", kept)});
  return ctx.Op1(OpCode::kBroadcastTo, {reshaped, ctx.ShapeOf(x)});
}

}  // namespace attune
