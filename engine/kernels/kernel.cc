#include "engine/kernels/kernel.h"

#include "absl/strings/str_cat.h"
#include "engine/status_macros.h"

namespace attune {

absl::Status NodeContext::SetOutput(int i, DType dtype, Shape shape) {
  if (i < 0 || i >= b_.num_outputs) {
    return Internal(absl::StrCat("kernel set output ", i, " of ",
                                 b_.num_outputs));
  }
  absl::StatusOr<int64_t> n = CheckedNumElements(shape);
  if (!n.ok()) return Annotate(n.status());
  if (static_cast<uint64_t>(*n) * DTypeSize(dtype) >
      static_cast<uint64_t>(kMaxTensorElements)) {
    return InvalidArgument(absl::StrCat("output ", i, " of shape ",
                                        ShapeToString(shape), " is too large"));
  }
  Tensor& out = *b_.outputs[i];
  out.dtype = dtype;
  out.shape = std::move(shape);
  out.bytes = static_cast<size_t>(*n) * DTypeSize(dtype);
  return absl::OkStatus();
}

int NodeContext::RequestScratch(size_t bytes) {
  scratch_sizes_->push_back(bytes);
  return static_cast<int>(scratch_sizes_->size()) - 1;
}

absl::StatusOr<std::vector<int64_t>> NodeContext::IntsFromInputOrAttr(
    int input_index, absl::string_view attr,
    const std::vector<int64_t>* dflt) const {
  if (has_input(input_index)) {
    const Tensor& t = input(input_index);
    if (!t.is_static) {
      return Unimplemented(absl::StrCat(
          "input ", input_index,
          " is only known at run time (data-dependent shapes are not "
          "supported)"));
    }
    std::vector<int64_t> values(static_cast<size_t>(t.num_elements()));
    if (t.dtype == DType::kInt32) {
      for (size_t k = 0; k < values.size(); ++k) {
        values[k] = t.data_as<int32_t>()[k];
      }
    } else if (t.dtype == DType::kInt64) {
      for (size_t k = 0; k < values.size(); ++k) {
        values[k] = t.data_as<int64_t>()[k];
      }
    } else {
      return InvalidArgument(absl::StrCat("input ", input_index,
                                          " must be int32 or int64, got ",
                                          DTypeName(t.dtype)));
    }
    return values;
  }
  if (attrs().Has(attr)) {
    absl::StatusOr<std::vector<int64_t>> values = attrs().GetInts(attr);
    if (values.ok()) return values;
    absl::StatusOr<int64_t> scalar = attrs().GetInt(attr);
    if (scalar.ok()) return std::vector<int64_t>{*scalar};
    return Annotate(values.status());
  }
  if (dflt != nullptr) return *dflt;
  return InvalidArgument(absl::StrCat("needs input ", input_index,
                                      " or attribute \"", attr, "\""));
}

absl::StatusOr<double> NodeContext::ScalarFromInputOrAttr(
    int input_index, absl::string_view attr, double dflt) const {
  if (has_input(input_index)) {
    const Tensor& t = input(input_index);
    if (!t.is_static || t.num_elements() != 1) {
      return InvalidArgument(absl::StrCat(
          "input ", input_index, " must be a scalar known before Invoke"));
    }
    switch (t.dtype) {
      case DType::kFloat32: return t.data_as<float>()[0];
      case DType::kInt32: return t.data_as<int32_t>()[0];
      case DType::kInt64: return static_cast<double>(t.data_as<int64_t>()[0]);
      case DType::kBool: return t.data_as<bool>()[0] ? 1.0 : 0.0;
      default:
        return InvalidArgument(absl::StrCat("input ", input_index,
                                            " has unsupported dtype ",
                                            DTypeName(t.dtype)));
    }
  }
  absl::StatusOr<double> value = attrs().GetFloatOr(attr, dflt);
  if (!value.ok()) return Annotate(value.status());
  return *value;
}

absl::Status NodeContext::InvalidArgument(absl::string_view message) const {
  return absl::InvalidArgumentError(absl::StrCat(description(), ": ", message));
}
absl::Status NodeContext::Unimplemented(absl::string_view message) const {
  return absl::UnimplementedError(absl::StrCat(description(), ": ", message));
}
absl::Status NodeContext::Internal(absl::string_view message) const {
  return absl::InternalError(absl::StrCat(description(), ": ", message));
}
absl::Status NodeContext::Annotate(const absl::Status& status) const {
  if (status.ok()) return status;
  return absl::Status(status.code(),
                      absl::StrCat(description(), ": ", status.message()));
}

absl::Status NodeContext::ExpectInputDType(int i, DType dtype) const {
  if (!has_input(i)) {
    return InvalidArgument(absl::StrCat("input ", i, " is missing"));
  }
  if (input(i).dtype != dtype) {
    return InvalidArgument(absl::StrCat("input ", i, " has dtype ",
                                        DTypeName(input(i).dtype), ", expected ",
                                        DTypeName(dtype)));
  }
  return absl::OkStatus();
}

}  // namespace attune
