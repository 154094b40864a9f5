// arg_max: index of the largest element along `axis`; the axis is removed.
// Inputs: x (float32, int32, int64, uint8 or int8, rank >= 1), optional axis
// (int32/int64 scalar or one-element, static) overriding attribute `axis`.
// Attributes: axis int (-1), output_type string "int64" | "int32" ("int64").
// Ties give the first index. NaN counts as larger than any number (the first
// NaN wins, as numpy). A zero-size axis with a non-empty output is
// InvalidArgument at Prepare.

#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData;
using ArgMaxFn = void (*)(const OpData&, const void* in, void* out);

struct OpData {
  ArgMaxFn fn;
  int64_t outer;  // product of dims before the axis
  int64_t size;   // the axis dim
  int64_t inner;  // product of dims after the axis
};

// True when `x` should replace the current best `best` (strictly greater, or
// the first NaN).
template <typename T>
bool Better(T x, T best) {
  if constexpr (std::is_floating_point_v<T>) {
    if (best != best) return false;
    if (x != x) return true;
  }
  return x > best;
}

template <typename T, typename I>
void ArgMax(const OpData& d, const void* in_v, void* out_v) {
  const T* in = static_cast<const T*>(in_v);
  I* out = static_cast<I*>(out_v);
  for (int64_t o = 0; o < d.outer; ++o) {
    const T* x = in + o * d.size * d.inner;
    I* y = out + o * d.inner;
    if (d.inner == 1) {
      int64_t best = 0;
      for (int64_t a = 1; a < d.size; ++a) {
        if (Better(x[a], x[best])) best = a;
      }
      y[0] = static_cast<I>(best);
      continue;
    }
    // Interleaved rows: keep each row's best index in the output.
    for (int64_t i = 0; i < d.inner; ++i) y[i] = 0;
    for (int64_t a = 1; a < d.size; ++a) {
      const T* xa = x + a * d.inner;
      for (int64_t i = 0; i < d.inner; ++i) {
        if (Better(xa[i], x[static_cast<int64_t>(y[i]) * d.inner + i])) {
          y[i] = static_cast<I>(a);
        }
      }
    }
  }
}

template <typename I>
ArgMaxFn SelectFn(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
      return ArgMax<float, I>;
    case DType::kInt32:
      return ArgMax<int32_t, I>;
    case DType::kInt64:
      return ArgMax<int64_t, I>;
    case DType::kUint8:
      return ArgMax<uint8_t, I>;
    case DType::kInt8:
      return ArgMax<int8_t, I>;
    default:
      return nullptr;
  }
}

absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0)) return ctx.InvalidArgument("input 0 is missing");
  const Tensor& x = ctx.input(0);
  if (x.rank() < 1) {
    return ctx.InvalidArgument(
        absl::StrCat("needs x of rank >= 1, got ", ShapeToString(x.shape)));
  }
  const std::vector<int64_t> dflt = {-1};
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> axes,
                          ctx.IntsFromInputOrAttr(1, "axis", &dflt));
  if (axes.size() != 1) {
    return ctx.InvalidArgument(
        absl::StrCat("axis must hold one value, got ", axes.size()));
  }
  absl::StatusOr<int> axis = NormalizeAxis(axes[0], x.rank());
  if (!axis.ok()) return ctx.Annotate(axis.status());

  absl::StatusOr<std::string> type_name =
      ctx.attrs().GetStringOr("output_type", "int64");
  if (!type_name.ok()) return ctx.Annotate(type_name.status());
  DType out_dtype;
  OpData& data = ctx.op_data<OpData>();
  if (*type_name == "int64") {
    out_dtype = DType::kInt64;
    data.fn = SelectFn<int64_t>(x.dtype);
  } else if (*type_name == "int32") {
    out_dtype = DType::kInt32;
    data.fn = SelectFn<int32_t>(x.dtype);
  } else {
    return ctx.InvalidArgument(
        absl::StrCat("output_type must be \"int64\" or \"int32\", got \"",
                     *type_name, "\""));
  }
  if (data.fn == nullptr) {
    return ctx.InvalidArgument(
        absl::StrCat("x has unsupported dtype ", DTypeName(x.dtype),
                     "; expected float32, int32, int64, uint8 or int8"));
  }

  Shape out_shape;
  data.outer = 1;
  data.inner = 1;
  for (int d = 0; d < x.rank(); ++d) {
    if (d < *axis) data.outer *= x.dim(d);
    if (d > *axis) data.inner *= x.dim(d);
    if (d != *axis) out_shape.push_back(x.dim(d));
  }
  data.size = x.dim(*axis);
  if (data.size == 0 && data.outer * data.inner > 0) {
    return ctx.InvalidArgument(absl::StrCat("arg_max over zero-size axis ",
                                            *axis, " of x ",
                                            ShapeToString(x.shape)));
  }
  if (out_dtype == DType::kInt32 &&
      data.size > std::numeric_limits<int32_t>::max()) {
    return ctx.InvalidArgument(absl::StrCat("axis dim ", data.size,
                                            " does not fit output_type int32"));
  }
  return ctx.SetOutput(0, out_dtype, std::move(out_shape));
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  if (data.outer * data.inner == 0) return absl::OkStatus();
  data.fn(data, ctx.input(0).data, ctx.output(0).data);
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterArgMax() { return {Prepare, Eval}; }

}  // namespace attune
