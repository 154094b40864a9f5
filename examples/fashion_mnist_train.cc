// Trains W0 (the TFLite on-device training tutorial model) on Fashion-MNIST
// with the C++ Fit API and prints the test accuracy:
//   1. take examples/specs/w0_tflite_tutorial.json (embedded at configure
//      time), replace its optimizer by --optimizer / --learning-rate, and
//      compile it in memory with CompileSpec;
//   2. read train-*-ubyte.gz (60000 images, float32 in [0, 1]) and
//      t10k-*-ubyte.gz with the IDX reader;
//   3. Fit at batch 100 for N epochs, shuffled with seed 0, evaluating on
//      the test set after every epoch; print the final test accuracy;
//   4. with --checkpoint DB, save the trained weights (and optimizer state)
//      as a new checkpoint of DB with the test accuracy as a property
//      (inspect it with `attune ckpt show DB`).
//
// Optimizer: the tutorial's SGD at lr 0.001 needs dozens of epochs to pass
// 85%, so the default here is plain SGD at lr 0.1 (no momentum); pass
// --optimizer sgd --learning-rate 0.001 for the tutorial's settings, or
// --optimizer momentum (SGD, momentum 0.9) / adam (lr e.g. 0.001).
//
// Needs a spec compiler that emits the `train` and `eval` signatures;
// until then it exits 1 saying so.
//
// Usage: fashion_mnist_train [EPOCHS] [--epochs N] [--learning-rate LR]
//          [--optimizer sgd|momentum|adam] [--data DIR] [--threads N]
//          [--limit N]  (N: use the first N training images)
//          [--min-accuracy A] [--checkpoint DB]

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "builder/spec.h"
#include "checkpoint/checkpoint.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "nlohmann/json.hpp"
#include "training/fit.h"
#include "w0_spec.h"

namespace {

int Fail(const std::string& message) {
  std::fprintf(stderr, "fashion_mnist_train: %s\n", message.c_str());
  return 1;
}

int Usage(const std::string& message) {
  std::fprintf(stderr,
               "fashion_mnist_train: %s\n"
               "usage: fashion_mnist_train [EPOCHS] [--epochs N] "
               "[--learning-rate LR] [--optimizer sgd|momentum|adam] "
               "[--data DIR] [--threads N] [--limit N] [--min-accuracy A] "
               "[--checkpoint DB]\n",
               message.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace attune;  // NOLINT
  int64_t epochs = 5;
  double lr = 0.1;
  bool lr_given = false;
  std::string optimizer = "sgd";
  std::string dir = "/usr/share/datasets/fashion-mnist";
  int threads = 1;
  int64_t limit = 0;
  double min_accuracy = 0.0;
  std::string checkpoint;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      Usage("trains W0 on Fashion-MNIST and prints the test accuracy");
      return 0;
    }
    const bool has_value = i + 1 < argc;
    const char* value = has_value ? argv[i + 1] : "";
    bool ok = true;
    if (arg == "--epochs" && has_value) {
      ok = absl::SimpleAtoi(value, &epochs) && epochs > 0;
      ++i;
    } else if (arg == "--learning-rate" && has_value) {
      ok = absl::SimpleAtod(value, &lr) && lr >= 0;
      lr_given = true;
      ++i;
    } else if (arg == "--optimizer" && has_value) {
      optimizer = value;
      ok = optimizer == "sgd" || optimizer == "momentum" || optimizer == "adam";
      ++i;
    } else if (arg == "--data" && has_value) {
      dir = value;
      ++i;
    } else if (arg == "--threads" && has_value) {
      ok = absl::SimpleAtoi(value, &threads) && threads > 0;
      ++i;
    } else if (arg == "--min-accuracy" && has_value) {
      ok = absl::SimpleAtod(value, &min_accuracy);
      ++i;
    } else if (arg == "--checkpoint" && has_value) {
      checkpoint = value;
      ++i;
    } else if (arg == "--limit" && has_value) {
      ok = absl::SimpleAtoi(value, &limit) && limit > 0;
      ++i;
    } else if (i == 1 && arg[0] != '-') {
      ok = absl::SimpleAtoi(arg, &epochs) && epochs > 0;
    } else {
      return Usage(
          absl::StrCat("unknown or incomplete argument \"", arg, "\""));
    }
    if (!ok) return Usage(absl::StrCat("bad value for ", arg));
  }
  if (optimizer == "adam" && !lr_given) lr = 0.001;
  if (optimizer == "momentum" && !lr_given) lr = 0.01;

