// conv2d: y[b, oy, ox, o] = act(bias[o] + sum_{ky, kx, c}
//   x[b, oy*sh - pad_top + ky*dh, ox*sw - pad_left + kx*dw, c] *
//   filter[ky, kx, c, o]), out-of-bounds x reading as zero.
// Inputs: x (float32 NHWC), filter (float32 [kh, kw, c, o]), optional bias
// (float32 [o]). Attributes: strides [sh, sw] (1,1), dilations [dh, dw]
// (1,1), padding "same"/"valid" ("valid"), activation. See OPS.md.
//
// Algorithm:
//  1. 1x1 filter, stride 1, no padding: x viewed as [b*h*w, c] is already
//     the GEMM left operand; one Gemm against filter viewed as [c, o].
//  2. Otherwise, for each chunk of output pixels (bounded so the im2col
//     buffer stays <= kMaxIm2colBytes): gather the kh*kw*c receptive field
//     of every pixel into one row of the scratch matrix (zeros for padding),
//     threaded over rows; then Gemm [rows, kh*kw*c] x [kh*kw*c, o].
//  3. Bias is written into the output first and the product accumulated
//     onto it (beta = 1); the activation runs per chunk while it is cached.

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "engine/gemm/gemm.h"
#include "engine/kernels/activation.h"
#include "engine/kernels/conv_window.h"
#include "engine/kernels/im2col.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

constexpr int64_t kMaxIm2colBytes = int64_t{8} << 20;
// Below this many im2col floats per chunk, gathering runs on one thread.

struct OpData : ConvGeometry {
  int64_t chunk_rows;  // output pixels per im2col chunk
  int32_t im2col_scratch;
  int32_t gemm_scratch;
  bool direct;  // 1x1, stride 1, unpadded: no im2col
  FusedActivation activation;
};

absl::Status Prepare(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(1));
  const Tensor& x = ctx.input(0);
  const Tensor& filter = ctx.input(1);
  if (x.rank() != 4 || filter.rank() != 4) {
    return ctx.InvalidArgument(absl::StrCat(
        "needs x [b,h,w,c] and filter [kh,kw,c,o] of rank 4, got x ",
        ShapeToString(x.shape), " and filter ", ShapeToString(filter.shape)));
  }
  OpData& d = ctx.op_data<OpData>();
  d.batch = x.dim(0);
  d.in_h = x.dim(1);
  d.in_w = x.dim(2);
  d.in_c = x.dim(3);
  d.k_h = filter.dim(0);
  d.k_w = filter.dim(1);
  d.out_c = filter.dim(3);
  if (filter.dim(2) != d.in_c) {
    return ctx.InvalidArgument(
        absl::StrCat("input channels ", d.in_c, " != filter channels ",
                     filter.dim(2), " (x ", ShapeToString(x.shape), ", filter ",
                     ShapeToString(filter.shape), ")"));
  }
  if (d.k_h < 1 || d.k_w < 1) {
    return ctx.InvalidArgument(absl::StrCat(
        "filter ", ShapeToString(filter.shape), " has an empty window"));
  }
  if (ctx.has_input(2)) {
    ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(2));
    const Tensor& bias = ctx.input(2);
    if (bias.rank() != 1 || bias.dim(0) != d.out_c) {
      return ctx.InvalidArgument(
          absl::StrCat("bias ", ShapeToString(bias.shape), " does not match ",
                       d.out_c, " output channels"));
    }
  }
  ATTUNE_ASSIGN_OR_RETURN(d.activation, GetFusedActivation(ctx));
  ATTUNE_RETURN_IF_ERROR(ResolveConvWindow(ctx, d));

  const int64_t m = d.batch * d.out_h * d.out_w;
  const int64_t k = d.k_h * d.k_w * d.in_c;
  d.direct = d.k_h == 1 && d.k_w == 1 && d.stride_h == 1 && d.stride_w == 1 &&
             d.pad_top == 0 && d.pad_left == 0;
  d.im2col_scratch = -1;
  d.gemm_scratch = -1;
  if (m > 0 && k > 0 && d.out_c > 0) {
    int64_t chunk = m;
    if (!d.direct) {
      const int64_t max_rows = std::max<int64_t>(
          1, kMaxIm2colBytes / (k * static_cast<int64_t>(sizeof(float))));
      const int64_t num_chunks = (m + max_rows - 1) / max_rows;
      chunk = (m + num_chunks - 1) / num_chunks;
      d.im2col_scratch =
          ctx.RequestScratch(static_cast<size_t>(chunk * k) * sizeof(float));
    }
    d.chunk_rows = chunk;
    d.gemm_scratch = ctx.RequestScratch(
        GemmScratchBytes(chunk, d.out_c, k, ctx.num_threads()));
  }
  return ctx.SetOutput(0, DType::kFloat32,
                       Shape{d.batch, d.out_h, d.out_w, d.out_c});
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const float* x = ctx.input(0).data_as<float>();
  const float* filter = ctx.input(1).data_as<float>();
  const float* bias =
      ctx.has_input(2) ? ctx.input(2).data_as<float>() : nullptr;
  float* y = ctx.output(0).data_as<float>();
  const int64_t m = d.batch * d.out_h * d.out_w;
  const int64_t n = d.out_c;
  const int64_t k = d.k_h * d.k_w * d.in_c;
  if (m == 0 || n == 0) return absl::OkStatus();

  GemmArgs args;
  args.n = n;
  args.k = k;
  args.b = filter;
  args.ldb = n;
  args.ldc = n;
  args.beta = bias != nullptr ? 1.0f : 0.0f;
  const int64_t chunk = k > 0 ? d.chunk_rows : m;
  for (int64_t row0 = 0; row0 < m; row0 += chunk) {
    const int64_t rows = std::min(chunk, m - row0);
    float* out = y + row0 * n;
    if (bias != nullptr) {
      for (int64_t r = 0; r < rows; ++r) std::copy(bias, bias + n, out + r * n);
    } else if (k == 0) {
      std::fill(out, out + rows * n, 0.0f);
    }
    if (k > 0) {
      args.m = rows;
      args.c = out;
      if (d.direct) {
        args.a = x + row0 * k;
        args.lda = k;
      } else {
        float* cols = static_cast<float*>(ctx.scratch(d.im2col_scratch));
        Im2col(d, x, row0, rows, cols, ctx.thread_pool());
        args.a = cols;
        args.lda = k;
      }
      Gemm(args, ctx.scratch(d.gemm_scratch), ctx.thread_pool());
    }
    ApplyActivation(d.activation, out, rows * n);
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterConv2d() { return {Prepare, Eval}; }

}  // namespace attune
