// Fused optimizer updates, one kernel per variable (see OPS.md). Each reads
// the gradient, updates its variable and slot variables in place, and bumps
// their versions. The update rules are PyTorch's torch.optim definitions
// (docs: pytorch.org/docs/stable/optim.html), written for one tensor:
//
// SGD (momentum mu, dampening tau, weight decay wd, Nesterov):
//   g = grad + wd * p
//   b = g on step 1, else mu * b + (1 - tau) * g          (when mu != 0)
//   g = g + mu * b (Nesterov: needs mu > 0, tau = 0, as PyTorch) or b
//   p = p - lr * g
// Adam / AdamW (Kingma & Ba 2015; Loshchilov & Hutter 2019), t = step:
//   AdamW: p = p * (1 - lr * wd); Adam: g = grad + wd * p
//   m = b1 * m + (1 - b1) * g;  v = b2 * v + (1 - b2) * g^2
//   p = p - (lr / (1 - b1^t)) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
// RMSprop (Hinton 2012): g = grad + wd * p; s = a * s + (1 - a) * g^2;
//   d = sqrt(s) + eps; b = mu * b + g / d, p = p - lr * b (mu != 0),
//   else p = p - lr * g / d
// Adagrad (Duchi et al. 2011): g = grad + wd * p; s = s + g^2;
//   p = p - lr * g / (sqrt(s) + eps)

#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  int variable;
  int slot0;  // momentum / m / square_avg / sum, or -1
  int slot1;  // v / momentum, or -1
  float momentum, dampening, weight_decay, beta1, beta2, eps, alpha;
  bool nesterov, decoupled;
};

absl::StatusOr<int> VariableAttr(NodeContext& ctx, absl::string_view name,
                                 bool required) {
  absl::StatusOr<int64_t> index = ctx.attrs().GetIntOr(name, -1);
  if (!index.ok()) return ctx.Annotate(index.status());
  VariableStore* store = ctx.variables();
  if (*index == -1 && !required) return -1;
  if (store == nullptr || *index < 0 || *index >= store->size()) {
    return ctx.InvalidArgument(absl::StrCat("attribute \"", name,
                                            "\": variable index ", *index,
                                            " out of range"));
  }
  const Tensor& slot = store->tensor(static_cast<int>(*index));
  const Tensor& grad = ctx.input(0);
  if (slot.dtype != DType::kFloat32 || slot.shape != grad.shape) {
    return ctx.InvalidArgument(absl::StrCat(
        "variable \"", store->info(static_cast<int>(*index)).name, "\" (",
        name, ") is ", DTypeName(slot.dtype), ShapeToString(slot.shape),
        " but the gradient is float32", ShapeToString(grad.shape)));
  }
  return static_cast<int>(*index);
}

absl::StatusOr<float> FloatAttr(NodeContext& ctx, absl::string_view name,
                                double dflt) {
  absl::StatusOr<double> value = ctx.attrs().GetFloatOr(name, dflt);
  if (!value.ok()) return ctx.Annotate(value.status());
  return static_cast<float>(*value);
}

absl::Status CheckScalar(NodeContext& ctx, int input, bool integer) {
  const Tensor& t = ctx.input(input);
  const bool dtype_ok = integer ? (t.dtype == DType::kInt64 ||
                                   t.dtype == DType::kInt32)
                                : t.dtype == DType::kFloat32;
  if (!dtype_ok || t.num_elements() != 1) {
    return ctx.InvalidArgument(absl::StrCat(
        "input ", input, " must be a ", integer ? "int64" : "float32",
        " scalar, got ", DTypeName(t.dtype), ShapeToString(t.shape)));
  }
  return absl::OkStatus();
}

