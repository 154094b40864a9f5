// Broadcasting binary arithmetic: add, sub, mul, div, floor_div, maximum,
// minimum, pow, squared_difference (engine/kernels/OPS.md, "Elementwise").
// Inputs: a, b of one dtype, broadcast numpy-style (broadcast.h).
// Dtypes: float32, int32, int64 (pow: float32, int32; squared_difference:
// float32). Attribute activation (activation.h): float32 add/sub/mul/div.
// Integer arithmetic wraps on overflow (two's complement); integer div
// truncates toward zero (floor_div rounds toward negative infinity), and a
// zero divisor is an InvalidArgument at Eval.
// Integer pow with a negative exponent is likewise an InvalidArgument at
// Eval. maximum/minimum of float32 propagate NaN.

#include <cmath>
#include <cstdint>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "engine/kernels/activation.h"
#include "engine/kernels/broadcast.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  BroadcastPlan plan;
  FusedActivation activation;
  DType dtype;
};

bool SupportsDType(OpCode op, DType dtype) {
  switch (op) {
    case OpCode::kPow:
      return dtype == DType::kFloat32 || dtype == DType::kInt32;
    case OpCode::kSquaredDifference:
      return dtype == DType::kFloat32;
    default:
      return dtype == DType::kFloat32 || dtype == DType::kInt32 ||
             dtype == DType::kInt64;
  }
}

bool TakesActivation(OpCode op) {
  return op == OpCode::kAdd || op == OpCode::kSub || op == OpCode::kMul ||
         op == OpCode::kDiv;
}

absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0) || !ctx.has_input(1)) {
    return ctx.InvalidArgument("needs two inputs");
  }
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.dtype != b.dtype) {
    return ctx.InvalidArgument(absl::StrCat("inputs have different dtypes ",
                                            DTypeName(a.dtype), " and ",
                                            DTypeName(b.dtype)));
  }
  if (!SupportsDType(ctx.op(), a.dtype)) {
    return ctx.InvalidArgument(
        absl::StrCat("does not support dtype ", DTypeName(a.dtype)));
  }
  OpData& data = ctx.op_data<OpData>();
  data.dtype = a.dtype;
  data.activation = FusedActivation::kNone;
  if (TakesActivation(ctx.op())) {
    ATTUNE_ASSIGN_OR_RETURN(data.activation, GetFusedActivation(ctx));
    if (data.activation != FusedActivation::kNone &&
        a.dtype != DType::kFloat32) {
      return ctx.InvalidArgument(absl::StrCat(
          "a fused activation needs float32 inputs, got ", DTypeName(a.dtype)));
    }
  }
  const absl::Span<const int64_t> shapes[] = {a.shape, b.shape};
  absl::StatusOr<Shape> out = PlanBroadcast(shapes, &data.plan);
  if (!out.ok()) return ctx.Annotate(out.status());
  return ctx.SetOutput(0, a.dtype, *std::move(out));
}

// Wrapping integer arithmetic through the unsigned type (no signed-overflow
// UB); plain arithmetic for float.
template <typename T>
using Unsigned = std::make_unsigned_t<T>;

template <typename T>
T WrapAdd(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(static_cast<Unsigned<T>>(a) +
                          static_cast<Unsigned<T>>(b));
  } else {
    return a + b;
  }
}
template <typename T>
T WrapSub(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(static_cast<Unsigned<T>>(a) -
                          static_cast<Unsigned<T>>(b));
  } else {
    return a - b;
  }
}
template <typename T>
T WrapMul(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    return static_cast<T>(static_cast<Unsigned<T>>(a) *
                          static_cast<Unsigned<T>>(b));
  } else {
    return a * b;
  }
}
template <typename T>
T Divide(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    // C++ '/' truncates toward zero; min / -1 overflows, so negate wrapping.
    return b == -1 ? WrapSub<T>(0, a) : a / b;
  } else {
    return a / b;
  }
}
// Rounds the quotient toward negative infinity (Python's //).
template <typename T>
T FloorDivide(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    const T q = Divide(a, b);
    return (a % b != 0 && ((a < 0) != (b < 0))) ? WrapSub<T>(q, 1) : q;
  } else {
    return std::floor(a / b);
  }
}
template <typename T>
T Max(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return (a > b || std::isnan(a)) ? a : b;
  } else {
    return a > b ? a : b;
  }
}
template <typename T>
T Min(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    return (a < b || std::isnan(a)) ? a : b;
  } else {
    return a < b ? a : b;
  }
}
template <typename T>
T Pow(T base, T exponent) {
  if constexpr (std::is_floating_point_v<T>) {
    return std::pow(base, exponent);
  } else {
    // Square and multiply; REQUIRES exponent >= 0 (checked in Eval).
    T result = 1;
    while (exponent > 0) {
      if (exponent & 1) result = WrapMul(result, base);
      base = WrapMul(base, base);
      exponent >>= 1;
    }
    return result;
  }
}

