#ifndef ATTUNE_ENGINE_DTYPE_H_
#define ATTUNE_ENGINE_DTYPE_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace attune {

// Element types. Values equal schema/attune.fbs `enum DType`.
enum class DType : int8_t {
  kFloat32 = 0,
  kInt32 = 1,
  kInt64 = 2,
  kBool = 3,
  kUint8 = 4,
  kInt8 = 5,
  kFloat16 = 6,
  kString = 7,
};

inline constexpr int kNumDTypes = 8;

// Bytes per element; 0 for kString (strings have no fixed element size).
size_t DTypeSize(DType dtype);

// "float32", "int32", ... as used in specs, the CLI and error messages.
absl::string_view DTypeName(DType dtype);

// Inverse of DTypeName. InvalidArgument for an unknown name.
absl::StatusOr<DType> ParseDType(absl::string_view name);

// IEEE 754 binary16 bits -> binary32, exact (subnormals, infinities and NaN
// included). Used by the dequantize kernel, the TFLite importer and
// checkpoint statistics.
float HalfToFloat(uint16_t h);

// True when `value` is one of the enum's values (for data read from files).
bool IsValidDType(int value);

// Maps a C++ element type to its DType.
template <typename T>
struct DTypeOf;
template <> struct DTypeOf<float> { static constexpr DType value = DType::kFloat32; };
template <> struct DTypeOf<int32_t> { static constexpr DType value = DType::kInt32; };
template <> struct DTypeOf<int64_t> { static constexpr DType value = DType::kInt64; };
template <> struct DTypeOf<bool> { static constexpr DType value = DType::kBool; };
template <> struct DTypeOf<uint8_t> { static constexpr DType value = DType::kUint8; };
template <> struct DTypeOf<int8_t> { static constexpr DType value = DType::kInt8; };
// A kString tensor's data is an array of std::string, one per element, owned
// by the execution plan outside the arena (signature inputs only).
template <> struct DTypeOf<std::string> { static constexpr DType value = DType::kString; };

}  // namespace attune

#endif  // ATTUNE_ENGINE_DTYPE_H_