absl::Status Prepare(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  ATTUNE_RETURN_IF_ERROR(CheckScalar(ctx, 1, /*integer=*/false));
  if (ctx.has_input(2)) ATTUNE_RETURN_IF_ERROR(CheckScalar(ctx, 2, true));
  OpData& d = ctx.op_data<OpData>();
  ATTUNE_ASSIGN_OR_RETURN(d.variable, VariableAttr(ctx, "variable", true));
  ATTUNE_ASSIGN_OR_RETURN(d.weight_decay, FloatAttr(ctx, "weight_decay", 0));
  ATTUNE_ASSIGN_OR_RETURN(d.momentum, FloatAttr(ctx, "momentum", 0));
  d.slot0 = d.slot1 = -1;
  switch (ctx.op()) {
    case OpCode::kSgdUpdate: {
      ATTUNE_ASSIGN_OR_RETURN(d.slot0,
                              VariableAttr(ctx, "momentum_variable", false));
      ATTUNE_ASSIGN_OR_RETURN(d.dampening, FloatAttr(ctx, "dampening", 0));
      d.nesterov = ctx.attrs().GetIntOr("nesterov", 0).value_or(0) != 0;
      if (d.momentum != 0.0f && d.slot0 == -1) {
        return ctx.InvalidArgument("momentum needs a momentum_variable");
      }
      if (d.nesterov && (d.momentum <= 0.0f || d.dampening != 0.0f)) {
        return ctx.InvalidArgument(absl::StrCat(
            "nesterov needs momentum > 0 and dampening 0, got momentum ",
            d.momentum, ", dampening ", d.dampening));
      }
      // PyTorch keeps no momentum buffer when momentum is 0: a buffer here
      // would scale the gradient by (1 - dampening) from step 2 on.
      if (d.momentum == 0.0f) d.slot0 = -1;
      break;
    }
    case OpCode::kAdamUpdate: {
      ATTUNE_ASSIGN_OR_RETURN(d.slot0, VariableAttr(ctx, "m_variable", true));
      ATTUNE_ASSIGN_OR_RETURN(d.slot1, VariableAttr(ctx, "v_variable", true));
      ATTUNE_ASSIGN_OR_RETURN(d.beta1, FloatAttr(ctx, "beta1", 0.9));
      ATTUNE_ASSIGN_OR_RETURN(d.beta2, FloatAttr(ctx, "beta2", 0.999));
      ATTUNE_ASSIGN_OR_RETURN(d.eps, FloatAttr(ctx, "eps", 1e-8));
      d.decoupled = ctx.attrs().GetIntOr("decoupled", 0).value_or(0) != 0;
      if (!ctx.has_input(2)) return ctx.InvalidArgument("adam needs a step");
      break;
    }
    case OpCode::kRmspropUpdate: {
      ATTUNE_ASSIGN_OR_RETURN(d.slot0,
                              VariableAttr(ctx, "square_avg_variable", true));
      ATTUNE_ASSIGN_OR_RETURN(d.slot1,
                              VariableAttr(ctx, "momentum_variable", false));
      ATTUNE_ASSIGN_OR_RETURN(d.alpha, FloatAttr(ctx, "alpha", 0.99));
      ATTUNE_ASSIGN_OR_RETURN(d.eps, FloatAttr(ctx, "eps", 1e-8));
      if (d.momentum != 0.0f && d.slot1 == -1) {
        return ctx.InvalidArgument("momentum needs a momentum_variable");
      }
      break;
    }
    case OpCode::kAdagradUpdate: {
      ATTUNE_ASSIGN_OR_RETURN(d.slot0, VariableAttr(ctx, "sum_variable", true));
      ATTUNE_ASSIGN_OR_RETURN(d.eps, FloatAttr(ctx, "eps", 1e-10));
      break;
    }
    default:
      return ctx.Internal("not an optimizer update");
  }
  return absl::OkStatus();
}

int64_t StepValue(const NodeContext& ctx) {
  if (!ctx.has_input(2)) return 0;
  const Tensor& t = ctx.input(2);
  return t.dtype == DType::kInt64 ? t.data_as<int64_t>()[0]
                                  : t.data_as<int32_t>()[0];
}

float* VariableData(NodeContext& ctx, int index) {
  if (index < 0) return nullptr;
  ctx.variables()->MarkWritten(index);
  return ctx.variables()->tensor(index).data_as<float>();
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const float* grad = ctx.input(0).data_as<float>();
  const float lr = ctx.input(1).data_as<float>()[0];
  const int64_t n = ctx.input(0).num_elements();
  const int64_t step = StepValue(ctx);
  float* p = VariableData(ctx, d.variable);
  float* s0 = VariableData(ctx, d.slot0);
  float* s1 = VariableData(ctx, d.slot1);
  const float wd = d.weight_decay;
  switch (ctx.op()) {
    case OpCode::kSgdUpdate: {
      const bool first = step == 1;
      for (int64_t i = 0; i < n; ++i) {
        float g = grad[i] + wd * p[i];
        if (s0 != nullptr) {
          s0[i] = first ? g : d.momentum * s0[i] + (1.0f - d.dampening) * g;
          g = d.nesterov ? g + d.momentum * s0[i] : s0[i];
        }
        p[i] -= lr * g;
      }
      break;
    }
    case OpCode::kAdamUpdate: {
      if (step < 1) {
        return ctx.InvalidArgument(absl::StrCat("step ", step, " must be >= 1"));
      }
      const double t = static_cast<double>(step);
      const float step_size =
          static_cast<float>(lr / (1.0 - std::pow(double{d.beta1}, t)));
      const float bc2_sqrt =
          static_cast<float>(std::sqrt(1.0 - std::pow(double{d.beta2}, t)));
      const float decay = d.decoupled ? 1.0f - lr * wd : 1.0f;
      const float coupled_wd = d.decoupled ? 0.0f : wd;
      for (int64_t i = 0; i < n; ++i) {
        p[i] *= decay;
        const float g = grad[i] + coupled_wd * p[i];
        s0[i] = d.beta1 * s0[i] + (1.0f - d.beta1) * g;
        s1[i] = d.beta2 * s1[i] + (1.0f - d.beta2) * g * g;
        p[i] -= step_size * s0[i] / (std::sqrt(s1[i]) / bc2_sqrt + d.eps);
      }
      break;
    }
    case OpCode::kRmspropUpdate: {
      for (int64_t i = 0; i < n; ++i) {
        const float g = grad[i] + wd * p[i];
        s0[i] = d.alpha * s0[i] + (1.0f - d.alpha) * g * g;
        const float avg = std::sqrt(s0[i]) + d.eps;
        if (s1 != nullptr) {
          s1[i] = d.momentum * s1[i] + g / avg;
          p[i] -= lr * s1[i];
        } else {
          p[i] -= lr * g / avg;
        }
      }
      break;
    }
    case OpCode::kAdagradUpdate: {
      for (int64_t i = 0; i < n; ++i) {
        const float g = grad[i] + wd * p[i];
        s0[i] += g * g;
        p[i] -= lr * g / (std::sqrt(s0[i]) + d.eps);
      }
      break;
    }
    default:
      return ctx.Internal("not an optimizer update");
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterOptimizerUpdate() { return {Prepare, Eval}; }

}  // namespace attune
