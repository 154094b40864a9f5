// max_pool2d, avg_pool2d -> XNNPACK Max / Average Pooling 2D (explicit
// padding; padded elements never count, as in the reference kernels);
// mean over axes {1,2} of NHWC -> Global Average Pooling 2D, whose
// [n,1,1,c] result is reshaped when keepdims is 0.
#include <algorithm>

#include "delegates/xnnpack/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace xnn {

absl::Status CheckPool2d(const PlanView& view, int step) {
  const Node& node = view.node(step);
  const Tensor& x = view.tensor(node.inputs[0]);
  if (node.op == OpCode::kMean) {
    ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> axes,
                            StaticInts(view, node, 1, "axes", {}));
    for (int64_t& a : axes) {
      if (a < 0) a += x.rank();
    }
    std::sort(axes.begin(), axes.end());
    if (x.rank() != 4 || axes != std::vector<int64_t>{1, 2}) {
      return Refuse("mean other than over axes {1,2} of NHWC");
    }
    return absl::OkStatus();
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> k, node.attrs.GetInts("ksize"));
  if (k.size() != 2 || k[0] * k[1] <= 1) {
    return Refuse("pooling window of one element");
  }
  return GetWindow(node, x, view.tensor(node.outputs[0]), k[0], k[1], true)
      .status();
}

absl::Status DefinePool2d(const Node& node, ValueDefiner& v) {
  xnn_subgraph_t sg = v.subgraph();
  const Tensor& x = v.tensor(node.inputs[0]);
  const Tensor& y = v.tensor(node.outputs[0]);
  ATTUNE_ASSIGN_OR_RETURN(uint32_t in, v.Value(node.inputs[0]));
  ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
  if (node.op == OpCode::kMean) {
    if (y.rank() == 4) {
      return XnnCheck(
          xnn_define_global_average_pooling_2d(sg, -kInf, kInf, in, out, 0),
          "global_average_pooling_2d");
    }
    ATTUNE_ASSIGN_OR_RETURN(
        uint32_t pooled, v.InternalValue({static_cast<size_t>(x.dim(0)), 1, 1,
                                          static_cast<size_t>(x.dim(3))}));
    ATTUNE_RETURN_IF_ERROR(XnnCheck(
        xnn_define_global_average_pooling_2d(sg, -kInf, kInf, in, pooled, 0),
        "global_average_pooling_2d"));
    const std::vector<size_t> dims = Dims(y.shape);
    return XnnCheck(
        xnn_define_static_reshape(sg, dims.size(), dims.data(), pooled, out, 0),
        "static_reshape");
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> k, node.attrs.GetInts("ksize"));
  ATTUNE_ASSIGN_OR_RETURN(Window w, GetWindow(node, x, y, k[0], k[1], true));
  if (node.op == OpCode::kMaxPool2d) {
    return XnnCheck(xnn_define_max_pooling_2d(sg, w.top, w.right, w.bottom,
                                              w.left, w.kh, w.kw, w.sh, w.sw, 1,
                                              1, -kInf, kInf, in, out, 0),
                    "max_pooling_2d");
  }
  return XnnCheck(
      xnn_define_average_pooling_2d(sg, w.top, w.right, w.bottom, w.left, w.kh,
                                    w.kw, w.sh, w.sw, -kInf, kInf, in, out, 0),
      "average_pooling_2d");
}

}  // namespace xnn
}  // namespace attune
