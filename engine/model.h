#ifndef ATTUNE_ENGINE_MODEL_H_
#define ATTUNE_ENGINE_MODEL_H_

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/graph.h"

namespace attune {

// Version written to and accepted from `Model.format_version`
// (schema/attune.fbs, described in schema/README.md).
inline constexpr uint32_t kFormatVersion = 1;
// Constant buffers start at file offsets that are multiples of this.
inline constexpr size_t kBufferAlignment = 64;

// A loaded, verified and validated model: its graph IR, with constant
// buffers pointing into the memory-mapped file (or into owned bytes).
// Immutable after creation and safe to share between interpreters and
// threads.
class Model {
 public:
  // Maps `path` read-only and uses its constant buffers in place.
  // Errors: NotFound / PermissionDenied for the file, DataLoss for a file
  // that fails the FlatBuffers verifier or points outside itself,
  // InvalidArgument for a semantically invalid graph (see validator.h).
  static absl::StatusOr<std::shared_ptr<const Model>> Load(
      const std::string& path);

  // Same checks on bytes already in memory; copies them.
  static absl::StatusOr<std::shared_ptr<const Model>> FromBytes(
      absl::Span<const uint8_t> bytes);

  // Validates a graph built in memory and wraps it.
  static absl::StatusOr<std::shared_ptr<const Model>> FromGraph(Graph graph);

  const Graph& graph() const { return graph_; }

 private:
  explicit Model(Graph graph) : graph_(std::move(graph)) {}
  Graph graph_;
};

// Parses model-file bytes into a graph (verifier + structural checks, no
// semantic validation). `owner` keeps `bytes` alive for the buffers that
// point into it.
absl::StatusOr<Graph> ParseModelBytes(absl::Span<const uint8_t> bytes,
                                      std::shared_ptr<const void> owner);

// Serializes a graph into model-file bytes: the FlatBuffer, then each
// constant buffer at a kBufferAlignment-aligned offset.
absl::StatusOr<std::string> SerializeModel(const Graph& graph);

// Validates and writes `graph` to `path` atomically (temporary file, fsync,
// rename), so a crash never leaves a half-written model at `path`.
absl::Status WriteModelFile(const Graph& graph, const std::string& path);

}  // namespace attune

#endif  // ATTUNE_ENGINE_MODEL_H_
