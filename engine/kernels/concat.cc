// concat, pack and unpack: joining and splitting tensors along one axis.
//
// concat: inputs x0, x1, ... (same dtype and rank; dims equal except at
//   `axis`); attribute axis int (required, negative counts from the end).
// pack: inputs x0, x1, ... (same dtype and shape); attribute axis int (0),
//   in [-(rank+1), rank]. Output has a new dim of size N at axis.
// unpack: input x; attributes axis int (0), num int (if given, must equal
//   the dim at axis). Output k is x[..., k, ...] with the axis removed; the
//   node must have exactly dim(axis) outputs.
//
// All three view each tensor as [outer, chunk] around the axis and copy
// contiguous chunks with memcpy, so any fixed-size dtype works.

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// outer = product of dims before the axis; inner_bytes (unpack only) =
// bytes of one element times the product of dims after the axis.
struct OpData {
  int64_t outer;
  int64_t inner_bytes;
};

absl::Status CheckDType(const NodeContext& ctx, DType dtype) {
  if (DTypeSize(dtype) == 0) {
    return ctx.Unimplemented(
        absl::StrCat("dtype ", DTypeName(dtype), " is not supported"));
  }
  return absl::OkStatus();
}

absl::Status CheckInputsPresent(const NodeContext& ctx) {
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    if (!ctx.has_input(i)) {
      return ctx.InvalidArgument(absl::StrCat("input ", i, " is missing"));
    }
    if (ctx.input(i).dtype != ctx.input(0).dtype) {
      return ctx.InvalidArgument(absl::StrCat(
          "input ", i, " has dtype ", DTypeName(ctx.input(i).dtype),
          " but input 0 has ", DTypeName(ctx.input(0).dtype)));
    }
  }
  return CheckDType(ctx, ctx.input(0).dtype);
}

int64_t Product(const Shape& shape, int begin, int end) {
  int64_t p = 1;
  for (int d = begin; d < end; ++d) p *= shape[d];
  return p;
}

absl::Status PrepareConcat(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(CheckInputsPresent(ctx));
  const Tensor& x0 = ctx.input(0);
  absl::StatusOr<int64_t> axis_attr = ctx.attrs().GetInt("axis");
  if (!axis_attr.ok()) return ctx.Annotate(axis_attr.status());
  if (x0.rank() == 0) {
    return ctx.InvalidArgument("cannot concatenate scalars");
  }
  absl::StatusOr<int> axis = NormalizeAxis(*axis_attr, x0.rank());
  if (!axis.ok()) return ctx.Annotate(axis.status());
  Shape shape = x0.shape;
  shape[*axis] = 0;
  for (int i = 0; i < ctx.num_inputs(); ++i) {
    const Tensor& x = ctx.input(i);
    bool match = x.rank() == x0.rank();
    for (int d = 0; match && d < x.rank(); ++d) {
      match = d == *axis || x.dim(d) == x0.dim(d);
    }
    if (!match) {
      return ctx.InvalidArgument(absl::StrCat(
          "input ", i, " ", ShapeToString(x.shape), " does not match input 0 ",
          ShapeToString(x0.shape), " outside axis ", *axis));
    }
    shape[*axis] += x.dim(*axis);
  }
  ctx.op_data<OpData>().outer = Product(x0.shape, 0, *axis);
  return ctx.SetOutput(0, x0.dtype, std::move(shape));
}

absl::Status EvalConcat(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  Tensor& y = ctx.output(0);
  if (y.bytes == 0) return absl::OkStatus();  // also covers outer == 0
  uint8_t* out = y.data_as<uint8_t>();
  const int n = ctx.num_inputs();
  // Per outer index, each input contributes its own contiguous chunk.
  for (int64_t o = 0; o < data.outer; ++o) {
    for (int i = 0; i < n; ++i) {
      const Tensor& x = ctx.input(i);
      const size_t chunk = x.bytes / static_cast<size_t>(data.outer);
      if (chunk == 0) continue;
      std::memcpy(out, x.data_as<uint8_t>() + o * chunk, chunk);
      out += chunk;
    }
  }
  return absl::OkStatus();
}

