// Fashion-MNIST inference with the W0 model (the TFLite on-device training
// tutorial model), end to end through the C++ API:
//   1. compile examples/specs/w0_tflite_tutorial.json in memory;
//   2. load the first N test images and labels with the IDX reader;
//   3. run the `infer` signature at batch 100 and report predictions,
//      accuracy and the mean latency of one Invoke.
// The weights are the compiler's seeded initial values (training arrives
// with `attune fit`), so accuracy is at chance level (about 10%).
//
// Usage: fashion_mnist_infer [DATASET_DIR] [N]
//   DATASET_DIR defaults to /usr/share/datasets/fashion-mnist (Debian
//   package dataset-fashion-mnist); N defaults to 1000 (at most 10000).

#include <sys/stat.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "builder/spec.h"
#include "data/idx.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "w0_spec.h"

namespace {

constexpr const char* kClassNames[10] = {
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
constexpr int kBatch = 100;
constexpr int kShown = 10;

int Fail(const std::string& message) {
  std::fprintf(stderr, "fashion_mnist_infer: %s\n", message.c_str());
  return 1;
}

bool Exists(const std::string& path) {
  struct stat st;
  return stat(path.c_str(), &st) == 0;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace attune;  // NOLINT
  if (argc > 3 || (argc > 1 && (std::strcmp(argv[1], "--help") == 0 ||
                                std::strcmp(argv[1], "-h") == 0))) {
    std::printf("usage: fashion_mnist_infer [DATASET_DIR] [N]\n"
                "  DATASET_DIR  default /usr/share/datasets/fashion-mnist\n"
                "  N            test images to classify, default 1000\n");
    return argc > 3 ? 2 : 0;
  }
  const std::string dir =
      argc > 1 ? argv[1] : "/usr/share/datasets/fashion-mnist";
  int n = 1000;
  if (argc > 2 && (!absl::SimpleAtoi(argv[2], &n) || n < 1)) {
    return Fail(absl::StrCat("N must be a positive integer, got \"", argv[2], "\""));
  }
  const std::string images_path = dir + "/t10k-images-idx3-ubyte.gz";
  const std::string labels_path = dir + "/t10k-labels-idx1-ubyte.gz";
  for (const std::string& path : {images_path, labels_path}) {
    if (!Exists(path)) {
      return Fail(absl::StrCat(
          "Fashion-MNIST test set not found: ", path,
          " is missing (install the Debian package dataset-fashion-mnist or "
          "pass the dataset directory as the first argument)"));
    }
  }

  // 1. Compile the W0 spec in memory.
  absl::StatusOr<Graph> graph = CompileSpec(kW0Spec);
  if (!graph.ok()) return Fail(absl::StrCat("compile W0: ", graph.status().message()));
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::FromGraph(*std::move(graph));
  if (!model.ok()) return Fail(std::string(model.status().message()));
  absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::Create(*model);
  if (!interpreter.ok()) {
    return Fail(absl::StrCat("cannot run W0 in this build: ",
                             interpreter.status().message()));
  }
  absl::StatusOr<SignatureRunner*> runner =
      (*interpreter)->GetSignatureRunner("infer");
  if (!runner.ok()) return Fail(std::string(runner.status().message()));
  SignatureRunner& infer = **runner;

  // 2. The test set, scaled to [0, 1].
  IdxReadOptions options;
  options.scale_to_unit = true;
  absl::StatusOr<Array> images = ReadIdx(images_path, options);
  if (!images.ok()) return Fail(std::string(images.status().message()));
  absl::StatusOr<Array> labels = ReadIdx(labels_path);
  if (!labels.ok()) return Fail(std::string(labels.status().message()));
  if (images->shape.size() != 3 || images->shape[1] != 28 ||
      images->shape[2] != 28 || labels->dtype != ArrayDType::kUint8 ||
      labels->shape.size() != 1 || labels->shape[0] != images->shape[0]) {
    return Fail(absl::StrCat("unexpected dataset shapes: images ",
                             DescribeArray(*images), ", labels ",
                             DescribeArray(*labels)));
  }
  n = static_cast<int>(std::min<int64_t>(n, images->shape[0]));
  const float* pixels = images->values<float>().data();
  const uint8_t* truth = labels->values<uint8_t>().data();

  std::printf("W0 tflite_tutorial: [B,28,28] -> flatten -> dense 128 relu -> "
              "dense 10, %lld parameters\n",
              static_cast<long long>(784 * 128 + 128 + 128 * 10 + 10));
  std::printf("NOTE: the weights are UNTRAINED (Glorot-uniform initial values, "
              "seed 0); expect chance-level accuracy (~10%%).\n");
  std::printf("classifying the first %d of %lld test images from %s, batch %d\n\n",
              n, static_cast<long long>(images->shape[0]), dir.c_str(), kBatch);

  // 3. Batches of 100 (the last one may be smaller).
  int correct = 0;
  int batches = 0;
  double total_ms = 0;
  int current_batch = -1;
  for (int start = 0; start < n; start += kBatch) {
    const int b = std::min(kBatch, n - start);
    if (b != current_batch) {
      if (absl::Status s = infer.ResizeInput("x", {b, 28, 28}); !s.ok()) {
        return Fail(std::string(s.message()));
      }
      if (absl::Status s = infer.AllocateTensors(); !s.ok()) {
        return Fail(std::string(s.message()));
      }
      current_batch = b;
    }
    absl::Status s = infer.SetInput<float>(
        "x", absl::MakeConstSpan(pixels + static_cast<size_t>(start) * 784,
                                 static_cast<size_t>(b) * 784));
    if (!s.ok()) return Fail(std::string(s.message()));
    const auto t0 = std::chrono::steady_clock::now();
    s = infer.Invoke();
    const auto t1 = std::chrono::steady_clock::now();
    if (!s.ok()) return Fail(std::string(s.message()));
    total_ms += std::chrono::duration<double, std::milli>(t1 - t0).count();
    ++batches;
    absl::StatusOr<absl::Span<const float>> probs =
        infer.typed_output<float>("probabilities");
    if (!probs.ok()) return Fail(std::string(probs.status().message()));
    for (int i = 0; i < b; ++i) {
      const float* p = probs->data() + i * 10;
      const int predicted = static_cast<int>(std::max_element(p, p + 10) - p);
      const int label = truth[start + i];
      correct += predicted == label;
      if (start + i < kShown) {
        std::printf("  image %4d  predicted %-11s (p=%.3f)  label %-11s %s\n",
                    start + i, kClassNames[predicted], p[predicted],
                    kClassNames[label], predicted == label ? "ok" : "");
      }
    }
  }
  std::printf("\naccuracy %.1f%% (%d/%d; chance is 10%%, the model is untrained)\n",
              100.0 * correct / n, correct, n);
  std::printf("mean infer latency %.3f ms per batch of %d (%d batches, 1 thread)\n",
              total_ms / batches, std::min(kBatch, n), batches);
  return 0;
}
