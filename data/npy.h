#ifndef ATTUNE_DATA_NPY_H_
#define ATTUNE_DATA_NPY_H_

// NumPy .npy files (format versions 1.0, 2.0 and 3.0): a magic string, a
// version, a little-endian header length (2 bytes in 1.0, 4 in 2.0/3.0), a
// Python dict literal {'descr': '<f4', 'fortran_order': False, 'shape': (2,
// 3), } padded with spaces to a 64-byte boundary and ending in '\n', then
// the raw C-order data. See numpy.lib.format.
//
// Supported dtypes: float32 '<f4', float64 '<f8', int32 '<i4', int64 '<i8',
// uint8 '|u1', int8 '|i1', bool '|b1'. Little-endian and C order only.
//
// Error codes: InvalidArgument for a malformed file (bad magic, bad header
// dict, bad shape, trailing bytes), DataLoss for data shorter than the
// header says, Unimplemented for valid files attune does not read
// (big-endian, Fortran order, other dtypes, unknown format versions),
// NotFound / PermissionDenied for the file itself.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "data/array.h"

namespace attune {

struct NpyReadOptions {
  // Convert float64 data to float32 while reading.
  bool float64_to_float32 = false;
};

// Parses .npy bytes. `what` names the source in error messages (a path or
// "x.npz:member").
absl::StatusOr<Array> ParseNpy(absl::Span<const uint8_t> bytes,
                               const NpyReadOptions& options = {},
                               absl::string_view what = "npy data");

// Reads and parses the file at `path`.
absl::StatusOr<Array> ReadNpy(const std::string& path,
                              const NpyReadOptions& options = {});

// .npy bytes for `array` (format 1.0, or 2.0 when the header needs it).
// InvalidArgument when the array is inconsistent (see Array::Validate).
absl::StatusOr<std::string> SerializeNpy(const Array& array);

// Writes `array` to `path` (replacing it). Internal/PermissionDenied-style
// errors name the path.
absl::Status WriteNpy(const std::string& path, const Array& array);

// Reads a whole file into memory, refusing files over `max_bytes`.
// NotFound when it does not exist; InvalidArgument when it is too large.
absl::StatusOr<std::string> ReadFileBytes(const std::string& path,
                                          int64_t max_bytes = int64_t{1} << 34);

// Writes `bytes` to `path` (truncating). Errors name the path.
absl::Status WriteFileBytes(const std::string& path, absl::string_view bytes);

}  // namespace attune

#endif  // ATTUNE_DATA_NPY_H_
