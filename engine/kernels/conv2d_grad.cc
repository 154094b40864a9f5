// Gradients of conv2d (see conv2d.cc for the forward map):
//   conv2d_backprop_input(dy, filter, input_sizes):
//     dx[b, iy, ix, c] = sum over (oy, ox, ky, kx, o) with
//       iy = oy*sh - pad_top + ky*dh, ix = ox*sw - pad_left + kx*dw of
//       dy[b, oy, ox, o] * filter[ky, kx, c, o]
//   conv2d_backprop_filter(x, dy, filter_sizes):
//     dfilter[ky, kx, c, o] = sum_{b, oy, ox} x[b, iy, ix, c] * dy[b, oy, ox,
//     o] (out-of-bounds x reading as zero).
// input_sizes / filter_sizes are static int32/int64 [4] inputs. Attributes:
// strides, dilations, padding as conv2d (activation is not allowed). See
// OPS.md.
//
// With K = kh*kw*c and "cols" the im2col matrix [pixels, K] of the forward:
//  backprop_filter: dfilter [K, o] = cols^T . dy [pixels, o].
//   1. 1x1, stride 1, unpadded: x itself is cols; one Gemm (transpose_a).
//   2. Otherwise per chunk of output pixels (im2col buffer <= kMaxColBytes):
//      gather cols (threaded over rows, zeros for padding), then Gemm with
//      transpose_a accumulating into dfilter (beta 0 for the first chunk).
//  backprop_input: dcols [pixels, K] = dy . filter^T, then col2im.
//   1. 1x1, stride 1, unpadded: dcols is dx; one Gemm (transpose_b).
//   2. Otherwise dx is zeroed; per chunk of whole output rows (b, oy):
//      Gemm into the column buffer, then col2im written as a gather per dx
//      row (b, iy): each task owns one dx row and adds the column entries
//      of the output rows of this chunk whose window covers it, so the
//      scatter-add has no races and is threaded over dx rows.

#include <algorithm>
#include <cstring>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/gemm/gemm.h"
#include "engine/kernels/conv_window.h"
#include "engine/kernels/im2col.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

constexpr int64_t kMaxColBytes = int64_t{8} << 20;
// Below this many column floats per chunk, gather / col2im stay on one
// thread.
constexpr int64_t kMinParallelFloats = int64_t{1} << 15;

struct OpData : ConvGeometry {
  // backprop_filter: output pixels per chunk; backprop_input: output rows
  // (b, oy) per chunk.
  int64_t chunk;
  int32_t col_scratch;
  int32_t gemm_scratch;
  bool direct;  // 1x1, stride 1, unpadded: no im2col / col2im
};

// Reads the attributes and derives the geometry from the input dims
// (b, h, w, c) and the filter dims (kh, kw, c, o) already stored in `d`.
// Checks that `dy` (input `dy_index`) is float32 [b, oh, ow, o].
absl::Status PrepareGeometry(NodeContext& ctx, int dy_index, OpData& d) {
  if (ctx.attrs().Has("activation")) {
    absl::StatusOr<std::string> act =
        ctx.attrs().GetStringOr("activation", "none");
    if (!act.ok()) return ctx.Annotate(act.status());
    if (*act != "none" && !act->empty()) {
      return ctx.InvalidArgument(
          absl::StrCat("takes no fused activation, got \"", *act, "\""));
    }
  }
  if (d.k_h < 1 || d.k_w < 1) {
    return ctx.InvalidArgument(
        absl::StrCat("filter window ", d.k_h, "x", d.k_w, " is empty"));
  }
  ATTUNE_RETURN_IF_ERROR(ResolveConvWindow(ctx, d));
  d.direct = d.k_h == 1 && d.k_w == 1 && d.stride_h == 1 && d.stride_w == 1 &&
             d.pad_top == 0 && d.pad_left == 0;
  d.col_scratch = -1;
  d.gemm_scratch = -1;

  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(dy_index));
  const Tensor& dy = ctx.input(dy_index);
  const Shape expected{d.batch, d.out_h, d.out_w, d.out_c};
  if (dy.shape != expected) {
    return ctx.InvalidArgument(absl::StrCat("dy ", ShapeToString(dy.shape),
                                            " != forward output shape ",
                                            ShapeToString(expected)));
  }
  return absl::OkStatus();
}

