// Blocked, packed SGEMM in the style of Goto and van de Geijn ("Anatomy of
// high-performance matrix multiplication", TOMS 2008) and BLIS.
//
// Algorithm, for one rectangular region of C (the whole of C, or one thread's
// share of it):
//  1. For each block of nc columns (jc) and each block of kc depth (pc):
//     pack op(B)[pc:pc+kc, jc:jc+nc] into micro-panels of nr columns.
//  2. For each block of mc rows (ic): pack op(A)[ic:ic+mc, pc:pc+kc] into
//     micro-panels of mr rows. Non-transposed A is usually read in place
//     instead (its k is contiguous already; see RunRegion).
//  3. For each A micro-panel (ir; it stays in L1) and each B micro-panel (jr;
//     the packed B block stays in L2) call the micro-kernel on one mr x nr
//     tile of C. The first depth block applies beta; the last one adds the
//     bias and clamps.
//
// Scratch layout, per task slot t in [0, T) (each slot SlotBytes() bytes,
// a multiple of 64):
//   [packed A: (min(m, max(mc, kMaxMr)) + kMaxMr) * min(k, kc) floats]
//   [packed B: (min(n, max(nc, kMaxNr)) + kMaxNr) * min(k, kc) floats]
// each part rounded up to 64 bytes.
// A packed A block is ceil(rows / mr) micro-panels of kc x mr floats; a packed
// B block is ceil(cols / nr) micro-panels of kc x nr floats; both zero-padded.
//
// Threads: C is cut into a tm x tn grid of regions (tm * tn <= threads), each
// a task with its own scratch slot. The grid minimises the largest task's
// arithmetic plus packing: splitting N repacks A, splitting M repacks B.

#include "engine/gemm/gemm.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <limits>

#include "engine/gemm/gemm_internal.h"

