#include "training/fit.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <limits>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

using Clock = std::chrono::steady_clock;

bool HasSignature(const Interpreter& interpreter, absl::string_view key) {
  for (const std::string& k : interpreter.signature_keys()) {
    if (k == key) return true;
  }
  return false;
}

bool Contains(const std::vector<std::string>& names, absl::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The per-sample shape to feed an input declared as `declared` (batch dim
// first) with samples of shape `sample`; see the file comment of fit.h.
absl::StatusOr<Shape> SampleShapeFor(const Shape& declared, const Shape& sample,
                                     absl::string_view what) {
  auto mismatch = [&]() {
    return absl::InvalidArgumentError(
        absl::StrCat(what, " ", ShapeToString(declared),
                     " cannot take samples of shape ", ShapeToString(sample),
                     " (", NumElements(sample), " values per sample)"));
  };
  if (declared.empty()) return mismatch();
  const Shape model(declared.begin() + 1, declared.end());
  const bool all_static =
      std::all_of(model.begin(), model.end(), [](int64_t d) { return d >= 0; });
  if (all_static) {
    if (NumElements(model) != NumElements(sample)) return mismatch();
    return model;
  }
  if (model.size() != sample.size()) return mismatch();
  for (size_t i = 0; i < model.size(); ++i) {
    if (model[i] >= 0 && model[i] != sample[i]) return mismatch();
  }
  return sample;
}

// Label input names: attune's `y` and the names converted TFLite training
// models commonly give their labels.
bool IsLabelName(absl::string_view name) {
  return name == "y" || name == "label" || name == "labels" ||
         name == "target" || name == "targets";
}

// One signature fed from a dataset: feature input, label input, outputs.
class Binding {
 public:
  static absl::StatusOr<Binding> Create(Interpreter& interpreter,
                                        absl::string_view key,
                                        const Dataset& data) {
    Binding b;
    ATTUNE_ASSIGN_OR_RETURN(b.runner_, interpreter.GetSignatureRunner(key));
    const std::vector<std::string> inputs = b.runner_->input_names();
    if (inputs.size() != 2) {
      return absl::InvalidArgumentError(absl::StrCat(
          "signature \"", key, "\" has ", inputs.size(), " inputs (",
          absl::StrJoin(inputs, ", "),
          "); training feeds one feature input and one label input"));
    }
    if (IsLabelName(inputs[1]) || !IsLabelName(inputs[0])) {
      b.x_ = inputs[0];
      b.y_ = inputs[1];
    } else {
      b.x_ = inputs[1];
      b.y_ = inputs[0];
    }
    const std::vector<std::string> outputs = b.runner_->output_names();
    if (Contains(outputs, "loss")) {
      b.loss_ = "loss";
    } else if (outputs.size() == 1) {
      b.loss_ = outputs[0];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "signature \"", key, "\" has no output \"loss\" (outputs: ",
          absl::StrJoin(outputs, ", "), ")"));
    }
    if (Contains(outputs, "accuracy")) b.accuracy_ = "accuracy";
    ATTUNE_ASSIGN_OR_RETURN(Shape x_decl,
                            b.runner_->declared_input_shape(b.x_));
    ATTUNE_ASSIGN_OR_RETURN(Shape y_decl,
                            b.runner_->declared_input_shape(b.y_));
    ATTUNE_ASSIGN_OR_RETURN(
        b.x_sample_,
        SampleShapeFor(
            x_decl, data.feature_shape(),
            absl::StrCat("input \"", b.x_, "\" of signature \"", key, "\"")));
    ATTUNE_ASSIGN_OR_RETURN(
        b.y_sample_,
        SampleShapeFor(y_decl, data.label_shape(),
                       absl::StrCat("label input \"", b.y_,
                                    "\" of signature \"", key, "\"")));
    ATTUNE_ASSIGN_OR_RETURN(Tensor * x, b.runner_->input(b.x_));
    ATTUNE_ASSIGN_OR_RETURN(Tensor * y, b.runner_->input(b.y_));
    absl::StatusOr<ArrayDType> xd = FromDType(x->dtype);
    absl::StatusOr<ArrayDType> yd = FromDType(y->dtype);
    if (!xd.ok() || !yd.ok()) {
      return absl::UnimplementedError(absl::StrCat(
          "signature \"", key, "\": inputs of dtype ", DTypeName(x->dtype),
          " / ", DTypeName(y->dtype), " cannot be fed from data files"));
    }
    b.x_dtype_ = *xd;
    b.y_dtype_ = *yd;
    b.key_ = std::string(key);
    return b;
  }

  ArrayDType x_dtype() const { return x_dtype_; }
  ArrayDType y_dtype() const { return y_dtype_; }
  SignatureRunner& runner() { return *runner_; }

  // Resizes both inputs to `batch` samples (no-op when unchanged).
  absl::Status Resize(int64_t batch) {
    if (batch == batch_) return absl::OkStatus();
    Shape xs = {batch};
    xs.insert(xs.end(), x_sample_.begin(), x_sample_.end());
    Shape ys = {batch};
    ys.insert(ys.end(), y_sample_.begin(), y_sample_.end());
    ATTUNE_RETURN_IF_ERROR(runner_->ResizeInput(x_, xs));
    ATTUNE_RETURN_IF_ERROR(runner_->ResizeInput(y_, ys));
    ATTUNE_RETURN_IF_ERROR(runner_->AllocateTensors());
    ATTUNE_ASSIGN_OR_RETURN(x_tensor_, runner_->input(x_));
    ATTUNE_ASSIGN_OR_RETURN(y_tensor_, runner_->input(y_));
    batch_ = batch;
    return absl::OkStatus();
  }

  // Copies the samples `indices` of `data` into the inputs (resizing them)
  // and runs the signature; returns the loss (and accuracy).
  absl::Status Run(const Dataset& data, absl::Span<const int64_t> indices,
                   double* loss, std::optional<double>* accuracy) {
    ATTUNE_RETURN_IF_ERROR(Resize(static_cast<int64_t>(indices.size())));
    const size_t xb = data.feature_bytes();
    const size_t yb = data.label_bytes();
    if (x_tensor_->bytes != xb * indices.size() ||
        y_tensor_->bytes != yb * indices.size()) {
      return absl::InternalError(absl::StrCat(
          "signature \"", key_, "\": input sizes ", x_tensor_->bytes, "/",
          y_tensor_->bytes, " bytes do not match the batch"));
    }
    uint8_t* x = static_cast<uint8_t*>(x_tensor_->data);
    uint8_t* y = static_cast<uint8_t*>(y_tensor_->data);
    for (size_t k = 0; k < indices.size(); ++k) {
      std::memcpy(x + k * xb, data.feature(indices[k]), xb);
      std::memcpy(y + k * yb, data.label(indices[k]), yb);
    }
    ATTUNE_RETURN_IF_ERROR(runner_->Invoke());
    ATTUNE_ASSIGN_OR_RETURN(absl::Span<const float> l,
                            runner_->typed_output<float>(loss_));
    if (l.size() != 1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "signature \"", key_, "\" output \"", loss_,
          "\" must be a float32 scalar, has ", l.size(), " elements"));
    }
    *loss = l[0];
    accuracy->reset();
    if (!accuracy_.empty()) {
      ATTUNE_ASSIGN_OR_RETURN(absl::Span<const float> a,
                              runner_->typed_output<float>(accuracy_));
      if (a.size() == 1) *accuracy = a[0];
    }
    return absl::OkStatus();
  }

 private:
  SignatureRunner* runner_ = nullptr;
  std::string key_, x_, y_, loss_, accuracy_;
  Shape x_sample_, y_sample_;
  ArrayDType x_dtype_ = ArrayDType::kFloat32;
  ArrayDType y_dtype_ = ArrayDType::kInt32;
  int64_t batch_ = -1;
  Tensor* x_tensor_ = nullptr;
  Tensor* y_tensor_ = nullptr;
};

