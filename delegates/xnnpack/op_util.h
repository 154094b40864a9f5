#ifndef ATTUNE_DELEGATES_XNNPACK_OP_UTIL_H_
#define ATTUNE_DELEGATES_XNNPACK_OP_UTIL_H_

// Internal to delegates/xnnpack: helpers shared by the per-op mapping files
// and each family's Check (is the step supported? Unimplemented with the
// reason otherwise) and Define (add its XNNPACK nodes) functions. Check runs
// after the common checks of CheckOp (one float32 output, float32 first
// input, ranks <= 6); Define only on steps Check accepted.

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "delegates/xnnpack/xnnpack_ops.h"

namespace attune {
namespace xnn {

inline constexpr float kInf = std::numeric_limits<float>::infinity();

// Unimplemented(why): the refusal reason `attune info` shows.
absl::Status Refuse(absl::string_view why);
// Internal naming the xnn_define_<what> call unless `status` is success.
absl::Status XnnCheck(xnn_status status, absl::string_view what);
// Output clamp [lo, hi] of the "activation" attribute (none, relu, relu6);
// Unimplemented for the others.
absl::Status Clamp(const Attributes& attrs, float& lo, float& hi);
// Ints from static input `index` when present, else attribute `attr`
// (default `dflt`). Unimplemented when the input is computed at run time.
absl::StatusOr<std::vector<int64_t>> StaticInts(const PlanView& view,
                                                const Node& node, int index,
                                                absl::string_view attr,
                                                std::vector<int64_t> dflt);
// Every input past the first is static or a variable valid at `step`
// (XNNPACK packs weights and biases when the runtime is created).
absl::Status CheckWeights(const PlanView& view, int step, const Node& node);
std::vector<size_t> Dims(const Shape& shape);

// A sliding window's geometry with explicit padding.
struct Window {
  uint32_t kh, kw, sh, sw, dh, dw;
  uint32_t top, bottom, left, right;
};
// From attributes strides (default [1,1], or the window for pooling),
// dilations ([1,1]) and padding, and the prepared shapes of NHWC x and y:
// SAME pads TensorFlow-style, the extra row/column at the bottom/right.
absl::StatusOr<Window> GetWindow(const Node& node, const Tensor& x,
                                 const Tensor& y, int64_t kh, int64_t kw,
                                 bool pool);

// fully_connected.cc
absl::Status CheckFullyConnected(const PlanView& view, int step);
absl::Status DefineFullyConnected(const Node& node, ValueDefiner& v);
// conv2d.cc: conv2d and depthwise_conv2d.
absl::Status CheckConv2d(const PlanView& view, int step);
absl::Status DefineConv2d(const Node& node, ValueDefiner& v);
// pool2d.cc: max_pool2d, avg_pool2d, and mean over {1,2} as global average
// pooling.
absl::Status CheckPool2d(const PlanView& view, int step);
absl::Status DefinePool2d(const Node& node, ValueDefiner& v);
// binary.cc: add, sub, mul, div, maximum, minimum, squared_difference.
absl::Status CheckBinary(const PlanView& view, int step);
absl::Status DefineBinary(const Node& node, ValueDefiner& v);
// unary.cc: relu, relu6, leaky_relu, elu, sigmoid, hard_swish, abs, neg,
// square, sqrt, softmax.
absl::Status CheckUnary(const PlanView& view, int step);
absl::Status DefineUnary(const Node& node, ValueDefiner& v);
// reshape.cc: reshape, squeeze, expand_dims, pad.
absl::Status CheckReshape(const PlanView& view, int step);
absl::Status DefineReshape(const Node& node, ValueDefiner& v);

}  // namespace xnn
}  // namespace attune

#endif  // ATTUNE_DELEGATES_XNNPACK_OP_UTIL_H_
