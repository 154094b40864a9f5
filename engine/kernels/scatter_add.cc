// scatter_add(indices, updates, shape): a float32 tensor of `shape`, zero
// except out[indices[i], ...] += updates[i, ...] (TensorFlow's
// UnsortedSegmentSum / ScatterNd with one index dim). The gradient of
// gather along axis 0.
// Inputs: indices int32/int64 of any shape I; updates float32 of shape
// I + shape[1:]; shape int32/int64 rank-1 (static, rank >= 1).
// Repeated indices accumulate. An index outside [0, shape[0]) is an
// InvalidArgument at Eval naming the index and its position.

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  int64_t count;  // number of indices
  int64_t rows;   // shape[0]
  int64_t inner;  // elements per row: product of shape[1:]
};

absl::Status Prepare(NodeContext& ctx) {
  const Tensor& indices = ctx.input(0);
  const Tensor& updates = ctx.input(1);
  if (indices.dtype != DType::kInt32 && indices.dtype != DType::kInt64) {
    return ctx.InvalidArgument(absl::StrCat(
        "indices must be int32 or int64, got ", DTypeName(indices.dtype)));
  }
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(1));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> dims,
                          ctx.IntsFromInputOrAttr(2, "shape"));
  if (dims.empty()) {
    return ctx.InvalidArgument("shape must have rank >= 1");
  }
  Shape shape(dims.begin(), dims.end());
  for (int64_t d : shape) {
    if (d < 0) {
      return ctx.InvalidArgument(
          absl::StrCat("shape ", ShapeToString(shape), " has a negative dim"));
    }
  }
  Shape expected = indices.shape;
  expected.insert(expected.end(), shape.begin() + 1, shape.end());
  if (updates.shape != expected) {
    return ctx.InvalidArgument(
        absl::StrCat("updates ", ShapeToString(updates.shape),
                     " must be indices shape ", ShapeToString(indices.shape),
                     " + shape[1:] = ", ShapeToString(expected)));
  }
  OpData& data = ctx.op_data<OpData>();
  data.count = indices.num_elements();
  data.rows = shape[0];
  data.inner = 1;
  for (size_t d = 1; d < shape.size(); ++d) data.inner *= shape[d];
  return ctx.SetOutput(0, DType::kFloat32, std::move(shape));
}

template <typename Index>
absl::Status ScatterTyped(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  const Index* indices = ctx.input(0).data_as<Index>();
  const float* updates = ctx.input(1).data_as<float>();
  float* out = ctx.output(0).data_as<float>();
  for (int64_t i = 0; i < data.count; ++i) {
    const int64_t index = static_cast<int64_t>(indices[i]);
    if (index < 0 || index >= data.rows) {
      return ctx.InvalidArgument(
          absl::StrCat("index ", index, " at position ", i,
                       " of indices is out of range [0, ", data.rows, ")"));
    }
  }
  if (ctx.output(0).bytes > 0) std::memset(out, 0, ctx.output(0).bytes);
  for (int64_t i = 0; i < data.count; ++i) {
    float* row = out + static_cast<int64_t>(indices[i]) * data.inner;
    const float* src = updates + i * data.inner;
    for (int64_t k = 0; k < data.inner; ++k) row[k] += src[k];
  }
  return absl::OkStatus();
}

absl::Status Eval(NodeContext& ctx) {
  return ctx.input(0).dtype == DType::kInt32 ? ScatterTyped<int32_t>(ctx)
                                             : ScatterTyped<int64_t>(ctx);
}

}  // namespace

KernelRegistration RegisterScatterAdd() { return {Prepare, Eval}; }

}  // namespace attune
