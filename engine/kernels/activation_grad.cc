// Gradients of the unary activations (see OPS.md "Gradients"):
//   relu_grad(dy, y)          dy if y > 0
//   relu6_grad(dy, y)         dy if 0 < y < 6
//   sigmoid_grad(dy, y)       dy * y * (1 - y)
//   tanh_grad(dy, y)          dy * (1 - y^2)
//   leaky_relu_grad(dy, x)    dy if x > 0 else alpha * dy
//   elu_grad(dy, x)           dy if x > 0 else dy * alpha * exp(x)
//   hard_swish_grad(dy, x)    dy * d/dx[x * relu6(x + 3) / 6]
//   gelu_grad(dy, x)          dy * d/dx[gelu(x)] (exact or tanh form)
// All float32, dy and the second input of the same shape.

#include <cmath>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  float alpha;
  bool approximate;
};

absl::Status Prepare(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(1));
  if (ctx.input(0).shape != ctx.input(1).shape) {
    return ctx.InvalidArgument(absl::StrCat(
        "dy ", ShapeToString(ctx.input(0).shape), " and forward tensor ",
        ShapeToString(ctx.input(1).shape), " differ"));
  }
  OpData& data = ctx.op_data<OpData>();
  const double default_alpha = ctx.op() == OpCode::kLeakyReluGrad ? 0.2 : 1.0;
  absl::StatusOr<double> alpha = ctx.attrs().GetFloatOr("alpha", default_alpha);
  if (!alpha.ok()) return ctx.Annotate(alpha.status());
  data.alpha = static_cast<float>(*alpha);
  absl::StatusOr<int64_t> approximate = ctx.attrs().GetIntOr("approximate", 0);
  if (!approximate.ok()) return ctx.Annotate(approximate.status());
  data.approximate = *approximate != 0;
  return ctx.SetOutput(0, DType::kFloat32, ctx.input(0).shape);
}

float GeluDerivative(float x, bool approximate) {
  if (approximate) {
    // gelu(x) = 0.5 x (1 + tanh(u)), u = c (x + 0.044715 x^3)
    constexpr float kC = 0.7978845608028654f;  // sqrt(2 / pi)
    const float u = kC * (x + 0.044715f * x * x * x);
    const float t = std::tanh(u);
    const float du = kC * (1.0f + 3.0f * 0.044715f * x * x);
    return 0.5f * (1.0f + t) + 0.5f * x * (1.0f - t * t) * du;
  }
  // gelu(x) = x Phi(x): derivative Phi(x) + x phi(x).
  constexpr float kInvSqrt2 = 0.7071067811865476f;
  constexpr float kInvSqrt2Pi = 0.3989422804014327f;
  const float cdf = 0.5f * (1.0f + std::erf(x * kInvSqrt2));
  return cdf + x * kInvSqrt2Pi * std::exp(-0.5f * x * x);
}

float HardSwishDerivative(float x) {
  if (x <= -3.0f) return 0.0f;
  if (x >= 3.0f) return 1.0f;
  return (2.0f * x + 3.0f) / 6.0f;
}

absl::Status Eval(NodeContext& ctx) {
  const float* dy = ctx.input(0).data_as<float>();
  const float* v = ctx.input(1).data_as<float>();
  float* dx = ctx.output(0).data_as<float>();
  const int64_t n = ctx.output(0).num_elements();
  const OpData& data = ctx.op_data<OpData>();
  switch (ctx.op()) {
    case OpCode::kReluGrad:
      for (int64_t i = 0; i < n; ++i) dx[i] = v[i] > 0.0f ? dy[i] : 0.0f;
      break;
    case OpCode::kRelu6Grad:
      for (int64_t i = 0; i < n; ++i) {
        dx[i] = v[i] > 0.0f && v[i] < 6.0f ? dy[i] : 0.0f;
      }
      break;
    case OpCode::kSigmoidGrad:
      for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * v[i] * (1.0f - v[i]);
      break;
    case OpCode::kTanhGrad:
      for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - v[i] * v[i]);
      break;
    case OpCode::kLeakyReluGrad:
      for (int64_t i = 0; i < n; ++i) {
        dx[i] = v[i] > 0.0f ? dy[i] : data.alpha * dy[i];
      }
      break;
    case OpCode::kEluGrad:
      for (int64_t i = 0; i < n; ++i) {
        dx[i] = v[i] > 0.0f ? dy[i] : dy[i] * data.alpha * std::exp(v[i]);
      }
      break;
    case OpCode::kHardSwishGrad:
      for (int64_t i = 0; i < n; ++i) dx[i] = dy[i] * HardSwishDerivative(v[i]);
      break;
    case OpCode::kGeluGrad:
      for (int64_t i = 0; i < n; ++i) {
        dx[i] = dy[i] * GeluDerivative(v[i], data.approximate);
      }
      break;
    default:
      return ctx.Internal("not an activation gradient");
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterActivationGrad() { return {Prepare, Eval}; }

}  // namespace attune
