#ifndef ATTUNE_DELEGATES_GPU_GPU_DELEGATE_H_
#define ATTUNE_DELEGATES_GPU_GPU_DELEGATE_H_

// The GPU delegate: runs float32 forward ops as OpenCL 1.2 kernels
// (delegates/gpu/kernels.cl, embedded in the binary) on one OpenCL device:
// a real GPU, or pocl's CPU device where there is none (CI).
//
// Ops: fully_connected (tiled GEMM: 64x64 tiles in local memory, 4x4
// outputs per work item; 128x128 and 8x8 when both dims are large),
// conv2d (the same GEMM reading the im2col matrix on the fly) and
// depthwise_conv2d (direct), each with bias and a fused activation (none,
// relu, relu6, sigmoid, tanh); max_pool2d, avg_pool2d, mean over axes {1,2}
// of NHWC (global average pooling); add, sub, mul, div (with those
// activations), maximum, minimum, squared_difference, all with numpy
// broadcasting; relu, relu6, leaky_relu, elu, sigmoid, tanh, hard_swish,
// abs, neg, square, sqrt, exp; softmax over the last axis; reshape,
// squeeze, expand_dims (no copy: the output aliases the input's device
// buffer) and pad (constant, static paddings). Everything else is refused
// with a one-line reason and runs on the reference kernels.
//
// Memory: each partition gets its device buffers at Build (none at Invoke);
// intermediates share pooled buffers by lifetime. Constants and folded
// values are uploaded once per partition; a variable-backed operand is
// uploaded at Build and again only when its variable's version has moved
// (counted as a re-pack in DelegateKernelStats). At Invoke the partition's
// inputs are copied host to device, the kernels run on one in-order queue,
// and the outputs are copied back before Invoke returns; intermediates stay
// on the device.
//
// Tolerance against the reference kernels (float32, no fast-math; measured
// on pocl, tests/delegates/gpu_ops_test.cc): |gpu - ref| <= 1e-4 * |ref| +
// 1e-5 * sqrt(K) for a reduction of K terms (GEMM, convolutions, pooling,
// mean: another summation order and FMA), 1e-5 relative plus 1e-6 for the
// elementwise ops and softmax (OpenCL's exp, tanh and expm1 are within a few
// ulp of the C library's). On pocl the ops used at most 1% of it (0.4% for
// convolutions, 1% for the unary ops); W4 infer on the imported embedder
// (52 convolutions) differs by at most 1.6e-6 in the logits.
//
// Thread-safety: a delegate may be shared by interpreters used from one
// thread at a time (one command queue); its kernels belong to one plan each.

#include <memory>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "delegates/delegate.h"

namespace attune {

// Which OpenCL device the delegate runs on.
enum class GpuDeviceKind {
  kAny,  // the first GPU of any platform, else the first device of any type
  kGpu,  // the first GPU of any platform
  kCpu,  // the first CPU device of any platform (pocl)
};

struct GpuDelegateOptions {
  // Unset: the environment variable ATTUNE_OPENCL_DEVICE (gpu, cpu or any),
  // and kAny when that is unset too.
  std::optional<GpuDeviceKind> device;
};

// "gpu" | "cpu" | "any"; InvalidArgument naming `value` otherwise.
absl::StatusOr<GpuDeviceKind> ParseGpuDeviceKind(absl::string_view value);

// Picks the OpenCL device and creates its context and queue; the kernels
// are compiled at the first Build (seconds on pocl) and kept. Unavailable,
// listing the platforms and devices found, when no device of the requested
// kind exists; InvalidArgument for a bad ATTUNE_OPENCL_DEVICE; Internal on
// another OpenCL failure.
absl::StatusOr<std::shared_ptr<Delegate>> CreateGpuDelegate(
    const GpuDelegateOptions& options = {});

// The chosen device of a delegate CreateGpuDelegate made, as
// "name (platform, GPU|CPU, OpenCL version)"; "" for any other delegate.
std::string GpuDeviceDescription(const Delegate& delegate);

}  // namespace attune

#endif  // ATTUNE_DELEGATES_GPU_GPU_DELEGATE_H_
