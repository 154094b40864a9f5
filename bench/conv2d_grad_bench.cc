// conv2d_backprop_input and conv2d_backprop_filter on the W2 `cnn`
// workload's shapes (as bench/conv2d_bench.cc), batch 32, 5x5 filters,
// SAME, at 1 and 2 threads:
//   conv1: [32,28,28,1]  -> 32 channels
//   conv2: [32,14,14,32] -> 64 channels
// Each op runs through ModelBuilder + Interpreter; only Invoke is timed.
// Both products count 2*B*OH*OW*KH*KW*C*O FLOPs per iteration (as the
// forward). Counters: "GFLOP" (a rate over wall time: GFLOP/s) and
// "GFLOP_cpu" (GFLOP per second of process CPU time summed over all
// threads: steadier than wall time on a shared machine, and equal to the
// wall rate divided by the threads when they are all busy).

#include <time.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/types/span.h"
#include "benchmark/benchmark.h"
#include "builder/model_builder.h"
#include "engine/interpreter.h"

namespace attune {
namespace {

constexpr int kBatch = 32;
constexpr int kKernel = 5;

std::vector<float> RandomValues(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
  std::vector<float> v(n);
  for (float& e : v) e = dist(rng);
  return v;
}

double ProcessCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) +
         1e-9 * static_cast<double>(ts.tv_nsec);
}

// Args: spatial size, input channels, output channels, threads.
void RunGrad(benchmark::State& state, bool filter_grad) {
  const int hw = static_cast<int>(state.range(0));
  const int c = static_cast<int>(state.range(1));
  const int o = static_cast<int>(state.range(2));
  const int threads = static_cast<int>(state.range(3));

  ModelBuilder builder("conv2d grad bench");
  // SAME, stride 1: dy is [B, hw, hw, o].
  const int dy = builder.Input("dy", DType::kFloat32, {kBatch, hw, hw, o});
  int out;
  std::vector<std::pair<std::string, int>> inputs = {{"dy", dy}};
  Attributes attrs;
  attrs.SetString("padding", "same");
  if (filter_grad) {
    const int x = builder.Input("x", DType::kFloat32, {kBatch, hw, hw, c});
    inputs.emplace_back("x", x);
    const int sizes = builder.ConstantInts(
        "filter_sizes", std::vector<int64_t>{kKernel, kKernel, c, o});
    out = builder.Op1(OpCode::kConv2dBackpropFilter, {x, dy, sizes}, attrs);
  } else {
    const std::vector<float> filter =
        RandomValues(static_cast<size_t>(kKernel) * kKernel * c * o, 1);
    const int f = builder.Constant<float>("filter", {kKernel, kKernel, c, o},
                                          absl::MakeConstSpan(filter));
    const int sizes = builder.ConstantInts(
        "input_sizes", std::vector<int64_t>{kBatch, hw, hw, c});
    out = builder.Op1(OpCode::kConv2dBackpropInput, {dy, f, sizes}, attrs);
  }
  builder.AddSignature("grad", inputs, {{"out", out}});

  absl::StatusOr<std::shared_ptr<const Model>> model = builder.BuildModel();
  if (!model.ok()) {
    state.SkipWithError(std::string(model.status().message()).c_str());
    return;
  }
  InterpreterOptions options;
  options.num_threads = threads;
  absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::Create(*model, options);
  if (!interpreter.ok()) {
    state.SkipWithError(std::string(interpreter.status().message()).c_str());
    return;
  }
  absl::StatusOr<SignatureRunner*> runner =
      (*interpreter)->GetSignatureRunner("grad");
  absl::Status status =
      runner.ok() ? (*runner)->AllocateTensors() : runner.status();
  uint32_t seed = 2;
  for (const auto& [name, handle] : inputs) {
    if (!status.ok()) break;
    absl::StatusOr<Tensor*> input = (*runner)->input(name);
    if (!input.ok()) {
      status = input.status();
      break;
    }
    const std::vector<float> data =
        RandomValues(static_cast<size_t>((*input)->num_elements()), seed++);
    std::copy(data.begin(), data.end(), (*input)->data_as<float>());
  }
  if (!status.ok()) {
    state.SkipWithError(std::string(status.message()).c_str());
    return;
  }

  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    status = (*runner)->Invoke();
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
  }
  const double cpu_seconds = ProcessCpuSeconds() - cpu_start;
  const double flops = 2.0 * kBatch * hw * hw * kKernel * kKernel * c * o;
  state.counters["GFLOP"] = benchmark::Counter(
      flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
  if (cpu_seconds > 0) {
    state.counters["GFLOP_cpu"] = benchmark::Counter(
        flops * 1e-9 * static_cast<double>(state.iterations()) / cpu_seconds);
  }
}

void BM_Conv2dBackpropInputW2(benchmark::State& state) {
  RunGrad(state, /*filter_grad=*/false);
}
void BM_Conv2dBackpropFilterW2(benchmark::State& state) {
  RunGrad(state, /*filter_grad=*/true);
}

#define ATTUNE_W2_SHAPES(bm)                  \
  BENCHMARK(bm)                               \
      ->ArgNames({"hw", "c", "o", "threads"}) \
      ->Args({28, 1, 32, 1})                  \
      ->Args({28, 1, 32, 2})                  \
      ->Args({14, 32, 64, 1})                 \
      ->Args({14, 32, 64, 2})                 \
      ->UseRealTime()                         \
      ->Unit(benchmark::kMillisecond)

ATTUNE_W2_SHAPES(BM_Conv2dBackpropInputW2);
ATTUNE_W2_SHAPES(BM_Conv2dBackpropFilterW2);

}  // namespace
}  // namespace attune
