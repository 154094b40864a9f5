#include "signatures/signature_runner.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

std::vector<std::string> Names(const std::vector<SignatureIo>& ios) {
  std::vector<std::string> names;
  for (const SignatureIo& io : ios) names.push_back(io.name);
  return names;
}

}  // namespace

std::vector<std::string> SignatureRunner::input_names() const {
  return Names(plan_->signature().inputs);
}

std::vector<std::string> SignatureRunner::output_names() const {
  return Names(plan_->signature().outputs);
}

absl::StatusOr<int> SignatureRunner::InputIndex(absl::string_view name) const {
  const auto& inputs = plan_->signature().inputs;
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i].name == name) return static_cast<int>(i);
  }
  return absl::NotFoundError(
      absl::StrCat("signature \"", key(), "\" has no input \"", name,
                   "\" (inputs: ", absl::StrJoin(input_names(), ", "), ")"));
}

absl::StatusOr<int> SignatureRunner::OutputIndex(absl::string_view name) const {
  const auto& outputs = plan_->signature().outputs;
  for (size_t i = 0; i < outputs.size(); ++i) {
    if (outputs[i].name == name) return static_cast<int>(i);
  }
  return absl::NotFoundError(
      absl::StrCat("signature \"", key(), "\" has no output \"", name,
                   "\" (outputs: ", absl::StrJoin(output_names(), ", "), ")"));
}

absl::StatusOr<Shape> SignatureRunner::declared_input_shape(
    absl::string_view name) const {
  ATTUNE_ASSIGN_OR_RETURN(int index, InputIndex(name));
  return plan_->declared_shape(plan_->signature().inputs[index].tensor);
}

absl::StatusOr<Shape> SignatureRunner::declared_output_shape(
    absl::string_view name) const {
  ATTUNE_ASSIGN_OR_RETURN(int index, OutputIndex(name));
  return plan_->declared_shape(plan_->signature().outputs[index].tensor);
}

absl::Status SignatureRunner::ResizeInput(absl::string_view name,
                                          absl::Span<const int64_t> shape) {
  ATTUNE_ASSIGN_OR_RETURN(int index, InputIndex(name));
  return plan_->ResizeInput(index, shape);
}

absl::StatusOr<Tensor*> SignatureRunner::input(absl::string_view name) {
  ATTUNE_ASSIGN_OR_RETURN(int index, InputIndex(name));
  return plan_->input(index);
}

absl::StatusOr<const Tensor*> SignatureRunner::output(
    absl::string_view name) const {
  ATTUNE_ASSIGN_OR_RETURN(int index, OutputIndex(name));
  return plan_->output(index);
}

absl::Status SignatureRunner::SetInputString(absl::string_view name,
                                             std::string value) {
  ATTUNE_ASSIGN_OR_RETURN(absl::Span<std::string> target,
                          typed_input<std::string>(name));
  if (target.size() != 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "signature \"", key(), "\" input \"", name, "\" holds ", target.size(),
        " strings; SetInputString sets exactly one"));
  }
  target[0] = std::move(value);
  return absl::OkStatus();
}

absl::Status SignatureRunner::CheckTyped(const Tensor& tensor, DType dtype,
                                         absl::string_view name) const {
  if (tensor.dtype != dtype) {
    return absl::InvalidArgumentError(
        absl::StrCat("signature \"", key(), "\" tensor \"", name, "\" is ",
                     DTypeName(tensor.dtype), ", not ", DTypeName(dtype)));
  }
  if (!plan_->allocated()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "signature \"", key(), "\": call AllocateTensors before accessing \"",
        name, "\""));
  }
  return absl::OkStatus();
}

}  // namespace attune