// Copies of every variable, in buffers allocated once.
class VariableSnapshot {
 public:
  explicit VariableSnapshot(VariableStore& store) : store_(store) {
    copies_.resize(store.size());
    for (int i = 0; i < store.size(); ++i) {
      copies_[i].resize(store.tensor(i).bytes);
    }
  }
  void Save() {
    for (int i = 0; i < store_.size(); ++i) {
      const Tensor& t = store_.tensor(i);
      if (t.bytes > 0) std::memcpy(copies_[i].data(), t.data, t.bytes);
    }
  }
  void Restore() {
    for (int i = 0; i < store_.size(); ++i) {
      Tensor& t = store_.tensor(i);
      if (t.bytes > 0) std::memcpy(t.data, copies_[i].data(), t.bytes);
      store_.MarkWritten(i);
    }
  }
  // The first float32 variable holding a NaN or Inf, or -1.
  int FirstNonFinite() const {
    for (int i = 0; i < store_.size(); ++i) {
      const Tensor& t = store_.tensor(i);
      if (t.dtype != DType::kFloat32) continue;
      for (float v : t.span<float>()) {
        if (!std::isfinite(v)) return i;
      }
    }
    return -1;
  }

 private:
  VariableStore& store_;
  std::vector<std::vector<uint8_t>> copies_;
};

