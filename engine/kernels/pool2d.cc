// max_pool2d and avg_pool2d over the spatial dims of NHWC float32 x:
//   y[b, oy, ox, c] = max / mean of x[b, iy, ix, c] over the in-bounds
//   window iy in oy*sh - pad_top + [0, kh), ix in ox*sw - pad_left + [0, kw).
// Padding never takes part: max ignores it and avg divides by the number of
// in-bounds elements (TensorFlow's behaviour). Attributes: ksize [kh, kw]
// (required), strides [sh, sw] (default ksize), padding "same"/"valid"
// ("valid"). See OPS.md.
//
// Algorithm: one task per output row (b, oy); for each output pixel the
// clipped window is walked and channels, which are contiguous, form the
// inner (vectorized) loop. Rows are spread over the thread pool when there
// is enough work.

#include <algorithm>
#include <limits>

#include "absl/strings/str_cat.h"
#include "engine/kernels/conv_window.h"
#include "engine/kernels/kernel.h"
#include "engine/status_macros.h"

namespace attune {
namespace {

// Window reads below which the op runs on the calling thread.
constexpr int64_t kMinParallelReads = int64_t{1} << 15;

struct OpData {
  int64_t batch, in_h, in_w, channels;
  int64_t k_h, k_w, stride_h, stride_w;
  int64_t pad_top, pad_left, out_h, out_w;
};

struct RowTask {
  const OpData* d;
  const float* x;
  float* y;
};

template <bool kMax>
void RunRow(void* context, size_t index) {
  const RowTask& t = *static_cast<const RowTask*>(context);
  const OpData& d = *t.d;
  const int64_t c = d.channels;
  const int64_t oy = static_cast<int64_t>(index) % d.out_h;
  const int64_t n = static_cast<int64_t>(index) / d.out_h;
  const int64_t iy0 = oy * d.stride_h - d.pad_top;
  const int64_t y_lo = std::max<int64_t>(iy0, 0);
  const int64_t y_hi = std::min(iy0 + d.k_h, d.in_h);
  float* row = t.y + static_cast<int64_t>(index) * d.out_w * c;
  for (int64_t ox = 0; ox < d.out_w; ++ox) {
    float* __restrict out = row + ox * c;
    const int64_t ix0 = ox * d.stride_w - d.pad_left;
    const int64_t x_lo = std::max<int64_t>(ix0, 0);
    const int64_t x_hi = std::min(ix0 + d.k_w, d.in_w);
    std::fill(out, out + c,
              kMax ? -std::numeric_limits<float>::infinity() : 0.0f);
    for (int64_t iy = y_lo; iy < y_hi; ++iy) {
      for (int64_t ix = x_lo; ix < x_hi; ++ix) {
        const float* __restrict in =
            t.x + ((n * d.in_h + iy) * d.in_w + ix) * c;
        if (kMax) {
          for (int64_t k = 0; k < c; ++k) out[k] = std::max(out[k], in[k]);
        } else {
          for (int64_t k = 0; k < c; ++k) out[k] += in[k];
        }
      }
    }
    const int64_t count =
        std::max<int64_t>(y_hi - y_lo, 0) * std::max<int64_t>(x_hi - x_lo, 0);
    if (count == 0) {
      // Unreachable for SAME/VALID geometry; keep the output finite.
      std::fill(out, out + c, 0.0f);
    } else if (!kMax) {
      const float scale = 1.0f / static_cast<float>(count);
      for (int64_t k = 0; k < c; ++k) out[k] *= scale;
    }
  }
}

absl::Status Prepare(NodeContext& ctx) {
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
  ATTUNE_RETURN_IF_ERROR(ResolvePoolWindow(ctx, d));
  return ctx.SetOutput(0, DType::kFloat32,
                       Shape{d.batch, d.out_h, d.out_w, d.channels});
}

template <bool kMax>
absl::Status Eval(NodeContext& ctx) {
  const OpData& d = ctx.op_data<OpData>();
  const int64_t tasks = d.batch * d.out_h;
  if (tasks == 0 || d.out_w == 0 || d.channels == 0) return absl::OkStatus();
  RowTask task{&d, ctx.input(0).data_as<float>(),
               ctx.output(0).data_as<float>()};
  const int64_t reads = tasks * d.out_w * d.k_h * d.k_w * d.channels;
  if (ctx.num_threads() > 1 && tasks > 1 && reads >= kMinParallelReads) {
    pthreadpool_parallelize_1d(ctx.thread_pool(), RunRow<kMax>, &task,
                               static_cast<size_t>(tasks), 0);
  } else {
    for (int64_t i = 0; i < tasks; ++i) {
      RunRow<kMax>(&task, static_cast<size_t>(i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

KernelRegistration RegisterMaxPool2d() { return {Prepare, Eval<true>}; }
KernelRegistration RegisterAvgPool2d() { return {Prepare, Eval<false>}; }

}  // namespace attune
