// conv2d and depthwise_conv2d -> XNNPACK Convolution 2D / Depthwise
// Convolution 2D with explicit (TensorFlow SAME or zero) padding. Filters
// are rearranged for XNNPACK each time the runtime is created: conv2d
// [kh, kw, c, o] -> [o, kh, kw, c]; depthwise [kh, kw, c, m] is already
// XNNPACK's [1, kh, kw, c*m] in memory.
#include <cstring>

#include "delegates/xnnpack/op_util.h"
#include "engine/status_macros.h"

namespace attune {
namespace xnn {
namespace {

void HwioToOhwi(const Tensor& f, const float* src, float* dst) {
  const int64_t khkwc = f.dim(0) * f.dim(1) * f.dim(2);
  const int64_t o = f.dim(3);
  for (int64_t i = 0; i < khkwc; ++i) {
    for (int64_t j = 0; j < o; ++j) dst[j * khkwc + i] = src[i * o + j];
  }
}

void Copy(const Tensor& f, const float* src, float* dst) {
  std::memcpy(dst, src, static_cast<size_t>(f.num_elements()) * sizeof(float));
}

}  // namespace

absl::Status CheckConv2d(const PlanView& view, int step) {
  const Node& node = view.node(step);
  float lo, hi;
  ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
  ATTUNE_RETURN_IF_ERROR(CheckWeights(view, step, node));
  const Tensor& f = view.tensor(node.inputs[1]);
  return GetWindow(node, view.tensor(node.inputs[0]),
                   view.tensor(node.outputs[0]), f.dim(0), f.dim(1), false)
      .status();
}

absl::Status DefineConv2d(const Node& node, ValueDefiner& v) {
  float lo, hi;
  ATTUNE_RETURN_IF_ERROR(Clamp(node.attrs, lo, hi));
  const Tensor& f = v.tensor(node.inputs[1]);
  ATTUNE_ASSIGN_OR_RETURN(Window w, GetWindow(node, v.tensor(node.inputs[0]),
                                              v.tensor(node.outputs[0]),
                                              f.dim(0), f.dim(1), false));
  const bool depthwise = node.op == OpCode::kDepthwiseConv2d;
  const size_t kh = f.dim(0), kw = f.dim(1), c = f.dim(2), o = f.dim(3);
  ATTUNE_ASSIGN_OR_RETURN(uint32_t in, v.Value(node.inputs[0]));
  uint32_t filter;
  if (depthwise) {
    ATTUNE_ASSIGN_OR_RETURN(
        filter, v.PackedValue(node.inputs[1], {1, kh, kw, c * o}, Copy));
  } else {
    ATTUNE_ASSIGN_OR_RETURN(
        filter, v.PackedValue(node.inputs[1], {o, kh, kw, c}, HwioToOhwi));
  }
  uint32_t b = XNN_INVALID_VALUE_ID;
  if (node.inputs.size() > 2 && node.inputs[2] >= 0) {
    ATTUNE_ASSIGN_OR_RETURN(b, v.Value(node.inputs[2]));
  }
  ATTUNE_ASSIGN_OR_RETURN(uint32_t out, v.Value(node.outputs[0]));
  if (depthwise) {
    return XnnCheck(xnn_define_depthwise_convolution_2d(
                        v.subgraph(), w.top, w.right, w.bottom, w.left, w.kh,
                        w.kw, w.sh, w.sw, w.dh, w.dw, static_cast<uint32_t>(o),
                        c, lo, hi, in, filter, b, out, 0),
                    "depthwise_convolution_2d");
  }
  return XnnCheck(
      xnn_define_convolution_2d(v.subgraph(), w.top, w.right, w.bottom, w.left,
                                w.kh, w.kw, w.sh, w.sw, w.dh, w.dw, 1, c, o, lo,
                                hi, in, filter, b, out, 0),
      "convolution_2d");
}

}  // namespace xnn
}  // namespace attune
