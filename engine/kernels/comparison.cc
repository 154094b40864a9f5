// Comparisons and logical ops with bool output (engine/kernels/OPS.md):
// equal, not_equal (float32, int32, int64, bool), less, less_equal, greater,
// greater_equal (float32, int32, int64), logical_and, logical_or (bool),
// logical_not (bool). Binary forms broadcast numpy-style (broadcast.h); both
// inputs have one dtype. Bools are one byte, 0 or 1; logical ops read any
// nonzero byte as true. Comparisons involving NaN are false except
// not_equal.

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "engine/kernels/broadcast.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  BroadcastPlan plan;
  DType dtype;
};

bool SupportsDType(OpCode op, DType dtype) {
  switch (op) {
    case OpCode::kEqual:
    case OpCode::kNotEqual:
      return dtype == DType::kFloat32 || dtype == DType::kInt32 ||
             dtype == DType::kInt64 || dtype == DType::kBool;
    case OpCode::kLogicalAnd:
    case OpCode::kLogicalOr:
    case OpCode::kLogicalNot:
      return dtype == DType::kBool;
    default:
      return dtype == DType::kFloat32 || dtype == DType::kInt32 ||
             dtype == DType::kInt64;
  }
}

absl::Status Prepare(NodeContext& ctx) {
  const int arity = ctx.op() == OpCode::kLogicalNot ? 1 : 2;
  for (int i = 0; i < arity; ++i) {
    if (!ctx.has_input(i)) {
      return ctx.InvalidArgument(absl::StrCat("input ", i, " is missing"));
    }
  }
  const Tensor& a = ctx.input(0);
  if (arity == 2 && ctx.input(1).dtype != a.dtype) {
    return ctx.InvalidArgument(absl::StrCat("inputs have different dtypes ",
                                            DTypeName(a.dtype), " and ",
                                            DTypeName(ctx.input(1).dtype)));
  }
  if (!SupportsDType(ctx.op(), a.dtype)) {
    return ctx.InvalidArgument(
        absl::StrCat("does not support dtype ", DTypeName(a.dtype)));
  }
  OpData& data = ctx.op_data<OpData>();
  data.dtype = a.dtype;
  if (arity == 1) return ctx.SetOutput(0, DType::kBool, a.shape);
  const absl::Span<const int64_t> shapes[] = {a.shape, ctx.input(1).shape};
  absl::StatusOr<Shape> out = PlanBroadcast(shapes, &data.plan);
  if (!out.ok()) return ctx.Annotate(out.status());
  return ctx.SetOutput(0, DType::kBool, *std::move(out));
}

template <typename T, typename Pred>
void Compare(NodeContext& ctx, const OpData& data, const Pred& pred) {
  BroadcastBinary(
      data.plan, ctx.thread_pool(), ctx.input(0).data_as<T>(),
      ctx.input(1).data_as<T>(), ctx.output(0).data_as<uint8_t>(),
      [&pred](T a, T b) { return static_cast<uint8_t>(pred(a, b)); });
}

template <typename T>
absl::Status EvalTyped(NodeContext& ctx, const OpData& data) {
  switch (ctx.op()) {
    case OpCode::kEqual:
      Compare<T>(ctx, data, [](T a, T b) { return a == b; });
      break;
    case OpCode::kNotEqual:
      Compare<T>(ctx, data, [](T a, T b) { return a != b; });
      break;
    case OpCode::kLess:
      Compare<T>(ctx, data, [](T a, T b) { return a < b; });
      break;
    case OpCode::kLessEqual:
      Compare<T>(ctx, data, [](T a, T b) { return a <= b; });
      break;
    case OpCode::kGreater:
      Compare<T>(ctx, data, [](T a, T b) { return a > b; });
      break;
    case OpCode::kGreaterEqual:
      Compare<T>(ctx, data, [](T a, T b) { return a >= b; });
      break;
    default:
      return ctx.Internal("not a comparison op");
  }
  return absl::OkStatus();
}

absl::Status EvalLogical(NodeContext& ctx, const OpData& data) {
  if (ctx.op() == OpCode::kLogicalNot) {
    const uint8_t* x = ctx.input(0).data_as<uint8_t>();
    uint8_t* y = ctx.output(0).data_as<uint8_t>();
    ParallelFor(ctx.thread_pool(), ctx.output(0).num_elements(),
                [x, y](int64_t begin, int64_t end) {
                  for (int64_t k = begin; k < end; ++k) y[k] = x[k] == 0;
                });
    return absl::OkStatus();
  }
  if (ctx.op() == OpCode::kLogicalAnd) {
    Compare<uint8_t>(ctx, data,
                     [](uint8_t a, uint8_t b) { return a != 0 && b != 0; });
  } else {
    Compare<uint8_t>(ctx, data,
                     [](uint8_t a, uint8_t b) { return a != 0 || b != 0; });
  }
  return absl::OkStatus();
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  const OpCode op = ctx.op();
  if (op == OpCode::kLogicalAnd || op == OpCode::kLogicalOr ||
      op == OpCode::kLogicalNot) {
    return EvalLogical(ctx, data);
  }
  switch (data.dtype) {
    case DType::kFloat32:
      return EvalTyped<float>(ctx, data);
    case DType::kInt32:
      return EvalTyped<int32_t>(ctx, data);
    case DType::kInt64:
      return EvalTyped<int64_t>(ctx, data);
    case DType::kBool:  // equal / not_equal only (checked in Prepare)
      return EvalTyped<uint8_t>(ctx, data);
    default:
      return ctx.Internal("dtype not rejected in Prepare");
  }
}

}  // namespace

KernelRegistration RegisterEqual() { return {Prepare, Eval}; }
KernelRegistration RegisterNotEqual() { return {Prepare, Eval}; }
KernelRegistration RegisterLess() { return {Prepare, Eval}; }
KernelRegistration RegisterLessEqual() { return {Prepare, Eval}; }
KernelRegistration RegisterGreater() { return {Prepare, Eval}; }
KernelRegistration RegisterGreaterEqual() { return {Prepare, Eval}; }
KernelRegistration RegisterLogicalAnd() { return {Prepare, Eval}; }
KernelRegistration RegisterLogicalOr() { return {Prepare, Eval}; }
KernelRegistration RegisterLogicalNot() { return {Prepare, Eval}; }

}  // namespace attune