struct FileCloser {
  void operator()(FILE* f) const {
    if (f != nullptr) std::fclose(f);
  }
};

class StepLog {
 public:
  absl::Status Open(const std::string& path) {
    if (path.empty()) return absl::OkStatus();
    if (absl::EndsWith(path, ".csv")) {
      jsonl_ = false;
    } else if (absl::EndsWith(path, ".jsonl")) {
      jsonl_ = true;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "log file ", path, ": the name must end in .csv or .jsonl"));
    }
    file_.reset(std::fopen(path.c_str(), "w"));
    if (file_ == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("log file ", path,
                       ": cannot open for writing: ", std::strerror(errno)));
    }
    path_ = path;
    if (!jsonl_) std::fputs("step,epoch,loss\n", file_.get());
    return absl::OkStatus();
  }
  void Write(int64_t step, int64_t epoch, double loss) {
    if (file_ == nullptr) return;
    if (jsonl_) {
      std::fprintf(
          file_.get(), "{\"step\":%lld,\"epoch\":%lld,\"loss\":%.9g}\n",
          static_cast<long long>(step), static_cast<long long>(epoch), loss);
    } else {
      std::fprintf(file_.get(), "%lld,%lld,%.9g\n",
                   static_cast<long long>(step), static_cast<long long>(epoch),
                   loss);
    }
  }
  absl::Status Close() {
    if (file_ == nullptr) return absl::OkStatus();
    const bool failed = std::ferror(file_.get()) != 0;
    const bool close_failed = std::fclose(file_.release()) != 0;
    if (failed || close_failed) {
      return absl::UnknownError(
          absl::StrCat("log file ", path_, ": write failed"));
    }
    return absl::OkStatus();
  }

 private:
  std::unique_ptr<FILE, FileCloser> file_;
  std::string path_;
  bool jsonl_ = false;
};

class Progress {
 public:
  Progress(ProgressMode mode, FILE* stream, int64_t epochs)
      : stream_(stream != nullptr ? stream : stderr), epochs_(epochs) {
    if (mode == ProgressMode::kAuto) {
      mode =
          isatty(fileno(stream_)) ? ProgressMode::kBar : ProgressMode::kLines;
    }
    mode_ = mode;
  }
  void Step(const StepInfo& s) {
    if (mode_ != ProgressMode::kBar) return;
    const Clock::time_point now = Clock::now();
    if (s.batch != s.steps_per_epoch &&
        now - last_ < std::chrono::milliseconds(100)) {
      return;
    }
    last_ = now;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(
        kWidth * s.batch / std::max<int64_t>(s.steps_per_epoch, 1));
    std::string bar(filled, '=');
    if (filled < kWidth) bar += '>';
    bar.resize(kWidth, ' ');
    std::fprintf(stream_, "\repoch %lld/%lld [%s] %lld/%lld  loss %.4f",
                 static_cast<long long>(s.epoch),
                 static_cast<long long>(epochs_), bar.c_str(),
                 static_cast<long long>(s.batch),
                 static_cast<long long>(s.steps_per_epoch), s.loss);
    std::fflush(stream_);
  }
  void Epoch(const EpochMetrics& m) {
    if (mode_ == ProgressMode::kNone) return;
    if (mode_ == ProgressMode::kBar) std::fputs("\r\033[K", stream_);
    std::fprintf(stream_, "%s\n", FormatEpoch(m, epochs_).c_str());
    std::fflush(stream_);
  }
  void Abort() {
    if (mode_ == ProgressMode::kBar) std::fputs("\n", stream_);
  }

