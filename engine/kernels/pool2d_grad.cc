// Gradients of max_pool2d and avg_pool2d (see pool2d.cc), NHWC float32:
//   max_pool2d_grad(x, dy): dx = 0 except that each output pixel's dy[b,
//     oy, ox, c] is added at the first maximum (row-major window order) of
//     its in-bounds window of x; overlapping windows accumulate.
//   avg_pool2d_grad(dy, input_sizes): dx[b, iy, ix, c] = sum over the
//     windows covering (iy, ix) of dy[b, oy, ox, c] / count(oy, ox), count
//     being the in-bounds elements of the window, as in the forward.
// input_sizes is a static int32/int64 [4] input. Attributes: ksize
// (required), strides (ksize), padding ("valid"), as the forward. See OPS.md.
//
// Algorithms:
//  max: windows overlap, so tasks split what they write: one task per
//   (image, block of kChannelBlock channels); it zeroes its slice of dx,
//   then for every output pixel finds the per-channel argmax of the window
//   (channels inner) and adds dy there.
//  avg: one task per dx row (b, iy), which zeroes the row and adds
//   dy / count of each covering window over its columns; rows are disjoint.

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "engine/kernels/conv_window.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// Window reads below which the op runs on the calling thread.
constexpr int64_t kMinParallelReads = int64_t{1} << 15;
constexpr int64_t kChannelBlock = 32;

struct OpData {
  int64_t batch, in_h, in_w, channels;
  int64_t k_h, k_w, stride_h, stride_w;
  int64_t pad_top, pad_left, out_h, out_w;
};

// Reads ksize / strides / padding and derives the geometry from the input
// dims stored in `d`; checks that input `dy_index` is float32 [b, oh, ow, c].
absl::Status PrepareGeometry(NodeContext& ctx, int dy_index, OpData& d) {
  ATTUNE_RETURN_IF_ERROR(ResolvePoolWindow(ctx, d));
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(dy_index));
  const Tensor& dy = ctx.input(dy_index);
  const Shape expected{d.batch, d.out_h, d.out_w, d.channels};
  if (dy.shape != expected) {
    return ctx.InvalidArgument(absl::StrCat("dy ", ShapeToString(dy.shape),
                                            " != forward output shape ",
                                            ShapeToString(expected)));
  }
  return absl::OkStatus();
}

struct Task {
  const OpData* d;
  const float* x;  // max only
  const float* dy;
  float* dx;
};

// Runs `fn` over `tasks` indices, threaded when there is enough work.
void Run(NodeContext& ctx, void (*fn)(void*, size_t), Task& task, int64_t tasks,
         int64_t reads) {
  if (ctx.num_threads() > 1 && tasks > 1 && reads >= kMinParallelReads) {
    pthreadpool_parallelize_1d(ctx.thread_pool(), fn, &task,
                               static_cast<size_t>(tasks), 0);
  } else {
    for (int64_t i = 0; i < tasks; ++i) fn(&task, static_cast<size_t>(i));
  }
}

// ---- max_pool2d_grad(x, dy)

void MaxBlock(void* context, size_t index) {
  const Task& t = *static_cast<const Task*>(context);
  const OpData& d = *t.d;
  const int64_t c = d.channels;
  const int64_t blocks = (c + kChannelBlock - 1) / kChannelBlock;
  const int64_t n = static_cast<int64_t>(index) / blocks;
  const int64_t c0 = (static_cast<int64_t>(index) % blocks) * kChannelBlock;
  const int64_t width = std::min(kChannelBlock, c - c0);
  const float* x = t.x + n * d.in_h * d.in_w * c + c0;
  float* dx = t.dx + n * d.in_h * d.in_w * c + c0;
  for (int64_t p = 0; p < d.in_h * d.in_w; ++p) {
    std::fill(dx + p * c, dx + p * c + width, 0.0f);
  }
  float best[kChannelBlock];
  int64_t where[kChannelBlock];  // pixel index iy * in_w + ix of the max
  for (int64_t oy = 0; oy < d.out_h; ++oy) {
    const int64_t iy0 = oy * d.stride_h - d.pad_top;
    const int64_t y_lo = std::max<int64_t>(iy0, 0);
    const int64_t y_hi = std::min(iy0 + d.k_h, d.in_h);
    for (int64_t ox = 0; ox < d.out_w; ++ox) {
      const int64_t ix0 = ox * d.stride_w - d.pad_left;
      const int64_t x_lo = std::max<int64_t>(ix0, 0);
      const int64_t x_hi = std::min(ix0 + d.k_w, d.in_w);
      if (y_lo >= y_hi || x_lo >= x_hi) continue;  // not for SAME/VALID
      const int64_t first = y_lo * d.in_w + x_lo;
      for (int64_t k = 0; k < width; ++k) {
        best[k] = x[first * c + k];
        where[k] = first;
      }
      for (int64_t iy = y_lo; iy < y_hi; ++iy) {
        for (int64_t ix = x_lo; ix < x_hi; ++ix) {
          const int64_t p = iy * d.in_w + ix;
          const float* in = x + p * c;
          for (int64_t k = 0; k < width; ++k) {
            if (in[k] > best[k]) {  // strict: the first maximum wins
              best[k] = in[k];
              where[k] = p;
            }
          }
        }
      }
      const float* g = t.dy + ((n * d.out_h + oy) * d.out_w + ox) * c + c0;
      for (int64_t k = 0; k < width; ++k) dx[where[k] * c + k] += g[k];
    }
  }
}

