// relu, relu6 -> XNNPACK Clamp; leaky_relu (alpha 0.2), elu (alpha 1.0),
// sigmoid, hard_swish, abs, neg, square, sqrt -> the matching nodes;
// softmax over the last axis with beta 1 -> SoftMax.
#include "delegates/xnnpack/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace xnn {

absl::Status CheckUnary(const PlanView& view, int step) {
  const Node& node = view.node(step);
  if (node.op != OpCode::kSoftmax) return absl::OkStatus();
  const int rank = view.tensor(node.inputs[0]).rank();
  ATTUNE_ASSIGN_OR_RETURN(int64_t axis, node.attrs.GetIntOr("axis", -1));
  ATTUNE_ASSIGN_OR_RETURN(double beta, node.attrs.GetFloatOr("beta", 1.0));
  if (rank < 1 || (axis != -1 && axis != rank - 1) || beta != 1.0) {
    return Refuse("softmax over a non-last axis or with beta != 1");
  }
  return absl::OkStatus();
}

absl::Status DefineUnary(const Node& node, ValueDefiner& v) {
  xnn_subgraph_t sg = v.subgraph();
  ATTUNE_ASSIGN_OR_RETURN(uint32_t in, v.Value(node.inputs[0]));
  ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
  switch (node.op) {
    case OpCode::kRelu:
      return XnnCheck(xnn_define_clamp(sg, 0.0f, kInf, in, out, 0), "clamp");
    case OpCode::kRelu6:
      return XnnCheck(xnn_define_clamp(sg, 0.0f, 6.0f, in, out, 0), "clamp");
    case OpCode::kLeakyRelu: {
      ATTUNE_ASSIGN_OR_RETURN(double alpha,
                              node.attrs.GetFloatOr("alpha", 0.2));
      return XnnCheck(
          xnn_define_leaky_relu(sg, static_cast<float>(alpha), in, out, 0),
          "leaky_relu");
    }
    case OpCode::kElu: {
      ATTUNE_ASSIGN_OR_RETURN(double alpha,
                              node.attrs.GetFloatOr("alpha", 1.0));
      return XnnCheck(xnn_define_elu(sg, static_cast<float>(alpha), in, out, 0),
                      "elu");
    }
    case OpCode::kSigmoid:
      return XnnCheck(xnn_define_sigmoid(sg, in, out, 0), "sigmoid");
    case OpCode::kHardSwish:
      return XnnCheck(xnn_define_hardswish(sg, in, out, 0), "hardswish");
    case OpCode::kAbs:
      return XnnCheck(xnn_define_abs(sg, in, out, 0), "abs");
    case OpCode::kNeg:
      return XnnCheck(xnn_define_negate(sg, in, out, 0), "negate");
    case OpCode::kSquare:
      return XnnCheck(xnn_define_square(sg, in, out, 0), "square");
    case OpCode::kSqrt:
      return XnnCheck(xnn_define_square_root(sg, in, out, 0), "square_root");
    default:
      return XnnCheck(xnn_define_softmax(sg, in, out, 0), "softmax");
  }
}

}  // namespace xnn
}  // namespace attune
