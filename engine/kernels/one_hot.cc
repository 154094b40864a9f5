// one_hot: y[..., d, ...] = (indices[...] == d) ? on_value : off_value, with
// the new dim of size `depth` inserted at `axis`. Indices outside
// [0, depth) give an all-off row (as TensorFlow).
// Inputs: indices (int32/int64), optional depth (static scalar), optional
// on_value and off_value (scalars; read at Eval when not static).
// Attributes: depth int, on_value float (1), off_value float (0), axis int
// (-1: last; range [-rank-1, rank]), dtype string "float32" | "int32" |
// "int64" ("float32").

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  DType out_dtype;
  DType index_dtype;
  int64_t outer;  // index elements before the axis
  int64_t depth;
  int64_t inner;    // index elements after the axis
  double on_value;  // when on/off inputs are absent or static
  double off_value;
  bool on_dynamic;  // read input 2 / 3 at Eval
  bool off_dynamic;
};

// Reads scalar input `i` of dtype float32, int32 or int64 as double.
double ReadScalar(const Tensor& t) {
  switch (t.dtype) {
    case DType::kFloat32:
      return t.data_as<float>()[0];
    case DType::kInt32:
      return t.data_as<int32_t>()[0];
    case DType::kInt64:
      return static_cast<double>(t.data_as<int64_t>()[0]);
    default:
      return 0.0;
  }
}

// Resolves on_value (input 2) or off_value (input 3).
absl::Status PrepareValue(NodeContext& ctx, int input, const char* attr,
                          double dflt, double* value, bool* dynamic) {
  *dynamic = false;
  if (!ctx.has_input(input)) {
    absl::StatusOr<double> v = ctx.attrs().GetFloatOr(attr, dflt);
    if (!v.ok()) return ctx.Annotate(v.status());
    *value = *v;
    return absl::OkStatus();
  }
  const Tensor& t = ctx.input(input);
  if (t.num_elements() != 1 ||
      (t.dtype != DType::kFloat32 && t.dtype != DType::kInt32 &&
       t.dtype != DType::kInt64)) {
    return ctx.InvalidArgument(
        absl::StrCat(attr, " (input ", input,
                     ") must be a float32, int32 or int64 "
                     "scalar, got ",
                     DTypeName(t.dtype), ShapeToString(t.shape)));
  }
  if (t.is_static) {
    *value = ReadScalar(t);
  } else {
    *dynamic = true;
  }
  return absl::OkStatus();
}

absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0)) return ctx.InvalidArgument("input 0 is missing");
  const Tensor& indices = ctx.input(0);
  OpData& data = ctx.op_data<OpData>();
  data.index_dtype = indices.dtype;
  if (indices.dtype != DType::kInt32 && indices.dtype != DType::kInt64) {
    return ctx.InvalidArgument(absl::StrCat(
        "indices must be int32 or int64, got ", DTypeName(indices.dtype)));
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> depth,
                          ctx.IntsFromInputOrAttr(1, "depth"));
  if (depth.size() != 1 || depth[0] < 0) {
    return ctx.InvalidArgument(absl::StrCat(
        "depth must be one non-negative value, got ", depth.size(), " value(s)",
        depth.empty() ? "" : absl::StrCat(", first ", depth[0])));
  }
  data.depth = depth[0];
  ATTUNE_RETURN_IF_ERROR(
      PrepareValue(ctx, 2, "on_value", 1.0, &data.on_value, &data.on_dynamic));
  ATTUNE_RETURN_IF_ERROR(PrepareValue(ctx, 3, "off_value", 0.0, &data.off_value,
                                      &data.off_dynamic));

  absl::StatusOr<int64_t> axis_attr = ctx.attrs().GetIntOr("axis", -1);
  if (!axis_attr.ok()) return ctx.Annotate(axis_attr.status());
  absl::StatusOr<int> axis = NormalizeAxis(*axis_attr, indices.rank() + 1);
  if (!axis.ok()) return ctx.Annotate(axis.status());

  absl::StatusOr<std::string> dtype_name =
      ctx.attrs().GetStringOr("dtype", "float32");
  if (!dtype_name.ok()) return ctx.Annotate(dtype_name.status());
  absl::StatusOr<DType> dtype = ParseDType(*dtype_name);
  if (!dtype.ok() || (*dtype != DType::kFloat32 && *dtype != DType::kInt32 &&
                      *dtype != DType::kInt64)) {
    return ctx.InvalidArgument(absl::StrCat(
        "dtype must be float32, int32 or int64, got \"", *dtype_name, "\""));
  }
  data.out_dtype = *dtype;

  Shape out_shape;
  data.outer = 1;
  data.inner = 1;
  for (int d = 0; d <= indices.rank(); ++d) {
    if (d == *axis) out_shape.push_back(data.depth);
    if (d == indices.rank()) break;
    out_shape.push_back(indices.dim(d));
    (d < *axis ? data.outer : data.inner) *= indices.dim(d);
  }
  return ctx.SetOutput(0, data.out_dtype, std::move(out_shape));
}

template <typename T, typename I>
void Fill(const OpData& d, const I* indices, T on, T off, T* y) {
  const int64_t block = d.depth * d.inner;
  std::fill(y, y + d.outer * block, off);
  for (int64_t o = 0; o < d.outer; ++o) {
    for (int64_t i = 0; i < d.inner; ++i) {
      const int64_t index = indices[o * d.inner + i];
      if (index >= 0 && index < d.depth) {
        y[o * block + index * d.inner + i] = on;
      }
    }
  }
}

template <typename T>
void EvalTyped(NodeContext& ctx, const OpData& d, double on, double off) {
  T* y = ctx.output(0).data_as<T>();
  const Tensor& indices = ctx.input(0);
  if (d.index_dtype == DType::kInt32) {
    Fill(d, indices.data_as<int32_t>(), static_cast<T>(on), static_cast<T>(off),
         y);
  } else {
    Fill(d, indices.data_as<int64_t>(), static_cast<T>(on), static_cast<T>(off),
         y);
  }
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const double on = d.on_dynamic ? ReadScalar(ctx.input(2)) : d.on_value;
  const double off = d.off_dynamic ? ReadScalar(ctx.input(3)) : d.off_value;
  switch (d.out_dtype) {
    case DType::kInt32:
      EvalTyped<int32_t>(ctx, d, on, off);
      break;
    case DType::kInt64:
      EvalTyped<int64_t>(ctx, d, on, off);
      break;
    default:
      EvalTyped<float>(ctx, d, on, off);
      break;
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterOneHot() { return {Prepare, Eval}; }

}  // namespace attune
