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
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

constexpr int64_t kMaxIm2colBytes = int64_t{8} << 20;
// Below this many im2col floats per chunk, gathering runs on one thread.
constexpr int64_t kMinParallelIm2colFloats = int64_t{1} << 15;
constexpr int64_t kIm2colRowsPerTask = 64;

struct OpData {
  int64_t batch, in_h, in_w, in_c;
  int64_t k_h, k_w, out_c;
  int64_t stride_h, stride_w, dil_h, dil_w;
  int64_t pad_top, pad_left, out_h, out_w;
  int64_t chunk_rows;  // output pixels per im2col chunk
  int32_t im2col_scratch;
  int32_t gemm_scratch;
  bool direct;  // 1x1, stride 1, unpadded: no im2col
  FusedActivation activation;
};

// Copies n floats; short runs (the c == 1 case: one 5-float run per filter
// row) are copied inline rather than through a memcpy call.
inline void CopyFloats(const float* src, int64_t n, float* dst) {
  if (n > 16) {
    std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
    return;
  }
  for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
}

// Writes the receptive field of output pixel (n, oy, ox) as kh*kw*c floats
// in filter order (ky, kx, c).
void GatherRow(const OpData& d, const float* x, int64_t n, int64_t oy,
               int64_t ox, float* dst) {
  const int64_t c = d.in_c;
  const int64_t iy0 = oy * d.stride_h - d.pad_top;
  const int64_t ix0 = ox * d.stride_w - d.pad_left;
  // kx in [kx_lo, kx_hi) read inside the image.
  int64_t kx_lo, kx_hi;
  if (d.dil_w == 1) {  // no divisions on the common path
    kx_lo = std::max<int64_t>(-ix0, 0);
    kx_hi = std::min(d.k_w, d.in_w - ix0);
  } else {
    kx_lo = ix0 >= 0 ? 0 : (-ix0 + d.dil_w - 1) / d.dil_w;
    kx_hi = ix0 > d.in_w - 1 ? 0 : (d.in_w - 1 - ix0) / d.dil_w + 1;
  }
  kx_lo = std::min(kx_lo, d.k_w);
  kx_hi = std::max(std::min(kx_hi, d.k_w), kx_lo);
  const int64_t row_floats = d.k_w * c;
  for (int64_t ky = 0; ky < d.k_h; ++ky) {
    float* out = dst + ky * row_floats;
    const int64_t iy = iy0 + ky * d.dil_h;
    if (iy < 0 || iy >= d.in_h || kx_lo == kx_hi) {
      std::fill(out, out + row_floats, 0.0f);
      continue;
    }
    std::fill(out, out + kx_lo * c, 0.0f);
    std::fill(out + kx_hi * c, out + row_floats, 0.0f);
    const float* src =
        x + ((n * d.in_h + iy) * d.in_w + ix0 + kx_lo * d.dil_w) * c;
    if (d.dil_w == 1) {
      CopyFloats(src, (kx_hi - kx_lo) * c, out + kx_lo * c);
    } else {
      for (int64_t kx = kx_lo; kx < kx_hi; ++kx) {
        CopyFloats(src + (kx - kx_lo) * d.dil_w * c, c, out + kx * c);
      }
    }
  }
}

struct GatherTask {
  const OpData* d;
  const float* x;
  float* cols;
  int64_t first_pixel;
  int64_t rows;
};

// Gathers rows [begin, end) of the chunk, walking (n, oy, ox) incrementally.
void GatherRows(const GatherTask& t, int64_t begin, int64_t end) {
  const OpData& d = *t.d;
  const int64_t k = d.k_h * d.k_w * d.in_c;
  const int64_t pixel = t.first_pixel + begin;
  int64_t ox = pixel % d.out_w;
  int64_t oy = (pixel / d.out_w) % d.out_h;
  int64_t n = pixel / (d.out_w * d.out_h);
  for (int64_t r = begin; r < end; ++r) {
    GatherRow(d, t.x, n, oy, ox, t.cols + r * k);
    if (++ox == d.out_w) {
      ox = 0;
      if (++oy == d.out_h) {
        oy = 0;
        ++n;
      }
    }
  }
}

void GatherTaskFn(void* context, size_t index) {
  const GatherTask& t = *static_cast<const GatherTask*>(context);
  const int64_t begin = static_cast<int64_t>(index) * kIm2colRowsPerTask;
  GatherRows(t, begin, std::min(t.rows, begin + kIm2colRowsPerTask));
}

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
  const int64_t one[2] = {1, 1};
  int64_t strides[2], dilations[2];
  ATTUNE_RETURN_IF_ERROR(GetWindowPair(ctx, "strides", one, strides));
  ATTUNE_RETURN_IF_ERROR(GetWindowPair(ctx, "dilations", one, dilations));
  ATTUNE_ASSIGN_OR_RETURN(const WindowPadding padding, GetWindowPadding(ctx));
  ATTUNE_ASSIGN_OR_RETURN(d.activation, GetFusedActivation(ctx));
  d.stride_h = strides[0];
  d.stride_w = strides[1];
  d.dil_h = dilations[0];
  d.dil_w = dilations[1];
  ATTUNE_ASSIGN_OR_RETURN(const WindowAxis rows,
                          ComputeWindowAxis(ctx, "height", d.in_h, d.k_h,
                                            d.stride_h, d.dil_h, padding));
  ATTUNE_ASSIGN_OR_RETURN(const WindowAxis cols,
                          ComputeWindowAxis(ctx, "width", d.in_w, d.k_w,
                                            d.stride_w, d.dil_w, padding));
  d.out_h = rows.out;
  d.out_w = cols.out;
  d.pad_top = rows.pad_before;
  d.pad_left = cols.pad_before;

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
        GatherTask task{&d, x, cols, row0, rows};
        if (ctx.num_threads() > 1 && rows * k >= kMinParallelIm2colFloats) {
          pthreadpool_parallelize_1d(
              ctx.thread_pool(), GatherTaskFn, &task,
              static_cast<size_t>((rows + kIm2colRowsPerTask - 1) /
                                  kIm2colRowsPerTask),
              0);
        } else {
          GatherRows(task, 0, rows);
        }
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
