// AVX-512 SGEMM micro-kernel: 14 x 32 tiles (28 zmm accumulators, two B
// vectors per k step, A broadcast from memory). Only the functions below
// carry the avx512 target attribute, so this file is safe to link into a
// binary that runs on CPUs without AVX-512; Gemm calls them only after
// checking the CPU (see gemm.cc).

#include "engine/gemm/gemm_internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

// GCC 12 reports the _mm512_undefined_ps() inside _mm512_{min,max}_ps as
// "maybe uninitialized"; it is a deliberate don't-care operand.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace attune {
namespace gemm_internal {

#if defined(__x86_64__) || defined(__i386__)
namespace {

constexpr int kMr = 14;
constexpr int kNr = 32;

// Rows are a template parameter so edge tiles in M do no wasted FMAs.
template <int kRows, bool kPackedA>
__attribute__((target("avx512f,avx512vl,fma"))) void TileAvx512(
    int64_t kc, const float* a, int64_t a_stride, const float* b, float* c,
    int64_t ldc, int nr, const TileEpilogue& ep) {
  __m512 acc0[kRows];
  __m512 acc1[kRows];
#pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) {
    // C is read or written only after the k loop; fetch it meanwhile.
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
    acc0[r] = _mm512_setzero_ps();
    acc1[r] = _mm512_setzero_ps();
  }
  if (kPackedA) {
#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; ++p) {
      const __m512 b0 = _mm512_load_ps(b);
      const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 16
      for (int r = 0; r < kRows; ++r) {
        const __m512 av = _mm512_set1_ps(a[r]);
        acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
        acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
      }
      a += kMr;
      b += kNr;
    }
  } else {
    // A in place: one row pointer per tile row, each advancing along k.
    const float* rows[kRows];
#pragma GCC unroll 16
    for (int r = 0; r < kRows; ++r) rows[r] = a + r * a_stride;
#pragma GCC unroll 2
    for (int64_t p = 0; p < kc; ++p) {
      const __m512 b0 = _mm512_load_ps(b);
      const __m512 b1 = _mm512_load_ps(b + 16);
#pragma GCC unroll 16
      for (int r = 0; r < kRows; ++r) {
        const __m512 av = _mm512_set1_ps(rows[r][p]);
        acc0[r] = _mm512_fmadd_ps(av, b0, acc0[r]);
        acc1[r] = _mm512_fmadd_ps(av, b1, acc1[r]);
      }
      b += kNr;
    }
  }

  const __mmask16 m0 = nr >= 16 ? static_cast<__mmask16>(0xFFFF)
                                : static_cast<__mmask16>((1u << nr) - 1u);
  const __mmask16 m1 =
      nr >= 32 ? static_cast<__mmask16>(0xFFFF)
               : static_cast<__mmask16>(nr <= 16 ? 0u : (1u << (nr - 16)) - 1u);
  __m512 bias0 = _mm512_setzero_ps();
  __m512 bias1 = _mm512_setzero_ps();
  if (ep.bias != nullptr) {
    bias0 = _mm512_maskz_loadu_ps(m0, ep.bias);
    bias1 = _mm512_maskz_loadu_ps(m1, ep.bias + 16);
  }
  const __m512 lo = _mm512_set1_ps(ep.clamp_min);
  const __m512 hi = _mm512_set1_ps(ep.clamp_max);
  const __m512 beta = _mm512_set1_ps(ep.beta);
#pragma GCC unroll 16
  for (int r = 0; r < kRows; ++r) {
    float* cr = c + r * ldc;
    __m512 v0 = acc0[r];
    __m512 v1 = acc1[r];
    if (ep.beta != 0.0f) {
      v0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m0, cr), beta, v0);
      v1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m1, cr + 16), beta, v1);
    }
    if (ep.bias != nullptr) {
      v0 = _mm512_add_ps(v0, bias0);
      v1 = _mm512_add_ps(v1, bias1);
    }
    if (ep.clamp) {
      // min/max return their second operand when either is NaN: keep NaNs.
      v0 = _mm512_min_ps(hi, _mm512_max_ps(lo, v0));
      v1 = _mm512_min_ps(hi, _mm512_max_ps(lo, v1));
    }
    _mm512_mask_storeu_ps(cr, m0, v0);
    _mm512_mask_storeu_ps(cr + 16, m1, v1);
  }
}

template <bool kPackedA, int... kRows>
struct TileTable {
  using Fn = void (*)(int64_t, const float*, int64_t, const float*, float*,
                      int64_t, int, const TileEpilogue&);
  static constexpr Fn kFns[] = {TileAvx512<kRows, kPackedA>...};
};

void MicroKernelAvx512(int64_t kc, const float* a, int64_t a_stride,
                       const float* b, float* c, int64_t ldc, int mr, int nr,
                       const TileEpilogue& ep) {
  using Packed = TileTable<true, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14>;
  using InPlace =
      TileTable<false, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14>;
  static_assert(sizeof(Packed::kFns) / sizeof(Packed::kFns[0]) == kMr);
  (a_stride == 0 ? Packed::kFns : InPlace::kFns)[mr - 1](kc, a, a_stride, b, c,
                                                         ldc, nr, ep);
}

constexpr MicroKernel kAvx512Kernel = {"avx512_14x32", kMr, kNr,
                                       MicroKernelAvx512};
static_assert(kMr <= kMaxMr && kNr <= kMaxNr);

}  // namespace

const MicroKernel* Avx512MicroKernel() { return &kAvx512Kernel; }

#else  // not x86

const MicroKernel* Avx512MicroKernel() { return nullptr; }

#endif

}  // namespace gemm_internal
}  // namespace attune
