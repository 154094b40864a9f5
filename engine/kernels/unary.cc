// Unary elementwise maps, same shape and dtype out (engine/kernels/OPS.md):
// relu, relu6, leaky_relu (alpha, 0.2), sigmoid, tanh, hard_swish
// (x * relu6(x + 3) / 6), gelu (approximate 0: 0.5 x (1 + erf(x / sqrt 2));
// 1: 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))), elu (alpha, 1.0:
// x > 0 ? x : alpha (e^x - 1)), exp, log, sqrt, rsqrt, square, neg, abs.
// All take float32; neg, abs and square also int32 and int64, wrapping on
// overflow (neg and abs of the most negative value return it unchanged).

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "engine/kernels/broadcast.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  DType dtype;
  float alpha;      // leaky_relu, elu
  int approximate;  // gelu
};

bool TakesIntegers(OpCode op) {
  return op == OpCode::kNeg || op == OpCode::kAbs || op == OpCode::kSquare;
}

absl::Status Prepare(NodeContext& ctx) {
  if (!ctx.has_input(0)) return ctx.InvalidArgument("needs one input");
  const Tensor& x = ctx.input(0);
  const bool integer = x.dtype == DType::kInt32 || x.dtype == DType::kInt64;
  if (x.dtype != DType::kFloat32 && !(integer && TakesIntegers(ctx.op()))) {
    return ctx.InvalidArgument(
        absl::StrCat("does not support dtype ", DTypeName(x.dtype)));
  }
  OpData& data = ctx.op_data<OpData>();
  data.dtype = x.dtype;
  data.alpha = 0.0f;
  data.approximate = 0;
  if (ctx.op() == OpCode::kLeakyRelu || ctx.op() == OpCode::kElu) {
    absl::StatusOr<double> alpha = ctx.attrs().GetFloatOr(
        "alpha", ctx.op() == OpCode::kLeakyRelu ? 0.2 : 1.0);
    if (!alpha.ok()) return ctx.Annotate(alpha.status());
    data.alpha = static_cast<float>(*alpha);
  }
  if (ctx.op() == OpCode::kGelu) {
    absl::StatusOr<int64_t> approximate =
        ctx.attrs().GetIntOr("approximate", 0);
    if (!approximate.ok()) return ctx.Annotate(approximate.status());
    if (*approximate != 0 && *approximate != 1) {
      return ctx.InvalidArgument(absl::StrCat(
          "attribute \"approximate\" must be 0 or 1, got ", *approximate));
    }
    data.approximate = static_cast<int>(*approximate);
  }
  return ctx.SetOutput(0, x.dtype, x.shape);
}

template <typename T, typename Fn>
void Map(NodeContext& ctx, const Fn& fn) {
  const T* x = ctx.input(0).data_as<T>();
  T* y = ctx.output(0).data_as<T>();
  ParallelFor(ctx.thread_pool(), ctx.output(0).num_elements(),
              [=, &fn](int64_t begin, int64_t end) {
                for (int64_t k = begin; k < end; ++k) y[k] = fn(x[k]);
              });
}

