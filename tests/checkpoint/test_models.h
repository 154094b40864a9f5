#ifndef ATTUNE_TESTS_CHECKPOINT_TEST_MODELS_H_
#define ATTUNE_TESTS_CHECKPOINT_TEST_MODELS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_replace.h"
#include "builder/spec.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "engine/status_macros.h"

namespace attune::testing {

// A small compiled classifier (4 -> 8 relu -> 3, Adam): variables
// <layer>/kernel, <layer>/bias, their adam/m and adam/v slots,
// optimizer/step and optimizer/learning_rate. `first` and `hidden` rename
// the first layer and resize it, to make other architectures.
inline absl::StatusOr<std::shared_ptr<const Model>> SmallModel(
    const std::string& first = "dense_1", int hidden = 8) {
  const std::string spec = absl::StrReplaceAll(
      R"({
    "name": "small",
    "inputs": [{"name": "x", "shape": [-1, 4], "dtype": "float32"}],
    "layers": [
      {"type": "dense", "name": "FIRST", "units": HIDDEN, "activation": "relu"},
      {"type": "dense", "name": "head", "units": 3}
    ],
    "loss": {"type": "softmax_cross_entropy", "labels": "sparse"},
    "optimizer": {"type": "adam", "learning_rate": 0.01},
    "seed": 3
  })",
      {{"FIRST", first}, {"HIDDEN", std::to_string(hidden)}});
  ATTUNE_ASSIGN_OR_RETURN(Graph graph, CompileSpec(spec));
  return Model::FromGraph(std::move(graph));
}

inline absl::StatusOr<std::unique_ptr<Interpreter>> SmallInterpreter(
    const std::string& first = "dense_1", int hidden = 8) {
  ATTUNE_ASSIGN_OR_RETURN(std::shared_ptr<const Model> model,
                          SmallModel(first, hidden));
  return Interpreter::Create(model);
}

// Sets every float variable to `base + 0.001 * i` (i = element index) and
// every int64 one to `base` so states are easy to tell apart.
inline void FillVariables(VariableStore& variables, float base) {
  for (int v = 0; v < variables.size(); ++v) {
    Tensor& t = variables.tensor(v);
    if (t.dtype == DType::kFloat32) {
      float* data = t.data_as<float>();
      for (int64_t i = 0; i < t.num_elements(); ++i) {
        data[i] = base + 0.001f * static_cast<float>(i) + static_cast<float>(v);
      }
    } else if (t.dtype == DType::kInt64) {
      int64_t* data = t.data_as<int64_t>();
      for (int64_t i = 0; i < t.num_elements(); ++i) {
        data[i] = static_cast<int64_t>(base);
      }
    }
    variables.MarkWritten(v);
  }
}

// Byte copy of every variable, for bit-exact comparisons.
inline std::vector<std::vector<uint8_t>> Snapshot(
    const VariableStore& variables) {
  std::vector<std::vector<uint8_t>> out;
  for (int v = 0; v < variables.size(); ++v) {
    const Tensor& t = variables.tensor(v);
    const uint8_t* p = static_cast<const uint8_t*>(t.data);
    out.emplace_back(p, p + t.bytes);
  }
  return out;
}

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_CHECKPOINT_TEST_MODELS_H_
