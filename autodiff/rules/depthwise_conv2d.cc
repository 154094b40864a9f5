// y = act(depthwise_conv2d(x, filter) + bias), filter [kh,kw,c,m]: as
// conv2d (conv2d.cc) with the depthwise backprop kernels:
//   g       = act'(dy)
//   dx      = depthwise_conv2d_backprop_input(g, filter, shape(x))
//   dfilter = depthwise_conv2d_backprop_filter(x, g, filter's shape)
//   dbias   = sum of g over axes [0, 1, 2]

#include "autodiff/grad_rule.h"

namespace attune {

// conv2d.cc
absl::Status ConvolutionGrad(GradContext& ctx, std::vector<int>& dxs,
                             OpCode backprop_input, OpCode backprop_filter);

absl::Status DepthwiseConv2dGrad(GradContext& ctx, std::vector<int>& dxs) {
  return ConvolutionGrad(ctx, dxs, OpCode::kDepthwiseConv2dBackpropInput,
                         OpCode::kDepthwiseConv2dBackpropFilter);
}

}  // namespace attune