// ---- col2im (backprop_input)

struct Col2ImTask {
  const OpData* d;
  const float* cols;  // [chunk rows * out_w, K] for output rows [row0, row1)
  float* dx;
  int64_t row0, row1;  // output rows (n * out_h + oy)
  int64_t first_image;
};

// Adds into dx row (n, iy) every column entry of this chunk that maps to it.
void Col2ImRow(void* context, size_t index) {
  const Col2ImTask& t = *static_cast<const Col2ImTask*>(context);
  const OpData& d = *t.d;
  const int64_t c = d.in_c;
  const int64_t k = d.k_h * d.k_w * c;
  const int64_t n = t.first_image + static_cast<int64_t>(index) / d.in_h;
  const int64_t iy = static_cast<int64_t>(index) % d.in_h;
  float* dst = t.dx + (n * d.in_h + iy) * d.in_w * c;
  for (int64_t ky = 0; ky < d.k_h; ++ky) {
    const int64_t s = iy + d.pad_top - ky * d.dil_h;
    if (s < 0 || s % d.stride_h != 0) continue;
    const int64_t oy = s / d.stride_h;
    if (oy >= d.out_h) continue;
    const int64_t r = n * d.out_h + oy;
    if (r < t.row0 || r >= t.row1) continue;
    const float* crow = t.cols + (r - t.row0) * d.out_w * k + ky * d.k_w * c;
    for (int64_t ox = 0; ox < d.out_w; ++ox) {
      const int64_t ix0 = ox * d.stride_w - d.pad_left;
      int64_t kx_lo = 0, kx_hi = d.k_w;  // kx with ix in [0, in_w)
      if (ix0 < 0) kx_lo = (-ix0 + d.dil_w - 1) / d.dil_w;
      if (ix0 + (d.k_w - 1) * d.dil_w >= d.in_w) {
        kx_hi = ix0 >= d.in_w ? 0 : (d.in_w - 1 - ix0) / d.dil_w + 1;
      }
      kx_lo = std::min(kx_lo, d.k_w);
      kx_hi = std::max(std::min(kx_hi, d.k_w), kx_lo);
      const float* __restrict src = crow + ox * k;
      if (kx_lo == kx_hi) continue;
      if (d.dil_w == 1) {
        // Contiguous in both the column row and dx.
        float* __restrict o = dst + (ix0 + kx_lo) * c;
        const float* __restrict s2 = src + kx_lo * c;
        const int64_t len = (kx_hi - kx_lo) * c;
        for (int64_t i = 0; i < len; ++i) o[i] += s2[i];
      } else {
        for (int64_t kx = kx_lo; kx < kx_hi; ++kx) {
          float* __restrict o = dst + (ix0 + kx * d.dil_w) * c;
          const float* __restrict s2 = src + kx * c;
          for (int64_t i = 0; i < c; ++i) o[i] += s2[i];
        }
      }
    }
  }
}

// Splits `units` chunk units of `unit` output pixels each into equal chunks
// whose column buffer stays <= kMaxColBytes (at least one unit), stores the
// units per chunk in d.chunk, reserves the column buffer and returns the
// pixels per chunk.
int64_t RequestColumnScratch(NodeContext& ctx, OpData& d, int64_t units,
                             int64_t unit) {
  const int64_t k = d.k_h * d.k_w * d.in_c;
  const int64_t unit_bytes = unit * k * static_cast<int64_t>(sizeof(float));
  const int64_t max_units = std::max<int64_t>(1, kMaxColBytes / unit_bytes);
  const int64_t num_chunks = (units + max_units - 1) / max_units;
  d.chunk = (units + num_chunks - 1) / num_chunks;
  const int64_t chunk_pixels = d.chunk * unit;
  d.col_scratch =
      ctx.RequestScratch(static_cast<size_t>(chunk_pixels * k) * sizeof(float));
  return chunk_pixels;
}

