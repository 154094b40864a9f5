#include "variables/variable_store.h"

#include <cstdlib>
#include <cstring>

#include "engine/status_macros.h"
#include "variables/initializers.h"

namespace attune {

absl::StatusOr<std::unique_ptr<VariableStore>> VariableStore::Create(
    std::shared_ptr<const Model> model, size_t max_bytes) {
  std::unique_ptr<VariableStore> store(new VariableStore(std::move(model)));
  const auto& variables = store->model_->graph().variables;
  // Validated shapes cannot overflow: each variable is below 2^40 bytes.
  uint64_t total = 0;
  for (const VariableInfo& info : variables) {
    total += NumElements(info.shape) * DTypeSize(info.dtype);
  }
  if (total > max_bytes) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "model variables need ", total, " bytes, more than the limit of ",
        max_bytes, " (InterpreterOptions::max_variable_bytes)"));
  }
  for (size_t i = 0; i < variables.size(); ++i) {
    const VariableInfo& info = variables[i];
    Tensor tensor;
    tensor.dtype = info.dtype;
    tensor.shape = info.shape;
    tensor.bytes = NumElements(info.shape) * DTypeSize(info.dtype);
    tensor.name = &info.name;
    tensor.is_static = false;
    const size_t rounded = (std::max<size_t>(tensor.bytes, 1) + 63) / 64 * 64;
    void* storage = std::aligned_alloc(64, rounded);
    if (storage == nullptr) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "cannot allocate ", tensor.bytes, " bytes for variable \"",
          info.name, "\""));
    }
    store->buffers_.emplace_back(static_cast<uint8_t*>(storage), std::free);
    tensor.data = storage;
    store->total_bytes_ += tensor.bytes;
    store->tensors_.push_back(std::move(tensor));
    store->versions_.push_back(0);
  }
  ATTUNE_RETURN_IF_ERROR(store->ResetAll());
  return store;
}

int VariableStore::Find(absl::string_view name) const {
  const auto& variables = model_->graph().variables;
  for (size_t i = 0; i < variables.size(); ++i) {
    if (variables[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

absl::StatusOr<int> VariableStore::Index(absl::string_view name) const {
  const int index = Find(name);
  if (index < 0) {
    return absl::NotFoundError(
        absl::StrCat("model has no variable \"", name, "\""));
  }
  return index;
}

std::vector<std::string> VariableStore::names() const {
  std::vector<std::string> out;
  for (const VariableInfo& info : model_->graph().variables) {
    out.push_back(info.name);
  }
  return out;
}

absl::Status VariableStore::Reset(int index) {
  const VariableInfo& v = info(index);
  Tensor& t = tensors_[index];
  MarkWritten(index);
  if (v.initializer == Initializer::kConstantBuffer) {
    const ConstantBuffer& buffer = model_->graph().buffers[v.buffer];
    std::memcpy(t.data, buffer.data, buffer.size);
    return absl::OkStatus();
  }
  if (v.dtype == DType::kFloat32) {
    absl::Status status =
        InitializeFloats(v.initializer, v.seed, v.shape, t.span<float>());
    if (!status.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "variable \"", v.name, "\": ", status.message()));
    }
    return absl::OkStatus();
  }
  if (v.initializer != Initializer::kZeros &&
      v.initializer != Initializer::kOnes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "variable \"", v.name, "\" of dtype ", DTypeName(v.dtype),
        " cannot use a random initializer"));
  }
  std::memset(t.data, 0, t.bytes);
  if (v.initializer == Initializer::kOnes) {
    const int64_t n = t.num_elements();
    for (int64_t k = 0; k < n; ++k) {
      switch (v.dtype) {
        case DType::kInt32: t.data_as<int32_t>()[k] = 1; break;
        case DType::kInt64: t.data_as<int64_t>()[k] = 1; break;
        case DType::kBool:
        case DType::kUint8:
        case DType::kInt8: t.data_as<uint8_t>()[k] = 1; break;
        case DType::kFloat16: t.data_as<uint16_t>()[k] = 0x3c00; break;
        default: break;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status VariableStore::ResetAll() {
  for (int i = 0; i < size(); ++i) ATTUNE_RETURN_IF_ERROR(Reset(i));
  return absl::OkStatus();
}

absl::Status VariableStore::CheckDType(int index, DType dtype) const {
  if (tensors_[index].dtype != dtype) {
    return absl::InvalidArgumentError(absl::StrCat(
        "variable \"", info(index).name, "\" is ",
        DTypeName(tensors_[index].dtype), ", not ", DTypeName(dtype)));
  }
  return absl::OkStatus();
}

absl::Status VariableStore::SetBytes(absl::string_view name, DType dtype,
                                     absl::Span<const uint8_t> bytes) {
  ATTUNE_ASSIGN_OR_RETURN(int index, Index(name));
  ATTUNE_RETURN_IF_ERROR(CheckDType(index, dtype));
  Tensor& t = tensors_[index];
  if (bytes.size() != t.bytes) {
    return absl::InvalidArgumentError(absl::StrCat(
        "variable \"", name, "\" ", DTypeName(t.dtype),
        ShapeToString(t.shape), " holds ", t.bytes, " bytes, got ",
        bytes.size()));
  }
  if (!bytes.empty()) std::memcpy(t.data, bytes.data(), bytes.size());
  MarkWritten(index);
  return absl::OkStatus();
}

}  // namespace attune
