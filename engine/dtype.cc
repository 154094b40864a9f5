#include "engine/dtype.h"

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

}  // namespace attune
