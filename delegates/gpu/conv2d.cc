// conv2d -> the gemm kernel as an implicit GEMM: the im2col matrix of x
// ([b*oh*ow, kh*kw*c]) is read on the fly, so no scratch buffer; the filter
// [kh, kw, c, o] is already the row-major [kh*kw*c, o] B matrix. A 1x1,
// stride-1, unpadded conv is a plain GEMM on x. depthwise_conv2d -> a
// direct kernel, one work item per output element.
#include "delegates/gpu/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace gpu {

absl::Status CheckConv2d(const PlanView& view, int step) {
  const Node& node = view.node(step);
  ATTUNE_RETURN_IF_ERROR(GetActivation(node.attrs).status());
  const Tensor& x = view.tensor(node.inputs[0]);
  const Tensor& f = view.tensor(node.inputs[1]);
  const Tensor& y = view.tensor(node.outputs[0]);
  if (x.rank() != 4 || f.rank() != 4 || y.rank() != 4) {
    return Refuse("x, filter or y is not rank 4");
  }
  const bool depthwise = node.op == OpCode::kDepthwiseConv2d;
  if (f.dim(2) != x.dim(3) ||
      y.dim(3) != (depthwise ? f.dim(2) * f.dim(3) : f.dim(3))) {
    return Refuse("filter channels do not match x or y");
  }
  return GetWindow(node, x, y, f.dim(0), f.dim(1), false).status();
}

absl::StatusOr<Lowered> LowerConv2d(const Node& node,
                                    const std::vector<Tensor>& t) {
  ATTUNE_ASSIGN_OR_RETURN(Activation act, GetActivation(node.attrs));
  const Tensor& x = t[node.inputs[0]];
  const Tensor& f = t[node.inputs[1]];
  const Tensor& y = t[node.outputs[0]];
  ATTUNE_ASSIGN_OR_RETURN(Window w,
                          GetWindow(node, x, y, f.dim(0), f.dim(1), false));
  const int bias = HasInput(node, 2) ? node.inputs[2] : -1;
  const auto i32 = [](int64_t v) { return static_cast<int32_t>(v); };
  Lowered out;
  if (node.op == OpCode::kDepthwiseConv2d) {
    std::vector<int32_t> g = {i32(x.dim(0)), i32(x.dim(1)), i32(x.dim(2)),
                              i32(x.dim(3)), i32(y.dim(1)), i32(y.dim(2)),
                              w.kh,          w.kw,          w.sh,
                              w.sw,          w.dh,          w.dw,
                              w.top,         w.left,        i32(f.dim(3))};
    std::vector<KernelArg> args = {
        KernelArg::Tensor(node.inputs[0]), KernelArg::Tensor(node.inputs[1]),
        KernelArg::Tensor(bias), KernelArg::Int(bias >= 0),
        KernelArg::Tensor(node.outputs[0])};
    AddActivationArgs(act, args);
    args.push_back(KernelArg::Geometry(std::move(g)));
    out.launches.push_back(
        Launch1d("depthwise_conv2d", y.num_elements(), std::move(args)));
    return out;
  }
  const int64_t m = y.dim(0) * y.dim(1) * y.dim(2);
  const int64_t k = f.dim(0) * f.dim(1) * f.dim(2);
  const bool pointwise = w.kh == 1 && w.kw == 1 && w.sh == 1 && w.sw == 1 &&
                         w.top == 0 && w.left == 0 && y.dim(1) == x.dim(1) &&
                         y.dim(2) == x.dim(2);
  std::vector<int32_t> g;
  if (!pointwise) {
    g = {i32(x.dim(1)), i32(x.dim(2)), i32(x.dim(3)), i32(y.dim(1)),
         i32(y.dim(2)), w.kw,          w.sh,          w.sw,
         w.dh,          w.dw,          w.top,         w.left};
  }
  out.launches.push_back(GemmLaunch(node.inputs[0], node.inputs[1], bias,
                                    node.outputs[0], m, f.dim(3), k, act,
                                    std::move(g)));
  return out;
}

}  // namespace gpu
}  // namespace attune
