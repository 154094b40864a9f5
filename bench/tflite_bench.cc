// The TFLite importer on the real MobileNets (models/): import time
// (verify + map + shape inference + Model validation), and infer latency of
// the imported model at 1 and 2 threads, batch 1, random input. Plus W4's
// train step and infer (embedder + trainable head 1280->128->5, batch 16,
// Adam). Infer and W4 run with the reference kernels and with the XNNPACK
// delegate (arg "xnnpack").

#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "delegates/xnnpack/xnnpack_delegate.h"
#include "engine/interpreter.h"
#include "importers/tflite/importer.h"
#include "tests/testing/w4_model.h"

namespace attune {
namespace {

struct TfliteModel {
  const char* file;
  const char* signature;
  const char* input;
};

constexpr TfliteModel kModels[] = {
    {"mobilenet_v2_1.0_224_quant.tflite", "serving_default_float", "input"},
    {"mobilenet_v2_035_96_embedder.tflite", "serving_default",
     "keras_layer_input"},
};

// Interpreter options for `threads`, with the XNNPACK delegate when
// `xnnpack`. Sets an error on `state` and returns false when it cannot.
bool MakeOptions(benchmark::State& state, int64_t threads, bool xnnpack,
                 InterpreterOptions& options) {
  options.num_threads = static_cast<int>(threads);
  if (!xnnpack) return true;
  auto delegate = CreateXnnpackDelegate();
  if (!delegate.ok()) {
    state.SkipWithError(delegate.status().ToString().c_str());
    return false;
  }
  options.delegates = {*delegate};
  return true;
}

std::vector<uint8_t> ReadModel(const char* name) {
  std::ifstream in(std::string(ATTUNE_SOURCE_DIR) + "/models/" + name,
                   std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void BM_TfliteImport(benchmark::State& state) {
  const std::vector<uint8_t> bytes = ReadModel(kModels[state.range(0)].file);
  state.SetLabel(kModels[state.range(0)].file);
  for (auto _ : state) {
    auto graph = tflite::ImportTflite(bytes);
    if (!graph.ok())
      return state.SkipWithError(graph.status().ToString().c_str());
    auto model = Model::FromGraph(*std::move(graph));
    if (!model.ok())
      return state.SkipWithError(model.status().ToString().c_str());
    benchmark::DoNotOptimize(model);
  }
}
BENCHMARK(BM_TfliteImport)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_TfliteInfer(benchmark::State& state) {
  const TfliteModel& m = kModels[state.range(0)];
  state.SetLabel(m.file);
  auto graph = tflite::ImportTflite(ReadModel(m.file));
  if (!graph.ok())
    return state.SkipWithError(graph.status().ToString().c_str());
  auto model = Model::FromGraph(*std::move(graph));
  if (!model.ok())
    return state.SkipWithError(model.status().ToString().c_str());
  InterpreterOptions options;
  if (!MakeOptions(state, state.range(1), state.range(2) == 1, options)) return;
  auto interp = Interpreter::Create(*model, options);
  if (!interp.ok())
    return state.SkipWithError(interp.status().ToString().c_str());
  SignatureRunner* runner = *(*interp)->GetSignatureRunner(m.signature);
  if (!runner->AllocateTensors().ok()) return state.SkipWithError("plan");
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (float& v : *runner->typed_input<float>(m.input)) v = pixel(rng);
  for (auto _ : state) {
    if (!runner->Invoke().ok()) return state.SkipWithError("invoke");
  }
}
BENCHMARK(BM_TfliteInfer)
    ->ArgsProduct({{0, 1}, {1, 2}, {0, 1}})
    ->ArgNames({"model", "threads", "xnnpack"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// W4 (DESIGN.md): frozen embedder + head 1280->128 ReLU->5, batch 16,
// Adam. Arg 0: 0 = train step, 1 = infer; arg 1: threads; arg 2: XNNPACK.
void BM_TfliteW4(benchmark::State& state) {
  const bool train_step = state.range(0) == 0;
  auto imported = tflite::ImportTflite(ReadModel(kModels[1].file));
  if (!imported.ok()) return state.SkipWithError("import");
  auto model = testing::W4Model(*imported);
  if (!model.ok())
    return state.SkipWithError(model.status().ToString().c_str());
  InterpreterOptions options;
  if (!MakeOptions(state, state.range(1), state.range(2) == 1, options)) return;
  auto interp = Interpreter::Create(*model, options);
  if (!interp.ok()) return state.SkipWithError("interpreter");
  SignatureRunner* runner =
      *(*interp)->GetSignatureRunner(train_step ? "train" : "infer");
  if (!runner->ResizeInput("keras_layer_input", {16, 96, 96, 3}).ok() ||
      (train_step && !runner->ResizeInput("y", {16}).ok()) ||
      !runner->AllocateTensors().ok()) {
    return state.SkipWithError("plan");
  }
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (float& v : *runner->typed_input<float>("keras_layer_input")) {
    v = pixel(rng);
  }
  if (train_step) {
    for (int32_t& v : *runner->typed_input<int32_t>("y")) v = rng() % 5;
  }
  const DelegateKernelStats before = runner->plan().delegate_stats();
  for (auto _ : state) {
    if (!runner->Invoke().ok()) return state.SkipWithError("invoke");
  }
  const DelegateKernelStats after = runner->plan().delegate_stats();
  state.counters["arena_bytes"] = static_cast<double>(runner->arena_bytes());
  state.counters["samples_per_s"] = benchmark::Counter(
      16.0 * state.iterations(), benchmark::Counter::kIsRate);
  // Time spent rebuilding delegate partitions after a weight changed.
  state.counters["repack_ms/step"] =
      1e3 * (after.repack_seconds - before.repack_seconds) /
      static_cast<double>(state.iterations());
}
BENCHMARK(BM_TfliteW4)
    ->ArgsProduct({{0, 1}, {1, 2}, {0, 1}})
    ->ArgNames({"infer_only", "threads", "xnnpack"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace attune
