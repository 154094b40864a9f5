// fully_connected -> XNNPACK Fully Connected. Our weight is [in, out]
// (XNN_FLAG_TRANSPOSE_WEIGHTS); x [..., in] keeps its leading dims.
#include "delegates/xnnpack/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace xnn {

absl::Status CheckFullyConnected(const PlanView& view, int step) {
  const Node& node = view.node(step);
  float lo, hi;
  ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
  return CheckWeights(view, step, node);
}

absl::Status DefineFullyConnected(const Node& node, ValueDefiner& v) {
  float lo, hi;
  ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
  ATTUNE_ASSIGN_OR_RETURN(uint32_t in, v.Value(node.inputs[0]));
  ATTUNE_ASSIGN_OR_RETURN(uint32_t w, v.Value(node.inputs[1]));
  uint32_t b = XNN_INVALID_VALUE_ID;
  if (node.inputs.size() > 2 && node.inputs[2] >= 0) {
    ATTUNE_ASSIGN_OR_RETURN(b, v.Value(node.inputs[2]));
  }
  ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
  return XnnCheck(xnn_define_fully_connected(v.subgraph(), lo, hi, in, w, b,
                                             out, XNN_FLAG_TRANSPOSE_WEIGHTS),
                  "fully_connected");
}

}  // namespace xnn
}  // namespace attune
