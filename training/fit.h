#ifndef ATTUNE_TRAINING_FIT_H_
#define ATTUNE_TRAINING_FIT_H_

// The training loop of the C++ API and of `attune fit`.
//
// Model contract (what `attune compile` produces for a spec with a loss and
// an optimizer; hand-built models may follow it too):
//  - `train(<features>, y) -> loss [, accuracy]` runs forward, backward and
//    the optimizer updates in one Invoke; `eval(<features>, y) -> loss
//    [, accuracy]` only the forward pass. loss/accuracy are float32 scalars.
//  - Inputs are matched by name: `y` (or, as converted TFLite models name
//    them, `label`, `labels`, `target`, `targets`) holds the labels and the
//    other input the features; without such a name, a two-input signature
//    is read as (features, labels) in declaration order.
//  - The float32 scalar variable `optimizer/learning_rate` is the learning
//    rate; Fit writes a schedule's value there before every step.
//  - Optional `accumulate(<features>, y) -> loss` + `apply_gradients()`:
//    with FitOptions::accumulation_steps = A > 1, one optimizer step is A
//    accumulate calls on consecutive batches and one apply_gradients call.
//    At the end of an epoch a step may hold fewer than A batches.
//
// Per-sample shapes: the dataset's sample shape is fed as the input's
// non-batch dims when the model's are all static and hold as many values
// (so [N,28,28] images feed a [-1,784] or [-1,28,28,1] input), else as is.
// Feature and label dtypes are converted once to the inputs' dtypes (labels
// only exactly: 3.0 -> 3, 3.5 is an error).
//
// Steps and epochs are 1-based in StepInfo, EpochMetrics and the log; the
// schedule is evaluated at (step - 1), counted from the start of this Fit
// call.
//
// NaN/Inf guard: before every step Fit copies every variable into buffers
// allocated once; when the step's loss (or, with check_variables, a float
// variable after the update) is not finite, or the step fails, it copies
// them back and returns an error naming the step: the model is left exactly
// as it was before the bad step.

#include <cstdint>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "engine/interpreter.h"
#include "training/dataset.h"
#include "training/schedule.h"

namespace attune {

inline constexpr char kLearningRateVariable[] = "optimizer/learning_rate";
// The optimizer's update counter (int64 scalar), advanced by the train
// signature itself; schedules are evaluated at its value.
inline constexpr char kOptimizerStepVariable[] = "optimizer/step";

struct StepInfo {
  int64_t step = 0;   // 1-based, counted in this Fit call
  int64_t epoch = 0;  // 1-based
  int64_t batch = 0;  // 1-based index of the step within the epoch
  int64_t steps_per_epoch = 0;
  int64_t samples = 0;  // samples in this step (all micro-batches)
  double loss = 0;      // mean over the step's samples
  std::optional<double> accuracy;
  double learning_rate = 0;  // NaN when the model has none Fit can read
};

struct EvalMetrics {
  double loss = 0;  // mean over samples
  std::optional<double> accuracy;
  int64_t samples = 0;
};

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  int64_t steps = 0;
  int64_t samples = 0;
  double loss = 0;  // mean over the epoch's samples
  std::optional<double> accuracy;
  std::optional<EvalMetrics> validation;
  double seconds = 0;  // training and validation
};

struct FitResult {
  std::vector<EpochMetrics> epochs;
  int64_t steps = 0;
  int64_t samples = 0;
  bool reached_max_steps = false;
  bool stopped_by_callback = false;
};

enum class ProgressMode {
  kAuto,   // kBar when the stream is a terminal (isatty), else kLines
  kBar,    // a progress bar redrawn in place, and one line per epoch
  kLines,  // one line per epoch
  kNone,
};

struct FitOptions {
  int64_t epochs = 1;
  int64_t batch_size = 32;
  // Stop after this many optimizer steps (0: no limit).
  int64_t max_steps = 0;
  bool shuffle = true;
  uint64_t seed = 0;
  // Drop each epoch's partial last batch instead of resizing to it.
  bool drop_remainder = false;
  // Unset: the model's learning rate is left as it is. Set: before each
  // step, `optimizer/learning_rate` = schedule.At(optimizer/step), so a run
  // resumed from a checkpoint continues the schedule where it stopped
  // (models without that variable: the steps of this Fit call).
  std::optional<LearningRateSchedule> schedule;
  int64_t accumulation_steps = 1;
  // Also treat non-finite float variables after a step as a bad step.
  bool check_variables = true;
  // Per-step log, "step,epoch,loss": CSV for *.csv, JSON lines with the same
  // keys for *.jsonl. Empty: none.
  std::string log_path;
  // After every successful step; return false to stop training.
  std::function<bool(const StepInfo&)> on_step;
  // After every epoch (with its validation metrics).
  std::function<void(const EpochMetrics&)> on_epoch;
  ProgressMode progress = ProgressMode::kAuto;
  FILE* progress_stream = nullptr;  // nullptr: stderr
  std::string train_signature = "train";
  std::string eval_signature = "eval";
  std::string accumulate_signature = "accumulate";
  std::string apply_signature = "apply_gradients";
};

// Trains `interpreter` on `train` and, after each epoch, evaluates on
// `validation` (when given and the model has the eval signature).
// Errors: InvalidArgument for bad options, data that does not fit the
// signature's inputs (naming both shapes) or an unusable log path;
// NotFound when the train signature is missing; FailedPrecondition for a
// schedule without an `optimizer/learning_rate` variable, accumulation
// without accumulate/apply_gradients, and a non-finite loss (naming the
// step; variables restored); errors of Invoke annotated with the step.
absl::StatusOr<FitResult> Fit(Interpreter& interpreter, const Dataset& train,
                              const FitOptions& options,
                              const Dataset* validation = nullptr);

// Runs `signature` over `data` in order, in batches of `batch_size` (the
// last one partial), and returns the sample-weighted mean loss and
// accuracy. Errors as Fit's.
absl::StatusOr<EvalMetrics> Evaluate(Interpreter& interpreter,
                                     const Dataset& data, int64_t batch_size,
                                     absl::string_view signature = "eval");

// "epoch 2/5  loss 0.4123  accuracy 0.8512  val_loss 0.4420  val_accuracy
// 0.8431  (600 steps, 3.1 s)".
std::string FormatEpoch(const EpochMetrics& metrics, int64_t epochs);

}  // namespace attune

#endif  // ATTUNE_TRAINING_FIT_H_
