// reshape: y = x with a new shape of the same element count.
// Inputs: x (any fixed-size dtype), optional shape (int32/int64, static).
// Attributes: shape ints, used when the input is absent. At most one dim may
// be -1; it takes whatever element count is left.

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

absl::Status Prepare(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (DTypeSize(x.dtype) == 0) {
    return ctx.Unimplemented(
        absl::StrCat("dtype ", DTypeName(x.dtype), " is not supported"));
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> dims,
                          ctx.IntsFromInputOrAttr(1, "shape"));
  if (dims.size() > static_cast<size_t>(kMaxRank)) {
    return ctx.InvalidArgument(
        absl::StrCat("shape has ", dims.size(), " dims, more than ", kMaxRank));
  }
  int unknown = -1;
  int64_t known = 1;
  for (size_t d = 0; d < dims.size(); ++d) {
    if (dims[d] == -1) {
      if (unknown != -1) {
        return ctx.InvalidArgument(absl::StrCat("shape ", ShapeToString(dims),
                                                " has more than one -1 dim"));
      }
      unknown = static_cast<int>(d);
    } else if (dims[d] < 0) {
      return ctx.InvalidArgument(
          absl::StrCat("shape ", ShapeToString(dims), " has a negative dim"));
    } else {
      known *= dims[d];
      if (known > kMaxTensorElements) {
        return ctx.InvalidArgument(
            absl::StrCat("shape ", ShapeToString(dims), " is too large"));
      }
    }
  }
  const int64_t count = x.num_elements();
  if (unknown != -1) {
    if (known == 0) {
      return ctx.InvalidArgument(
          absl::StrCat("cannot infer the -1 dim of shape ", ShapeToString(dims),
                       " when the other dims hold zero elements"));
    }
    if (count % known != 0) {
      return ctx.InvalidArgument(
          absl::StrCat("cannot reshape x ", ShapeToString(x.shape), " (", count,
                       " elements) to ", ShapeToString(dims)));
    }
    dims[unknown] = count / known;
  } else if (known != count) {
    return ctx.InvalidArgument(absl::StrCat(
        "cannot reshape x ", ShapeToString(x.shape), " (", count,
        " elements) to ", ShapeToString(dims), " (", known, " elements)"));
  }
  return ctx.SetOutput(0, x.dtype, Shape(dims.begin(), dims.end()));
}

absl::Status Eval(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  if (y.bytes > 0 && y.data != x.data) std::memcpy(y.data, x.data, y.bytes);
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterReshape() { return {Prepare, Eval}; }

}  // namespace attune
