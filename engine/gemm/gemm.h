#ifndef ATTUNE_ENGINE_GEMM_GEMM_H_
#define ATTUNE_ENGINE_GEMM_GEMM_H_

#include <cstddef>
#include <cstdint>

#include "pthreadpool.h"

namespace attune {

// Single-precision matrix product on row-major matrices:
//   C[m, n] = beta * C[m, n] + sum_k op(A)[m, k] * op(B)[k, n]
// where op(A) is A (M x K, row stride lda) or, with transpose_a, the
// transpose of a K x M matrix A; likewise for B (K x N, or N x K transposed).
// beta is 0 (overwrite; C need not be initialized) or 1 (accumulate).
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
};

// Bytes of scratch Gemm needs for these dimensions when run on up to
// `num_threads` threads. Kernels reserve it with RequestScratch in Prepare,
// so Gemm never allocates.
size_t GemmScratchBytes(int64_t m, int64_t n, int64_t k, size_t num_threads);

// Computes the product, splitting work over `pool` (nullptr: caller's
// thread). `scratch` holds at least GemmScratchBytes(...) bytes, 64-byte
// aligned. Picks the fastest micro-kernel the CPU supports at run time.
void Gemm(const GemmArgs& args, void* scratch, pthreadpool_t pool);

}  // namespace attune

#endif  // ATTUNE_ENGINE_GEMM_GEMM_H_
