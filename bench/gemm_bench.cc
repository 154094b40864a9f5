// attune's Gemm vs the system XNNPACK's fully-connected operator on
// FullyConnected forward shapes (y = x . w + bias, x: M x K, w: K x N).
// Args: {M, K, N, threads}. Each reports GFLOP/s = 2*M*N*K per iteration
// over wall time. XNNPACK's operator is created (weights packed) and set up
// outside the timed loop; attune packs inside Gemm on every call, as the
// FullyConnected kernel does.

#include <time.h>

#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <vector>

#include "benchmark/benchmark.h"
#include "engine/gemm/gemm.h"
#include "pthreadpool.h"
#include "xnnpack.h"

namespace attune {
namespace {

struct Problem {
  int64_t m, k, n;
  std::vector<float> x, w, bias, y;
  explicit Problem(const benchmark::State& state)
      : m(state.range(0)),
        k(state.range(1)),
        n(state.range(2)),
        x(m * k),
        w(k * n),
        bias(n),
        y(m * n) {
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
    for (float& v : x) v = dist(rng);
    for (float& v : w) v = dist(rng);
    for (float& v : bias) v = dist(rng);
  }
  double flops() const { return 2.0 * m * n * k; }
};

// A thread pool of `threads` workers, or none for 1 (caller's thread).
pthreadpool_t MakePool(int64_t threads) {
  return threads > 1 ? pthreadpool_create(static_cast<size_t>(threads))
                     : nullptr;
}

double ProcessCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + 1e-9 * static_cast<double>(t.tv_nsec);
}

// GFLOP/s: over wall time. GFLOP/cpu_s: over the CPU time of all threads,
// which is steadier than wall time on a loaded machine (for 1 thread it is
// the single-core rate).
void SetCounters(benchmark::State& state, const Problem& p, double cpu_s) {
  state.counters["GFLOP/s"] = benchmark::Counter(
      p.flops() * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  state.counters["GFLOP/cpu_s"] =
      p.flops() * 1e-9 * static_cast<double>(state.iterations()) / cpu_s;
}

void BM_FullyConnected_Attune(benchmark::State& state) {
  Problem p(state);
  const int64_t threads = state.range(3);
  pthreadpool_t pool = MakePool(threads);
  const size_t bytes = GemmScratchBytes(p.m, p.n, p.k, threads);
  void* scratch = std::aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
  GemmArgs args;
  args.m = p.m;
  args.n = p.n;
  args.k = p.k;
  args.a = p.x.data();
  args.lda = p.k;
  args.b = p.w.data();
  args.ldb = p.n;
  args.c = p.y.data();
  args.ldc = p.n;
  args.bias = p.bias.data();
  const double cpu0 = ProcessCpuSeconds();
  for (auto _ : state) {
    Gemm(args, scratch, pool);
    benchmark::DoNotOptimize(p.y.data());
    benchmark::ClobberMemory();
  }
  SetCounters(state, p, ProcessCpuSeconds() - cpu0);
  std::free(scratch);
  if (pool != nullptr) pthreadpool_destroy(pool);
}

void BM_FullyConnected_Xnnpack(benchmark::State& state) {
  Problem p(state);
  const int64_t threads = state.range(3);
  if (xnn_initialize(/*allocator=*/nullptr) != xnn_status_success) {
    state.SkipWithError("xnn_initialize failed");
    return;
  }
  pthreadpool_t pool = MakePool(threads);
  xnn_operator_t op = nullptr;
  // XNN_FLAG_TRANSPOSE_WEIGHTS: w is [input_channels, output_channels].
  if (xnn_create_fully_connected_nc_f32(
          p.k, p.n, /*input_stride=*/p.k, /*output_stride=*/p.n, p.w.data(),
          p.bias.data(), -std::numeric_limits<float>::infinity(),
          std::numeric_limits<float>::infinity(), XNN_FLAG_TRANSPOSE_WEIGHTS,
          &op) != xnn_status_success ||
      xnn_setup_fully_connected_nc_f32(op, p.m, p.x.data(), p.y.data(), pool) !=
          xnn_status_success) {
    state.SkipWithError("XNNPACK fully connected create/setup failed");
  } else {
    const double cpu0 = ProcessCpuSeconds();
    for (auto _ : state) {
      if (xnn_run_operator(op, pool) != xnn_status_success) {
        state.SkipWithError("xnn_run_operator failed");
        break;
      }
      benchmark::DoNotOptimize(p.y.data());
      benchmark::ClobberMemory();
    }
    SetCounters(state, p, ProcessCpuSeconds() - cpu0);
  }
  if (op != nullptr) xnn_delete_operator(op);
  if (pool != nullptr) pthreadpool_destroy(pool);
}

// {M, K, N, threads}: the FC target shape, a W2 dense layer and a W2 conv
// im2col product (32 images of 14 x 14, 5 x 5 x 32 patches, 64 filters).
void Shapes(benchmark::internal::Benchmark* b) {
  for (int64_t threads : {1, 2}) {
    b->Args({256, 1024, 1024, threads});
    b->Args({32, 3136, 128, threads});
    b->Args({32 * 14 * 14, 800, 64, threads});
  }
  b->ArgNames({"M", "K", "N", "threads"});
  b->UseRealTime();
  b->Unit(benchmark::kMicrosecond);
}

BENCHMARK(BM_FullyConnected_Attune)->Apply(Shapes);
BENCHMARK(BM_FullyConnected_Xnnpack)->Apply(Shapes);

}  // namespace
}  // namespace attune