 private:
  FILE* stream_;
  ProgressMode mode_;
  int64_t epochs_;
  Clock::time_point last_;
};

absl::Status CheckOptions(const FitOptions& o) {
  auto bad = [](absl::string_view what, int64_t v) {
    return absl::InvalidArgumentError(
        absl::StrCat("fit: ", what, " must be >= 1, got ", v));
  };
  if (o.epochs < 1) return bad("epochs", o.epochs);
  if (o.batch_size < 1) return bad("batch size", o.batch_size);
  if (o.accumulation_steps < 1) {
    return bad("accumulation steps", o.accumulation_steps);
  }
  if (o.max_steps < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("fit: max steps must be >= 0, got ", o.max_steps));
  }
  if (o.schedule.has_value()) ATTUNE_RETURN_IF_ERROR(o.schedule->Validate());
  return absl::OkStatus();
}

absl::Status Annotate(const absl::Status& s, absl::string_view where) {
  return absl::Status(s.code(), absl::StrCat(where, ": ", s.message()));
}

}  // namespace

std::string FormatEpoch(const EpochMetrics& m, int64_t epochs) {
  std::string line =
      absl::StrFormat("epoch %d/%d  loss %.4f", m.epoch, epochs, m.loss);
  if (m.accuracy) absl::StrAppendFormat(&line, "  accuracy %.4f", *m.accuracy);
  if (m.validation) {
    absl::StrAppendFormat(&line, "  val_loss %.4f", m.validation->loss);
    if (m.validation->accuracy) {
      absl::StrAppendFormat(&line, "  val_accuracy %.4f",
                            *m.validation->accuracy);
    }
  }
  absl::StrAppendFormat(&line, "  (%d steps, %.1f s)", m.steps, m.seconds);
  return line;
}

absl::StatusOr<EvalMetrics> Evaluate(Interpreter& interpreter,
                                     const Dataset& data, int64_t batch_size,
                                     absl::string_view signature) {
  if (batch_size < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("evaluate: batch size must be >= 1, got ", batch_size));
  }
  ATTUNE_ASSIGN_OR_RETURN(Binding binding,
                          Binding::Create(interpreter, signature, data));
  ATTUNE_ASSIGN_OR_RETURN(Dataset cast,
                          data.Cast(binding.x_dtype(), binding.y_dtype()));
  const std::vector<int64_t> order = EpochOrder(cast.size(), false, 0, 0);
  double loss_sum = 0, accuracy_sum = 0;
  bool has_accuracy = true;
  for (int64_t begin = 0; begin < cast.size(); begin += batch_size) {
    const int64_t n = std::min(batch_size, cast.size() - begin);
    double loss;
    std::optional<double> accuracy;
    absl::Status s = binding.Run(
        cast, absl::MakeConstSpan(order).subspan(begin, n), &loss, &accuracy);
    if (!s.ok()) {
      return Annotate(s, absl::StrCat("signature \"", signature, "\", samples ",
                                      begin, "..", begin + n - 1));
    }
    loss_sum += loss * n;
    if (accuracy) {
      accuracy_sum += *accuracy * n;
    } else {
      has_accuracy = false;
    }
  }
  EvalMetrics m;
  m.samples = cast.size();
  m.loss = loss_sum / cast.size();
  if (has_accuracy) m.accuracy = accuracy_sum / cast.size();
  return m;
}

