#ifndef ATTUNE_VARIABLES_VARIABLE_STORE_H_
#define ATTUNE_VARIABLES_VARIABLE_STORE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/model.h"
#include "engine/tensor.h"

namespace attune {

// The resource variables of one interpreter, shared by all its signatures:
// one 64-byte aligned buffer per VariableInfo of the model, initialized once
// at creation (TFLite's CALL_ONCE) and again on Reset. Every write through
// this API or a variable op bumps the variable's version, so consumers that
// cache derived data (packed weights in a delegate) know when to refresh.
//
// Owns the variable buffers; keeps the model alive for constant initializers.
// Tensor pointers returned by tensor() are stable for the store's lifetime.
// Not thread-safe.
class VariableStore {
 public:
  // InvalidArgument when a random initializer is used on a non-float
  // variable; ResourceExhausted when the variables need more than
  // `max_bytes` in total (checked before anything is allocated) or the
  // buffers cannot be allocated.
  static absl::StatusOr<std::unique_ptr<VariableStore>> Create(
      std::shared_ptr<const Model> model,
      size_t max_bytes = kDefaultMaxVariableBytes);

  // Default cap on the total size of a model's variables (1 GiB): a corrupt
  // or hostile model cannot make an interpreter allocate and initialize
  // terabytes. Raise it through InterpreterOptions for larger models.
  static constexpr size_t kDefaultMaxVariableBytes = size_t{1} << 30;

  int size() const { return static_cast<int>(tensors_.size()); }
  // Index of variable `name`, or -1.
  int Find(absl::string_view name) const;
  // As Find; NotFound naming the variable when absent.
  absl::StatusOr<int> Index(absl::string_view name) const;
  const VariableInfo& info(int index) const {
    return model_->graph().variables[index];
  }
  std::vector<std::string> names() const;

  // The variable as a tensor (data, dtype, shape). Writing through it must be
  // followed by MarkWritten.
  Tensor& tensor(int index) { return tensors_[index]; }
  const Tensor& tensor(int index) const { return tensors_[index]; }

  uint64_t version(int index) const { return versions_[index]; }
  void MarkWritten(int index) { ++versions_[index]; }

  // Re-runs the initializer of one / every variable.
  absl::Status Reset(int index);
  absl::Status ResetAll();

  // Typed read access. NotFound / InvalidArgument (dtype mismatch).
  template <typename T>
  absl::StatusOr<absl::Span<const T>> Get(absl::string_view name) const;

  // Overwrites a variable; the element count and dtype must match.
  absl::Status SetBytes(absl::string_view name, DType dtype,
                        absl::Span<const uint8_t> bytes);
  template <typename T>
  absl::Status Set(absl::string_view name, absl::Span<const T> values) {
    return SetBytes(name, DTypeOf<T>::value,
                    {reinterpret_cast<const uint8_t*>(values.data()),
                     values.size() * sizeof(T)});
  }

  // Total bytes of all variables.
  size_t total_bytes() const { return total_bytes_; }

 private:
  explicit VariableStore(std::shared_ptr<const Model> model)
      : model_(std::move(model)) {}
  absl::Status CheckDType(int index, DType dtype) const;

  std::shared_ptr<const Model> model_;
  std::vector<std::unique_ptr<uint8_t, void (*)(void*)>> buffers_;
  std::vector<Tensor> tensors_;
  std::vector<uint64_t> versions_;
  size_t total_bytes_ = 0;
};

template <typename T>
absl::StatusOr<absl::Span<const T>> VariableStore::Get(
    absl::string_view name) const {
  absl::StatusOr<int> index = Index(name);
  if (!index.ok()) return index.status();
  absl::Status status = CheckDType(*index, DTypeOf<T>::value);
  if (!status.ok()) return status;
  return tensors_[*index].template span<T>();
}

}  // namespace attune

#endif  // ATTUNE_VARIABLES_VARIABLE_STORE_H_
