// max_pool2d, avg_pool2d -> the pool2d kernel (padding never counts, as in
// the reference kernels); mean over axes {1,2} of NHWC (global average
// pooling, keepdims either way: same memory) -> mean_hw.
#include <algorithm>

#include "delegates/gpu/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace gpu {

absl::Status CheckPool2d(const PlanView& view, int step) {
  const Node& node = view.node(step);
  const Tensor& x = view.tensor(node.inputs[0]);
  if (x.rank() != 4) return Refuse("x is not NHWC");
  if (node.op == OpCode::kMean) {
    ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> axes,
                            StaticInts(*view.tensors, node, 1, "axes", {}));
    for (int64_t& a : axes) {
      if (a < 0) a += x.rank();
    }
    std::sort(axes.begin(), axes.end());
    if (axes != std::vector<int64_t>{1, 2}) {
      return Refuse("mean other than over axes {1,2} of NHWC");
    }
    return absl::OkStatus();
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> k, node.attrs.GetInts("ksize"));
  if (k.size() != 2) return Refuse("ksize is not a pair");
  return GetWindow(node, x, view.tensor(node.outputs[0]), k[0], k[1], true)
      .status();
}

absl::StatusOr<Lowered> LowerPool2d(const Node& node,
                                    const std::vector<Tensor>& t) {
  const Tensor& x = t[node.inputs[0]];
  const Tensor& y = t[node.outputs[0]];
  const auto i32 = [](int64_t v) { return static_cast<int32_t>(v); };
  Lowered out;
  if (node.op == OpCode::kMean) {
    out.launches.push_back(Launch1d(
        "mean_hw", x.dim(0) * x.dim(3),
        {KernelArg::Tensor(node.inputs[0]), KernelArg::Tensor(node.outputs[0]),
         KernelArg::Int(x.dim(0)), KernelArg::Int(x.dim(1) * x.dim(2)),
         KernelArg::Int(x.dim(3))}));
    return out;
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> k, node.attrs.GetInts("ksize"));
  ATTUNE_ASSIGN_OR_RETURN(Window w, GetWindow(node, x, y, k[0], k[1], true));
  std::vector<int32_t> g = {i32(x.dim(0)), i32(x.dim(1)), i32(x.dim(2)),
                            i32(x.dim(3)), i32(y.dim(1)), i32(y.dim(2)),
                            w.kh,          w.kw,          w.sh,
                            w.sw,          w.top,         w.left};
  out.launches.push_back(Launch1d(
      "pool2d", y.num_elements(),
      {KernelArg::Tensor(node.inputs[0]), KernelArg::Tensor(node.outputs[0]),
       KernelArg::Int(node.op == OpCode::kMaxPool2d ? 1 : 0),
       KernelArg::Geometry(std::move(g))}));
  return out;
}

}  // namespace gpu
}  // namespace attune
