#ifndef ATTUNE_ENGINE_TENSOR_H_
#define ATTUNE_ENGINE_TENSOR_H_

#include <cstddef>
#include <cstdint>

#include "absl/types/span.h"
#include "engine/dtype.h"
#include "engine/graph.h"
#include "engine/shape.h"

namespace attune {

// A runtime tensor of an execution plan: dtype, concrete shape and a pointer
// into the plan's arena, a constant buffer, or the plan's static-value store.
// Tensor does not own its data. At Prepare time `data` is set only when
// `is_static` (the value is known before Invoke: a constant, or the result of
// shape arithmetic folded at prepare time).
struct Tensor {
  DType dtype = DType::kFloat32;
  Shape shape;
  void* data = nullptr;
  size_t bytes = 0;
  bool is_static = false;
  const Quantization* quantization = nullptr;
  const std::string* name = nullptr;

  int rank() const { return static_cast<int>(shape.size()); }
  int64_t dim(int i) const { return shape[i]; }
  int64_t num_elements() const { return NumElements(shape); }

  template <typename T>
  T* data_as() {
    return static_cast<T*>(data);
  }
  template <typename T>
  const T* data_as() const {
    return static_cast<const T*>(data);
  }
  template <typename T>
  absl::Span<T> span() {
    return {static_cast<T*>(data), static_cast<size_t>(num_elements())};
  }
  template <typename T>
  absl::Span<const T> span() const {
    return {static_cast<const T*>(data), static_cast<size_t>(num_elements())};
  }
};

}  // namespace attune

#endif  // ATTUNE_ENGINE_TENSOR_H_