  // 1. The W0 spec with the chosen optimizer, compiled in memory.
  nlohmann::json spec = nlohmann::json::parse(kW0Spec, nullptr, false);
  if (spec.is_discarded()) return Fail("the embedded W0 spec is not JSON");
  nlohmann::json opt = {{"type", optimizer == "adam" ? "adam" : "sgd"},
                        {"learning_rate", lr}};
  if (optimizer == "momentum") opt["momentum"] = 0.9;
  spec["optimizer"] = opt;
  absl::StatusOr<Graph> graph = CompileSpec(spec.dump());
  if (!graph.ok())
    return Fail(absl::StrCat("compile W0: ", graph.status().message()));
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::FromGraph(*std::move(graph));
  if (!model.ok()) return Fail(std::string(model.status().message()));
  InterpreterOptions interpreter_options;
  interpreter_options.num_threads = threads;
  absl::StatusOr<std::unique_ptr<Interpreter>> created =
      Interpreter::Create(*model, interpreter_options);
  if (!created.ok()) {
    return Fail(absl::StrCat("cannot run W0 in this build: ",
                             created.status().message()));
  }
  Interpreter& interpreter = **created;
  const std::vector<std::string> keys = interpreter.signature_keys();
  if (std::find(keys.begin(), keys.end(), "train") == keys.end()) {
    return Fail(absl::StrCat(
        "this build's spec compiler produces no train signature (signatures: ",
        absl::StrJoin(keys, ", "), ")"));
  }

  // 2. The data.
  auto load = [&](const std::string& prefix) -> absl::StatusOr<Dataset> {
    absl::StatusOr<Array> images =
        ReadDataFile(absl::StrCat(dir, "/", prefix, "-images-idx3-ubyte.gz"),
                     DataRole::kFeatures);
    if (!images.ok()) return images.status();
    absl::StatusOr<Array> labels =
        ReadDataFile(absl::StrCat(dir, "/", prefix, "-labels-idx1-ubyte.gz"),
                     DataRole::kLabels);
    if (!labels.ok()) return labels.status();
    return Dataset::Create(*std::move(images), *std::move(labels));
  };
  absl::StatusOr<Dataset> train = load("train");
  if (!train.ok()) {
    return Fail(absl::StrCat(train.status().message(),
                             " (install the Debian package "
                             "dataset-fashion-mnist or pass --data DIR)"));
  }
  if (limit > 0 && limit < train->size()) train = train->Slice(0, limit);
  absl::StatusOr<Dataset> test = load("t10k");
  if (!test.ok()) return Fail(std::string(test.status().message()));

  // 3. Train and evaluate.
  FitOptions options;
  options.epochs = epochs;
  options.batch_size = 100;
  options.seed = 0;
  if (interpreter.variables().Find(kLearningRateVariable) >= 0) {
    options.schedule = LearningRateSchedule::Constant(lr);
  }
  std::printf(
      "W0 on Fashion-MNIST: %lld training images, batch 100, %lld "
      "epochs, optimizer %s lr %g, %d thread(s)\n",
      static_cast<long long>(train->size()), static_cast<long long>(epochs),
      optimizer.c_str(), lr, threads);
  absl::StatusOr<FitResult> result = Fit(interpreter, *train, options, &*test);
  if (!result.ok()) return Fail(std::string(result.status().message()));
  absl::StatusOr<EvalMetrics> metrics = Evaluate(interpreter, *test, 1000);
  if (!metrics.ok()) return Fail(std::string(metrics.status().message()));
  if (!metrics->accuracy) return Fail("the eval signature has no accuracy");
  double seconds = 0;
  for (const EpochMetrics& m : result->epochs) seconds += m.seconds;
  std::printf(
      "test accuracy %.4f (loss %.4f, %lld images) after %lld steps, "
      "%.1f s\n",
      *metrics->accuracy, metrics->loss,
      static_cast<long long>(metrics->samples),
      static_cast<long long>(result->steps), seconds);
  if (!checkpoint.empty()) {
    SaveOptions save;
    save.properties = {{"epoch", static_cast<int64_t>(epochs)},
                       {"test_accuracy", *metrics->accuracy},
                       {"test_loss", metrics->loss}};
    absl::StatusOr<int64_t> id = Save(interpreter, checkpoint, save);
    if (!id.ok()) return Fail(std::string(id.status().message()));
    std::printf("saved checkpoint %lld to %s (attune ckpt show %s)\n",
                static_cast<long long>(*id), checkpoint.c_str(),
                checkpoint.c_str());
  }
  if (*metrics->accuracy < min_accuracy) {
    return Fail(absl::StrCat("test accuracy ", *metrics->accuracy,
                             " is below --min-accuracy ", min_accuracy));
  }
  return 0;
}
