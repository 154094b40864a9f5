#ifndef ATTUNE_ENGINE_GEMM_GEMM_H_
#define ATTUNE_ENGINE_GEMM_GEMM_H_

#include <cstddef>
#include <cstdint>
#include <limits>

#include "pthreadpool.h"

namespace attune {

// Single-precision matrix product on row-major matrices, with an optional
// fused epilogue:
//   C[m, n] = clamp(beta * C[m, n] + sum_k op(A)[m, k] * op(B)[k, n]
//                   + bias[n], clamp_min, clamp_max)
// where op(A) is A (M x K, row stride lda) or, with transpose_a, the
// transpose of a K x M matrix A; likewise for B (K x N, or N x K transposed).
// beta is usually 0 (overwrite; C is not read, so it need not be
// initialized) or 1 (accumulate); other values scale C. bias (n floats,
// nullptr: none) and the clamp are applied once, after the full sum, so
// clamp_min = 0 gives relu and [0, 6] relu6.
struct GemmArgs {
  int64_t m = 0, n = 0, k = 0;
  const float* a = nullptr;
  int64_t lda = 0;
  bool transpose_a = false;
  const float* b = nullptr;
  int64_t ldb = 0;
  bool transpose_b = false;
  float* c = nullptr;
  int64_t ldc = 0;
  float beta = 0.0f;
  // Fused epilogue.
  const float* bias = nullptr;
  float clamp_min = -std::numeric_limits<float>::infinity();
  float clamp_max = std::numeric_limits<float>::infinity();
};

// Bytes of scratch Gemm needs for these dimensions when run on up to
// `num_threads` threads. Kernels reserve it with RequestScratch in Prepare,
// so Gemm never allocates.
size_t GemmScratchBytes(int64_t m, int64_t n, int64_t k, size_t num_threads);

// Computes the product, splitting work over `pool` (nullptr: caller's
// thread). Picks the fastest micro-kernel the CPU supports at run time
// (AVX-512, AVX2+FMA or portable C++); small products stay on the caller's
// thread.
// REQUIRES: `scratch` is 64-byte aligned and holds at least
//   GemmScratchBytes(m, n, k, T) bytes, where T >= the pool's thread count
//   (1 for a null pool). m, n, k >= 0; lda, ldb, ldc >= the stored row
//   lengths. C does not alias A, B or bias.
void Gemm(const GemmArgs& args, void* scratch, pthreadpool_t pool);

}  // namespace attune

#endif  // ATTUNE_ENGINE_GEMM_GEMM_H_
