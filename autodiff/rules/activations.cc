// Unary activations: each has a dedicated *_grad kernel, fed the forward
// output y where the derivative is a function of y (relu, relu6, sigmoid,
// tanh) and the forward input x otherwise (leaky_relu, elu, hard_swish,
// gelu). Attributes (alpha, approximate) are passed through.

#include "autodiff/grad_rule.h"

namespace attune {

absl::Status ActivationGrad(GradContext& ctx, std::vector<int>& dxs) {
  OpCode grad_op;
  bool uses_output = true;
  switch (ctx.node().op) {
    case OpCode::kRelu: grad_op = OpCode::kReluGrad; break;
    case OpCode::kRelu6: grad_op = OpCode::kRelu6Grad; break;
    case OpCode::kSigmoid: grad_op = OpCode::kSigmoidGrad; break;
    case OpCode::kTanh: grad_op = OpCode::kTanhGrad; break;
    case OpCode::kLeakyRelu:
      grad_op = OpCode::kLeakyReluGrad;
      uses_output = false;
      break;
    case OpCode::kElu:
      grad_op = OpCode::kEluGrad;
      uses_output = false;
      break;
    case OpCode::kHardSwish:
      grad_op = OpCode::kHardSwishGrad;
      uses_output = false;
      break;
    case OpCode::kGelu:
      grad_op = OpCode::kGeluGrad;
      uses_output = false;
      break;
    default:
      return ctx.Unimplemented("not an activation");
  }
  dxs[0] = ctx.Op1(grad_op, {ctx.dy(), uses_output ? ctx.y() : ctx.x(0)},
                   ctx.attrs(), "dx");
  return absl::OkStatus();
}

}  // namespace attune
