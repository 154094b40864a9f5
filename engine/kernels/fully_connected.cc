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
  if (ctx.has_input(2)) args.bias = ctx.input(2).data_as<float>();
  // relu and relu6 are fused into the GEMM's epilogue; the others run after.
  const FusedActivation activation = ctx.op_data<OpData>().activation;
  bool fused = true;
  switch (activation) {
    case FusedActivation::kNone:
      break;
    case FusedActivation::kRelu:
      args.clamp_min = 0.0f;
      break;
    case FusedActivation::kRelu6:
      args.clamp_min = 0.0f;
      args.clamp_max = 6.0f;
      break;
    default:
      fused = false;
      break;
  }
  Gemm(args, ctx.scratch(0), ctx.thread_pool());
  if (!fused) ApplyActivation(activation, y.data_as<float>(), m * n);
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterFullyConnected() { return {Prepare, Eval}; }

}  // namespace attune
