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
// Signatures: `infer` always: the spec's input by name; output `logits`
// (the last layer's output) and, for classifier losses, `probabilities` =
// softmax(logits) (softmax_cross_entropy) or sigmoid(logits)
// (binary_cross_entropy). With both "loss" and "optimizer", also `train`
// and `eval` (and `accumulate` / `apply_gradients` when
// "gradient_accumulation_steps" > 1), built by AddTrainingSignatures: see
// builder/training.h for their contract (label input `y`, outputs `loss`,
// `accuracy`, optimizer variables). Always `save(path)` and `restore(path)`
// (AddCheckpointSignatures in builder/training.h): a string scalar input
// naming the SQLite checkpoint database.
//
// Weights are resource variables named "<layer>/<param>" (dense kernel
// [in, out] + bias; conv2d kernel [kh, kw, in, out] + bias; depthwise_conv2d
// kernel [kh, kw, in, multiplier] + bias; batch_norm gamma, beta,
// moving_mean, moving_variance), each read by a read_variable node whose
// output tensor has the variable's name. Initializers (run by the
// VariableStore through InitializeFloats, variables/initializers.h): Glorot
// uniform kernels, zero biases, batch_norm gamma ones / beta zeros /
// moving_mean zeros / moving_variance ones; each variable's seed derives
// from the spec's "seed" and its index, so weights are reproducible. A
// layer's "trainable": false freezes its variables; batch_norm moving
// statistics are never trainable by gradients.
//
// Training mode (Keras semantics), built only when the spec trains: the
// forward graph holds two paths, infer's and train's (TrainingConfig::
// train_logits), one tensor until the first layer below that behaves
// differently; from there each layer's ops are emitted twice, the training
// copies named "<name>/train", reading the same variable reads.
//   batch_norm (unless frozen): y = (x - mean) * rsqrt(var + epsilon) *
//     gamma + beta with the batch's mean and biased variance over all axes
//     but the last; each train/accumulate call then sets moving_mean /
//     moving_variance := moving * momentum + batch * (1 - momentum)
//     (TrainingConfig::state_updates). A frozen batch_norm runs in
//     inference mode in every signature, as in Keras.
//   dropout (rate > 0): y = x * random_mask(shape(x), counter)
//     (engine/kernels/OPS.md), with a seed per layer from the spec's seed
//     and the layer name, and counter the int64 variable "random/counter"
//     (zeros, not trainable), advanced by 1 per train/accumulate call.
//     infer and eval use the identity.
// The spec text is kept in the metadata entry kSpecMetadataKey.
//
// Spec fields beyond DESIGN.md's example (all optional):
//   "loss": {"type": softmax_cross_entropy | binary_cross_entropy
//            (alias sigmoid_cross_entropy) | mean_squared_error (mse) |
//            mean_absolute_error (l1) | huber,
//            "labels": "sparse" | "one_hot" (softmax_cross_entropy),
//            "label_smoothing": s in [0, 1] (cross-entropies),
//            "delta": huber delta (1.0), "l2": lambda (0),
//            "from_logits": true (false is rejected)}
//   "optimizer": {"type": sgd | adam | adamw | rmsprop | adagrad, PyTorch
//            names and defaults: learning_rate, momentum, dampening,
//            nesterov, weight_decay, beta1, beta2, eps, alpha; plus
//            clip_value, clip_global_norm (0 = off) and updates_at_end}
//   "gradient_accumulation_steps": N >= 1 (1)

#include <optional>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "builder/training.h"
#include "engine/graph.h"

namespace attune {

inline constexpr char kSpecMetadataKey[] = "attune.spec";

// Compiles `json`. InvalidArgument for malformed JSON (with line and
// column), a missing or wrongly typed field, an unknown layer type or field,
// or values that do not fit (shapes, sizes); messages name the layer as
// `layer #2 ("dense_1", dense)` and the field. When every op of the graph
// has a kernel, the `infer` signature is also prepared once, so the kernels'
// shape rules confirm the declared shapes. With training signatures, the
// errors of AddTrainingSignatures too: Unimplemented naming the op when a
// trainable layer sits behind an op without a gradient rule.
absl::StatusOr<Graph> CompileSpec(absl::string_view json);

// The training configuration of a spec object ("loss", "optimizer",
// "gradient_accumulation_steps", validated as CompileSpec does); nullopt
// when it lacks a loss or an optimizer. InvalidArgument as CompileSpec's.
// (Used by importers that attach a spec's layers to an imported model.)
absl::StatusOr<std::optional<TrainingConfig>> ParseTrainingConfig(
    absl::string_view json);

}  // namespace attune

#endif  // ATTUNE_BUILDER_SPEC_H_
