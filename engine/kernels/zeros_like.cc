// zeros_like: a tensor of x's dtype and shape filled with zeros (false for
// bool). Inputs: x (any dtype with a fixed element size). No attributes.

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0)) return ctx.InvalidArgument("input 0 is missing");
  const Tensor& x = ctx.input(0);
  if (DTypeSize(x.dtype) == 0) {
    return ctx.InvalidArgument(
        absl::StrCat("x has unsupported dtype ", DTypeName(x.dtype)));
  }
  return ctx.SetOutput(0, x.dtype, x.shape);
}

absl::Status Eval(NodeContext& ctx) {
  Tensor& y = ctx.output(0);
  // All-zero bytes are 0, 0.0f, +0 half and false for every fixed-size dtype.
  if (y.bytes > 0) std::memset(y.data, 0, y.bytes);
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterZerosLike() { return {Prepare, Eval}; }

}  // namespace attune
