#ifndef ATTUNE_AUTODIFF_GRAD_RULE_H_
#define ATTUNE_AUTODIFF_GRAD_RULE_H_

// The contract of a gradient rule (autodiff/rules/<op>.cc).
//
// A rule receives one forward node and the upstream gradient of each of its
// outputs, and emits ops (through ctx) computing the gradient of each input.
// It writes one tensor per input into `dxs` (pre-filled with -1 = "no
// gradient": integer inputs, indices, shape arguments). Rules are written
// with forward ops, or with dedicated *_grad kernels where that is faster or
// more stable. The engine (gradients.cc), not the rule, sums over broadcast
// dimensions, accumulates fan-out and checks shapes.

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "builder/model_builder.h"

namespace attune {

class GradContext {
 public:
  GradContext(ModelBuilder& builder, Node node, std::vector<int> dys,
              std::string prefix)
      : builder_(builder),
        node_(std::move(node)),
        dys_(std::move(dys)),
        prefix_(std::move(prefix)) {}

  const Node& node() const { return node_; }
  const Attributes& attrs() const { return node_.attrs; }
  // Forward input / output tensor handles.
  int x(int i) const { return node_.inputs[i]; }
  int y(int i = 0) const { return node_.outputs[i]; }
  bool has_input(int i) const {
    return i < static_cast<int>(node_.inputs.size()) && node_.inputs[i] != -1;
  }
  // Upstream gradient of output i (-1 when no gradient reaches it).
  int dy(int i = 0) const { return dys_[i]; }
  // Declared (inferred) dtype and shape of a forward tensor.
  const TensorInfo& info(int tensor) const { return builder_.tensor(tensor); }

  // Emits an op named "<prefix>/<suffix>".
  int Op1(OpCode op, std::vector<int> inputs, Attributes attrs = {},
          absl::string_view suffix = "");
  // int64 shape of `tensor`, folded at prepare time.
  int ShapeOf(int tensor);
  int ConstantInts(absl::string_view suffix, std::vector<int64_t> values);
  int ConstantScalar(absl::string_view suffix, float value);

  ModelBuilder& builder() { return builder_; }
  const ModelBuilder& builder() const { return builder_; }

  absl::Status Unimplemented(absl::string_view what) const;

 private:
  ModelBuilder& builder_;
  Node node_;
  std::vector<int> dys_;
  std::string prefix_;
  int counter_ = 0;
};

using GradRule = absl::Status (*)(GradContext& ctx, std::vector<int>& dxs);

// The gradient rule of `op`, or nullptr when it has none.
GradRule FindGradRule(OpCode op);

// True for ops whose inputs broadcast to the output (the engine reduces
// their input gradients back to each input's shape).
bool IsBroadcastingOp(OpCode op);

}  // namespace attune

#endif  // ATTUNE_AUTODIFF_GRAD_RULE_H_
