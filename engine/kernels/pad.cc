// pad: y = x surrounded by a constant value.
// Inputs: x (any fixed-size dtype), optional paddings ([rank, 2] int32/int64,
// static), optional value (one element of x's dtype; may be computed at run
// time). Attributes: paddings ints (flattened [rank*2]) when the input is
// absent; value float (0) when the input is absent, converted to x's dtype.
// Paddings are (before, after) per dim, each >= 0.

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  int64_t before[kMaxRank];  // "after" is out - in - before
  uint64_t value_bits;       // the pad value in x's dtype (low bytes)
  bool value_from_input;     // read input 2 at Eval instead
};

template <typename T>
uint64_t Bits(T v) {
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}

absl::StatusOr<uint64_t> ValueBits(const NodeContext& ctx, DType dtype,
                                   double v) {
  switch (dtype) {
    case DType::kFloat32:
      return Bits(static_cast<float>(v));
    case DType::kInt32:
      return Bits(static_cast<int32_t>(v));
    case DType::kInt64:
      return Bits(static_cast<int64_t>(v));
    case DType::kBool:
      return Bits(static_cast<uint8_t>(v != 0.0));
    case DType::kUint8:
      return Bits(static_cast<uint8_t>(v));
    case DType::kInt8:
      return Bits(static_cast<int8_t>(v));
    default:
      if (v == 0.0) return uint64_t{0};  // all-zero bits are zero
      return ctx.Unimplemented(
          absl::StrCat("a non-zero value attribute for ", DTypeName(dtype)));
  }
}

absl::Status Prepare(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  if (DTypeSize(x.dtype) == 0) {
    return ctx.Unimplemented(
        absl::StrCat("dtype ", DTypeName(x.dtype), " is not supported"));
  }
  if (x.rank() > kMaxRank) {
    return ctx.InvalidArgument(absl::StrCat("x ", ShapeToString(x.shape),
                                            " has rank above ", kMaxRank));
  }
  if (ctx.has_input(1)) {
    const Shape& ps = ctx.input(1).shape;
    if (ps.size() != 2 || ps[0] != x.rank() || ps[1] != 2) {
      return ctx.InvalidArgument(
          absl::StrCat("paddings ", ShapeToString(ps), " must have shape [",
                       x.rank(), ",2] for x ", ShapeToString(x.shape)));
    }
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> paddings,
                          ctx.IntsFromInputOrAttr(1, "paddings"));
  if (paddings.size() != static_cast<size_t>(2 * x.rank())) {
    return ctx.InvalidArgument(absl::StrCat(
        "paddings has ", paddings.size(), " values, expected ", 2 * x.rank(),
        " (before, after) pairs for x ", ShapeToString(x.shape)));
  }
  OpData& data = ctx.op_data<OpData>();
  Shape shape;
  for (int d = 0; d < x.rank(); ++d) {
    const int64_t before = paddings[2 * d];
    const int64_t after = paddings[2 * d + 1];
    if (before < 0 || after < 0 || before > kMaxTensorElements ||
        after > kMaxTensorElements) {
      return ctx.InvalidArgument(absl::StrCat(
          "paddings ", ShapeToString(paddings),
          " must be non-negative and not absurdly large (dim ", d, ")"));
    }
    data.before[d] = before;
    shape.push_back(x.dim(d) + before + after);
  }
  data.value_from_input = false;
  data.value_bits = 0;
  if (ctx.has_input(2)) {
    const Tensor& value = ctx.input(2);
    if (value.dtype != x.dtype || value.num_elements() != 1) {
      return ctx.InvalidArgument(absl::StrCat(
          "value must be one ", DTypeName(x.dtype), " element, got ",
          DTypeName(value.dtype), ShapeToString(value.shape)));
    }
    if (value.is_static) {
      std::memcpy(&data.value_bits, value.data, DTypeSize(x.dtype));
    } else {
      data.value_from_input = true;
    }
  } else {
    absl::StatusOr<double> v = ctx.attrs().GetFloatOr("value", 0.0);
    if (!v.ok()) return ctx.Annotate(v.status());
    ATTUNE_ASSIGN_OR_RETURN(data.value_bits, ValueBits(ctx, x.dtype, *v));
  }
  return ctx.SetOutput(0, x.dtype, std::move(shape));
}

