// y = act(conv2d(x, filter) + bias), x [b,h,w,c], filter [kh,kw,c,o]:
//   g       = act'(dy)                  (relu_grad / ... on y)
//   dx      = conv2d_backprop_input(g, filter, shape(x))
//   dfilter = conv2d_backprop_filter(x, g, filter's shape)
//   dbias   = sum of g over axes [0, 1, 2]
// shape(x) is a shape op folded at prepare time, so a dynamic batch works;
// the filter's shape is a constant when fully known. Strides, dilations and
// padding are passed on; the activation is not.

#include "absl/strings/str_cat.h"
#include "autodiff/grad_rule.h"
#include "autodiff/rules/rule_helpers.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// The node's attributes without "activation" (window attributes only).
Attributes WindowAttributes(const GradContext& ctx) {
  Attributes attrs;
  for (const auto& [name, value] : ctx.attrs().entries()) {
    if (name != "activation") attrs.Set(name, value);
  }
  return attrs;
}

// A constant holding the shape of `tensor` when it is fully known, else a
// shape op.
int StaticShapeOf(GradContext& ctx, int tensor, absl::string_view suffix) {
  const Shape& shape = ctx.info(tensor).shape;
  for (int64_t d : shape) {
    if (d < 0) return ctx.ShapeOf(tensor);
  }
  return ctx.ConstantInts(suffix,
                          std::vector<int64_t>(shape.begin(), shape.end()));
}

}  // namespace

// Shared by conv2d and depthwise_conv2d (depthwise_conv2d.cc).
absl::Status ConvolutionGrad(GradContext& ctx, std::vector<int>& dxs,
                             OpCode backprop_input, OpCode backprop_filter) {
  ATTUNE_ASSIGN_OR_RETURN(int g, FusedActivationGrad(ctx, ctx.dy(), ctx.y()));
  const Attributes attrs = WindowAttributes(ctx);
  dxs[0] = ctx.Op1(backprop_input, {g, ctx.x(1), ctx.ShapeOf(ctx.x(0))}, attrs,
                   "dx");
  dxs[1] = ctx.Op1(backprop_filter,
                   {ctx.x(0), g, StaticShapeOf(ctx, ctx.x(1), "filter_sizes")},
                   attrs, "dfilter");
  if (ctx.has_input(2)) {
    dxs[2] = ctx.Op1(OpCode::kSum, {g}, Attributes().SetInts("axes", {0, 1, 2}),
                     "dbias");
  }
  return absl::OkStatus();
}

absl::Status Conv2dGrad(GradContext& ctx, std::vector<int>& dxs) {
  return ConvolutionGrad(ctx, dxs, OpCode::kConv2dBackpropInput,
                         OpCode::kConv2dBackpropFilter);
}

}  // namespace attune
