// add, sub, mul, div (with a relu/relu6 activation as the output clamp),
// maximum, minimum, squared_difference -> XNNPACK's binary nodes, which
// broadcast numpy-style like the reference kernels.
#include "delegates/xnnpack/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace xnn {

absl::Status CheckBinary(const PlanView& view, int step) {
  const Node& node = view.node(step);
  const Tensor& b = view.tensor(node.inputs[1]);
  if (b.dtype != DType::kFloat32) return Refuse("input is not float32");
  if (b.rank() > XNN_MAX_TENSOR_DIMS) return Refuse("rank above 6");
  float lo, hi;
  return Clamp(node.attrs, lo, hi);
}

absl::Status DefineBinary(const Node& node, ValueDefiner& v) {
  xnn_subgraph_t sg = v.subgraph();
  float lo, hi;
  ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
  ATTUNE_ASSIGN_OR_RETURN(uint32_t a, v.Value(node.inputs[0]));
  ATTUNE_ASSIGN_OR_RETURN(uint32_t b, v.Value(node.inputs[1]));
  ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
  switch (node.op) {
    case OpCode::kAdd:
      return XnnCheck(xnn_define_add2(sg, lo, hi, a, b, out, 0), "add2");
    case OpCode::kSub:
      return XnnCheck(xnn_define_subtract(sg, lo, hi, a, b, out, 0),
                      "subtract");
    case OpCode::kMul:
      return XnnCheck(xnn_define_multiply2(sg, lo, hi, a, b, out, 0),
                      "multiply2");
    case OpCode::kDiv:
      return XnnCheck(xnn_define_divide(sg, lo, hi, a, b, out, 0), "divide");
    case OpCode::kMaximum:
      return XnnCheck(xnn_define_maximum2(sg, a, b, out, 0), "maximum2");
    case OpCode::kMinimum:
      return XnnCheck(xnn_define_minimum2(sg, a, b, out, 0), "minimum2");
    default:
      return XnnCheck(xnn_define_squared_difference(sg, a, b, out, 0),
                      "squared_difference");
  }
}

}  // namespace xnn
}  // namespace attune
