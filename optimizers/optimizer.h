#ifndef ATTUNE_OPTIMIZERS_OPTIMIZER_H_
#define ATTUNE_OPTIMIZERS_OPTIMIZER_H_

// Optimizer insertion: turns the gradients of a train subgraph into one
// fused update op per variable (engine/kernels/OPS.md, "Optimizer updates";
// the update rules are PyTorch's torch.optim, cited in
// engine/kernels/optimizer_updates.cc).
//
// Variables the optimizer adds to the model (ordinary resource variables, so
// checkpoints carry them):
//   optimizer/step            int64 scalar, 0 at start; incremented once per
//                             step BEFORE any update reads it (the first
//                             step's updates see 1, as in PyTorch).
//   optimizer/learning_rate   float32 scalar initialized from the config.
//                             Apps and `fit` change it with
//                             VariableStore::Set: no rebuild.
//   <var>/<optimizer>/<slot>  float32, the variable's shape, zeros:
//                             sgd: momentum (only when momentum != 0)
//                             adam, adamw: m, v
//                             rmsprop: square_avg, momentum (momentum != 0)
//                             adagrad: sum
//                             (<optimizer> is "sgd", "adam", "adamw",
//                             "rmsprop" or "adagrad").
//
// Placement. By default each variable's update is emitted the moment its
// gradient is final (GradientReady of autodiff/gradients.h), so the gradient
// buffer dies at once (PockEngine / Tiny Training Engine). Clipping by value
// clamps each gradient to [-clip_value, clip_value] right before its update.
// Clipping by global norm needs every gradient: each gradient's squared sum
// is taken when it is final, and all updates are emitted after the backward
// pass, scaled by min(1, clip_global_norm / (norm + 1e-6)) (PyTorch's
// clip_grad_norm_). `updates_at_end` also defers every update to the end
// (for memory comparisons).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "builder/model_builder.h"

namespace attune {

enum class OptimizerType { kSgd, kAdam, kAdamW, kRmsprop, kAdagrad };

// "sgd", "adam", "adamw", "rmsprop", "adagrad".
absl::string_view OptimizerTypeName(OptimizerType type);
// InvalidArgument naming the allowed types.
absl::StatusOr<OptimizerType> ParseOptimizerType(absl::string_view name);

// Hyper-parameters with PyTorch's names and defaults (DefaultOptimizerConfig
// gives the per-type defaults: lr 1e-3 for sgd/adam/adamw, 1e-2 for
// rmsprop/adagrad; eps 1e-8, adagrad 1e-10; weight_decay 0, adamw 1e-2).
struct OptimizerConfig {
  OptimizerType type = OptimizerType::kSgd;
  double learning_rate = 1e-3;
  double momentum = 0;          // sgd, rmsprop
  double dampening = 0;         // sgd
  bool nesterov = false;        // sgd
  double weight_decay = 0;      // all (adamw: decoupled)
  double beta1 = 0.9;           // adam, adamw
  double beta2 = 0.999;         // adam, adamw
  double eps = 1e-8;            // adam, adamw, rmsprop, adagrad
  double alpha = 0.99;          // rmsprop smoothing constant
  double clip_value = 0;        // > 0: clamp each gradient element
  double clip_global_norm = 0;  // > 0: scale all gradients to this norm
  bool updates_at_end = false;  // place every update after the backward pass
};

OptimizerConfig DefaultOptimizerConfig(OptimizerType type);

// InvalidArgument for values PyTorch rejects (negative lr, momentum,
// weight decay, eps; betas or alpha outside [0, 1); nesterov without
// momentum or with dampening; negative clip thresholds).
absl::Status ValidateOptimizerConfig(const OptimizerConfig& config);

// Emits one optimizer into a graph being built. Create adds the variables
// listed above; then, per subgraph that performs an optimizer step:
//   BeginStep -> AddGradient (once per variable with a gradient, typically
//   from GradientReady) -> FinishStep.
// Holds no reference to the builder between calls. Not thread-safe.
class Optimizer {
 public:
  // Adds the optimizer's variables for `variables` (indices of float32
  // model variables, usually the trainable ones). InvalidArgument for a bad
  // config or variable index, or when a variable of the same name exists.
  static absl::StatusOr<std::unique_ptr<Optimizer>> Create(
      ModelBuilder& builder, const OptimizerConfig& config,
      std::vector<int> variables);

  const OptimizerConfig& config() const { return config_; }
  const std::vector<int>& variables() const { return variables_; }
  int step_variable() const { return step_variable_; }
  int learning_rate_variable() const { return lr_variable_; }
  // Slot variable indices of variables()[i] (-1 when unused).
  int slot0(int i) const { return slot0_[i]; }
  int slot1(int i) const { return slot1_[i]; }

  // Starts a step in the builder's current subgraph: step += 1, then reads
  // of step and learning rate for the updates. FailedPrecondition when a
  // step is already open.
  absl::Status BeginStep(ModelBuilder& builder);
  // The gradient of variables()[i] is final as tensor `gradient` of the
  // current subgraph: emits its update now, or defers it (global-norm
  // clipping, updates_at_end). InvalidArgument for a bad index or a second
  // gradient for the same variable; FailedPrecondition outside a step.
  absl::Status AddGradient(ModelBuilder& builder, int i, int gradient);
  // Emits the deferred updates and closes the step. Variables that got no
  // gradient are not updated.
  absl::Status FinishStep(ModelBuilder& builder);

  // A GradientReady for AddGradients whose source i is variables()[i].
  // `builder` must outlive the returned function.
  std::function<absl::Status(int, int)> ReadyCallback(ModelBuilder& builder);

 private:
  Optimizer(const OptimizerConfig& config, std::vector<int> variables)
      : config_(config), variables_(std::move(variables)) {}
  absl::Status EmitUpdate(ModelBuilder& builder, int i, int gradient,
                          int scale);
  int ClipByValue(ModelBuilder& builder, int i, int gradient);

  OptimizerConfig config_;
  std::vector<int> variables_;
  std::vector<int> slot0_, slot1_;
  int step_variable_ = -1;
  int lr_variable_ = -1;

  // Per open step (tensors of the current subgraph).
  bool in_step_ = false;
  int step_tensor_ = -1;
  int lr_tensor_ = -1;
  std::vector<int> gradients_;     // deferred gradient per variable, or -1
  std::vector<int> squared_sums_;  // for global-norm clipping
  std::vector<bool> seen_;
};

}  // namespace attune

#endif  // ATTUNE_OPTIMIZERS_OPTIMIZER_H_
