// expand_dims: y = x with a size-1 dim inserted at `axis`.
// Inputs: x (any fixed-size dtype), optional axis (int32/int64 scalar or
// one-element vector, static). Attributes: axis int, used when the input is
// absent. axis is in [-(rank+1), rank]; negative counts from the end of the
// output.

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
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> axes,
                          ctx.IntsFromInputOrAttr(1, "axis"));
  if (axes.size() != 1) {
    return ctx.InvalidArgument(
        absl::StrCat("axis must hold one value, got ", axes.size()));
  }
  if (x.rank() >= kMaxRank) {
    return ctx.InvalidArgument(absl::StrCat("x ", ShapeToString(x.shape),
                                            " already has rank ", x.rank(),
                                            ", the most attune supports"));
  }
  absl::StatusOr<int> axis = NormalizeAxis(axes[0], x.rank() + 1);
  if (!axis.ok()) return ctx.Annotate(axis.status());
  Shape shape = x.shape;
  shape.insert(shape.begin() + *axis, 1);
  return ctx.SetOutput(0, x.dtype, std::move(shape));
}

absl::Status Eval(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  if (y.bytes > 0 && y.data != x.data) std::memcpy(y.data, x.data, y.bytes);
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterExpandDims() { return {Prepare, Eval}; }

}  // namespace attune
