#ifndef ATTUNE_DATA_IDX_H_
#define ATTUNE_DATA_IDX_H_

// IDX files, the format of (Fashion-)MNIST: two zero bytes, a type code
// (0x08 uint8, 0x09 int8, 0x0C int32, 0x0D float32, 0x0E float64), the
// rank, then one big-endian uint32 per dimension and the big-endian data.
// Files may be gzip-compressed (detected by content, not by name).
//
// Error codes: NotFound / PermissionDenied for the file, InvalidArgument
// for a malformed header or trailing bytes, DataLoss for truncated data or
// a corrupt gzip stream, Unimplemented for int16 (0x0B) data,
// ResourceExhausted when the data would exceed IdxReadOptions::max_bytes.

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "data/array.h"

namespace attune {

struct IdxReadOptions {
  // uint8 data becomes float32 in [0, 1] (value / 255).
  bool scale_to_unit = false;
  // float64 data becomes float32.
  bool float64_to_float32 = true;
  // Largest decompressed file accepted (header included).
  int64_t max_bytes = int64_t{1} << 31;
};

// Parses decompressed IDX bytes; `what` names the source in errors.
absl::StatusOr<Array> ParseIdx(absl::Span<const uint8_t> bytes,
                               const IdxReadOptions& options = {},
                               absl::string_view what = "idx data");

// Reads `path`, gzip-compressed or plain.
absl::StatusOr<Array> ReadIdx(const std::string& path,
                              const IdxReadOptions& options = {});

}  // namespace attune

#endif  // ATTUNE_DATA_IDX_H_
