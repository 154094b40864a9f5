// softmax:     y = exp(beta * x - m) / sum(exp(beta * x - m)) along `axis`.
// log_softmax: y = (x - m) - log(sum(exp(x - m))) along `axis`.
// m is the maximum of beta * x (resp. x) along the axis, so no exp argument
// is positive and large logits cannot overflow.
// Inputs: x (float32, rank >= 1).
// Attributes: axis int (-1), beta float (1.0, softmax only).

#include <algorithm>
#include <cmath>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  int64_t outer;  // product of dims before the axis
  int64_t size;   // the axis dim
  int64_t inner;  // product of dims after the axis
  float beta;
  bool log;
  int scratch;  // strided path: inner floats (max) + inner doubles (sum)
};

absl::Status Prepare(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  const Tensor& x = ctx.input(0);
  OpData& data = ctx.op_data<OpData>();
  data.log = ctx.op() == OpCode::kLogSoftmax;
  absl::StatusOr<int64_t> axis_attr = ctx.attrs().GetIntOr("axis", -1);
  if (!axis_attr.ok()) return ctx.Annotate(axis_attr.status());
  if (x.rank() < 1) {
    return ctx.InvalidArgument(
        absl::StrCat("needs x of rank >= 1, got ", ShapeToString(x.shape)));
  }
  absl::StatusOr<int> axis = NormalizeAxis(*axis_attr, x.rank());
  if (!axis.ok()) return ctx.Annotate(axis.status());
  data.beta = 1.0f;
  if (!data.log) {
    absl::StatusOr<double> beta = ctx.attrs().GetFloatOr("beta", 1.0);
    if (!beta.ok()) return ctx.Annotate(beta.status());
    if (!std::isfinite(*beta)) {
      return ctx.InvalidArgument(
          absl::StrCat("beta must be finite, got ", *beta));
    }
    data.beta = static_cast<float>(*beta);
  }
  data.outer = 1;
  data.inner = 1;
  for (int d = 0; d < *axis; ++d) data.outer *= x.dim(d);
  for (int d = *axis + 1; d < x.rank(); ++d) data.inner *= x.dim(d);
  data.size = x.dim(*axis);
  data.scratch = -1;
  if (data.inner > 1) {
    data.scratch = ctx.RequestScratch(static_cast<size_t>(data.inner) *
                                      (sizeof(float) + sizeof(double)));
  }
  return ctx.SetOutput(0, DType::kFloat32, x.shape);
}

// One contiguous row of `n` logits.
void Row(const float* x, float* y, int64_t n, float beta, bool log) {
  float m = -std::numeric_limits<float>::infinity();
  for (int64_t i = 0; i < n; ++i) m = std::max(m, beta * x[i]);
  double sum = 0.0;
  if (log) {
    for (int64_t i = 0; i < n; ++i) {
      y[i] = x[i] - m;
      sum += std::exp(y[i]);
    }
    const float log_sum = static_cast<float>(std::log(sum));
    for (int64_t i = 0; i < n; ++i) y[i] -= log_sum;
  } else {
    for (int64_t i = 0; i < n; ++i) {
      y[i] = std::exp(beta * x[i] - m);
      sum += y[i];
    }
    const float scale = static_cast<float>(1.0 / sum);
    for (int64_t i = 0; i < n; ++i) y[i] *= scale;
  }
}

// `n` logits `inner` apart, for `inner` interleaved rows at once.
void Strided(const float* x, float* y, int64_t n, int64_t inner, float beta,
             bool log, float* m, double* sum) {
  std::fill(m, m + inner, -std::numeric_limits<float>::infinity());
  std::fill(sum, sum + inner, 0.0);
  for (int64_t a = 0; a < n; ++a) {
    const float* xa = x + a * inner;
    for (int64_t i = 0; i < inner; ++i) m[i] = std::max(m[i], beta * xa[i]);
  }
  for (int64_t a = 0; a < n; ++a) {
    const float* xa = x + a * inner;
    float* ya = y + a * inner;
    for (int64_t i = 0; i < inner; ++i) {
      const float shifted = beta * xa[i] - m[i];
      const float e = std::exp(shifted);
      ya[i] = log ? shifted : e;
      sum[i] += e;
    }
  }
  for (int64_t i = 0; i < inner; ++i) {
    sum[i] = log ? std::log(sum[i]) : 1.0 / sum[i];
  }
  for (int64_t a = 0; a < n; ++a) {
    float* ya = y + a * inner;
    for (int64_t i = 0; i < inner; ++i) {
      ya[i] = log ? ya[i] - static_cast<float>(sum[i])
                  : ya[i] * static_cast<float>(sum[i]);
    }
  }
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& data = ctx.op_data<OpData>();
  const float* x = ctx.input(0).data_as<float>();
  float* y = ctx.output(0).data_as<float>();
  if (data.size == 0) return absl::OkStatus();
  const int64_t stride = data.size * data.inner;
  if (data.inner == 1) {
    for (int64_t o = 0; o < data.outer; ++o) {
      Row(x + o * stride, y + o * stride, data.size, data.beta, data.log);
    }
    return absl::OkStatus();
  }
  if (data.inner == 0) return absl::OkStatus();
  void* scratch = ctx.scratch(data.scratch);
  double* sum = static_cast<double*>(scratch);
  float* m = reinterpret_cast<float*>(sum + data.inner);
  for (int64_t o = 0; o < data.outer; ++o) {
    Strided(x + o * stride, y + o * stride, data.size, data.inner, data.beta,
            data.log, m, sum);
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterSoftmax() { return {Prepare, Eval}; }
KernelRegistration RegisterLogSoftmax() { return {Prepare, Eval}; }

}  // namespace attune
