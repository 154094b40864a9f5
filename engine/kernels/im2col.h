#ifndef ATTUNE_ENGINE_KERNELS_IM2COL_H_
#define ATTUNE_ENGINE_KERNELS_IM2COL_H_

// The im2col gather shared by conv2d (forward) and conv2d_backprop_filter.

#include <cstdint>

#include "pthreadpool.h"

namespace attune {

// Geometry of one NHWC convolution: input [batch, in_h, in_w, in_c], filter
// [k_h, k_w, in_c, out_c], output [batch, out_h, out_w, out_c]. Kernels'
// op data derive from it, so it stays trivially copyable.
struct ConvGeometry {
  int64_t batch, in_h, in_w, in_c;
  int64_t k_h, k_w, out_c;
  int64_t stride_h, stride_w, dil_h, dil_w;
  int64_t pad_top, pad_left, out_h, out_w;
};

// Writes rows [first_pixel, first_pixel + rows) of the im2col matrix of x
// into `cols` (row r = output pixel (n, oy, ox) in NHW order, k_h*k_w*in_c
// floats in filter order (ky, kx, c), zeros where the window leaves the
// image). Splits large gathers over `pool` (nullptr: caller's thread).
// Allocates nothing.
void Im2col(const ConvGeometry& g, const float* x, int64_t first_pixel,
            int64_t rows, float* cols, pthreadpool_t pool);

}  // namespace attune

#endif  // ATTUNE_ENGINE_KERNELS_IM2COL_H_