// ---- conv2d_backprop_input(dy, filter, input_sizes)

absl::Status PrepareInput(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(1));
  const Tensor& filter = ctx.input(1);
  if (filter.rank() != 4) {
    return ctx.InvalidArgument(
        absl::StrCat("needs filter [kh,kw,c,o] of rank 4, got ",
                     ShapeToString(filter.shape)));
  }
  int64_t sizes[4];
  ATTUNE_RETURN_IF_ERROR(ReadNhwcSizes(ctx, 2, "input_sizes", sizes));
  OpData& d = ctx.op_data<OpData>();
  d.batch = sizes[0];
  d.in_h = sizes[1];
  d.in_w = sizes[2];
  d.in_c = sizes[3];
  d.k_h = filter.dim(0);
  d.k_w = filter.dim(1);
  d.out_c = filter.dim(3);
  if (filter.dim(2) != d.in_c) {
    return ctx.InvalidArgument(absl::StrCat(
        "input_sizes channels ", d.in_c, " != filter channels ", filter.dim(2),
        " (filter ", ShapeToString(filter.shape), ")"));
  }
  ATTUNE_RETURN_IF_ERROR(PrepareGeometry(ctx, 0, d));
  const int64_t k = d.k_h * d.k_w * d.in_c;
  const int64_t pixels = d.batch * d.out_h * d.out_w;
  if (pixels > 0 && k > 0 && d.out_c > 0) {
    // Gemm [pixels, o] x [o, n]: n = c (direct, into dx) or K (columns).
    const int64_t m =
        d.direct ? pixels
                 : RequestColumnScratch(ctx, d, d.batch * d.out_h, d.out_w);
    d.gemm_scratch = ctx.RequestScratch(
        GemmScratchBytes(m, d.direct ? d.in_c : k, d.out_c, ctx.num_threads()));
  }
  return ctx.SetOutput(0, DType::kFloat32,
                       Shape{d.batch, d.in_h, d.in_w, d.in_c});
}

absl::Status EvalInput(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const float* dy = ctx.input(0).data_as<float>();
  const float* filter = ctx.input(1).data_as<float>();
  float* dx = ctx.output(0).data_as<float>();
  const int64_t k = d.k_h * d.k_w * d.in_c;
  const int64_t dx_size = d.batch * d.in_h * d.in_w * d.in_c;
  if (dx_size == 0) return absl::OkStatus();
  const int64_t pixels = d.batch * d.out_h * d.out_w;
  if (pixels == 0 || d.out_c == 0) {
    std::fill(dx, dx + dx_size, 0.0f);
    return absl::OkStatus();
  }
  GemmArgs args;
  args.a = dy;
  args.lda = d.out_c;
  args.k = d.out_c;
  args.b = filter;  // [K, o] row-major = (o x K)^T
  args.ldb = d.out_c;
  args.transpose_b = true;
  if (d.direct) {
    args.m = pixels;
    args.n = d.in_c;
    args.c = dx;
    args.ldc = d.in_c;
    Gemm(args, ctx.scratch(d.gemm_scratch), ctx.thread_pool());
    return absl::OkStatus();
  }
  std::fill(dx, dx + dx_size, 0.0f);
  float* cols = static_cast<float*>(ctx.scratch(d.col_scratch));
  const int64_t out_rows = d.batch * d.out_h;
  args.n = k;
  args.c = cols;
  args.ldc = k;
  for (int64_t row0 = 0; row0 < out_rows; row0 += d.chunk) {
    const int64_t row1 = std::min(out_rows, row0 + d.chunk);
    args.m = (row1 - row0) * d.out_w;
    args.a = dy + row0 * d.out_w * d.out_c;
    Gemm(args, ctx.scratch(d.gemm_scratch), ctx.thread_pool());
    const int64_t first_image = row0 / d.out_h;
    const int64_t last_image = (row1 - 1) / d.out_h;
    Col2ImTask task{&d, cols, dx, row0, row1, first_image};
    const size_t tasks =
        static_cast<size_t>((last_image - first_image + 1) * d.in_h);
    if (ctx.num_threads() > 1 && tasks > 1 &&
        args.m * k >= kMinParallelFloats) {
      pthreadpool_parallelize_1d(ctx.thread_pool(), Col2ImRow, &task, tasks, 0);
    } else {
      for (size_t i = 0; i < tasks; ++i) Col2ImRow(&task, i);
    }
  }
  return absl::OkStatus();
}

