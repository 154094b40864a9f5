// conv2d on the W2 `cnn` workload's shapes (DESIGN.md), batch 32, 5x5
// filters, SAME padding, fused ReLU, at 1 and 2 threads:
//   conv1: [32,28,28,1]  -> 32 channels
//   conv2: [32,14,14,32] -> 64 channels
// The op runs through ModelBuilder + Interpreter as in a real model; only
// Invoke is timed. Counter "GFLOP" (a rate: GFLOP/s) counts 2*B*OH*OW*KH*KW*C*O
// per iteration.

#include <cstdint>
#include <memory>
#include <random>
#include <string>
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

// Args: spatial size, input channels, output channels, threads.
void BM_Conv2dW2(benchmark::State& state) {
  const int hw = static_cast<int>(state.range(0));
  const int c = static_cast<int>(state.range(1));
  const int o = static_cast<int>(state.range(2));
  const int threads = static_cast<int>(state.range(3));

  ModelBuilder builder("conv2d bench");
  const int x = builder.Input("x", DType::kFloat32, {kBatch, hw, hw, c});
  const std::vector<float> filter =
      RandomValues(static_cast<size_t>(kKernel) * kKernel * c * o, 1);
  const std::vector<float> bias = RandomValues(o, 2);
  const int f = builder.Constant<float>("filter", {kKernel, kKernel, c, o},
                                        absl::MakeConstSpan(filter));
  const int b = builder.Constant<float>("bias", {o}, absl::MakeConstSpan(bias));
  Attributes attrs;
  attrs.SetString("padding", "same").SetString("activation", "relu");
  const int y = builder.Op1(OpCode::kConv2d, {x, f, b}, attrs);
  builder.AddSignature("infer", {{"x", x}}, {{"y", y}});

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
      (*interpreter)->GetSignatureRunner("infer");
  absl::Status status =
      runner.ok() ? (*runner)->AllocateTensors() : runner.status();
  absl::StatusOr<Tensor*> input =
      status.ok() ? (*runner)->input("x") : absl::StatusOr<Tensor*>(status);
  if (!input.ok()) {
    state.SkipWithError(std::string(input.status().message()).c_str());
    return;
  }
  const std::vector<float> data =
      RandomValues(static_cast<size_t>((*input)->num_elements()), 3);
  std::copy(data.begin(), data.end(), (*input)->data_as<float>());

  for (auto _ : state) {
    status = (*runner)->Invoke();
    if (!status.ok()) {
      state.SkipWithError(std::string(status.message()).c_str());
      return;
    }
  }
  // SAME, stride 1: output is hw x hw.
  const double flops = 2.0 * kBatch * hw * hw * kKernel * kKernel * c * o;
  state.counters["GFLOP"] = benchmark::Counter(
      flops * 1e-9, benchmark::Counter::kIsIterationInvariantRate);
}

BENCHMARK(BM_Conv2dW2)
    ->ArgNames({"hw", "c", "o", "threads"})
    ->Args({28, 1, 32, 1})
    ->Args({28, 1, 32, 2})
    ->Args({14, 32, 64, 1})
    ->Args({14, 32, 64, 2})
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace attune
