#ifndef ATTUNE_TESTS_IMPORTERS_TFLITE_TEST_UTIL_H_
#define ATTUNE_TESTS_IMPORTERS_TFLITE_TEST_UTIL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "importers/tflite/importer.h"

namespace attune {
namespace tflite {

// The project's copy of a model file (models/, see models/NOTICE.md).
inline std::string ModelPath(const std::string& name) {
  return std::string(ATTUNE_SOURCE_DIR) + "/models/" + name;
}

// Imports models/<name> and creates an interpreter for it.
inline absl::StatusOr<std::unique_ptr<Interpreter>> ImportAndCreate(
    const std::string& name, int threads = 1) {
  absl::StatusOr<std::shared_ptr<const Model>> model =
      LoadTfliteModel(ModelPath(name));
  if (!model.ok()) return model.status();
  InterpreterOptions options;
  options.num_threads = threads;
  return Interpreter::Create(*model, options);
}

// Imports .tflite bytes (e.g. from TfliteWriter) and creates an
// interpreter for them.
inline absl::StatusOr<std::unique_ptr<Interpreter>> ImportBytesAndCreate(
    absl::Span<const uint8_t> bytes) {
  absl::StatusOr<Graph> graph = ImportTflite(bytes);
  if (!graph.ok()) return graph.status();
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::FromGraph(*std::move(graph));
  if (!model.ok()) return model.status();
  return Interpreter::Create(*model);
}

// The runner of signature `key` with its tensors allocated.
inline absl::StatusOr<SignatureRunner*> Runner(Interpreter& interp,
                                               const std::string& key) {
  absl::StatusOr<SignatureRunner*> runner = interp.GetSignatureRunner(key);
  if (!runner.ok()) return runner.status();
  absl::Status status = (*runner)->AllocateTensors();
  if (!status.ok()) return status;
  return runner;
}

}  // namespace tflite
}  // namespace attune

#endif  // ATTUNE_TESTS_IMPORTERS_TFLITE_TEST_UTIL_H_