absl::StatusOr<FitResult> Fit(Interpreter& interpreter, const Dataset& train,
                              const FitOptions& options,
                              const Dataset* validation) {
  // 1. Check the options and the model; bind the signatures; convert the
  //    data to the inputs' dtypes.
  ATTUNE_RETURN_IF_ERROR(CheckOptions(options));
  const bool accumulate = options.accumulation_steps > 1;
  const std::string& step_key =
      accumulate ? options.accumulate_signature : options.train_signature;
  if (accumulate && (!HasSignature(interpreter, options.accumulate_signature) ||
                     !HasSignature(interpreter, options.apply_signature))) {
    return absl::FailedPreconditionError(absl::StrCat(
        "accumulation over ", options.accumulation_steps,
        " batches needs signatures \"", options.accumulate_signature,
        "\" and \"", options.apply_signature, "\"; the model has: ",
        absl::StrJoin(interpreter.signature_keys(), ", ")));
  }
  ATTUNE_ASSIGN_OR_RETURN(Binding binding,
                          Binding::Create(interpreter, step_key, train));
  SignatureRunner* apply = nullptr;
  if (accumulate) {
    ATTUNE_ASSIGN_OR_RETURN(
        apply, interpreter.GetSignatureRunner(options.apply_signature));
    ATTUNE_RETURN_IF_ERROR(apply->AllocateTensors());
  }
  ATTUNE_ASSIGN_OR_RETURN(Dataset data,
                          train.Cast(binding.x_dtype(), binding.y_dtype()));
  const bool run_validation = validation != nullptr &&
                              HasSignature(interpreter, options.eval_signature);
  std::optional<Dataset> validation_data;
  if (run_validation) {
    // Fail before training when the validation data does not fit; convert
    // it once.
    ATTUNE_ASSIGN_OR_RETURN(
        Binding eval,
        Binding::Create(interpreter, options.eval_signature, *validation));
    ATTUNE_ASSIGN_OR_RETURN(validation_data,
                            validation->Cast(eval.x_dtype(), eval.y_dtype()));
  }

  VariableStore& store = interpreter.variables();
  const int lr_index = store.Find(kLearningRateVariable);
  if (lr_index >= 0 && (store.tensor(lr_index).dtype != DType::kFloat32 ||
                        store.tensor(lr_index).num_elements() != 1)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "variable ", kLearningRateVariable, " must be a float32 scalar, is ",
        DTypeName(store.tensor(lr_index).dtype),
        ShapeToString(store.tensor(lr_index).shape)));
  }
  if (options.schedule.has_value() && lr_index < 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("the model has no variable ", kLearningRateVariable,
                     ": cannot set the learning rate"));
  }
  int step_index = store.Find(kOptimizerStepVariable);
  if (step_index >= 0 && (store.tensor(step_index).dtype != DType::kInt64 ||
                          store.tensor(step_index).num_elements() != 1)) {
    step_index = -1;  // not the optimizer's counter: count steps here
  }

  StepLog log;
  ATTUNE_RETURN_IF_ERROR(log.Open(options.log_path));
  Progress progress(options.progress, options.progress_stream, options.epochs);
  VariableSnapshot snapshot(store);

  // 2. Epochs of steps; each step is A batches (A = accumulation steps).
  const int64_t n = data.size();
  const int64_t batches =
      NumBatches(n, options.batch_size, options.drop_remainder);
  if (batches == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("fit: ", n, " training samples make no batch of ",
                     options.batch_size, " (drop_remainder is set)"));
  }
  const int64_t a = options.accumulation_steps;
  const int64_t steps_per_epoch = (batches + a - 1) / a;
  FitResult result;
  bool stop = false;
  for (int64_t epoch = 1; epoch <= options.epochs && !stop; ++epoch) {
    const Clock::time_point start = Clock::now();
    const std::vector<int64_t> order =
        EpochOrder(n, options.shuffle, options.seed, epoch - 1);
    EpochMetrics metrics;
    metrics.epoch = epoch;
    double loss_sum = 0, accuracy_sum = 0;
    bool has_accuracy = true;
    for (int64_t s = 0; s < steps_per_epoch; ++s) {
      if (options.max_steps > 0 && result.steps >= options.max_steps) {
        result.reached_max_steps = true;
        stop = true;
        break;
      }
      StepInfo info;
      info.step = result.steps + 1;
      info.epoch = epoch;
      info.batch = s + 1;
      info.steps_per_epoch = steps_per_epoch;
      const std::string where =
          absl::StrCat("step ", info.step, " (epoch ", epoch, ", batch ", s + 1,
                       "/", steps_per_epoch, ")");
      if (options.schedule.has_value()) {
        const int64_t position =
            step_index >= 0 ? *store.tensor(step_index).data_as<int64_t>()
                            : info.step - 1;
        const float lr = static_cast<float>(options.schedule->At(position));
        *store.tensor(lr_index).data_as<float>() = lr;
        store.MarkWritten(lr_index);
      }
      info.learning_rate = lr_index >= 0
                               ? *store.tensor(lr_index).data_as<float>()
                               : std::numeric_limits<double>::quiet_NaN();
      snapshot.Save();
      // Forward/backward (and the update, or accumulation) per batch.
      double step_loss = 0, step_accuracy = 0;
      bool step_has_accuracy = true;
      std::string failure;
      absl::Status status;
      const int64_t first = s * a;
      const int64_t last = std::min(first + a, batches);
      for (int64_t b = first; b < last && status.ok() && failure.empty(); ++b) {
        const int64_t begin = b * options.batch_size;
        const int64_t count = std::min(options.batch_size, n - begin);
        double loss;
        std::optional<double> accuracy;
        status =
            binding.Run(data, absl::MakeConstSpan(order).subspan(begin, count),
                        &loss, &accuracy);
        if (!status.ok()) break;
        if (!std::isfinite(loss)) {
          failure = absl::StrFormat("loss is %g", loss);
          break;
        }
        step_loss += loss * count;
        info.samples += count;
        if (accuracy) {
          step_accuracy += *accuracy * count;
        } else {
          step_has_accuracy = false;
        }
      }
      if (status.ok() && failure.empty() && accumulate)
        status = apply->Invoke();
      if (status.ok() && failure.empty() && options.check_variables) {
        const int bad = snapshot.FirstNonFinite();
        if (bad >= 0) {
          failure = absl::StrCat("variable ", store.info(bad).name,
                                 " became non-finite");
        }
      }
      if (!status.ok() || !failure.empty()) {
        snapshot.Restore();
        progress.Abort();
        (void)log.Close();
        if (!status.ok()) {
          return Annotate(status, absl::StrCat(where, ", variables restored"));
        }
        return absl::FailedPreconditionError(absl::StrCat(
            where, ": ", failure,
            "; training stopped and the variables were restored to their "
            "values before this step"));
      }
      info.loss = step_loss / info.samples;
      if (step_has_accuracy) info.accuracy = step_accuracy / info.samples;
      loss_sum += step_loss;
      if (step_has_accuracy) {
        accuracy_sum += step_accuracy;
      } else {
        has_accuracy = false;
      }
      ++result.steps;
      result.samples += info.samples;
      ++metrics.steps;
      metrics.samples += info.samples;
      log.Write(info.step, epoch, info.loss);
      progress.Step(info);
      if (options.on_step && !options.on_step(info)) {
        result.stopped_by_callback = true;
        stop = true;
        break;
      }
    }
    if (metrics.steps == 0) break;  // max_steps reached at an epoch boundary
    metrics.loss = loss_sum / metrics.samples;
    if (has_accuracy) metrics.accuracy = accuracy_sum / metrics.samples;
    if (run_validation) {
      absl::StatusOr<EvalMetrics> eval =
          Evaluate(interpreter, *validation_data, options.batch_size,
                   options.eval_signature);
      if (!eval.ok()) {
        progress.Abort();
        (void)log.Close();
        return Annotate(eval.status(),
                        absl::StrCat("validation after epoch ", epoch));
      }
      metrics.validation = *eval;
    }
    metrics.seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    progress.Epoch(metrics);
    if (options.on_epoch) options.on_epoch(metrics);
    result.epochs.push_back(metrics);
  }
  if (options.max_steps > 0 && result.steps >= options.max_steps) {
    result.reached_max_steps = true;
  }
  ATTUNE_RETURN_IF_ERROR(log.Close());
  return result;
}

}  // namespace attune
