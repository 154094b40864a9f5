#ifndef ATTUNE_DATA_NPZ_H_
#define ATTUNE_DATA_NPZ_H_

// NumPy .npz archives: a zip file with one .npy member per array, named
// "<name>.npy". Reading accepts stored and deflated members (numpy.savez and
// numpy.savez_compressed) and Zip64 size/offset extras; writing stores
// members uncompressed. Each member's CRC-32 is checked.
//
// Error codes: as in npy.h, plus InvalidArgument for a malformed zip
// structure, DataLoss for truncated members, CRC mismatches or corrupt
// deflate streams, Unimplemented for other compression methods, encryption
// or multi-disk archives, NotFound for a missing member.

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "data/array.h"
#include "data/npy.h"

namespace attune {

// Arrays in archive order, named without the ".npy" suffix.
using NamedArrays = std::vector<std::pair<std::string, Array>>;

// Parses .npz bytes; `what` names the source in error messages.
absl::StatusOr<NamedArrays> ParseNpz(absl::Span<const uint8_t> bytes,
                                     const NpyReadOptions& options = {},
                                     absl::string_view what = "npz data");
absl::StatusOr<NamedArrays> ReadNpz(const std::string& path,
                                    const NpyReadOptions& options = {});

// One member, by name with or without ".npy". NotFound lists the members.
absl::StatusOr<Array> ReadNpzMember(const std::string& path,
                                    absl::string_view name,
                                    const NpyReadOptions& options = {});

// The member names (without ".npy") of an archive, in order.
absl::StatusOr<std::vector<std::string>> ListNpz(const std::string& path);

// A zip archive holding one stored "<name>.npy" member per array.
// InvalidArgument for empty or duplicate names or an inconsistent array.
absl::StatusOr<std::string> SerializeNpz(const NamedArrays& arrays);
absl::Status WriteNpz(const std::string& path, const NamedArrays& arrays);

}  // namespace attune

#endif  // ATTUNE_DATA_NPZ_H_
