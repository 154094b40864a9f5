// fully_connected: y[..., n] = act(x[..., k] . w[k, n] + bias[n]).
// Inputs: x (float32, rank >= 1), w (float32 [k, n]: "kernel" layout of a
// dense layer, in x out), optional bias (float32 [n]).
// Attributes: activation (see activation.h).

#include "absl/strings/str_cat.h"
#include "engine/gemm/gemm.h"
#include "engine/kernels/activation.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

struct OpData {
  FusedActivation activation;
};

absl::Status Prepare(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(1));
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  if (x.rank() < 1 || w.rank() != 2) {
    return ctx.InvalidArgument(absl::StrCat(
        "needs x of rank >= 1 and a rank-2 weight, got x ",
        ShapeToString(x.shape), " and weight ", ShapeToString(w.shape)));
  }
  const int64_t k = w.dim(0);
  const int64_t n = w.dim(1);
  if (x.dim(x.rank() - 1) != k) {
    return ctx.InvalidArgument(absl::StrCat(
        "x ", ShapeToString(x.shape), " has ", x.dim(x.rank() - 1),
        " features but weight ", ShapeToString(w.shape), " expects ", k));
  }
  if (ctx.has_input(2)) {
    ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(2));
    const Tensor& bias = ctx.input(2);
    if (bias.rank() != 1 || bias.dim(0) != n) {
      return ctx.InvalidArgument(absl::StrCat(
          "bias ", ShapeToString(bias.shape), " does not match ", n,
          " units"));
    }
  }
  ATTUNE_ASSIGN_OR_RETURN(ctx.op_data<OpData>().activation,
                          GetFusedActivation(ctx));
  Shape out_shape = x.shape;
  out_shape.back() = n;
  const int64_t m = x.num_elements() / std::max<int64_t>(k, 1);
  ctx.RequestScratch(GemmScratchBytes(m, n, k, ctx.num_threads()));
  return ctx.SetOutput(0, DType::kFloat32, std::move(out_shape));
}

absl::Status Eval(NodeContext& ctx) {
  const Tensor& x = ctx.input(0);
  const Tensor& w = ctx.input(1);
  Tensor& y = ctx.output(0);
  const int64_t k = w.dim(0);
  const int64_t n = w.dim(1);
  const int64_t m = y.num_elements() / std::max<int64_t>(n, 1);
  GemmArgs args;
  args.m = m;
  args.n = n;
  args.k = k;
  args.a = x.data_as<float>();
  args.lda = k;
  args.b = w.data_as<float>();
  args.ldb = n;
  args.c = y.data_as<float>();
  args.ldc = n;
  if (ctx.has_input(2)) {
    // Start from the bias and accumulate the product onto it.
    const float* bias = ctx.input(2).data_as<float>();
    float* out = y.data_as<float>();
    for (int64_t row = 0; row < m; ++row) {
      std::copy(bias, bias + n, out + row * n);
    }
    args.beta = 1.0f;
  }
  if (k == 0 && !ctx.has_input(2)) {
    std::fill(y.data_as<float>(), y.data_as<float>() + m * n, 0.0f);
  } else if (k > 0) {
    Gemm(args, ctx.scratch(0), ctx.thread_pool());
  }
  ApplyActivation(ctx.op_data<OpData>().activation, y.data_as<float>(), m * n);
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterFullyConnected() { return {Prepare, Eval}; }

}  // namespace attune
