#ifndef ATTUNE_SIGNATURES_SIGNATURE_RUNNER_H_
#define ATTUNE_SIGNATURES_SIGNATURE_RUNNER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/tensor.h"
#include "signatures/execution_plan.h"

namespace attune {

// Runs one signature ("infer", "train", ...) of an interpreter: inputs and
// outputs by name, input resizing (dynamic batch), and zero-copy typed access
// to the input and output buffers.
//
// Typical use:
//   runner->ResizeInput("x", {32, 28, 28});
//   runner->AllocateTensors();
//   copy data into *runner->typed_input<float>("x");
//   runner->Invoke();
//   read *runner->typed_output<float>("logits");
//
// Owned by its Interpreter. Buffers returned by input()/output() stay valid
// until the next ResizeInput + AllocateTensors; Invoke leaves inputs intact
// (it may be repeated on the same inputs) and overwrites the outputs. Not thread-safe: use one runner from one thread at a time.
class SignatureRunner {
 public:
  explicit SignatureRunner(std::unique_ptr<ExecutionPlan> plan)
      : plan_(std::move(plan)) {}

  const std::string& key() const { return plan_->signature().key; }
  std::vector<std::string> input_names() const;
  std::vector<std::string> output_names() const;

  // Declared shape of an input or output (-1 for dynamic dims).
  // NotFound for an unknown name.
  absl::StatusOr<Shape> declared_input_shape(absl::string_view name) const;
  absl::StatusOr<Shape> declared_output_shape(absl::string_view name) const;

  // See ExecutionPlan::ResizeInput. NotFound for an unknown name.
  absl::Status ResizeInput(absl::string_view name,
                           absl::Span<const int64_t> shape);
  absl::Status AllocateTensors() { return plan_->AllocateTensors(); }
  absl::Status Invoke() { return plan_->Invoke(); }

  // The runtime tensor (dtype, current shape, data). NotFound for an unknown
  // name. Data is valid after AllocateTensors.
  absl::StatusOr<Tensor*> input(absl::string_view name);
  absl::StatusOr<const Tensor*> output(absl::string_view name) const;

  // Typed views. InvalidArgument when T does not match the tensor's dtype;
  // FailedPrecondition before AllocateTensors.
  template <typename T>
  absl::StatusOr<absl::Span<T>> typed_input(absl::string_view name);
  template <typename T>
  absl::StatusOr<absl::Span<const T>> typed_output(absl::string_view name) const;

  // Copies `values` into input `name` after checking dtype and element count.
  template <typename T>
  absl::Status SetInput(absl::string_view name, absl::Span<const T> values);

  // Sets the string input `name`, which must be a scalar or hold one
  // element (typed_input<std::string> reaches every element of larger ones).
  // InvalidArgument for another dtype or element count; FailedPrecondition
  // before AllocateTensors.
  absl::Status SetInputString(absl::string_view name, std::string value);

  size_t arena_bytes() const { return plan_->arena_bytes(); }
  const ExecutionPlan& plan() const { return *plan_; }

 private:
  absl::StatusOr<int> InputIndex(absl::string_view name) const;
  absl::StatusOr<int> OutputIndex(absl::string_view name) const;
  absl::Status CheckTyped(const Tensor& tensor, DType dtype,
                          absl::string_view name) const;

  std::unique_ptr<ExecutionPlan> plan_;
};

template <typename T>
absl::StatusOr<absl::Span<T>> SignatureRunner::typed_input(
    absl::string_view name) {
  absl::StatusOr<Tensor*> tensor = input(name);
  if (!tensor.ok()) return tensor.status();
  absl::Status status = CheckTyped(**tensor, DTypeOf<T>::value, name);
  if (!status.ok()) return status;
  return (*tensor)->template span<T>();
}

template <typename T>
absl::StatusOr<absl::Span<const T>> SignatureRunner::typed_output(
    absl::string_view name) const {
  absl::StatusOr<const Tensor*> tensor = output(name);
  if (!tensor.ok()) return tensor.status();
  absl::Status status = CheckTyped(**tensor, DTypeOf<T>::value, name);
  if (!status.ok()) return status;
  return (*tensor)->template span<T>();
}

template <typename T>
absl::Status SignatureRunner::SetInput(absl::string_view name,
                                       absl::Span<const T> values) {
  absl::StatusOr<absl::Span<T>> target = typed_input<T>(name);
  if (!target.ok()) return target.status();
  if (target->size() != values.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signature \"", key(), "\" input \"", name, "\" holds ",
        target->size(), " elements, got ", values.size()));
  }
  std::copy(values.begin(), values.end(), target->begin());
  return absl::OkStatus();
}

}  // namespace attune

#endif  // ATTUNE_SIGNATURES_SIGNATURE_RUNNER_H_
