// reshape, squeeze, expand_dims -> no kernel: the output aliases the
// input's device buffer with the shape settled at prepare. pad with static,
// non-negative paddings and a static value -> the pad kernel.
#include "delegates/gpu/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace gpu {
namespace {

absl::StatusOr<float> PadValue(const std::vector<Tensor>& t, const Node& node) {
  if (!HasInput(node, 2)) {
    ATTUNE_ASSIGN_OR_RETURN(double v, node.attrs.GetFloatOr("value", 0.0));
    return static_cast<float>(v);
  }
  const Tensor& value = t[node.inputs[2]];
  if (!value.is_static || value.dtype != DType::kFloat32 ||
      value.num_elements() != 1) {
    return Refuse("pad value is not a static float32 scalar");
  }
  return value.data_as<float>()[0];
}

}  // namespace

absl::Status CheckReshape(const PlanView& view, int step) {
  const Node& node = view.node(step);
  if (node.op != OpCode::kPad) {
    if (view.tensor(node.inputs[0]).num_elements() !=
        view.tensor(node.outputs[0]).num_elements()) {
      return Refuse("reshape changes the element count");
    }
    return absl::OkStatus();
  }
  ATTUNE_RETURN_IF_ERROR(PadValue(*view.tensors, node).status());
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                          StaticInts(*view.tensors, node, 1, "paddings", {}));
  if (static_cast<int>(pads.size()) != 2 * view.tensor(node.inputs[0]).rank()) {
    return Refuse("paddings do not match the rank");
  }
  for (int64_t p : pads) {
    if (p < 0) return Refuse("negative padding");
  }
  return absl::OkStatus();
}

absl::StatusOr<Lowered> LowerReshape(const Node& node,
                                     const std::vector<Tensor>& t) {
  Lowered out;
  if (node.op != OpCode::kPad) {
    out.alias_of = node.inputs[0];
    return out;
  }
  const Tensor& x = t[node.inputs[0]];
  const Tensor& y = t[node.outputs[0]];
  ATTUNE_ASSIGN_OR_RETURN(float value, PadValue(t, node));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> pads,
                          StaticInts(t, node, 1, "paddings", {}));
  std::vector<int32_t> g;
  for (int64_t d : y.shape) g.push_back(static_cast<int32_t>(d));
  for (int64_t d : x.shape) g.push_back(static_cast<int32_t>(d));
  for (int d = 0; d < x.rank(); ++d) {
    g.push_back(static_cast<int32_t>(pads[2 * d]));
  }
  if (g.empty()) g.push_back(0);
  out.launches.push_back(Launch1d(
      "pad", y.num_elements(),
      {KernelArg::Tensor(node.inputs[0]), KernelArg::Tensor(node.outputs[0]),
       KernelArg::Int(y.num_elements()), KernelArg::Int(x.rank()),
       KernelArg::Geometry(std::move(g)), KernelArg::Float(value)}));
  return out;
}

}  // namespace gpu
}  // namespace attune
