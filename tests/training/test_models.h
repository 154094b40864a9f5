#ifndef ATTUNE_TESTS_TRAINING_TEST_MODELS_H_
#define ATTUNE_TESTS_TRAINING_TEST_MODELS_H_

// Hand-built training models that follow the compiled-model contract of
// training/fit.h, for tests until `attune compile` emits train signatures.

#include <cstdint>
#include <memory>

#include "absl/status/statusor.h"
#include "engine/graph.h"
#include "engine/model.h"

namespace attune {
namespace testing {

struct ClassifierOptions {
  int features = 2;
  int classes = 2;
  float learning_rate = 0.5f;
  uint64_t seed = 1;  // of the Glorot-uniform kernel
  // Adds accumulate(x, y) -> loss and apply_gradients() (mean of the
  // accumulated gradients, one SGD update, accumulators cleared).
  bool accumulate = true;
};

// A softmax-regression classifier, one dense layer:
//   variables  dense/kernel [F, C] (Glorot uniform), dense/bias [C] (zeros),
//              optimizer/learning_rate (float32 scalar), optimizer/step
//              (int64 scalar), and with `accumulate` accum/dense/kernel,
//              accum/dense/bias, accum/count (float32 scalar);
//   infer(x [-1, F]) -> logits [-1, C]
//   eval(x, y int32 [-1]) -> loss, accuracy
//   train(x, y) -> loss, accuracy     (plain SGD: w -= lr * dL/dw; step += 1)
// where loss = mean sparse softmax cross-entropy and accuracy = mean of
// arg_max(logits) == y.
absl::StatusOr<Graph> BuildClassifierGraph(const ClassifierOptions& options);
absl::StatusOr<std::shared_ptr<const Model>> BuildClassifier(
    const ClassifierOptions& options);

}  // namespace testing
}  // namespace attune

#endif  // ATTUNE_TESTS_TRAINING_TEST_MODELS_H_
