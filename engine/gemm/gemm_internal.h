#ifndef ATTUNE_ENGINE_GEMM_GEMM_INTERNAL_H_
#define ATTUNE_ENGINE_GEMM_GEMM_INTERNAL_H_

// Internals of engine/gemm shared by the driver (gemm.cc), the per-ISA
// micro-kernel files and tests. Not part of the engine's API.

#include <cstdint>

namespace attune {
namespace gemm_internal {

// What a micro-kernel does with its accumulated tile before storing it.
struct TileEpilogue {
  // Multiplier of the existing C tile; 0 means C is not read.
  float beta;
  // nr floats added to every row, or nullptr.
  const float* bias;
  // When true, the result is clamped to [clamp_min, clamp_max].
  bool clamp;
  float clamp_min;
  float clamp_max;
};

// Computes one tile of at most kMr x kNr elements:
//   C[i, j] = epilogue(sum_{p < kc} A(i, p) * b[p * kNr + j])
// for i < mr, j < nr, with C row-major at row stride ldc.
// A is either a packed micro-panel (a_stride == 0: A(i, p) = a[p * kMr + i],
// kc groups of kMr floats, zero-padded past mr rows) or read in place
// (a_stride > 0: A(i, p) = a[i * a_stride + p], rows beyond mr never read).
// `b` is a packed B micro-panel: kc groups of kNr floats, 64-byte aligned,
// zero-padded past nr columns; results there are discarded.
// REQUIRES: kc >= 1, 1 <= mr <= kMr, 1 <= nr <= kNr, a_stride >= 0.
using MicroKernelFn = void (*)(int64_t kc, const float* a, int64_t a_stride,
                               const float* b, float* c, int64_t ldc, int mr,
                               int nr, const TileEpilogue& epilogue);

struct MicroKernel {
  const char* name;
  int mr;  // kMr above: rows of a tile
  int nr;  // kNr above: columns of a tile
  MicroKernelFn fn;
};

// Each returns the micro-kernel of its ISA, or nullptr when this build has
// none (non-x86 target). They do not check the running CPU.
const MicroKernel* GenericMicroKernel();
const MicroKernel* Avx2MicroKernel();    // needs AVX2 + FMA
const MicroKernel* Avx512MicroKernel();  // needs AVX-512F/VL + FMA

// Largest mr and nr of any micro-kernel; scratch sizes are computed with them.
inline constexpr int kMaxMr = 16;
inline constexpr int kMaxNr = 64;

enum class GemmPath { kAuto, kGeneric, kAvx2, kAvx512 };

// True when `path` is compiled in and the running CPU supports it.
bool GemmPathAvailable(GemmPath path);

// Forces Gemm onto `path` (kAuto restores the run-time choice); returns false
// and changes nothing when the path is not available. Not thread-safe with
// concurrent Gemm calls: for tests and benchmarks only.
bool SetGemmPathForTesting(GemmPath path);

// The micro-kernel Gemm currently uses.
const MicroKernel& ActiveMicroKernel();

// Cache blocking (see gemm.cc): kc is the depth of a packed panel, mc the
// rows of a packed A block, nc the columns of a packed B panel.
struct GemmBlocking {
  int64_t mc;
  int64_t nc;
  int64_t kc;
};
GemmBlocking DefaultGemmBlocking();
// Overrides the blocking (all > 0; nc best a multiple of kMaxNr); for tests
// that exercise multi-block paths on small matrices, and for tuning.
// GemmScratchBytes reflects the override. Not thread-safe with concurrent Gemm
// calls.
void SetGemmBlockingForTesting(const GemmBlocking& blocking);

// Smallest 2*m*n*k for which Gemm splits work over the thread pool (about
// 30 us of work; below it waking threads costs more than it saves). Tests
// lower it to 0 to exercise threading on small shapes. Not thread-safe with
// concurrent Gemm calls.
inline constexpr int64_t kDefaultGemmParallelThreshold = int64_t{1} << 22;
void SetGemmParallelThresholdForTesting(int64_t flops);

}  // namespace gemm_internal
}  // namespace attune

#endif  // ATTUNE_ENGINE_GEMM_GEMM_INTERNAL_H_
