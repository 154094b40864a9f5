#ifndef ATTUNE_BUILDER_TRAINING_H_
#define ATTUNE_BUILDER_TRAINING_H_

// Training signatures for an inferred forward graph: losses, the backward
// pass (autodiff/gradients.h) and the optimizer (optimizers/optimizer.h).
//
// ## The contract (other modules, `attune fit` and apps rely on it)
// Signatures added next to `infer(<inputs>) -> logits (+ probabilities)`:
//   train(<inputs>, y) -> loss (+ accuracy)   one optimizer step
//   eval(<inputs>, y)  -> loss (+ accuracy)   no variable is written
// train (and accumulate) compute the loss from TrainingConfig::train_logits
// (the training-mode path of the forward graph, when the producer built
// one) and then apply TrainingConfig::state_updates; eval computes it from
// infer's `logits` and writes nothing.
// and, when gradient_accumulation_steps N > 1,
//   accumulate(<inputs>, y) -> loss   adds each trainable variable's gradient
//                                     of this micro-batch's mean loss into
//                                     `<var>/grad_accum` and 1 into
//                                     `optimizer/accumulated_batches`
//   apply_gradients()                 one optimizer step (step += 1, then
//                                     updates, clipping included) from
//                                     grad_accum / max(accumulated_batches,
//                                     1), then zeroes the accumulators and
//                                     the count. N accumulate calls on
//                                     equal micro-batches + apply_gradients
//                                     equal one train call on their
//                                     concatenation (for SGD exactly up to
//                                     float rounding) when the model has no
//                                     training-mode layers: batch_norm
//                                     normalizes each micro-batch with its
//                                     own statistics and updates the moving
//                                     ones once per accumulate call, and
//                                     dropout draws a mask per call.
// Label input `y`:
//   softmax cross-entropy, sparse labels:  int32 [B] class indices
//   softmax cross-entropy, one-hot labels: float32 [B, C] (probabilities)
//   binary cross-entropy, mse, l1, huber:  float32, the logits' shape
// Outputs: `loss` float32 scalar (data loss + l2 term); `accuracy` float32
// scalar for classifiers (softmax cross-entropy: mean(argmax(logits) ==
// y), y = argmax(y) for one-hot labels; binary cross-entropy:
// mean((logits > 0) == (y > 0.5))).
// Variables: the model's own (`<layer>/<param>`), the optimizer's
// (`optimizer/step` int64 scalar, `optimizer/learning_rate` float32 scalar,
// slots `<var>/<optimizer>/<slot>`), and for N > 1 `<var>/grad_accum` and
// `optimizer/accumulated_batches` (float32 scalar). The learning rate is
// changed with VariableStore::Set("optimizer/learning_rate", ...) between
// calls; no rebuild. Any batch size works through ResizeInput.
//
// ## Losses (all a mean over the batch)
//   softmax_cross_entropy  mean_b -sum_c t_bc log softmax(z_b)_c, with
//       t = y*(1-s) + s/C under label smoothing s (sparse labels are
//       one-hot encoded first when s > 0). Fused kernels
//       sparse_softmax_cross_entropy / softmax_cross_entropy.
//   binary_cross_entropy   mean over all elements of
//       max(z,0) - z*y + log(1+exp(-|z|)), computed stably as the two-class
//       softmax_cross_entropy of logits [0, z] and labels [1-y, y] (the
//       kernel's log-sum-exp is exactly that form); label smoothing
//       y*(1-s) + s/2.
//   mse                    mean over all elements of (z - y)^2
//   l1                     mean over all elements of |z - y|
//   huber(delta)           mean over all elements of 0.5 d^2 (|d| <= delta)
//                          or delta (|d| - 0.5 delta), d = z - y
//   For [B, K] outputs "mean over all elements" equals Keras' mean over
//   the last axis then over the batch.
//   l2 (lambda): loss += lambda * sum of w^2 over the trainable float
//   variables of rank >= 2 (kernels; biases and batch-norm parameters are
//   not decayed). Reported in `loss` by train and eval.
//
// ## Gradients
// Only trainable variables (VariableInfo::trainable) read with
// read_variable in `infer` are differentiated; ops that do not lie between
// them and the loss get no backward ops (frozen backbones cost no backward
// memory). Each update is placed as soon as its gradient is final unless
// the optimizer config defers it (optimizers/optimizer.h). Gradient shapes
// are checked with VerifyGradientShapes.

#include <vector>

#include "absl/status/statusor.h"
#include "engine/graph.h"
#include "optimizers/optimizer.h"

namespace attune {

enum class LossType {
  kSoftmaxCrossEntropy,
  kBinaryCrossEntropy,
  kMeanSquaredError,
  kMeanAbsoluteError,
  kHuber,
};

struct LossConfig {
  LossType type = LossType::kSoftmaxCrossEntropy;
  bool sparse_labels = true;   // softmax cross-entropy only
  double label_smoothing = 0;  // cross-entropies, in [0, 1]
  double huber_delta = 1.0;    // > 0
  double l2 = 0;               // >= 0
};

// A train-only variable write: `variable` := `value` (a tensor of the infer
// subgraph with the variable's dtype and shape).
struct StateUpdate {
  int variable = -1;
  int value = -1;
};

struct TrainingConfig {
  LossConfig loss;
  OptimizerConfig optimizer;
  int gradient_accumulation_steps = 1;  // > 1 adds accumulate/apply_gradients
  // The logits train and accumulate take their loss from: a tensor of the
  // infer subgraph with infer's `logits` shape (the training-mode forward
  // path: batch statistics, dropout). -1: infer's `logits`. eval always uses
  // infer's `logits`.
  int train_logits = -1;
  // Written at the end of every train and accumulate call, after everything
  // else in it (batch_norm moving statistics, the dropout counter); never
  // by infer or eval.
  std::vector<StateUpdate> state_updates;
};

// True for losses whose signatures output `accuracy`.
bool IsClassifierLoss(LossType type);

// Returns `forward` with the signatures above added. REQUIRES: `forward`
// has an `infer` signature with a float32 output `logits` and declared
// (inferred) shapes, as CompileSpec and ModelBuilder::Build produce, and no
// train/eval signatures yet. InvalidArgument for a bad config, a missing
// infer/logits, labels that do not fit the logits (softmax cross-entropy
// needs [B, C] logits with a static C), an input already named `y`, or a
// train_logits / state update that is out of range or does not match;
// Unimplemented (naming the op) when an op between a trainable variable
// and the loss has no gradient rule.
absl::StatusOr<Graph> AddTrainingSignatures(Graph forward,
                                            const TrainingConfig& config);

// Returns `graph` with the checkpoint signatures every compiled model has
// (checkpoint/FORMAT.md, engine/kernels/OPS.md), each in its own subgraph:
//   save(path: string scalar) -> checkpoint_id int64 scalar
//       a new checkpoint of every variable (optimizer state included) in
//       the SQLite database `path`
//   restore(path: string scalar) -> step int64 scalar
//       restores the latest checkpoint of `path`, all or nothing
// InvalidArgument when `graph` already has a save or restore signature.
absl::StatusOr<Graph> AddCheckpointSignatures(Graph graph);

}  // namespace attune

#endif  // ATTUNE_BUILDER_TRAINING_H_