absl::Status PrepareMax(NodeContext& ctx) {
  ATTUNE_RETURN_IF_ERROR(ctx.ExpectFloatInput(0));
  const Tensor& x = ctx.input(0);
  if (x.rank() != 4) {
    return ctx.InvalidArgument(absl::StrCat("needs x [b,h,w,c] of rank 4, got ",
                                            ShapeToString(x.shape)));
  }
  OpData& d = ctx.op_data<OpData>();
  d.batch = x.dim(0);
  d.in_h = x.dim(1);
  d.in_w = x.dim(2);
  d.channels = x.dim(3);
  ATTUNE_RETURN_IF_ERROR(PrepareGeometry(ctx, 1, d));
  return ctx.SetOutput(0, DType::kFloat32, x.shape);
}

absl::Status EvalMax(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  if (d.batch * d.in_h * d.in_w * d.channels == 0) return absl::OkStatus();
  Task task{&d, ctx.input(0).data_as<float>(), ctx.input(1).data_as<float>(),
            ctx.output(0).data_as<float>()};
  const int64_t blocks = (d.channels + kChannelBlock - 1) / kChannelBlock;
  Run(ctx, MaxBlock, task, d.batch * blocks,
      d.batch * d.out_h * d.out_w * d.k_h * d.k_w * d.channels);
  return absl::OkStatus();
}

// ---- avg_pool2d_grad(dy, input_sizes)

void AvgRow(void* context, size_t index) {
  const Task& t = *static_cast<const Task*>(context);
  const OpData& d = *t.d;
  const int64_t c = d.channels;
  const int64_t n = static_cast<int64_t>(index) / d.in_h;
  const int64_t iy = static_cast<int64_t>(index) % d.in_h;
  float* dst = t.dx + static_cast<int64_t>(index) * d.in_w * c;
  std::fill(dst, dst + d.in_w * c, 0.0f);
  // Output rows whose window [oy*sh - pad_top, + kh) contains iy.
  const int64_t s = iy + d.pad_top;
  const int64_t oy_lo =
      s - d.k_h + 1 <= 0 ? 0 : (s - d.k_h + 1 + d.stride_h - 1) / d.stride_h;
  const int64_t oy_hi = std::min(s / d.stride_h + 1, d.out_h);
  for (int64_t oy = oy_lo; oy < oy_hi; ++oy) {
    const int64_t iy0 = oy * d.stride_h - d.pad_top;
    const int64_t rows =
        std::min(iy0 + d.k_h, d.in_h) - std::max<int64_t>(iy0, 0);
    const float* dy_row = t.dy + (n * d.out_h + oy) * d.out_w * c;
    for (int64_t ox = 0; ox < d.out_w; ++ox) {
      const int64_t ix0 = ox * d.stride_w - d.pad_left;
      const int64_t x_lo = std::max<int64_t>(ix0, 0);
      const int64_t x_hi = std::min(ix0 + d.k_w, d.in_w);
      if (x_lo >= x_hi || rows <= 0) continue;
      const float scale = 1.0f / static_cast<float>(rows * (x_hi - x_lo));
      const float* __restrict g = dy_row + ox * c;
      for (int64_t ix = x_lo; ix < x_hi; ++ix) {
        float* __restrict o = dst + ix * c;
        for (int64_t k = 0; k < c; ++k) o[k] += g[k] * scale;
      }
    }
  }
}

absl::Status PrepareAvg(NodeContext& ctx) {
  int64_t sizes[4];
  ATTUNE_RETURN_IF_ERROR(ReadNhwcSizes(ctx, 1, "input_sizes", sizes));
  OpData& d = ctx.op_data<OpData>();
  d.batch = sizes[0];
  d.in_h = sizes[1];
  d.in_w = sizes[2];
  d.channels = sizes[3];
  ATTUNE_RETURN_IF_ERROR(PrepareGeometry(ctx, 0, d));
  return ctx.SetOutput(0, DType::kFloat32, Shape(sizes, sizes + 4));
}

absl::Status EvalAvg(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  if (d.batch * d.in_h * d.in_w * d.channels == 0) return absl::OkStatus();
  Task task{&d, nullptr, ctx.input(0).data_as<float>(),
            ctx.output(0).data_as<float>()};
  Run(ctx, AvgRow, task, d.batch * d.in_h,
      d.batch * d.out_h * d.out_w * d.k_h * d.k_w * d.channels);
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterMaxPool2dGrad() { return {PrepareMax, EvalMax}; }
KernelRegistration RegisterAvgPool2dGrad() { return {PrepareAvg, EvalAvg}; }

}  // namespace attune
