// depthwise_conv2d: each input channel c is convolved with its own
// `multiplier` filters; output channel c*multiplier + j is
//   act(bias[c*m + j] + sum_{ky, kx} x[b, iy, ix, c] * filter[ky, kx, c, j])
// with iy = oy*sh - pad_top + ky*dh, ix = ox*sw - pad_left + kx*dw and
// out-of-bounds x reading as zero.
// Inputs: x (float32 NHWC), filter (float32 [kh, kw, c, m]), optional bias
// (float32 [c*m]). Attributes: strides, dilations, padding, activation, as
// conv2d. See OPS.md.
//
// Algorithm: a direct loop. One task per output row (b, oy); for every
// output pixel the c*m accumulators live in the output itself (initialized
// from the bias) and each in-bounds tap adds x[.., :] * filter[ky, kx, :]
// over contiguous channels, which the compiler vectorizes. Rows are spread
// over the thread pool when there is enough work.

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "engine/kernels/activation.h"
#include "engine/kernels/conv_window.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// Multiply-adds below which the op runs on the calling thread.
constexpr int64_t kMinParallelMacs = int64_t{1} << 15;

struct OpData {
  int64_t batch, in_h, in_w, in_c, multiplier;
  int64_t k_h, k_w;
  int64_t stride_h, stride_w, dil_h, dil_w;
  int64_t pad_top, pad_left, out_h, out_w;
  FusedActivation activation;
};

struct RowTask {
  const OpData* d;
  const float* x;
  const float* filter;
  const float* bias;  // nullptr: none
  float* y;
};

void AccumulateTap(const float* __restrict x, const float* __restrict w,
                   float* __restrict out, int64_t channels,
                   int64_t multiplier) {
  if (multiplier == 1) {
    for (int64_t c = 0; c < channels; ++c) out[c] += x[c] * w[c];
    return;
  }
  for (int64_t c = 0; c < channels; ++c) {
    const float v = x[c];
    float* __restrict o = out + c * multiplier;
    const float* __restrict f = w + c * multiplier;
    for (int64_t j = 0; j < multiplier; ++j) o[j] += v * f[j];
  }
}

void RunRow(void* context, size_t index) {
  const RowTask& t = *static_cast<const RowTask*>(context);
  const OpData& d = *t.d;
  const int64_t oy = static_cast<int64_t>(index) % d.out_h;
  const int64_t n = static_cast<int64_t>(index) / d.out_h;
  const int64_t out_ch = d.in_c * d.multiplier;
  float* row = t.y + static_cast<int64_t>(index) * d.out_w * out_ch;
  const int64_t iy0 = oy * d.stride_h - d.pad_top;
  for (int64_t ox = 0; ox < d.out_w; ++ox) {
    float* out = row + ox * out_ch;
    if (t.bias != nullptr) {
      std::copy(t.bias, t.bias + out_ch, out);
    } else {
      std::fill(out, out + out_ch, 0.0f);
    }
    const int64_t ix0 = ox * d.stride_w - d.pad_left;
    for (int64_t ky = 0; ky < d.k_h; ++ky) {
      const int64_t iy = iy0 + ky * d.dil_h;
      if (iy < 0 || iy >= d.in_h) continue;
      const float* x_row = t.x + (n * d.in_h + iy) * d.in_w * d.in_c;
      const float* w_row = t.filter + ky * d.k_w * out_ch;
      for (int64_t kx = 0; kx < d.k_w; ++kx) {
        const int64_t ix = ix0 + kx * d.dil_w;
        if (ix < 0 || ix >= d.in_w) continue;
        AccumulateTap(x_row + ix * d.in_c, w_row + kx * out_ch, out, d.in_c,
                      d.multiplier);
      }
    }
  }
  ApplyActivation(d.activation, row, d.out_w * out_ch);
}

absl::Status Prepare(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(1));
  const Tensor& x = ctx.input(0);
  const Tensor& filter = ctx.input(1);
  if (x.rank() != 4 || filter.rank() != 4) {
    return ctx.InvalidArgument(absl::StrCat(
        "needs x [b,h,w,c] and filter [kh,kw,c,m] of rank 4, got x ",
        ShapeToString(x.shape), " and filter ", ShapeToString(filter.shape)));
  }
  OpData& d = ctx.op_data<OpData>();
  d.batch = x.dim(0);
  d.in_h = x.dim(1);
  d.in_w = x.dim(2);
  d.in_c = x.dim(3);
  d.k_h = filter.dim(0);
  d.k_w = filter.dim(1);
  d.multiplier = filter.dim(3);
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
  const int64_t out_ch = d.in_c * d.multiplier;
  if (ctx.has_input(2)) {
    ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(2));
    const Tensor& bias = ctx.input(2);
    if (bias.rank() != 1 || bias.dim(0) != out_ch) {
      return ctx.InvalidArgument(
          absl::StrCat("bias ", ShapeToString(bias.shape), " does not match ",
                       out_ch, " output channels"));
    }
  }
  ATTUNE_ASSIGN_OR_RETURN(d.activation, GetFusedActivation(ctx));
  ATTUNE_RETURN_IF_ERROR(ResolveConvWindow(ctx, d));
  return ctx.SetOutput(0, DType::kFloat32,
                       Shape{d.batch, d.out_h, d.out_w, out_ch});
}

absl::Status Eval(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const int64_t tasks = d.batch * d.out_h;
  if (tasks == 0 || d.out_w == 0 || d.in_c * d.multiplier == 0) {
    return absl::OkStatus();
  }
  RowTask task{&d, ctx.input(0).data_as<float>(), ctx.input(1).data_as<float>(),
               ctx.has_input(2) ? ctx.input(2).data_as<float>() : nullptr,
               ctx.output(0).data_as<float>()};
  const int64_t macs = tasks * d.out_w * d.k_h * d.k_w * d.in_c * d.multiplier;
  if (ctx.num_threads() > 1 && tasks > 1 && macs >= kMinParallelMacs) {
    pthreadpool_parallelize_1d(ctx.thread_pool(), RunRow, &task,
                               static_cast<size_t>(tasks), 0);
  } else {
    for (int64_t i = 0; i < tasks; ++i) RunRow(&task, static_cast<size_t>(i));
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterDepthwiseConv2d() { return {Prepare, Eval}; }

}  // namespace attune