// ---- conv2d_backprop_filter(x, dy, filter_sizes)

absl::Status PrepareFilter(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  const Tensor& x = ctx.input(0);
  if (x.rank() != 4) {
    return ctx.InvalidArgument(absl::StrCat("needs x [b,h,w,c] of rank 4, got ",
                                            ShapeToString(x.shape)));
  }
  int64_t sizes[4];
  ATTUNE_RETURN_IF_ERROR(ReadNhwcSizes(ctx, 2, "filter_sizes", sizes));
  OpData& d = ctx.op_data<OpData>();
  d.batch = x.dim(0);
  d.in_h = x.dim(1);
  d.in_w = x.dim(2);
  d.in_c = x.dim(3);
  d.k_h = sizes[0];
  d.k_w = sizes[1];
  d.out_c = sizes[3];
  if (sizes[2] != d.in_c) {
    return ctx.InvalidArgument(
        absl::StrCat("input channels ", d.in_c, " != filter_sizes channels ",
                     sizes[2], " (x ", ShapeToString(x.shape), ")"));
  }
  ATTUNE_RETURN_IF_ERROR(PrepareGeometry(ctx, 1, d));
  const int64_t k = d.k_h * d.k_w * d.in_c;
  const int64_t pixels = d.batch * d.out_h * d.out_w;
  if (pixels > 0 && k > 0 && d.out_c > 0) {
    // Gemm [K, pixels] x [pixels, o] per chunk of pixels.
    const int64_t depth =
        d.direct ? pixels : RequestColumnScratch(ctx, d, pixels, 1);
    d.gemm_scratch = ctx.RequestScratch(
        GemmScratchBytes(k, d.out_c, depth, ctx.num_threads()));
  }
  return ctx.SetOutput(0, DType::kFloat32,
                       Shape{d.k_h, d.k_w, d.in_c, d.out_c});
}

absl::Status EvalFilter(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const float* x = ctx.input(0).data_as<float>();
  const float* dy = ctx.input(1).data_as<float>();
  float* dw = ctx.output(0).data_as<float>();
  const int64_t k = d.k_h * d.k_w * d.in_c;
  if (k == 0 || d.out_c == 0) return absl::OkStatus();
  const int64_t pixels = d.batch * d.out_h * d.out_w;
  if (pixels == 0) {
    std::fill(dw, dw + k * d.out_c, 0.0f);
    return absl::OkStatus();
  }
  GemmArgs args;
  args.m = k;
  args.n = d.out_c;
  args.transpose_a = true;  // cols [pixels, K] = (K x pixels)^T
  args.lda = k;
  args.ldb = d.out_c;
  args.c = dw;
  args.ldc = d.out_c;
  if (d.direct) {
    args.k = pixels;
    args.a = x;
    args.b = dy;
    Gemm(args, ctx.scratch(d.gemm_scratch), ctx.thread_pool());
    return absl::OkStatus();
  }
  float* cols = static_cast<float*>(ctx.scratch(d.col_scratch));
  for (int64_t p0 = 0; p0 < pixels; p0 += d.chunk) {
    const int64_t rows = std::min(d.chunk, pixels - p0);
    Im2col(d, x, p0, rows, cols, ctx.thread_pool());
    args.k = rows;
    args.a = cols;
    args.b = dy + p0 * d.out_c;
    args.beta = p0 == 0 ? 0.0f : 1.0f;
    Gemm(args, ctx.scratch(d.gemm_scratch), ctx.thread_pool());
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterConv2dBackpropInput() {
  return {PrepareInput, EvalInput};
}
KernelRegistration RegisterConv2dBackpropFilter() {
  return {PrepareFilter, EvalFilter};
}

}  // namespace attune
