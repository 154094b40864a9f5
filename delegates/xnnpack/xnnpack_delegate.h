#ifndef ATTUNE_DELEGATES_XNNPACK_XNNPACK_DELEGATE_H_
#define ATTUNE_DELEGATES_XNNPACK_XNNPACK_DELEGATE_H_

// The XNNPACK delegate: runs float32 forward ops on the system libxnnpack
// (Debian's 2022 subgraph API) with the interpreter's pthreadpool.
//
// Ops: fully_connected, conv2d, depthwise_conv2d (activation none, relu or
// relu6), max_pool2d and avg_pool2d (windows larger than 1x1), mean over
// axes {1,2} of NHWC (global average pooling), add, sub, mul, div (with
// those activations), maximum, minimum, squared_difference, relu, relu6,
// leaky_relu, elu, sigmoid, hard_swish, abs, neg, square, sqrt, softmax
// (last axis, beta 1), reshape, squeeze, expand_dims and pad (constant,
// static paddings). Weights, biases and other operands must be constants,
// folded values or variables; a variable is re-packed (the partition's
// runtime rebuilt) only when its version has moved since the last pack.
//
// Tolerance against the reference kernels: |xnn - ref| <= 1e-4 * |ref| +
// 1e-5 * sqrt(K) for a reduction of K terms (XNNPACK sums in another order
// and uses FMA), and 1e-5 relative for elementwise ops; sigmoid, elu and
// softmax use XNNPACK's polynomial approximations (about 1e-6 relative).
//
// Thread-safety: a delegate may be shared by interpreters used from one
// thread at a time; its kernels belong to one plan each.

#include <memory>

#include "absl/status/statusor.h"
#include "delegates/delegate.h"

namespace attune {

// Initializes XNNPACK once per process. Unavailable when the CPU lacks what
// XNNPACK needs, Internal on another library failure.
absl::StatusOr<std::shared_ptr<Delegate>> CreateXnnpackDelegate();

}  // namespace attune

#endif  // ATTUNE_DELEGATES_XNNPACK_XNNPACK_DELEGATE_H_
