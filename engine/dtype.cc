#include "engine/dtype.h"

#include <cstring>

#include "absl/strings/str_cat.h"

namespace attune {
namespace {

struct DTypeEntry {
  DType dtype;
  absl::string_view name;
  size_t size;
};

constexpr DTypeEntry kDTypes[kNumDTypes] = {
    {DType::kFloat32, "float32", 4}, {DType::kInt32, "int32", 4},
    {DType::kInt64, "int64", 8},     {DType::kBool, "bool", 1},
    {DType::kUint8, "uint8", 1},     {DType::kInt8, "int8", 1},
    {DType::kFloat16, "float16", 2}, {DType::kString, "string", 0},
};

}  // namespace

bool IsValidDType(int value) { return value >= 0 && value < kNumDTypes; }

size_t DTypeSize(DType dtype) {
  return IsValidDType(static_cast<int>(dtype))
             ? kDTypes[static_cast<int>(dtype)].size
             : 0;
}

absl::string_view DTypeName(DType dtype) {
  return IsValidDType(static_cast<int>(dtype))
             ? kDTypes[static_cast<int>(dtype)].name
             : absl::string_view("invalid");
}

absl::StatusOr<DType> ParseDType(absl::string_view name) {
  for (const DTypeEntry& entry : kDTypes) {
    if (entry.name == name) return entry.dtype;
  }
  return absl::InvalidArgumentError(absl::StrCat("unknown dtype \"", name,
                                                 "\" (expected float32, int32, "
                                                 "int64, bool, uint8, int8, "
                                                 "float16 or string)"));
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exponent = (h >> 10) & 0x1fu;
  uint32_t mantissa = h & 0x3ffu;
  uint32_t bits;
  if (exponent == 0x1f) {
    // Infinity (mantissa 0) or NaN: all-ones exponent, mantissa widened.
    bits = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    // Normal: rebias the exponent from 15 to 127.
    bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // signed zero
  } else {
    // Subnormal half (mantissa * 2^-24) is a normal float: shift the leading
    // one into the implicit-bit position, lowering the exponent as we go.
    int32_t e = -14;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --e;
    }
    mantissa &= 0x3ffu;
    bits = sign | (static_cast<uint32_t>(e + 127) << 23) | (mantissa << 13);
  }
  float f;
  std::memcpy(&f, &bits, sizeof(f));
  return f;
}

}  // namespace attune
