// gather: y = params gathered at `indices` along `axis`.
// Inputs: params (any fixed-size dtype), indices (int32/int64).
// Attributes: axis int (0; negative counts from the end of params),
// batch_dims int (0; negative counts from the end of indices), with
// 0 <= batch_dims <= axis and params.shape[:batch_dims] ==
// indices.shape[:batch_dims].
// Output: params.shape[:axis] + indices.shape[batch_dims:] +
// params.shape[axis+1:]. An index outside [0, params.shape[axis]) is an
// InvalidArgument at Eval naming the node, the index and its position.

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  int64_t batch;        // product of params.shape[:batch_dims]
  int64_t outer;        // product of params.shape[batch_dims:axis]
  int64_t count;        // indices per batch: product of indices[batch_dims:]
  int64_t axis_dim;     // params.shape[axis]
  int64_t inner_bytes;  // bytes of params.shape[axis+1:]
};

int64_t Product(const Shape& shape, int begin, int end) {
  int64_t p = 1;
  for (int d = begin; d < end; ++d) p *= shape[d];
  return p;
}

absl::Status Prepare(NodeContext& ctx) {
  const Tensor& params = ctx.input(0);
  const Tensor& indices = ctx.input(1);
  if (DTypeSize(params.dtype) == 0) {
    return ctx.Unimplemented(
        absl::StrCat("dtype ", DTypeName(params.dtype), " is not supported"));
  }
  if (indices.dtype != DType::kInt32 && indices.dtype != DType::kInt64) {
    return ctx.InvalidArgument(absl::StrCat(
        "indices must be int32 or int64, got ", DTypeName(indices.dtype)));
  }
  if (params.rank() == 0) {
    return ctx.InvalidArgument("params must have rank >= 1");
  }
  absl::StatusOr<int64_t> axis_attr = ctx.attrs().GetIntOr("axis", 0);
  if (!axis_attr.ok()) return ctx.Annotate(axis_attr.status());
  absl::StatusOr<int> axis = NormalizeAxis(*axis_attr, params.rank());
  if (!axis.ok()) return ctx.Annotate(axis.status());
  absl::StatusOr<int64_t> batch_attr = ctx.attrs().GetIntOr("batch_dims", 0);
  if (!batch_attr.ok()) return ctx.Annotate(batch_attr.status());
  int64_t batch_dims = *batch_attr;
  if (batch_dims < 0) batch_dims += indices.rank();
  if (batch_dims < 0 || batch_dims > indices.rank() || batch_dims > *axis) {
    return ctx.InvalidArgument(
        absl::StrCat("batch_dims ", *batch_attr, " must be in [0, min(axis ",
                     *axis, ", indices rank ", indices.rank(), ")]"));
  }
  const int bd = static_cast<int>(batch_dims);
  for (int d = 0; d < bd; ++d) {
    if (params.dim(d) != indices.dim(d)) {
      return ctx.InvalidArgument(absl::StrCat(
          "params ", ShapeToString(params.shape), " and indices ",
          ShapeToString(indices.shape), " differ in batch dim ", d));
    }
  }
  Shape shape(params.shape.begin(), params.shape.begin() + *axis);
  shape.insert(shape.end(), indices.shape.begin() + bd, indices.shape.end());
  shape.insert(shape.end(), params.shape.begin() + *axis + 1,
               params.shape.end());
  if (shape.size() > static_cast<size_t>(kMaxRank)) {
    return ctx.InvalidArgument(absl::StrCat("output ", ShapeToString(shape),
                                            " has rank above ", kMaxRank));
  }
  OpData& data = ctx.op_data<OpData>();
  data.batch = Product(params.shape, 0, bd);
  data.outer = Product(params.shape, bd, *axis);
  data.count = Product(indices.shape, bd, indices.rank());
  data.axis_dim = params.dim(*axis);
  data.inner_bytes = Product(params.shape, *axis + 1, params.rank()) *
                     static_cast<int64_t>(DTypeSize(params.dtype));
  return ctx.SetOutput(0, params.dtype, std::move(shape));
}

template <typename Index>
absl::Status GatherTyped(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  const Index* indices = ctx.input(1).data_as<Index>();
  const uint8_t* params = ctx.input(0).data_as<uint8_t>();
  uint8_t* out = ctx.output(0).data_as<uint8_t>();
  // Check every index first (even when nothing is copied), so a bad index
  // is reported the same way whatever the shapes.
  const int64_t total = data.batch * data.count;
  for (int64_t i = 0; i < total; ++i) {
    const int64_t index = static_cast<int64_t>(indices[i]);
    if (index < 0 || index >= data.axis_dim) {
      return ctx.InvalidArgument(
          absl::StrCat("index ", index, " at position ", i,
                       " of indices is out of range [0, ", data.axis_dim, ")"));
    }
  }
  const size_t inner = static_cast<size_t>(data.inner_bytes);
  if (inner == 0) return absl::OkStatus();
  const int64_t slab = data.axis_dim * data.inner_bytes;
  for (int64_t b = 0; b < data.batch; ++b) {
    const Index* batch_indices = indices + b * data.count;
    for (int64_t o = 0; o < data.outer; ++o) {
      const uint8_t* src = params + (b * data.outer + o) * slab;
      for (int64_t i = 0; i < data.count; ++i) {
        std::memcpy(out, src + static_cast<int64_t>(batch_indices[i]) * inner,
                    inner);
        out += inner;
      }
    }
  }
  return absl::OkStatus();
}

absl::Status Eval(NodeContext& ctx) {
  return ctx.input(1).dtype == DType::kInt32 ? GatherTyped<int32_t>(ctx)
                                             : GatherTyped<int64_t>(ctx);
}

}  // namespace

KernelRegistration RegisterGather() { return {Prepare, Eval}; }

}  // namespace attune
