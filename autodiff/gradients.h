#ifndef ATTUNE_AUTODIFF_GRADIENTS_H_
#define ATTUNE_AUTODIFF_GRADIENTS_H_

#include <functional>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "builder/model_builder.h"

namespace attune {

// Called when the gradient of source `index` (position in `sources`) is
// final, i.e. right after its last contribution was emitted. Optimizers
// place the variable's update here, so the gradient buffer dies at once.
using GradientReady = std::function<absl::Status(int index, int gradient)>;

struct GradientResult {
  // Gradient tensor per source; -1 when the loss does not depend on it.
  std::vector<int> source_gradients;
  // (forward tensor, its gradient) for every gradient the pass created, so
  // callers can check shapes after Build() (VerifyGradientShapes).
  std::vector<std::pair<int, int>> gradient_of;
};

// Reverse-mode differentiation of the builder's current subgraph.
//  1. Active nodes: those that depend on a source AND on which `loss`
//     depends. Only they get backward ops (a frozen backbone gets none, and
//     its activations are not kept for backward).
//  2. The seed d loss / d loss = 1 (a float32 scalar constant; `loss` must be
//     a float32 scalar).
//  3. Active nodes are visited in reverse order. Each tensor's gradient is
//     final once every active consumer has contributed; contributions are
//     summed with add. The node's rule (FindGradRule) emits input
//     gradients; for broadcasting ops whose input shape differs from the
//     output's, the engine appends sum_to_shape(dx, shape(x)).
//  4. When a source's gradient becomes final, `ready` (if set) runs.
// `sources` are tensors of the current subgraph (typically read_variable
// outputs of trainable variables), shapes from an earlier Build().
// Unimplemented naming the op and node when an active op has no rule.
absl::StatusOr<GradientResult> AddGradients(ModelBuilder& builder, int loss,
                                            absl::Span<const int> sources,
                                            const GradientReady& ready = {});

// InvalidArgument naming the first gradient whose inferred dtype or shape
// differs from its forward tensor's, in `subgraph` of a built graph.
absl::Status VerifyGradientShapes(
    const Graph& graph, int subgraph,
    absl::Span<const std::pair<int, int>> gradient_of);

}  // namespace attune

#endif  // ATTUNE_AUTODIFF_GRADIENTS_H_
