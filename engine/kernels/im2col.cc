#include "engine/kernels/im2col.h"

#include <algorithm>
#include <cstring>

namespace attune {
namespace {

// Rows gathered per thread-pool task, and the smallest gather (in floats)
// worth splitting over threads.
constexpr int64_t kIm2colRowsPerTask = 64;
constexpr int64_t kMinParallelIm2colFloats = int64_t{1} << 15;

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
void GatherRow(const ConvGeometry& d, const float* x, int64_t n, int64_t oy,
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
  const ConvGeometry* d;
  const float* x;
  float* cols;
  int64_t first_pixel;
  int64_t rows;
};

// Gathers rows [begin, end) of the chunk, walking (n, oy, ox) incrementally.
void GatherRows(const GatherTask& t, int64_t begin, int64_t end) {
  const ConvGeometry& d = *t.d;
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

}  // namespace

void Im2col(const ConvGeometry& g, const float* x, int64_t first_pixel,
            int64_t rows, float* cols, pthreadpool_t pool) {
  GatherTask task{&g, x, cols, first_pixel, rows};
  const int64_t k = g.k_h * g.k_w * g.in_c;
  if (pool != nullptr && pthreadpool_get_threads_count(pool) > 1 &&
      rows * k >= kMinParallelIm2colFloats) {
    pthreadpool_parallelize_1d(
        pool, GatherTaskFn, &task,
        static_cast<size_t>((rows + kIm2colRowsPerTask - 1) /
                            kIm2colRowsPerTask),
        0);
  } else {
    GatherRows(task, 0, rows);
  }
}

}  // namespace attune
