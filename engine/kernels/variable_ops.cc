// Resource-variable ops. Each names its variable by the int attribute
// "variable" (an index into the model's variables).
//   read_variable: () -> value. Usually not run: the execution plan aliases
//     its output to the variable's buffer when no write can intervene, and
//     runs this copy only otherwise.
//   assign_variable(value): variable = value.
//   assign_add_variable(delta) / assign_sub_variable(delta): variable +=/-=
//     delta (float32, int32, int64), delta of the variable's shape.
// Every write bumps the variable's version.

#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  int variable;
};

// Resolves the "variable" attribute against the store.
absl::StatusOr<int> ResolveVariable(NodeContext& ctx) {
  absl::StatusOr<int64_t> index = ctx.attrs().GetInt("variable");
  if (!index.ok()) return ctx.Annotate(index.status());
  VariableStore* store = ctx.variables();
  if (store == nullptr || *index < 0 || *index >= store->size()) {
    return ctx.InvalidArgument(absl::StrCat(
        "variable index ", *index, " out of range [0, ",
        store == nullptr ? 0 : store->size(), ")"));
  }
  ctx.op_data<OpData>().variable = static_cast<int>(*index);
  return static_cast<int>(*index);
}

absl::Status PrepareRead(NodeContext& ctx) {
  ATTUNE_ASSIGN_OR_RETURN(int index, ResolveVariable(ctx));
  const Tensor& variable = ctx.variables()->tensor(index);
  return ctx.SetOutput(0, variable.dtype, variable.shape);
}

absl::Status EvalRead(NodeContext& ctx) {
  const Tensor& variable =
      ctx.variables()->tensor(ctx.op_data<OpData>().variable);
  std::memcpy(ctx.output(0).data, variable.data, variable.bytes);
  return absl::OkStatus();
}

absl::Status PrepareAssign(NodeContext& ctx) {
  ATTUNE_ASSIGN_OR_RETURN(int index, ResolveVariable(ctx));
  const Tensor& variable = ctx.variables()->tensor(index);
  const Tensor& value = ctx.input(0);
  if (value.dtype != variable.dtype || value.shape != variable.shape) {
    return ctx.InvalidArgument(absl::StrCat(
        "value ", DTypeName(value.dtype), ShapeToString(value.shape),
        " does not match variable \"", ctx.variables()->info(index).name,
        "\" ", DTypeName(variable.dtype), ShapeToString(variable.shape)));
  }
  if (ctx.op() != OpCode::kAssignVariable &&
      variable.dtype != DType::kFloat32 && variable.dtype != DType::kInt32 &&
      variable.dtype != DType::kInt64) {
    return ctx.InvalidArgument(absl::StrCat(
        "cannot add to a ", DTypeName(variable.dtype), " variable"));
  }
  return absl::OkStatus();
}

template <typename T>
void Accumulate(T* target, const T* delta, int64_t n, bool subtract) {
  if (subtract) {
    for (int64_t i = 0; i < n; ++i) target[i] -= delta[i];
  } else {
    for (int64_t i = 0; i < n; ++i) target[i] += delta[i];
  }
}

absl::Status EvalAssign(NodeContext& ctx) {
  const int index = ctx.op_data<OpData>().variable;
  Tensor& variable = ctx.variables()->tensor(index);
  const Tensor& value = ctx.input(0);
  if (ctx.op() == OpCode::kAssignVariable) {
    if (variable.data != value.data) {
      std::memcpy(variable.data, value.data, variable.bytes);
    }
  } else {
    const bool subtract = ctx.op() == OpCode::kAssignSubVariable;
    const int64_t n = variable.num_elements();
    switch (variable.dtype) {
      case DType::kFloat32:
        Accumulate(variable.data_as<float>(), value.data_as<float>(), n,
                   subtract);
        break;
      case DType::kInt32:
        Accumulate(variable.data_as<int32_t>(), value.data_as<int32_t>(), n,
                   subtract);
        break;
      default:
        Accumulate(variable.data_as<int64_t>(), value.data_as<int64_t>(), n,
                   subtract);
        break;
    }
  }
  ctx.variables()->MarkWritten(index);
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterReadVariable() { return {PrepareRead, EvalRead}; }
KernelRegistration RegisterAssignVariable() {
  return {PrepareAssign, EvalAssign};
}

}  // namespace attune
