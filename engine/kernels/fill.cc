// fill: y = a tensor of shape `dims` with every element equal to `value`.
// Inputs: dims (int32/int64 rank-1, static), value (one element, any
// fixed-size dtype; read at Eval, so it may be computed at run time).
// Output dtype is value's dtype.

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

template <typename T>
void FillTyped(void* dst, int64_t count, const void* value) {
  T v;
  std::memcpy(&v, value, sizeof(T));
  std::fill_n(static_cast<T*>(dst), count, v);
}

absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) {
    return ctx.InvalidArgument("needs inputs dims and value");
  }
  const Tensor& dims_tensor = ctx.input(0);
  if (dims_tensor.rank() > 1) {
    return ctx.InvalidArgument(absl::StrCat("dims must be rank-1, got ",
                                            ShapeToString(dims_tensor.shape)));
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> dims,
                          ctx.IntsFromInputOrAttr(0, "dims"));
  const Tensor& value = ctx.input(1);
  if (DTypeSize(value.dtype) == 0) {
    return ctx.Unimplemented(
        absl::StrCat("dtype ", DTypeName(value.dtype), " is not supported"));
  }
  if (value.num_elements() != 1) {
    return ctx.InvalidArgument(absl::StrCat(
        "value must hold one element, got shape ", ShapeToString(value.shape)));
  }
  if (dims.size() > static_cast<size_t>(kMaxRank)) {
    return ctx.InvalidArgument(absl::StrCat("dims has ", dims.size(),
                                            " values, more than ", kMaxRank));
  }
  for (int64_t d : dims) {
    if (d < 0) {
      return ctx.InvalidArgument(
          absl::StrCat("dims ", ShapeToString(dims), " has a negative dim"));
    }
  }
  return ctx.SetOutput(0, value.dtype, Shape(dims.begin(), dims.end()));
}

absl::Status Eval(NodeContext& ctx) {
  const Tensor& value = ctx.input(1);
  Tensor& y = ctx.output(0);
  const int64_t count = y.num_elements();
  switch (DTypeSize(y.dtype)) {
    case 1:
      std::memset(y.data, *static_cast<const uint8_t*>(value.data),
                  static_cast<size_t>(count));
      break;
    case 2:
      FillTyped<uint16_t>(y.data, count, value.data);
      break;
    case 4:
      FillTyped<uint32_t>(y.data, count, value.data);
      break;
    case 8:
      FillTyped<uint64_t>(y.data, count, value.data);
      break;
    default:
      return ctx.Internal(
          absl::StrCat("unexpected element size ", DTypeSize(y.dtype)));
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterFill() { return {Prepare, Eval}; }

}  // namespace attune
