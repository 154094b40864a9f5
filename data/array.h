#ifndef ATTUNE_DATA_ARRAY_H_
#define ATTUNE_DATA_ARRAY_H_

// An in-memory typed n-dimensional array: what the .npy, .npz and IDX
// readers return and the writers take. Row-major (C order), host byte order
// (little-endian on every platform attune supports).

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/dtype.h"
#include "engine/shape.h"

namespace attune {

// Element types of data files. A superset of the engine's DType for the
// types data files commonly hold (float64 is read and converted).
enum class ArrayDType : int8_t {
  kFloat32,
  kFloat64,
  kInt32,
  kInt64,
  kUint8,
  kInt8,
  kBool,
};

// Bytes per element.
size_t ArrayDTypeSize(ArrayDType dtype);
// "float32", "float64", "int32", "int64", "uint8", "int8", "bool".
absl::string_view ArrayDTypeName(ArrayDType dtype);
// The engine dtype of the same name; Unimplemented for float64.
absl::StatusOr<DType> ToDType(ArrayDType dtype);
// Unimplemented for engine dtypes data files cannot hold (float16, string).
absl::StatusOr<ArrayDType> FromDType(DType dtype);

template <typename T>
struct ArrayDTypeOf;
template <> struct ArrayDTypeOf<float> { static constexpr ArrayDType value = ArrayDType::kFloat32; };
template <> struct ArrayDTypeOf<double> { static constexpr ArrayDType value = ArrayDType::kFloat64; };
template <> struct ArrayDTypeOf<int32_t> { static constexpr ArrayDType value = ArrayDType::kInt32; };
template <> struct ArrayDTypeOf<int64_t> { static constexpr ArrayDType value = ArrayDType::kInt64; };
template <> struct ArrayDTypeOf<uint8_t> { static constexpr ArrayDType value = ArrayDType::kUint8; };
template <> struct ArrayDTypeOf<int8_t> { static constexpr ArrayDType value = ArrayDType::kInt8; };
template <> struct ArrayDTypeOf<bool> { static constexpr ArrayDType value = ArrayDType::kBool; };

// A value type: copying copies the bytes. Invariant (checked by Validate):
// bytes.size() == NumElements(shape) * ArrayDTypeSize(dtype).
struct Array {
  ArrayDType dtype = ArrayDType::kFloat32;
  Shape shape;  // empty: a scalar (one element)
  std::vector<uint8_t> bytes;

  int64_t num_elements() const { return NumElements(shape); }

  // REQUIRES: ArrayDTypeOf<T>::value == dtype.
  template <typename T>
  absl::Span<const T> values() const {
    return {reinterpret_cast<const T*>(bytes.data()),
            bytes.size() / sizeof(T)};
  }
  template <typename T>
  absl::Span<T> mutable_values() {
    return {reinterpret_cast<T*>(bytes.data()), bytes.size() / sizeof(T)};
  }

  // An array of dtype ArrayDTypeOf<T> holding a copy of `values`.
  // InvalidArgument when the element count does not match `shape`.
  template <typename T>
  static absl::StatusOr<Array> From(Shape shape, absl::Span<const T> values) {
    Array array;
    array.dtype = ArrayDTypeOf<T>::value;
    array.shape = std::move(shape);
    array.bytes.resize(values.size() * sizeof(T));
    if (!values.empty()) {
      std::memcpy(array.bytes.data(), values.data(), array.bytes.size());
    }
    absl::Status status = array.Validate();
    if (!status.ok()) return status;
    return array;
  }

  // InvalidArgument when the shape is negative or too large, or the byte
  // count does not match shape and dtype.
  absl::Status Validate() const;
};

// Converts float64 (and, exactly where representable, integer and bool)
// arrays to float32; float32 arrays are returned unchanged.
absl::StatusOr<Array> ConvertToFloat32(const Array& array);

// "float32 [2,3]".
std::string DescribeArray(const Array& array);

}  // namespace attune

#endif  // ATTUNE_DATA_ARRAY_H_