template <typename T, typename Op>
void Run(NodeContext& ctx, const OpData& data, const Op& op) {
  const T* a = ctx.input(0).data_as<T>();
  const T* b = ctx.input(1).data_as<T>();
  T* out = ctx.output(0).data_as<T>();
  const bool a_rep = InnerRepeats(data.plan, 0);
  const bool b_rep = InnerRepeats(data.plan, 1);
  const FusedActivation act = data.activation;
  ParallelForEachSegment(data.plan, ctx.thread_pool(),
                         [=, &op](const int64_t* off, int64_t o, int64_t n) {
                           BinaryRun(a + off[0], a_rep, b + off[1], b_rep,
                                     out + o, n, op);
                           if constexpr (std::is_same_v<T, float>) {
                             ApplyActivation(act, out + o, n);
                           }
                         });
}

// Integer div and pow reject some right-hand values. Every element of b
// reaches the output when the output is non-empty, so scanning b is exact.
template <typename T>
absl::Status CheckIntegerDivisorOrExponent(const NodeContext& ctx,
                                           const OpData& data) {
  if constexpr (std::is_integral_v<T>) {
    if (data.plan.num_elements == 0) return absl::OkStatus();
    const Tensor& b = ctx.input(1);
    const T* values = b.data_as<T>();
    const int64_t n = b.num_elements();
    const bool is_div =
        ctx.op() == OpCode::kDiv || ctx.op() == OpCode::kFloorDiv;
    for (int64_t k = 0; k < n; ++k) {
      if (is_div && values[k] == 0) {
        return ctx.InvalidArgument(absl::StrCat(
            "integer division by zero (divisor element ", k, " is 0)"));
      }
      if (!is_div && values[k] < 0) {
        return ctx.InvalidArgument(
            absl::StrCat("integer pow with negative exponent ", values[k],
                         " (element ", k, ")"));
      }
    }
  }
  return absl::OkStatus();
}

template <typename T>
absl::Status EvalTyped(NodeContext& ctx, const OpData& data) {
  switch (ctx.op()) {
    case OpCode::kAdd:
      Run<T>(ctx, data, [](T a, T b) { return WrapAdd(a, b); });
      break;
    case OpCode::kSub:
      Run<T>(ctx, data, [](T a, T b) { return WrapSub(a, b); });
      break;
    case OpCode::kMul:
      Run<T>(ctx, data, [](T a, T b) { return WrapMul(a, b); });
      break;
    case OpCode::kDiv:
      ATTUNE_RETURN_IF_ERROR(CheckIntegerDivisorOrExponent<T>(ctx, data));
      Run<T>(ctx, data, [](T a, T b) { return Divide(a, b); });
      break;
    case OpCode::kFloorDiv:
      ATTUNE_RETURN_IF_ERROR(CheckIntegerDivisorOrExponent<T>(ctx, data));
      Run<T>(ctx, data, [](T a, T b) {
        // b == -1 with a == min: Divide wraps; a % -1 is 0, so no fix-up.
        return b == -1 ? Divide(a, b) : FloorDivide(a, b);
      });
      break;
    case OpCode::kMaximum:
      Run<T>(ctx, data, [](T a, T b) { return Max(a, b); });
      break;
    case OpCode::kMinimum:
      Run<T>(ctx, data, [](T a, T b) { return Min(a, b); });
      break;
    case OpCode::kPow:
      ATTUNE_RETURN_IF_ERROR(CheckIntegerDivisorOrExponent<T>(ctx, data));
      Run<T>(ctx, data, [](T a, T b) { return Pow(a, b); });
      break;
    case OpCode::kSquaredDifference:
      Run<T>(ctx, data, [](T a, T b) {
        const T d = a - b;
        return d * d;
      });
      break;
    default:
      return ctx.Internal("not a binary elementwise op");
  }
  return absl::OkStatus();
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  switch (data.dtype) {
    case DType::kFloat32:
      return EvalTyped<float>(ctx, data);
    case DType::kInt32:
      return EvalTyped<int32_t>(ctx, data);
    case DType::kInt64:
      return EvalTyped<int64_t>(ctx, data);
    default:
      return ctx.Internal("dtype not rejected in Prepare");
  }
}

}  // namespace

KernelRegistration RegisterAdd() { return {Prepare, Eval}; }
KernelRegistration RegisterSub() { return {Prepare, Eval}; }
KernelRegistration RegisterMul() { return {Prepare, Eval}; }
KernelRegistration RegisterDiv() { return {Prepare, Eval}; }
KernelRegistration RegisterMaximum() { return {Prepare, Eval}; }
KernelRegistration RegisterMinimum() { return {Prepare, Eval}; }
KernelRegistration RegisterPow() { return {Prepare, Eval}; }
KernelRegistration RegisterSquaredDifference() { return {Prepare, Eval}; }
KernelRegistration RegisterFloorDiv() { return {Prepare, Eval}; }

}  // namespace attune