absl::Status EvalF32(NodeContext& ctx, const OpData& data) {
  const float alpha = data.alpha;
  switch (ctx.op()) {
    case OpCode::kRelu:
      Map<float>(ctx, [](float x) { return std::max(x, 0.0f); });
      break;
    case OpCode::kRelu6:
      Map<float>(ctx,
                 [](float x) { return std::min(std::max(x, 0.0f), 6.0f); });
      break;
    case OpCode::kLeakyRelu:
      Map<float>(ctx, [alpha](float x) { return x >= 0.0f ? x : alpha * x; });
      break;
    case OpCode::kSigmoid:
      Map<float>(ctx, [](float x) { return 1.0f / (1.0f + std::exp(-x)); });
      break;
    case OpCode::kTanh:
      Map<float>(ctx, [](float x) { return std::tanh(x); });
      break;
    case OpCode::kHardSwish:
      Map<float>(ctx, [](float x) {
        return x * std::min(std::max(x + 3.0f, 0.0f), 6.0f) / 6.0f;
      });
      break;
    case OpCode::kGelu:
      if (data.approximate == 0) {
        Map<float>(ctx, [](float x) {
          constexpr float kInvSqrt2 = 0.70710678118654752f;
          return 0.5f * x * (1.0f + std::erf(x * kInvSqrt2));
        });
      } else {
        Map<float>(ctx, [](float x) {
          constexpr float kSqrt2OverPi = 0.79788456080286536f;
          const float inner = kSqrt2OverPi * (x + 0.044715f * x * x * x);
          return 0.5f * x * (1.0f + std::tanh(inner));
        });
      }
      break;
    case OpCode::kElu:
      Map<float>(ctx, [alpha](float x) {
        return x > 0.0f ? x : alpha * std::expm1(x);
      });
      break;
    case OpCode::kExp:
      Map<float>(ctx, [](float x) { return std::exp(x); });
      break;
    case OpCode::kLog:
      Map<float>(ctx, [](float x) { return std::log(x); });
      break;
    case OpCode::kSqrt:
      Map<float>(ctx, [](float x) { return std::sqrt(x); });
      break;
    case OpCode::kRsqrt:
      Map<float>(ctx, [](float x) { return 1.0f / std::sqrt(x); });
      break;
    case OpCode::kSquare:
      Map<float>(ctx, [](float x) { return x * x; });
      break;
    case OpCode::kNeg:
      Map<float>(ctx, [](float x) { return -x; });
      break;
    case OpCode::kAbs:
      Map<float>(ctx, [](float x) { return std::fabs(x); });
      break;
    default:
      return ctx.Internal("not a unary elementwise op");
  }
  return absl::OkStatus();
}

// neg, abs, square on int32/int64, wrapping through the unsigned type.
template <typename T>
absl::Status EvalInt(NodeContext& ctx) {
  using U = std::make_unsigned_t<T>;
  switch (ctx.op()) {
    case OpCode::kNeg:
      Map<T>(ctx, [](T x) { return static_cast<T>(U{0} - static_cast<U>(x)); });
      break;
    case OpCode::kAbs:
      Map<T>(ctx, [](T x) {
        return x < 0 ? static_cast<T>(U{0} - static_cast<U>(x)) : x;
      });
      break;
    case OpCode::kSquare:
      Map<T>(ctx, [](T x) {
        return static_cast<T>(static_cast<U>(x) * static_cast<U>(x));
      });
      break;
    default:
      return ctx.Internal("integer dtype not rejected in Prepare");
  }
  return absl::OkStatus();
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  switch (data.dtype) {
    case DType::kFloat32:
      return EvalF32(ctx, data);
    case DType::kInt32:
      return EvalInt<int32_t>(ctx);
    case DType::kInt64:
      return EvalInt<int64_t>(ctx);
    default:
      return ctx.Internal("dtype not rejected in Prepare");
  }
}

}  // namespace

KernelRegistration RegisterRelu() { return {Prepare, Eval}; }
KernelRegistration RegisterRelu6() { return {Prepare, Eval}; }
KernelRegistration RegisterLeakyRelu() { return {Prepare, Eval}; }
KernelRegistration RegisterSigmoid() { return {Prepare, Eval}; }
KernelRegistration RegisterTanh() { return {Prepare, Eval}; }
KernelRegistration RegisterHardSwish() { return {Prepare, Eval}; }
KernelRegistration RegisterGelu() { return {Prepare, Eval}; }
KernelRegistration RegisterElu() { return {Prepare, Eval}; }
KernelRegistration RegisterExp() { return {Prepare, Eval}; }
KernelRegistration RegisterLog() { return {Prepare, Eval}; }
KernelRegistration RegisterSqrt() { return {Prepare, Eval}; }
KernelRegistration RegisterRsqrt() { return {Prepare, Eval}; }
KernelRegistration RegisterSquare() { return {Prepare, Eval}; }
KernelRegistration RegisterNeg() { return {Prepare, Eval}; }
KernelRegistration RegisterAbs() { return {Prepare, Eval}; }

}  // namespace attune
