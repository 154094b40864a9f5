#ifndef ATTUNE_DELEGATES_GPU_OP_UTIL_H_
#define ATTUNE_DELEGATES_GPU_OP_UTIL_H_

// Internal to delegates/gpu: helpers shared by the per-family mapping files
// and each family's Check (is the step supported? Unimplemented with the
// reason otherwise) and Lower (its kernel launches) functions. Check runs
// after the common checks of CheckOp (one float32 output, float32 tensor
// inputs, ranks <= 6, element counts below 2^31); Lower only on nodes Check
// accepted.

#include <cstdint>
#include <limits>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "delegates/gpu/gpu_ops.h"

namespace attune {
namespace gpu {

inline constexpr float kInf = std::numeric_limits<float>::infinity();
inline constexpr int kMaxRank = 6;
// Work-group size of the 1-D elementwise launches.
inline constexpr size_t kGroup1d = 64;

// Unimplemented(why): the refusal reason `attune info` shows.
absl::Status Refuse(absl::string_view why);
// The "activation" attribute (none, relu, relu6, sigmoid, tanh) as
// kernels.cl's Activate arguments: code 0 clamps to [lo, hi], 1 is
// sigmoid, 2 tanh. InvalidArgument for another name.
struct Activation {
  int32_t code = 0;
  float lo = -kInf;
  float hi = kInf;
};
absl::StatusOr<Activation> GetActivation(const Attributes& attrs);
// Appends Activate's three kernel arguments.
void AddActivationArgs(const Activation& act, std::vector<KernelArg>& args);
// Ints from static input `index` when present, else attribute `attr`
// (default `dflt`). Unimplemented when the input is computed at run time.
absl::StatusOr<std::vector<int64_t>> StaticInts(
    const std::vector<Tensor>& tensors, const Node& node, int index,
    absl::string_view attr, std::vector<int64_t> dflt);
bool HasInput(const Node& node, int index);
// A 1-D launch of `kernel` over n items (rounded up to the work-group).
Launch Launch1d(const char* kernel, int64_t n, std::vector<KernelArg> args);

// A sliding window's geometry; padding as the top/left offsets.
struct Window {
  int32_t kh, kw, sh, sw, dh, dw, top, left;
};
// From attributes strides (default [1,1], or the window for pooling),
// dilations ([1,1]) and padding ("valid"/"same"), and the prepared shapes of
// NHWC x and y: SAME pads TensorFlow-style, the smaller half at the top/left.
absl::StatusOr<Window> GetWindow(const Node& node, const Tensor& x,
                                 const Tensor& y, int64_t kh, int64_t kw,
                                 bool pool);

// fully_connected.cc
// The gemm launch y [m, n] = act(a [m, k] * w [k, n] + bias) (bias -1:
// none). With conv geometry `g` (kernels.cl), a is the NHWC image
// whose im2col matrix the kernel reads on the fly.
Launch GemmLaunch(int a, int w, int bias, int y, int64_t m, int64_t n,
                  int64_t k, const Activation& act, std::vector<int32_t> g);
absl::Status CheckFullyConnected(const PlanView& view, int step);
absl::StatusOr<Lowered> LowerFullyConnected(const Node& node,
                                            const std::vector<Tensor>& t);
// conv2d.cc: conv2d (implicit GEMM) and depthwise_conv2d (direct).
absl::Status CheckConv2d(const PlanView& view, int step);
absl::StatusOr<Lowered> LowerConv2d(const Node& node,
                                    const std::vector<Tensor>& t);
// pool2d.cc: max_pool2d, avg_pool2d, and mean over {1,2} of NHWC.
absl::Status CheckPool2d(const PlanView& view, int step);
absl::StatusOr<Lowered> LowerPool2d(const Node& node,
                                    const std::vector<Tensor>& t);
// elementwise.cc: add, sub, mul, div, maximum, minimum, squared_difference;
// relu, relu6, leaky_relu, elu, sigmoid, tanh, hard_swish, abs, neg,
// square, sqrt, exp; softmax over the last axis.
absl::Status CheckElementwise(const PlanView& view, int step);
absl::StatusOr<Lowered> LowerElementwise(const Node& node,
                                         const std::vector<Tensor>& t);
// reshape.cc: reshape, squeeze, expand_dims (aliases), pad (constant).
absl::Status CheckReshape(const PlanView& view, int step);
absl::StatusOr<Lowered> LowerReshape(const Node& node,
                                     const std::vector<Tensor>& t);

}  // namespace gpu
}  // namespace attune

#endif  // ATTUNE_DELEGATES_GPU_OP_UTIL_H_
