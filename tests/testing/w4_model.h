#ifndef ATTUNE_TESTS_TESTING_W4_MODEL_H_
#define ATTUNE_TESTS_TESTING_W4_MODEL_H_

// W4 of the standard workloads (DESIGN.md): the imported MobileNetV2-0.35-96
// embedder (models/mobilenet_v2_035_96_embedder.tflite) with the trainable
// head 1280 -> 128 ReLU -> 5 and Adam. One definition for the tests and
// benchmarks that run it.

#include <memory>
#include <utility>

#include "absl/status/statusor.h"
#include "engine/model.h"
#include "importers/tflite/head.h"

namespace attune::testing {

inline constexpr char kW4HeadSpec[] = R"({"layers": [
    {"type": "dense", "name": "dense_1", "units": 128, "activation": "relu"},
    {"type": "dense", "name": "dense_2", "units": 5}],
  "optimizer": {"type": "adam"}, "seed": 1})";

// W4 on `embedder`, the imported embedder graph.
inline absl::StatusOr<std::shared_ptr<const Model>> W4Model(
    const Graph& embedder) {
  tflite::HeadOptions head;
  head.spec_json = kW4HeadSpec;
  absl::StatusOr<Graph> graph = tflite::AttachTrainableHead(embedder, head);
  if (!graph.ok()) return graph.status();
  return Model::FromGraph(*std::move(graph));
}

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_TESTING_W4_MODEL_H_