namespace attune {
namespace gemm_internal {
namespace {

// Tuned on Zen 4 (32 KiB L1d, 1 MiB L2) with the 14 x 32 AVX-512 kernel; mc
// is a multiple of 14, 6 and 4 so only the last row block has a short tile.
constexpr GemmBlocking kDefaultBlocking = {/*mc=*/252, /*nc=*/1024,
                                           /*kc=*/512};
// Cost of packing one float, in FLOPs of micro-kernel time (grid choice).
constexpr int64_t kPackCostFlops = 32;

GemmBlocking g_blocking = kDefaultBlocking;
std::atomic<int64_t> g_parallel_threshold{kDefaultGemmParallelThreshold};
std::atomic<const MicroKernel*> g_forced_kernel{nullptr};

bool CpuHasAvx512() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

bool CpuHasAvx2() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

const MicroKernel* KernelForPath(GemmPath path) {
  switch (path) {
    case GemmPath::kGeneric:
      return GenericMicroKernel();
    case GemmPath::kAvx2:
      return CpuHasAvx2() ? Avx2MicroKernel() : nullptr;
    case GemmPath::kAvx512:
      return CpuHasAvx512() ? Avx512MicroKernel() : nullptr;
    case GemmPath::kAuto:
      break;
  }
  return nullptr;
}

const MicroKernel& AutoMicroKernel() {
  static const MicroKernel* const kernel = [] {
    for (GemmPath path : {GemmPath::kAvx512, GemmPath::kAvx2}) {
      if (const MicroKernel* k = KernelForPath(path)) return k;
    }
    return GenericMicroKernel();
  }();
  return *kernel;
}

int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }
int64_t RoundUp(int64_t a, int64_t b) { return CeilDiv(a, b) * b; }

// Bytes of the packed A and packed B parts of one task's scratch slot (see
// the layout above). Tiles are cut from blocks of at most max(mc, kMaxMr)
// rows and max(nc, kMaxNr) columns and padded by less than a tile.
size_t PackABytes(int64_t m, int64_t k, const GemmBlocking& blk) {
  const int64_t rows = std::min<int64_t>(m, std::max<int64_t>(blk.mc, kMaxMr));
  return static_cast<size_t>(
      RoundUp((rows + kMaxMr) * std::min(k, blk.kc) * int64_t{4}, 64));
}
size_t PackBBytes(int64_t n, int64_t k, const GemmBlocking& blk) {
  const int64_t cols = std::min<int64_t>(n, std::max<int64_t>(blk.nc, kMaxNr));
  return static_cast<size_t>(
      RoundUp((cols + kMaxNr) * std::min(k, blk.kc) * int64_t{4}, 64));
}
size_t SlotBytes(int64_t m, int64_t n, int64_t k, const GemmBlocking& blk) {
  return PackABytes(m, k, blk) + PackBBytes(n, k, blk);
}

// dst[p * kMr + i] = src[i * ld + p] for i < kMr, p < kc.
template <int kMr>
void GatherColumns(const float* src, int64_t ld, int64_t kc, float* dst) {
  const float* rows[kMr];
  for (int i = 0; i < kMr; ++i) rows[i] = src + i * ld;
  for (int64_t p = 0; p < kc; ++p) {
    for (int i = 0; i < kMr; ++i) dst[p * kMr + i] = rows[i][p];
  }
}

// Packs op(A)[i0:i0+rows, p0:p0+kc] into ceil(rows/mr) panels of kc x mr.
void PackA(const GemmArgs& g, int64_t i0, int64_t rows, int64_t p0, int64_t kc,
           int mr, float* dst) {
  for (int64_t ir = 0; ir < rows; ir += mr) {
    const int64_t r = std::min<int64_t>(mr, rows - ir);
    if (r < mr) std::memset(dst, 0, sizeof(float) * mr * kc);
    if (!g.transpose_a) {
      // Element (i, p) is a[i * lda + p]: gather a column, store it whole.
      const float* src = g.a + (i0 + ir) * g.lda + p0;
      if (r == mr && mr == 14) {
        GatherColumns<14>(src, g.lda, kc, dst);
      } else if (r == mr && mr == 6) {
        GatherColumns<6>(src, g.lda, kc, dst);
      } else {
        for (int64_t i = 0; i < r; ++i) {
          for (int64_t p = 0; p < kc; ++p) dst[p * mr + i] = src[i * g.lda + p];
        }
      }
    } else {
      // Element (i, p) is a[p * lda + i]: each depth step is contiguous.
      for (int64_t p = 0; p < kc; ++p) {
        std::memcpy(dst + p * mr, g.a + (p0 + p) * g.lda + i0 + ir,
                    sizeof(float) * r);
      }
    }
    dst += mr * kc;
  }
}

// Copies kc rows of kNr floats (row stride ld) into a contiguous panel; the
// fixed size lets the compiler inline the copy.
template <int kNr>
void CopyRows(const float* src, int64_t ld, int64_t kc, float* dst) {
  for (int64_t p = 0; p < kc; ++p) {
    std::memcpy(dst + p * kNr, src + p * ld, sizeof(float) * kNr);
  }
}

// Packs op(B)[p0:p0+kc, j0:j0+cols] into ceil(cols/nr) panels of kc x nr.
void PackB(const GemmArgs& g, int64_t p0, int64_t kc, int64_t j0, int64_t cols,
           int nr, float* dst) {
  for (int64_t jr = 0; jr < cols; jr += nr) {
    const int64_t c = std::min<int64_t>(nr, cols - jr);
    if (!g.transpose_b) {
      // Element (p, j) is b[p * ldb + j]: each depth step is contiguous.
      const float* src = g.b + p0 * g.ldb + j0 + jr;
      if (c == nr && nr == 32) {
        CopyRows<32>(src, g.ldb, kc, dst);
      } else if (c == nr && nr == 16) {
        CopyRows<16>(src, g.ldb, kc, dst);
      } else if (c == nr && nr == 8) {
        CopyRows<8>(src, g.ldb, kc, dst);
      } else {
        for (int64_t p = 0; p < kc; ++p) {
          float* d = dst + p * nr;
          std::memcpy(d, src + p * g.ldb, sizeof(float) * c);
          std::memset(d + c, 0, sizeof(float) * (nr - c));
        }
      }
    } else {
      // Element (p, j) is b[j * ldb + p]: read rows of B, scatter.
      if (c < nr) std::memset(dst, 0, sizeof(float) * nr * kc);
      for (int64_t j = 0; j < c; ++j) {
        const float* src = g.b + (j0 + jr + j) * g.ldb + p0;
        for (int64_t p = 0; p < kc; ++p) dst[p * nr + j] = src[p];
      }
    }
    dst += nr * kc;
  }
}

bool HasClamp(const GemmArgs& g) {
  return g.clamp_min > -std::numeric_limits<float>::infinity() ||
         g.clamp_max < std::numeric_limits<float>::infinity();
}

// C[m0:m1, n0:n1] for k >= 1, with packing buffers from one scratch slot.
void RunRegion(const GemmArgs& g, const MicroKernel& uk,
               const GemmBlocking& blk, int64_t m0, int64_t m1, int64_t n0,
               int64_t n1, float* pack_a, float* pack_b) {
  const int mr = uk.mr;
  const int nr = uk.nr;
  const int64_t mc = std::max<int64_t>(mr, blk.mc / mr * mr);
  const int64_t nc = std::max<int64_t>(nr, blk.nc / nr * nr);
  const bool clamp = HasClamp(g);
  // A without transpose is row-major with contiguous k, which is all the
  // micro-kernels need: read it in place instead of packing it, unless its
  // rows are a multiple of 4 KiB apart (then the mr rows of a tile fall in
  // one L1 set and evict each other; packing measured ~15% faster).
  const bool a_in_place = !g.transpose_a && g.lda > 0 && g.lda % 1024 != 0;
  const int64_t a_stride = a_in_place ? g.lda : 0;
  for (int64_t jc = n0; jc < n1; jc += nc) {
    const int64_t cols = std::min(nc, n1 - jc);
    for (int64_t pc = 0; pc < g.k; pc += blk.kc) {
      const int64_t kc = std::min(blk.kc, g.k - pc);
      const bool last = pc + kc >= g.k;
      TileEpilogue ep;
      ep.beta = pc == 0 ? g.beta : 1.0f;
      ep.clamp = last && clamp;
      ep.clamp_min = g.clamp_min;
      ep.clamp_max = g.clamp_max;
      const float* bias = last ? g.bias : nullptr;
      PackB(g, pc, kc, jc, cols, nr, pack_b);
      for (int64_t ic = m0; ic < m1; ic += mc) {
        const int64_t rows = std::min(mc, m1 - ic);
        if (!a_in_place) PackA(g, ic, rows, pc, kc, mr, pack_a);
        for (int64_t ir = 0; ir < rows; ir += mr) {
          const int tile_rows =
              static_cast<int>(std::min<int64_t>(mr, rows - ir));
          const float* a_panel =
              a_in_place ? g.a + (ic + ir) * g.lda + pc : pack_a + ir * kc;
          float* c_row = g.c + (ic + ir) * g.ldc + jc;
          for (int64_t jr = 0; jr < cols; jr += nr) {
            const int tile_cols =
                static_cast<int>(std::min<int64_t>(nr, cols - jr));
            ep.bias = bias == nullptr ? nullptr : bias + jc + jr;
            uk.fn(kc, a_panel, a_stride, pack_b + jr * kc, c_row + jr, g.ldc,
                  tile_rows, tile_cols, ep);
          }
        }
      }
    }
  }
}

// k == 0: C = clamp(beta * C + bias).
void RunEmptyDepth(const GemmArgs& g) {
  const bool clamp = HasClamp(g);
  for (int64_t i = 0; i < g.m; ++i) {
    float* c = g.c + i * g.ldc;
    for (int64_t j = 0; j < g.n; ++j) {
      float v = g.beta == 0.0f ? 0.0f : g.beta * c[j];
      if (g.bias != nullptr) v += g.bias[j];
      if (clamp) v = std::min(std::max(v, g.clamp_min), g.clamp_max);
      c[j] = v;
    }
  }
}

struct ParallelTask {
  const GemmArgs* args;
  const MicroKernel* kernel;
  GemmBlocking blocking;
  int64_t tn;             // grid columns
  int64_t rows_per_task;  // multiple of mr
  int64_t cols_per_task;  // multiple of nr
  char* scratch;
  size_t slot_bytes;
};

void RunParallelTask(void* context, size_t index) {
  const ParallelTask& t = *static_cast<const ParallelTask*>(context);
  const GemmArgs& g = *t.args;
  const int64_t ti = static_cast<int64_t>(index) / t.tn;
  const int64_t tj = static_cast<int64_t>(index) % t.tn;
  const int64_t m0 = ti * t.rows_per_task;
  const int64_t n0 = tj * t.cols_per_task;
  if (m0 >= g.m || n0 >= g.n) return;
  const int64_t m1 = std::min(g.m, m0 + t.rows_per_task);
  const int64_t n1 = std::min(g.n, n0 + t.cols_per_task);
  char* slot = t.scratch + index * t.slot_bytes;
  float* pack_a = reinterpret_cast<float*>(slot);
  float* pack_b =
      reinterpret_cast<float*>(slot + PackABytes(g.m, g.k, t.blocking));
  RunRegion(g, *t.kernel, t.blocking, m0, m1, n0, n1, pack_a, pack_b);
}

// Estimated cost, in FLOPs, of the largest task of a tm x tn grid.
int64_t GridCost(const GemmArgs& g, const MicroKernel& uk,
                 const GemmBlocking& blk, int64_t tm, int64_t tn) {
  const int64_t rows = RoundUp(CeilDiv(g.m, tm), uk.mr);
  const int64_t cols = RoundUp(CeilDiv(g.n, tn), uk.nr);
  const int64_t r = std::min(rows, g.m);
  const int64_t c = std::min(cols, g.n);
  const int64_t packed = r * g.k * CeilDiv(c, blk.nc) + c * g.k;
  return 2 * r * c * g.k + kPackCostFlops * packed;
}

}  // namespace

bool GemmPathAvailable(GemmPath path) {
  return path == GemmPath::kAuto || KernelForPath(path) != nullptr;
}

bool SetGemmPathForTesting(GemmPath path) {
  if (path == GemmPath::kAuto) {
    g_forced_kernel.store(nullptr);
    return true;
  }
  const MicroKernel* kernel = KernelForPath(path);
  if (kernel == nullptr) return false;
  g_forced_kernel.store(kernel);
  return true;
}

const MicroKernel& ActiveMicroKernel() {
  const MicroKernel* forced = g_forced_kernel.load(std::memory_order_relaxed);
  return forced != nullptr ? *forced : AutoMicroKernel();
}

GemmBlocking DefaultGemmBlocking() { return kDefaultBlocking; }

void SetGemmBlockingForTesting(const GemmBlocking& blocking) {
  g_blocking = blocking;
}

void SetGemmParallelThresholdForTesting(int64_t flops) {
  g_parallel_threshold.store(flops);
}

}  // namespace gemm_internal