struct PadArgs {
  int rank;
  int64_t es;
  const int64_t* in_dims;
  const int64_t* out_dims;
  const int64_t* before;
  int64_t in_block[kMaxRank + 1];   // bytes of one x[i0..id-1] sub-block
  int64_t out_block[kMaxRank + 1];  // bytes of one y[i0..id-1] sub-block
  uint64_t value_bits;
};

template <typename T>
void FillTyped(uint8_t* dst, int64_t count, uint64_t bits) {
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  std::fill_n(reinterpret_cast<T*>(dst), count, v);
}

void FillValue(const PadArgs& a, uint8_t* dst, int64_t bytes) {
  const int64_t count = bytes / a.es;
  switch (a.es) {
    case 1:
      std::memset(dst, static_cast<int>(a.value_bits & 0xff), bytes);
      break;
    case 2:
      FillTyped<uint16_t>(dst, count, a.value_bits);
      break;
    case 4:
      FillTyped<uint32_t>(dst, count, a.value_bits);
      break;
    default:
      FillTyped<uint64_t>(dst, count, a.value_bits);
      break;
  }
}

// Writes y's sub-block for dims d..rank-1 at `out` from x's at `in`: the
// leading pad, each row (recursing), the trailing pad.
void PadDim(const PadArgs& a, int d, const uint8_t* in, uint8_t* out) {
  const int64_t row_out = a.out_block[d + 1];
  const int64_t lead = a.before[d] * row_out;
  const int64_t body = a.in_dims[d] * row_out;
  const int64_t trail = a.out_block[d] - lead - body;
  FillValue(a, out, lead);
  if (d == a.rank - 1) {
    std::memcpy(out + lead, in, static_cast<size_t>(a.in_block[d]));
  } else {
    for (int64_t i = 0; i < a.in_dims[d]; ++i) {
      PadDim(a, d + 1, in + i * a.in_block[d + 1], out + lead + i * row_out);
    }
  }
  FillValue(a, out + lead + body, trail);
}

absl::Status Eval(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  Tensor& y = ctx.output(0);
  const OpData& data = ctx.op_data<OpData>();
  if (y.bytes == 0) return absl::OkStatus();
  PadArgs a;
  a.rank = x.rank();
  a.es = static_cast<int64_t>(DTypeSize(x.dtype));
  a.in_dims = x.shape.data();
  a.out_dims = y.shape.data();
  a.before = data.before;
  a.value_bits = data.value_bits;
  if (data.value_from_input) {
    a.value_bits = 0;
    std::memcpy(&a.value_bits, ctx.input(2).data, static_cast<size_t>(a.es));
  }
  if (a.rank == 0) {
    std::memcpy(y.data, x.data, static_cast<size_t>(a.es));
    return absl::OkStatus();
  }
  if (x.bytes == 0) {  // nothing to copy: all padding
    FillValue(a, y.data_as<uint8_t>(), static_cast<int64_t>(y.bytes));
    return absl::OkStatus();
  }
  a.in_block[a.rank] = a.es;
  a.out_block[a.rank] = a.es;
  for (int d = a.rank - 1; d >= 0; --d) {
    a.in_block[d] = a.in_block[d + 1] * x.dim(d);
    a.out_block[d] = a.out_block[d + 1] * y.dim(d);
  }
  PadDim(a, 0, x.data_as<uint8_t>(), y.data_as<uint8_t>());
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterPad() { return {Prepare, Eval}; }

}  // namespace attune
