#include "data/array.h"

#include "absl/strings/str_cat.h"

namespace attune {

size_t ArrayDTypeSize(ArrayDType dtype) {
  switch (dtype) {
    case ArrayDType::kFloat32:
    case ArrayDType::kInt32:
      return 4;
    case ArrayDType::kFloat64:
    case ArrayDType::kInt64:
      return 8;
    case ArrayDType::kUint8:
    case ArrayDType::kInt8:
    case ArrayDType::kBool:
      return 1;
  }
  return 0;
}

absl::string_view ArrayDTypeName(ArrayDType dtype) {
  switch (dtype) {
    case ArrayDType::kFloat32: return "float32";
    case ArrayDType::kFloat64: return "float64";
    case ArrayDType::kInt32: return "int32";
    case ArrayDType::kInt64: return "int64";
    case ArrayDType::kUint8: return "uint8";
    case ArrayDType::kInt8: return "int8";
    case ArrayDType::kBool: return "bool";
  }
  return "unknown";
}

absl::StatusOr<DType> ToDType(ArrayDType dtype) {
  switch (dtype) {
    case ArrayDType::kFloat32: return DType::kFloat32;
    case ArrayDType::kInt32: return DType::kInt32;
    case ArrayDType::kInt64: return DType::kInt64;
    case ArrayDType::kUint8: return DType::kUint8;
    case ArrayDType::kInt8: return DType::kInt8;
    case ArrayDType::kBool: return DType::kBool;
    case ArrayDType::kFloat64: break;
  }
  return absl::UnimplementedError(absl::StrCat(
      "attune tensors have no ", ArrayDTypeName(dtype), " dtype"));
}

absl::StatusOr<ArrayDType> FromDType(DType dtype) {
  switch (dtype) {
    case DType::kFloat32: return ArrayDType::kFloat32;
    case DType::kInt32: return ArrayDType::kInt32;
    case DType::kInt64: return ArrayDType::kInt64;
    case DType::kUint8: return ArrayDType::kUint8;
    case DType::kInt8: return ArrayDType::kInt8;
    case DType::kBool: return ArrayDType::kBool;
    default: break;
  }
  return absl::UnimplementedError(absl::StrCat(
      "dtype ", DTypeName(dtype), " cannot be stored in a data file"));
}

absl::Status Array::Validate() const {
  absl::StatusOr<int64_t> n = CheckedNumElements(shape);
  if (!n.ok()) return n.status();
  const uint64_t expected =
      static_cast<uint64_t>(*n) * ArrayDTypeSize(dtype);
  if (bytes.size() != expected) {
    return absl::InvalidArgumentError(absl::StrCat(
        "array ", ArrayDTypeName(dtype), " ", ShapeToString(shape), " needs ",
        expected, " bytes, holds ", bytes.size()));
  }
  return absl::OkStatus();
}

namespace {

template <typename T>
void CopyToFloat(const Array& in, float* out) {
  absl::Span<const T> v = in.values<T>();
  for (size_t i = 0; i < v.size(); ++i) out[i] = static_cast<float>(v[i]);
}

}  // namespace

absl::StatusOr<Array> ConvertToFloat32(const Array& array) {
  if (absl::Status s = array.Validate(); !s.ok()) return s;
  if (array.dtype == ArrayDType::kFloat32) return array;
  Array out;
  out.dtype = ArrayDType::kFloat32;
  out.shape = array.shape;
  out.bytes.resize(array.num_elements() * sizeof(float));
  float* dst = reinterpret_cast<float*>(out.bytes.data());
  switch (array.dtype) {
    case ArrayDType::kFloat64: CopyToFloat<double>(array, dst); break;
    case ArrayDType::kInt32: CopyToFloat<int32_t>(array, dst); break;
    case ArrayDType::kInt64: CopyToFloat<int64_t>(array, dst); break;
    case ArrayDType::kUint8: CopyToFloat<uint8_t>(array, dst); break;
    case ArrayDType::kInt8: CopyToFloat<int8_t>(array, dst); break;
    case ArrayDType::kBool:
      for (size_t i = 0; i < array.bytes.size(); ++i) {
        dst[i] = array.bytes[i] != 0 ? 1.0f : 0.0f;
      }
      break;
    case ArrayDType::kFloat32: break;
  }
  return out;
}

std::string DescribeArray(const Array& array) {
  return absl::StrCat(ArrayDTypeName(array.dtype), " ",
                      ShapeToString(array.shape));
}

}  // namespace attune
