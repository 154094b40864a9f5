// squeeze: y = x without some size-1 dims.
// Inputs: x (any fixed-size dtype). Attributes: axes ints (negative counts
// from the end); when absent or empty, every size-1 dim is removed. Naming a
// dim whose size is not 1 is an InvalidArgument.

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
  absl::StatusOr<std::vector<int64_t>> axes = ctx.attrs().GetIntsOr("axes", {});
  if (!axes.ok()) {
    absl::StatusOr<int64_t> single = ctx.attrs().GetInt("axes");
    if (!single.ok()) return ctx.Annotate(axes.status());
    axes = std::vector<int64_t>{*single};
  }
  if (x.rank() > kMaxRank) {
    return ctx.InvalidArgument(absl::StrCat("x ", ShapeToString(x.shape),
                                            " has rank above ", kMaxRank));
  }
  bool remove[kMaxRank] = {};
  for (int64_t a : *axes) {
    absl::StatusOr<int> axis = NormalizeAxis(a, x.rank());
    if (!axis.ok()) return ctx.Annotate(axis.status());
    if (x.dim(*axis) != 1) {
      return ctx.InvalidArgument(absl::StrCat(
          "cannot squeeze dim ", a, " of x ", ShapeToString(x.shape),
          ": its size is ", x.dim(*axis), ", not 1"));
    }
    remove[*axis] = true;
  }
  Shape shape;
  for (int d = 0; d < x.rank(); ++d) {
    const bool drop = axes->empty() ? x.dim(d) == 1 : remove[d];
    if (!drop) shape.push_back(x.dim(d));
  }
  return ctx.SetOutput(0, x.dtype, std::move(shape));
}

absl::Status Eval(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  if (y.bytes > 0 && y.data != x.data) std::memcpy(y.data, x.data, y.bytes);
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterSqueeze() { return {Prepare, Eval}; }

}  // namespace attune
