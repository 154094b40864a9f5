#ifndef ATTUNE_BUILDER_SPEC_H_
#define ATTUNE_BUILDER_SPEC_H_

// The model-spec compiler: the Keras-like JSON of DESIGN.md ("Model spec")
// to the graph IR. Used by `attune compile` and by apps that build a model
// at run time.
//
// A spec is sequential: one input, then `layers` applied in order. Layer
// types: dense, conv2d, depthwise_conv2d, max_pool2d, avg_pool2d,
// global_avg_pool, flatten, reshape, dropout, batch_norm, activation and the
// activation layers relu, relu6, sigmoid, tanh, softmax, leaky_relu, elu,
// gelu, hard_swish. Each op follows engine/kernels/OPS.md.
//
// The compiled graph has one signature, `infer`: the spec's input by name;
// output `logits` (the last layer's output) and, when the spec's "loss" is
// softmax_cross_entropy, `probabilities` = softmax(logits).
//
// Weights are constant tensors named "<layer>/<param>" (dense kernel
// [in, out] + bias; conv2d kernel [kh, kw, in, out] + bias; depthwise_conv2d
// kernel [kh, kw, in, multiplier] + bias; batch_norm gamma, beta,
// moving_mean, moving_variance), filled at compile time by InitialValues()
// from the spec's "seed". Each is also recorded in Graph::variables (same
// name, initializer, per-variable seed, the layer's "trainable" flag) so
// that a later pass can turn it into a resource variable. The spec text is
// kept in the metadata entry kSpecMetadataKey; "loss" and "optimizer" are
// checked and preserved there.

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/graph.h"

namespace attune {

inline constexpr char kSpecMetadataKey[] = "attune.spec";

// Compiles `json`. InvalidArgument for malformed JSON (with line and
// column), a missing or wrongly typed field, an unknown layer type or field,
// or values that do not fit (shapes, sizes); messages name the layer as
// `layer #2 ("dense_1", dense)` and the field. When every op of the graph
// has a kernel, the `infer` signature is also prepared once, so the kernels'
// shape rules confirm the declared shapes.
absl::StatusOr<Graph> CompileSpec(absl::string_view json);

// The initial values of `variable` (float32): zeros, ones, or Glorot/He
// uniform/normal from variable.seed, with fans computed from the shape as
// Keras does ([in, out]; [kh, kw, in, out] with the receptive field
// kh*kw). Deterministic across platforms. Unimplemented for
// kConstantBuffer or non-float32 variables; InvalidArgument for a shape
// that is not fully defined.
absl::StatusOr<std::vector<float>> InitialValues(const VariableInfo& variable);

}  // namespace attune

#endif  // ATTUNE_BUILDER_SPEC_H_
