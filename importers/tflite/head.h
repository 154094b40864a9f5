#ifndef ATTUNE_IMPORTERS_TFLITE_HEAD_H_
#define ATTUNE_IMPORTERS_TFLITE_HEAD_H_

// Transfer learning on an imported model: a new trainable head (layers as
// in `attune compile` specs) on top of a frozen backbone.

#include <string>

#include "absl/status/statusor.h"
#include "engine/graph.h"

namespace attune {
namespace tflite {

struct HeadOptions {
  // The head: a JSON list of spec layers, or a spec-like object with
  // "layers" and optionally "loss" (default softmax_cross_entropy, sparse
  // labels), "optimizer" (default adam, learning_rate 1e-3), "seed",
  // "gradient_accumulation_steps" (builder/spec.h), and the "signature" /
  // "attach_to" below when those fields are empty.
  std::string spec_json;
  // The backbone signature (default: the first "<key>_float" signature, else
  // the first one).
  std::string signature;
  // The tensor the head reads (default: the signature's only output).
  std::string attach_to;
  // When set, the layers after this tensor (up to attach_to) become
  // trainable: the float weights of their conv2d, depthwise_conv2d and
  // fully_connected ops turn into trainable variables named after the
  // weight tensors.
  std::string train_from;
};

// Returns a model with `infer(<backbone inputs>) -> logits [+
// probabilities]`, `train(<inputs>, y) -> loss [+ accuracy]`, `eval`
// (builder/training.h's contract) and `save(path)` / `restore(path)`
// (AddCheckpointSignatures: every variable, optimizer state included). The
// backbone's ops up to `attach_to` are kept; its constants stay frozen
// unless train_from makes them variables. Other imported signatures are
// dropped.
// InvalidArgument for an unknown signature or tensor, a bad head spec, or a
// train_from tensor that does not feed attach_to.
absl::StatusOr<Graph> AttachTrainableHead(const Graph& imported,
                                          const HeadOptions& options);

}  // namespace tflite
}  // namespace attune

#endif  // ATTUNE_IMPORTERS_TFLITE_HEAD_H_
