// shape: y = the dims of x as a rank-1 tensor.
// Inputs: x (any dtype; its data is never read). Attributes: out_type string
// "int32" (default) or "int64". The execution plan always folds this node at
// prepare time, so shape arithmetic on a dynamic batch becomes static.

#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

absl::Status Prepare(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  absl::StatusOr<std::string> out_type =
      ctx.attrs().GetStringOr("out_type", "int32");
  if (!out_type.ok()) return ctx.Annotate(out_type.status());
  DType dtype;
  if (*out_type == "int32") {
    dtype = DType::kInt32;
    for (int64_t d : x.shape) {
      if (d > std::numeric_limits<int32_t>::max()) {
        return ctx.InvalidArgument(
            absl::StrCat("x ", ShapeToString(x.shape),
                         " has a dim too large for out_type int32"));
      }
    }
  } else if (*out_type == "int64") {
    dtype = DType::kInt64;
  } else {
    return ctx.InvalidArgument(absl::StrCat(
        "out_type must be \"int32\" or \"int64\", got \"", *out_type, "\""));
  }
  return ctx.SetOutput(0, dtype, Shape{x.rank()});
}

absl::Status Eval(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  for (int d = 0; d < x.rank(); ++d) {
    if (y.dtype == DType::kInt32) {
      y.data_as<int32_t>()[d] = static_cast<int32_t>(x.dim(d));
    } else {
      y.data_as<int64_t>()[d] = x.dim(d);
    }
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterShape() { return {Prepare, Eval}; }

}  // namespace attune
