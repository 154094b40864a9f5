// Portable SGEMM micro-kernel in plain C++: 4 x 8 tiles the compiler can keep
// in SSE registers. Used on CPUs without AVX2 + FMA and on non-x86 targets.

#include <algorithm>

#include "engine/gemm/gemm_internal.h"

namespace attune {
namespace gemm_internal {
namespace {

constexpr int kMr = 4;
constexpr int kNr = 8;

void MicroKernelGeneric(int64_t kc, const float* a, int64_t a_stride,
                        const float* b, float* c, int64_t ldc, int mr, int nr,
                        const TileEpilogue& ep) {
  float acc[kMr][kNr] = {};
  // Packed A: step kMr floats per k; in place: row r starts at r * a_stride.
  const int64_t row_step = a_stride == 0 ? 1 : a_stride;
  const int64_t k_step = a_stride == 0 ? kMr : 1;
  const int rows = a_stride == 0 ? kMr : mr;
  for (int64_t p = 0; p < kc; ++p) {
    for (int r = 0; r < rows; ++r) {
      const float av = a[r * row_step + p * k_step];
      for (int j = 0; j < kNr; ++j) acc[r][j] += av * b[j];
    }
    b += kNr;
  }
  for (int r = 0; r < mr; ++r) {
    float* cr = c + r * ldc;
    for (int j = 0; j < nr; ++j) {
      float v = acc[r][j];
      if (ep.beta != 0.0f) v += ep.beta * cr[j];
      if (ep.bias != nullptr) v += ep.bias[j];
      if (ep.clamp) v = std::min(std::max(v, ep.clamp_min), ep.clamp_max);
      cr[j] = v;
    }
  }
}

constexpr MicroKernel kGenericKernel = {"generic_4x8", kMr, kNr,
                                        MicroKernelGeneric};

}  // namespace

const MicroKernel* GenericMicroKernel() { return &kGenericKernel; }

}  // namespace gemm_internal
}  // namespace attune
