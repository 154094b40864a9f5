#ifndef ATTUNE_IMPORTERS_TFLITE_IMPORTER_H_
#define ATTUNE_IMPORTERS_TFLITE_IMPORTER_H_

// TensorFlow Lite importer: turns a .tflite file into attune's graph IR, so
// converted models (inference and on-device training ones) run natively.
//
// What the import does (importers/tflite/README.md has the op table):
//  1. Verifies the file (reader.h).
//  2. Resource variables: every VAR_HANDLE (container, shared_name) becomes
//     one attune variable shared by all signatures. Initial values come from
//     the CALL_ONCE init subgraphs, evaluated at import (constants directly;
//     computed values by running the init subgraph once on an attune
//     interpreter) into the variables' constant-buffer initializers.
//     Variables no init subgraph assigns start at zeros.
//  3. Each SignatureDef becomes an attune signature with the same key and
//     the same input/output names (a file without signatures gets one,
//     "serving_default", named by its subgraph's tensor names). Dynamic dims
//     come from shape_signature.
//  4. Quantized tensors compute in float32: constant weights (int8
//     per-channel, uint8, int32 biases, float16) are dequantized at import.
//     A signature whose inputs or outputs are quantized keeps its integer
//     types (dequantized / requantized at the boundary), and a second
//     signature "<key>_float" takes and returns float32.
//  5. Layouts are converted: conv filters OHWI -> [kh,kw,in,out], depthwise
//     [1,kh,kw,c*m] -> [kh,kw,c,m], fully-connected weights [out,in] ->
//     [in,out] (constants permuted at import, computed ones by an op).
//  6. Flex ops (custom code "Flex<Op>", a flexbuffer NodeDef in
//     custom_options) are implemented natively for the ones training models
//     use (Save/SaveV2/Restore/RestoreV2 on attune checkpoint databases,
//     README.md "Checkpoints"); any other unsupported op is Unimplemented,
//     naming the op and its subgraph.

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "engine/graph.h"
#include "engine/model.h"

namespace attune {
namespace tflite {

// Imports the .tflite bytes. Errors: DataLoss for a malformed file,
// Unimplemented for an unsupported op, dtype or feature (naming it and its
// subgraph), InvalidArgument when the imported graph fails shape inference
// or an operator is malformed, ResourceExhausted when evaluating a CALL_ONCE
// init subgraph needs an arena above 1 GiB. Import plans but never
// allocates the signatures' arenas.
absl::StatusOr<Graph> ImportTflite(absl::Span<const uint8_t> bytes);

// Reads `path` and imports it. NotFound when it cannot be read.
absl::StatusOr<Graph> ImportTfliteFile(const std::string& path);

// ImportTfliteFile + Model::FromGraph: a model ready for
// Interpreter::Create (an app imports on the device with this).
absl::StatusOr<std::shared_ptr<const Model>> LoadTfliteModel(
    const std::string& path);

}  // namespace tflite
}  // namespace attune

#endif  // ATTUNE_IMPORTERS_TFLITE_IMPORTER_H_
