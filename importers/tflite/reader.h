#ifndef ATTUNE_IMPORTERS_TFLITE_READER_H_
#define ATTUNE_IMPORTERS_TFLITE_READER_H_

// Reads TensorFlow Lite model files (.tflite: FlatBuffers, identifier
// "TFL3") through attune's schema subset (tflite_subset.fbs).

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "tflite_subset_generated.h"

namespace attune {
namespace tflite {

namespace tfl = ::tflite_subset;

// Checks the file identifier, runs the FlatBuffers verifier and the
// structural checks the importer relies on (every operator's opcode index,
// every tensor's buffer index and every operator's tensor indices in range;
// at least one subgraph). Returns the root table, a view into `bytes`.
// DataLoss for a file that is not a valid .tflite, naming what is wrong.
absl::StatusOr<const tfl::Model*> VerifyTflite(absl::Span<const uint8_t> bytes);

// The effective builtin code of an operator code: max(deprecated_builtin_code,
// builtin_code) (older files only set the deprecated byte).
tfl::BuiltinOperator EffectiveBuiltinCode(const tfl::OperatorCode& code);

// "CONV_2D", or "BUILTIN_<n>" for codes this schema does not name.
std::string BuiltinName(tfl::BuiltinOperator op);

// The element count of a tensor's static `shape` (1 for a scalar or a
// missing shape). DataLoss for a negative dim or more than 2^40 elements
// (so byte counts cannot overflow).
absl::StatusOr<int64_t> ElementCount(const flatbuffers::Vector<int32_t>* shape);

// The data bytes of buffer `index`: in the flatbuffer, or (for files over
// 2 GB) at the buffer's offset from the file start. Empty for buffers with
// no data. DataLoss when an offset points outside `file`.
absl::StatusOr<absl::Span<const uint8_t>> BufferBytes(
    const tfl::Model& model, uint32_t index, absl::Span<const uint8_t> file);

}  // namespace tflite
}  // namespace attune

#endif  // ATTUNE_IMPORTERS_TFLITE_READER_H_