absl::Status PreparePack(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(CheckInputsPresent(ctx));
  const Tensor& x0 = ctx.input(0);
  absl::StatusOr<int64_t> axis_attr = ctx.attrs().GetIntOr("axis", 0);
  if (!axis_attr.ok()) return ctx.Annotate(axis_attr.status());
  if (x0.rank() >= kMaxRank) {
    return ctx.InvalidArgument(
        absl::StrCat("inputs of shape ", ShapeToString(x0.shape), " have rank ",
                     x0.rank(), ", the most attune supports"));
  }
  absl::StatusOr<int> axis = NormalizeAxis(*axis_attr, x0.rank() + 1);
  if (!axis.ok()) return ctx.Annotate(axis.status());
  for (int i = 1; i < ctx.num_inputs(); ++i) {
    if (ctx.input(i).shape != x0.shape) {
      return ctx.InvalidArgument(
          absl::StrCat("input ", i, " ", ShapeToString(ctx.input(i).shape),
                       " does not match input 0 ", ShapeToString(x0.shape)));
    }
  }
  ctx.op_data<OpData>().outer = Product(x0.shape, 0, *axis);
  Shape shape = x0.shape;
  shape.insert(shape.begin() + *axis, ctx.num_inputs());
  return ctx.SetOutput(0, x0.dtype, std::move(shape));
}

absl::Status PrepareUnpack(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  ATTUNE_RETURN_IF_ERROR(CheckDType(ctx, x.dtype));
  if (x.rank() == 0) return ctx.InvalidArgument("cannot unpack a scalar");
  absl::StatusOr<int64_t> axis_attr = ctx.attrs().GetIntOr("axis", 0);
  if (!axis_attr.ok()) return ctx.Annotate(axis_attr.status());
  absl::StatusOr<int> axis = NormalizeAxis(*axis_attr, x.rank());
  if (!axis.ok()) return ctx.Annotate(axis.status());
  const int64_t dim = x.dim(*axis);
  if (ctx.attrs().Has("num")) {
    absl::StatusOr<int64_t> num = ctx.attrs().GetInt("num");
    if (!num.ok()) return ctx.Annotate(num.status());
    if (*num != dim) {
      return ctx.InvalidArgument(absl::StrCat("num ", *num, " != dim ", dim,
                                              " at axis ", *axis, " of x ",
                                              ShapeToString(x.shape)));
    }
  }
  if (ctx.num_outputs() != dim) {
    return ctx.InvalidArgument(absl::StrCat(
        "node has ", ctx.num_outputs(), " outputs but x ",
        ShapeToString(x.shape), " has ", dim, " entries at axis ", *axis));
  }
  OpData& data = ctx.op_data<OpData>();
  data.outer = Product(x.shape, 0, *axis);
  data.inner_bytes = Product(x.shape, *axis + 1, x.rank()) *
                     static_cast<int64_t>(DTypeSize(x.dtype));
  Shape shape = x.shape;
  shape.erase(shape.begin() + *axis);
  for (int k = 0; k < ctx.num_outputs(); ++k) {
    ATTUNE_RETURN_IF_ERROR(ctx.SetOutput(k, x.dtype, shape));
  }
  return absl::OkStatus();
}

absl::Status EvalUnpack(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  const uint8_t* in = ctx.input(0).data_as<uint8_t>();
  const int n = ctx.num_outputs();
  const size_t chunk = static_cast<size_t>(data.inner_bytes);
  if (chunk == 0) return absl::OkStatus();
  for (int64_t o = 0; o < data.outer; ++o) {
    for (int k = 0; k < n; ++k) {
      std::memcpy(ctx.output(k).data_as<uint8_t>() + o * chunk, in, chunk);
      in += chunk;
    }
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterConcat() { return {PrepareConcat, EvalConcat}; }
// pack's layout is concat's with each input's chunk covering the whole input
// per outer index, so they share Eval.
KernelRegistration RegisterPack() { return {PreparePack, EvalConcat}; }
KernelRegistration RegisterUnpack() { return {PrepareUnpack, EvalUnpack}; }

}  // namespace attune
