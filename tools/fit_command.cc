// attune fit MODEL --x FILE --y FILE [--val-x FILE --val-y FILE]
//            --batch-size N --epochs E [--steps N] [--shuffle|--no-shuffle]
//            [--seed S] [--learning-rate LR] [--schedule S] [--val-split F]
//            [--label-column C] [--accumulate N] [--checkpoint DB]
//            [--log FILE.csv|.jsonl] [--save-weights DIR]
//            [--save-weights-every N]
//            [--threads N] [--delegate NAME]
//
// Trains the model's `train` signature with training/fit.h. FILE is .npy,
// FILE.npz:NAME, CSV (.csv/.tsv; --label-column picks the label column of
// a file given to both --x and --y) or IDX (gzip or plain; uint8 images
// become float32 in [0, 1]). Features are fed in the model input's shape
// ([N,28,28] images feed [-1,784] and [-1,28,28,1] inputs alike).
// Prints one line of metrics per epoch on stdout (a progress bar on stderr
// when it is a terminal) and, with validation data and an `eval`
// signature, the final validation accuracy. With --checkpoint DB, restores
// the latest checkpoint of DB first (if any) and saves one at the end.

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "data/npy.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "tools/cli.h"
#include "training/fit.h"

namespace attune {
namespace cli {
namespace {

struct FitArgs {
  std::string model;
  std::string x, y, val_x, val_y;
  int64_t batch_size = 0;
  int64_t epochs = 0;
  int64_t steps = 0;
  bool shuffle = true;
  uint64_t seed = 0;
  std::optional<double> learning_rate;
  std::string schedule;
  double val_split = 0;
  std::string label_column;
  int64_t accumulate = 1;
  std::string checkpoint;
  std::string log;
  std::string save_weights;
  int64_t save_weights_every = 0;
  RuntimeOptions runtime;
};

std::string WeightFileName(const std::string& variable) {
  std::string out;
  for (size_t i = 0; i < variable.size(); ++i) {
    if (variable[i] == '/') {
      out += "__";
    } else {
      out += variable[i];
    }
  }
  return out + ".npy";
}

// Writes every variable as DIR/<name with / -> __>.npy.
absl::Status SaveWeights(const Interpreter& interpreter,
                         const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat(dir, ": cannot create directory: ", ec.message()));
  }
  const VariableStore& store = interpreter.variables();
  for (int i = 0; i < store.size(); ++i) {
    const Tensor& t = store.tensor(i);
    absl::StatusOr<ArrayDType> dtype = FromDType(t.dtype);
    if (!dtype.ok()) continue;  // no .npy form (strings)
    Array array;
    array.dtype = *dtype;
    array.shape = t.shape;
    const uint8_t* data = static_cast<const uint8_t*>(t.data);
    array.bytes.assign(data, data + t.bytes);
    const std::string path =
        (std::filesystem::path(dir) / WeightFileName(store.info(i).name))
            .string();
    if (absl::Status s = WriteNpy(path, array); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<Dataset> LoadDataset(const std::string& x, const std::string& y,
                                    const std::string& label_column) {
  DataFileOptions options;
  options.csv_label_column = label_column;
  absl::StatusOr<Array> features =
      ReadDataFile(x, DataRole::kFeatures, options);
  if (!features.ok()) return features.status();
  absl::StatusOr<Array> labels = ReadDataFile(y, DataRole::kLabels, options);
  if (!labels.ok()) return labels.status();
  absl::StatusOr<Dataset> data =
      Dataset::Create(*std::move(features), *std::move(labels));
  if (!data.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat(x, " / ", y, ": ", data.status().message()));
  }
  return data;
}

int RunFit(const FitArgs& args) {
  if (args.val_x.empty() != args.val_y.empty()) {
    return UsageError("--val-x and --val-y go together");
  }
  if (!args.val_x.empty() && args.val_split > 0) {
    return UsageError("--val-split and --val-x/--val-y exclude each other");
  }
  absl::StatusOr<std::vector<std::shared_ptr<Delegate>>> delegates =
      MakeDelegates(args.runtime);
  if (!delegates.ok()) return Fail(delegates.status());

  absl::StatusOr<std::shared_ptr<const Model>> model = Model::Load(args.model);
  if (!model.ok()) return Fail(model.status());
  InterpreterOptions interpreter_options;
  interpreter_options.num_threads = args.runtime.threads;
  interpreter_options.delegates = *delegates;
  absl::StatusOr<std::unique_ptr<Interpreter>> created =
      Interpreter::Create(*model, interpreter_options);
  if (!created.ok()) return Fail(created.status());
  Interpreter& interpreter = **created;
  if (absl::StatusOr<SignatureRunner*> train =
          interpreter.GetSignatureRunner("train");
      train.ok()) {
    WarnDelegateFallbacks(**train);
  }
  const std::vector<std::string> keys = interpreter.signature_keys();
  if (std::find(keys.begin(), keys.end(), "train") == keys.end()) {
    return Fail(absl::StrCat(
        args.model,
        " has no train signature (signatures: ", absl::StrJoin(keys, ", "),
        "); compile a spec with a loss and an optimizer"));
  }

  // --checkpoint: continue from the latest checkpoint (its epoch count too).
  int64_t previous_epochs = 0;
  if (!args.checkpoint.empty()) {
    auto restored = RestoreLatestIfAny(interpreter, args.checkpoint);
    if (!restored.ok()) return Fail(restored.status());
    if (restored->has_value()) {
      auto it = (*restored)->properties.find("epoch");
      if (it != (*restored)->properties.end() &&
          std::holds_alternative<int64_t>(it->second)) {
        previous_epochs = std::get<int64_t>(it->second);
      }
    }
  }

  absl::StatusOr<Dataset> train =
      LoadDataset(args.x, args.y, args.label_column);
  if (!train.ok()) return Fail(train.status());
  std::optional<Dataset> validation;
  if (!args.val_x.empty()) {
    absl::StatusOr<Dataset> v =
        LoadDataset(args.val_x, args.val_y, args.label_column);
    if (!v.ok()) return Fail(v.status());
    validation = *std::move(v);
  } else if (args.val_split > 0) {
    auto split = train->SplitValidation(args.val_split);
    if (!split.ok()) return Fail(split.status());
    train = std::move(split->first);
    validation = std::move(split->second);
  }

  FitOptions options;
  options.epochs = args.epochs;
  options.batch_size = args.batch_size;
  options.max_steps = args.steps;
  options.shuffle = args.shuffle;
  options.seed = args.seed;
  options.accumulation_steps = args.accumulate;
  options.log_path = args.log;
  if (args.learning_rate.has_value() || !args.schedule.empty()) {
    double lr = args.learning_rate.value_or(0.0);
    if (!args.learning_rate.has_value()) {
      absl::StatusOr<absl::Span<const float>> current =
          interpreter.variables().Get<float>(kLearningRateVariable);
      if (!current.ok() || current->size() != 1) {
        return Fail(absl::StrCat("the model has no float32 variable ",
                                 kLearningRateVariable,
                                 ": give --learning-rate"));
      }
      lr = (*current)[0];
    }
    absl::StatusOr<LearningRateSchedule> schedule =
        ParseSchedule(args.schedule.empty() ? "constant" : args.schedule, lr);
    if (!schedule.ok()) return UsageError(schedule.status().message());
    options.schedule = *schedule;
  }
  options.progress =
      isatty(STDERR_FILENO) ? ProgressMode::kBar : ProgressMode::kNone;
  absl::Status snapshot_status;
  if (args.save_weights_every > 0) {
    if (args.save_weights.empty()) {
      return UsageError("--save-weights-every needs --save-weights DIR");
    }
    // DIR/step_<k>/ after every N-th step: an outside reference can then
    // recompute each step from attune's own weights (tests/peer).
    options.on_step = [&](const StepInfo& step) {
      if (step.step % args.save_weights_every != 0) return true;
      snapshot_status = SaveWeights(
          interpreter, (std::filesystem::path(args.save_weights) /
                        absl::StrCat("step_", step.step))
                           .string());
      return snapshot_status.ok();
    };
  }
  options.on_epoch = [&](const EpochMetrics& m) {
    std::cout << FormatEpoch(m, args.epochs) << std::endl;
  };

  if (!args.save_weights.empty()) {
    absl::Status s = SaveWeights(
        interpreter,
        (std::filesystem::path(args.save_weights) / "initial").string());
    if (!s.ok()) return Fail(s);
  }
  const bool has_eval =
      std::find(keys.begin(), keys.end(), "eval") != keys.end();
  if (validation.has_value() && !has_eval) {
    std::cerr << "attune: note: the model has no eval signature; validation "
                 "is skipped"
              << std::endl;
  }
  absl::StatusOr<FitResult> result =
      Fit(interpreter, *train, options, validation ? &*validation : nullptr);
  if (!result.ok()) return Fail(result.status());
  if (!snapshot_status.ok()) return Fail(snapshot_status);
  if (!args.checkpoint.empty()) {
    Properties properties;
    properties["epoch"] =
        previous_epochs + static_cast<int64_t>(result->epochs.size());
    if (auto step = interpreter.variables().Get<int64_t>("optimizer/step");
        step.ok() && step->size() == 1) {
      properties["step"] = (*step)[0];
    } else {
      properties["step"] = result->steps;
    }
    if (!result->epochs.empty()) {
      const EpochMetrics& last = result->epochs.back();
      properties["loss"] = last.loss;
      if (last.accuracy) properties["accuracy"] = *last.accuracy;
      if (last.validation) {
        properties["val_loss"] = last.validation->loss;
        if (last.validation->accuracy) {
          properties["val_accuracy"] = *last.validation->accuracy;
        }
      }
    }
    auto saved = SaveCheckpoint(interpreter, args.checkpoint, properties);
    if (!saved.ok()) return Fail(saved.status());
  }
  if (!args.save_weights.empty()) {
    if (absl::Status s = SaveWeights(interpreter, args.save_weights); !s.ok()) {
      return Fail(s);
    }
  }
  std::cout << "trained " << result->steps << " steps (" << result->samples
            << " samples)"
            << (result->reached_max_steps ? ", stopped at --steps" : "")
            << std::endl;
  if (!result->epochs.empty() && result->epochs.back().validation) {
    const EvalMetrics& v = *result->epochs.back().validation;
    if (v.accuracy) {
      std::cout << absl::StrFormat(
                       "validation accuracy %.4f (loss %.4f, %d samples)",
                       *v.accuracy, v.loss, v.samples)
                << std::endl;
    } else {
      std::cout << absl::StrFormat("validation loss %.4f (%d samples)", v.loss,
                                   v.samples)
                << std::endl;
    }
  }
  if (!args.log.empty()) std::cout << "step log: " << args.log << std::endl;
  return kExitOk;
}

}  // namespace

void AddFitCommand(CLI::App& app, std::vector<Command>& commands) {
  auto args = std::make_shared<FitArgs>();
  CLI::App* sub =
      app.add_subcommand("fit", "Train a model's train signature on a dataset");
  sub->add_option("model", args->model, "Model file")->required();
  sub->add_option("--x", args->x,
                  "Features: .npy, FILE.npz:NAME, .csv/.tsv or IDX (.gz)")
      ->required();
  sub->add_option("--y", args->y, "Labels (same formats)")->required();
  sub->add_option("--val-x", args->val_x, "Validation features");
  sub->add_option("--val-y", args->val_y, "Validation labels");
  sub->add_option("--val-split", args->val_split,
                  "Use the last fraction F of the training data for "
                  "validation")
      ->check(CLI::Range(0.0, 1.0));
  sub->add_option("--batch-size", args->batch_size, "Samples per step")
      ->required()
      ->check(CLI::PositiveNumber);
  sub->add_option("--epochs", args->epochs, "Passes over the data")
      ->required()
      ->check(CLI::PositiveNumber);
  sub->add_option("--steps", args->steps, "Stop after N steps")
      ->check(CLI::PositiveNumber);
  sub->add_flag("--shuffle,!--no-shuffle", args->shuffle,
                "Shuffle every epoch (default) or not");
  sub->add_option("--seed", args->seed, "Shuffle seed (default 0)");
  sub->add_option("--learning-rate", args->learning_rate,
                  "Learning rate (sets optimizer/learning_rate)")
      ->check(CLI::NonNegativeNumber);
  sub->add_option("--schedule", args->schedule,
                  "constant | step:N:GAMMA | exp:GAMMA | cosine:T[:MIN_LR], "
                  "optionally ,warmup:W[:START_FACTOR]");
  sub->add_option("--label-column", args->label_column,
                  "CSV label column (name or index)");
  sub->add_option("--accumulate", args->accumulate,
                  "Batches per optimizer step (needs accumulate and "
                  "apply_gradients signatures)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--checkpoint", args->checkpoint,
                  "Checkpoint database (SQLite): restore its latest checkpoint "
                  "first if any, save one at the end (properties epoch, "
                  "step, loss, accuracy)");
  sub->add_option("--log", args->log, "Per-step log: FILE.csv or FILE.jsonl");
  sub->add_option("--save-weights", args->save_weights,
                  "Write every variable as DIR/<name, / as __>.npy after "
                  "training (and DIR/initial/ before)");
  sub->add_option("--save-weights-every", args->save_weights_every,
                  "Also write them as DIR/step_<K>/ after every N-th step")
      ->check(CLI::PositiveNumber);
  AddRuntimeOptions(sub, args->runtime);
  commands.push_back({sub, [args] { return RunFit(*args); }});
}

}  // namespace cli
}  // namespace attune
