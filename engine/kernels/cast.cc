// cast: converts x to the dtype named by attribute "dtype" (string, required)
// (engine/kernels/OPS.md). Source and target dtypes: float32, int32, int64,
// uint8, int8, bool. Rules:
//  - float -> integer truncates toward zero; NaN gives 0 and values beyond
//    the target's range saturate to its min / max;
//  - integer -> narrower integer keeps the low bits (two's complement wrap);
//  - anything -> bool is x != 0 (NaN is true); bool -> anything is 0 or 1;
//  - integer -> float rounds to nearest.
// float16 (and string) are Unimplemented.

#include <cmath>
#include <cstdint>
#include <limits>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "engine/kernels/broadcast.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  DType from;
  DType to;
};

bool IsCastable(DType dtype) {
  switch (dtype) {
    case DType::kFloat32:
    case DType::kInt32:
    case DType::kInt64:
    case DType::kUint8:
    case DType::kInt8:
    case DType::kBool:
      return true;
    default:
      return false;
  }
}

absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0)) return ctx.InvalidArgument("needs one input");
  absl::StatusOr<std::string> name = ctx.attrs().GetString("dtype");
  if (!name.ok()) return ctx.Annotate(name.status());
  absl::StatusOr<DType> to = ParseDType(*name);
  if (!to.ok()) return ctx.Annotate(to.status());
  const DType from = ctx.input(0).dtype;
  if (!IsCastable(from) || !IsCastable(*to)) {
    return ctx.Unimplemented(
        absl::StrCat("cannot cast ", DTypeName(from), " to ", DTypeName(*to)));
  }
  OpData& data = ctx.op_data<OpData>();
  data.from = from;
  data.to = *to;
  return ctx.SetOutput(0, *to, ctx.input(0).shape);
}

// Bool is stored as a uint8_t byte; BoolTag marks it so it converts as 0/1.
struct BoolTag {};
template <typename T>
using Storage = std::conditional_t<std::is_same_v<T, BoolTag>, uint8_t, T>;

template <typename From, typename To>
Storage<To> Convert(Storage<From> x) {
  if constexpr (std::is_same_v<To, BoolTag>) {
    return x != 0 ? 1 : 0;
  } else if constexpr (std::is_same_v<From, BoolTag>) {
    return static_cast<To>(x != 0 ? 1 : 0);
  } else if constexpr (std::is_floating_point_v<From> &&
                       std::is_integral_v<To>) {
    const double v = x;
    if (std::isnan(v)) return 0;
    // Exclusive bounds: everything in (lo, hi) truncates into range.
    constexpr double kHi =
        static_cast<double>(std::numeric_limits<To>::max()) + 1.0;
    constexpr double kLo =
        static_cast<double>(std::numeric_limits<To>::min()) - 1.0;
    if (v >= kHi) return std::numeric_limits<To>::max();
    if (v <= kLo) return std::numeric_limits<To>::min();
    return static_cast<To>(v);
  } else {
    return static_cast<To>(x);
  }
}

template <typename From, typename To>
void CastTyped(NodeContext& ctx) {
  const Storage<From>* x = ctx.input(0).data_as<Storage<From>>();
  Storage<To>* y = ctx.output(0).data_as<Storage<To>>();
  ParallelFor(ctx.thread_pool(), ctx.output(0).num_elements(),
              [x, y](int64_t begin, int64_t end) {
                for (int64_t k = begin; k < end; ++k) {
                  y[k] = Convert<From, To>(x[k]);
                }
              });
}

template <typename From>
absl::Status CastFrom(NodeContext& ctx, DType to) {
  switch (to) {
    case DType::kFloat32:
      CastTyped<From, float>(ctx);
      break;
    case DType::kInt32:
      CastTyped<From, int32_t>(ctx);
      break;
    case DType::kInt64:
      CastTyped<From, int64_t>(ctx);
      break;
    case DType::kUint8:
      CastTyped<From, uint8_t>(ctx);
      break;
    case DType::kInt8:
      CastTyped<From, int8_t>(ctx);
      break;
    case DType::kBool:
      CastTyped<From, BoolTag>(ctx);
      break;
    default:
      return ctx.Internal("target dtype not rejected in Prepare");
  }
  return absl::OkStatus();
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  switch (data.from) {
    case DType::kFloat32:
      return CastFrom<float>(ctx, data.to);
    case DType::kInt32:
      return CastFrom<int32_t>(ctx, data.to);
    case DType::kInt64:
      return CastFrom<int64_t>(ctx, data.to);
    case DType::kUint8:
      return CastFrom<uint8_t>(ctx, data.to);
    case DType::kInt8:
      return CastFrom<int8_t>(ctx, data.to);
    case DType::kBool:
      return CastFrom<BoolTag>(ctx, data.to);
    default:
      return ctx.Internal("source dtype not rejected in Prepare");
  }
}

}  // namespace

KernelRegistration RegisterCast() { return {Prepare, Eval}; }

}  // namespace attune