size_t GemmScratchBytes(int64_t m, int64_t n, int64_t k, size_t num_threads) {
  if (m <= 0 || n <= 0 || k <= 0) return 0;
  return std::max<size_t>(num_threads, 1) *
         gemm_internal::SlotBytes(m, n, k, gemm_internal::g_blocking);
}

void Gemm(const GemmArgs& args, void* scratch, pthreadpool_t pool) {
  using namespace gemm_internal;  // NOLINT: implementation file
  if (args.m <= 0 || args.n <= 0) return;
  if (args.k <= 0) {
    RunEmptyDepth(args);
    return;
  }
  const MicroKernel& uk = ActiveMicroKernel();
  const GemmBlocking blk = g_blocking;
  const size_t slot_bytes = SlotBytes(args.m, args.n, args.k, blk);

  // Choose the thread grid.
  const int64_t threads =
      pool == nullptr
          ? 1
          : static_cast<int64_t>(pthreadpool_get_threads_count(pool));
  int64_t best_tm = 1, best_tn = 1;
  if (threads > 1 &&
      2 * args.m * args.n * args.k >= g_parallel_threshold.load()) {
    int64_t best_cost = GridCost(args, uk, blk, 1, 1);
    for (int64_t tm = 1; tm <= threads; ++tm) {
      const int64_t tn = threads / tm;
      const int64_t cost = GridCost(args, uk, blk, tm, tn);
      if (cost < best_cost) {
        best_cost = cost;
        best_tm = tm;
        best_tn = tn;
      }
    }
  }
  ParallelTask task;
  task.args = &args;
  task.kernel = &uk;
  task.blocking = blk;
  task.tn = best_tn;
  task.rows_per_task = RoundUp(CeilDiv(args.m, best_tm), uk.mr);
  task.cols_per_task = RoundUp(CeilDiv(args.n, best_tn), uk.nr);
  task.scratch = static_cast<char*>(scratch);
  task.slot_bytes = slot_bytes;
  const size_t num_tasks = static_cast<size_t>(best_tm * best_tn);
  if (num_tasks == 1) {
    RunParallelTask(&task, 0);
  } else {
    pthreadpool_parallelize_1d(pool, RunParallelTask, &task, num_tasks, 0);
  }
}

}  // namespace attune
