// AVX2 + FMA SGEMM micro-kernel: 6 x 16 tiles (12 ymm accumulators, two B
// vectors per k step, A broadcast from memory). Only the functions below
// carry the avx2 target attribute, so this file is safe to link into a
// binary that runs on any x86-64 CPU; Gemm calls them only after checking
// the CPU (see gemm.cc).

#include "engine/gemm/gemm_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace attune {
namespace gemm_internal {

#if defined(__x86_64__) || defined(__i386__)
namespace {

constexpr int kMr = 6;
constexpr int kNr = 16;

// Lane i of the result is all-ones when i < n (n clamped to [0, 8]).
__attribute__((target("avx2,fma"))) inline __m256i LaneMask(int n) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes);
}

template <int kRows, bool kPackedA>
__attribute__((target("avx2,fma"))) void TileAvx2(int64_t kc, const float* a,
                                                  int64_t a_stride,
                                                  const float* b, float* c,
                                                  int64_t ldc, int nr,
                                                  const TileEpilogue& ep) {
  __m256 acc0[kRows];
  __m256 acc1[kRows];
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
    acc0[r] = _mm256_setzero_ps();
    acc1[r] = _mm256_setzero_ps();
  }
  if (kPackedA) {
#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; ++p) {
      const __m256 b0 = _mm256_load_ps(b);
      const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
        const __m256 av = _mm256_broadcast_ss(a + r);
        acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
      }
      a += kMr;
      b += kNr;
    }
  } else {
    // A in place: one row pointer per tile row, each advancing along k.
    const float* rows[kRows];
#pragma GCC unroll 8
    for (int r = 0; r < kRows; ++r) rows[r] = a + r * a_stride;
#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; ++p) {
      const __m256 b0 = _mm256_load_ps(b);
      const __m256 b1 = _mm256_load_ps(b + 8);
#pragma GCC unroll 8
      for (int r = 0; r < kRows; ++r) {
        const __m256 av = _mm256_broadcast_ss(rows[r] + p);
        acc0[r] = _mm256_fmadd_ps(av, b0, acc0[r]);
        acc1[r] = _mm256_fmadd_ps(av, b1, acc1[r]);
      }
      b += kNr;
    }
  }

  const __m256i m0 = LaneMask(nr);
  const __m256i m1 = LaneMask(nr - 8);
  __m256 bias0 = _mm256_setzero_ps();
  __m256 bias1 = _mm256_setzero_ps();
  if (ep.bias != nullptr) {
    bias0 = _mm256_maskload_ps(ep.bias, m0);
    bias1 = _mm256_maskload_ps(ep.bias + 8, m1);
  }
  const __m256 lo = _mm256_set1_ps(ep.clamp_min);
  const __m256 hi = _mm256_set1_ps(ep.clamp_max);
  const __m256 beta = _mm256_set1_ps(ep.beta);
#pragma GCC unroll 8
  for (int r = 0; r < kRows; ++r) {
    float* cr = c + r * ldc;
    __m256 v0 = acc0[r];
    __m256 v1 = acc1[r];
    if (ep.beta != 0.0f) {
      v0 = _mm256_fmadd_ps(_mm256_maskload_ps(cr, m0), beta, v0);
      v1 = _mm256_fmadd_ps(_mm256_maskload_ps(cr + 8, m1), beta, v1);
    }
    if (ep.bias != nullptr) {
      v0 = _mm256_add_ps(v0, bias0);
      v1 = _mm256_add_ps(v1, bias1);
    }
    if (ep.clamp) {
      // min/max return their second operand when either is NaN: keep NaNs.
      v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, v0));
      v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, v1));
    }
    _mm256_maskstore_ps(cr, m0, v0);
    _mm256_maskstore_ps(cr + 8, m1, v1);
  }
}

template <bool kPackedA, int... kRows>
struct TileTable {
  using Fn = void (*)(int64_t, const float*, int64_t, const float*, float*,
                      int64_t, int, const TileEpilogue&);
  static constexpr Fn kFns[] = {TileAvx2<kRows, kPackedA>...};
};

void MicroKernelAvx2(int64_t kc, const float* a, int64_t a_stride,
                     const float* b, float* c, int64_t ldc, int mr, int nr,
                     const TileEpilogue& ep) {
  using Packed = TileTable<true, 1, 2, 3, 4, 5, 6>;
  using InPlace = TileTable<false, 1, 2, 3, 4, 5, 6>;
  static_assert(sizeof(Packed::kFns) / sizeof(Packed::kFns[0]) == kMr);
  (a_stride == 0 ? Packed::kFns : InPlace::kFns)[mr - 1](kc, a, a_stride, b, c,
                                                         ldc, nr, ep);
}

constexpr MicroKernel kAvx2Kernel = {"avx2_6x16", kMr, kNr, MicroKernelAvx2};
static_assert(kMr <= kMaxMr && kNr <= kMaxNr);

}  // namespace

const MicroKernel* Avx2MicroKernel() { return &kAvx2Kernel; }

#else  // not x86

const MicroKernel* Avx2MicroKernel() { return nullptr; }

#endif

}  // namespace gemm_internal
}  // namespace attune
