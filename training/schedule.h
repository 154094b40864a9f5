#ifndef ATTUNE_TRAINING_SCHEDULE_H_
#define ATTUNE_TRAINING_SCHEDULE_H_

// Learning-rate schedules evaluated per optimizer step in C++. Fit writes the
// value into the model's `optimizer/learning_rate` variable before each step,
// so the graph is never rebuilt.
//
// Steps are counted from 0 (the first optimizer step evaluates At(0)).
//   constant:     lr
//   step:         lr * gamma^floor(t / step_size)
//   exponential:  lr * gamma^t
//   cosine:       min_lr + (lr - min_lr) * (1 + cos(pi * min(t, T) / T)) / 2
// Linear warm-up (composable with each of them) over W steps:
//   t <  W:  inner(0) * (start_factor + (1 - start_factor) * (t + 1) / W)
//   t >= W:  inner(t - W)       (the inner schedule starts after warm-up)

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace attune {

// A value type; cheap to copy. Thread-compatible.
class LearningRateSchedule {
 public:
  enum class Kind { kConstant, kStep, kExponential, kCosine };

  static LearningRateSchedule Constant(double lr);
  static LearningRateSchedule Step(double lr, int64_t step_size, double gamma);
  static LearningRateSchedule Exponential(double lr, double gamma);
  static LearningRateSchedule Cosine(double lr, int64_t total_steps,
                                     double min_lr = 0.0);
  // A copy with a linear warm-up over `steps` steps from
  // `start_factor` * lr (see the file comment). steps = 0 removes it.
  LearningRateSchedule WithWarmup(int64_t steps,
                                  double start_factor = 0.0) const;

  // The learning rate of 0-based optimizer step `step` (negative: 0).
  double At(int64_t step) const;

  // InvalidArgument naming the parameter: lr or min_lr negative or not
  // finite, step_size or total_steps < 1, gamma <= 0, start_factor outside
  // [0, 1], warm-up steps < 0.
  absl::Status Validate() const;

  Kind kind() const { return kind_; }
  double base_lr() const { return lr_; }
  int64_t warmup_steps() const { return warmup_steps_; }
  // "cosine(lr=0.1, T=1000, min=0) + warmup(100, from 0)".
  std::string DebugString() const;

 private:
  double Inner(int64_t step) const;

  Kind kind_ = Kind::kConstant;
  double lr_ = 0.0;
  double gamma_ = 1.0;
  double min_lr_ = 0.0;
  int64_t period_ = 1;  // step_size or total_steps
  int64_t warmup_steps_ = 0;
  double warmup_start_ = 0.0;
};

// Parses the command-line form used by `attune fit --schedule`:
//   "constant" | "step:N:GAMMA" | "exp:GAMMA" | "cosine:T[:MIN_LR]"
// optionally followed by ",warmup:W[:START_FACTOR]"; `lr` is the base rate.
// InvalidArgument quoting the text for anything else or invalid values.
absl::StatusOr<LearningRateSchedule> ParseSchedule(absl::string_view text,
                                                   double lr);

}  // namespace attune

#endif  // ATTUNE_TRAINING_SCHEDULE_H_
