#ifndef ATTUNE_ENGINE_KERNELS_ACTIVATION_H_
#define ATTUNE_ENGINE_KERNELS_ACTIVATION_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "engine/kernels/kernel.h"

namespace attune {

// Activation fused into fully_connected, conv2d, depthwise_conv2d and the
// binary ops, named by their "activation" string attribute.
enum class FusedActivation { kNone, kRelu, kRelu6, kSigmoid, kTanh };

// Reads attribute "activation" ("none" when absent; also "relu", "relu6",
// "sigmoid", "tanh"). InvalidArgument naming the node for anything else.
absl::StatusOr<FusedActivation> GetFusedActivation(const NodeContext& ctx);

// Applies `act` in place to n floats.
void ApplyActivation(FusedActivation act, float* data, int64_t n);

}  // namespace attune

#endif  // ATTUNE_ENGINE_KERNELS_ACTIVATION_H_
