// reshape, squeeze, expand_dims -> XNNPACK Static Reshape to the output
// shape settled at prepare; pad with static, non-negative paddings and a
// static value -> Static Constant Pad.
#include "delegates/xnnpack/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace xnn {
namespace {

bool HasInput(const Node& node, int i) {
  return i < static_cast<int>(node.inputs.size()) && node.inputs[i] >= 0;
}

}  // namespace

absl::Status CheckReshape(const PlanView& view, int step) {
  const Node& node = view.node(step);
  if (node.op != OpCode::kPad) return absl::OkStatus();
  if (HasInput(node, 2)) {
    const Tensor& value = view.tensor(node.inputs[2]);
    if (!value.is_static || value.dtype != DType::kFloat32) {
      return Refuse("pad value is not a static float32");
    }
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                          StaticInts(view, node, 1, "paddings", {}));
  if (static_cast<int>(pads.size()) != 2 * view.tensor(node.inputs[0]).rank()) {
    return Refuse("paddings do not match the rank");
  }
  for (int64_t p : pads) {
    if (p < 0) return Refuse("negative padding");
  }
  return absl::OkStatus();
}

absl::Status DefineReshape(const Node& node, ValueDefiner& v) {
  xnn_subgraph_t sg = v.subgraph();
  const Tensor& x = v.tensor(node.inputs[0]);
  ATTUNE_ASSIGN_OR_RETURN(uint32_t in, v.Value(node.inputs[0]));
  ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
  if (node.op != OpCode::kPad) {
    const std::vector<size_t> dims = Dims(v.tensor(node.outputs[0]).shape);
    return XnnCheck(
        xnn_define_static_reshape(sg, dims.size(), dims.data(), in, out, 0),
        "static_reshape");
  }
  // CheckReshape accepted static, non-negative [rank, 2] paddings.
  std::vector<int64_t> pads;
  if (HasInput(node, 1)) {
    const Tensor& p = v.tensor(node.inputs[1]);
    for (int64_t k = 0; k < p.num_elements(); ++k) {
      pads.push_back(p.dtype == DType::kInt32 ? p.data_as<int32_t>()[k]
                                              : p.data_as<int64_t>()[k]);
    }
  } else {
    ATTUNE_ASSIGN_OR_RETURN(pads, node.attrs.GetInts("paddings"));
  }
  std::vector<size_t> pre(x.rank()), post(x.rank());
  for (int d = 0; d < x.rank(); ++d) {
    pre[d] = static_cast<size_t>(pads[2 * d]);
    post[d] = static_cast<size_t>(pads[2 * d + 1]);
  }
  double value = 0.0;
  if (HasInput(node, 2)) {
    value = v.tensor(node.inputs[2]).data_as<float>()[0];
  } else {
    ATTUNE_ASSIGN_OR_RETURN(value, node.attrs.GetFloatOr("value", 0.0));
  }
  return XnnCheck(
      xnn_define_static_constant_pad(sg, pre.data(), post.data(),
                                     static_cast<float>(value), in, out, 0),
      "static_constant_pad");
}

}  // namespace xnn
}  // namespace attune
