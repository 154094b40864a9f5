// The GPU (OpenCL) delegate against the reference kernels (1 thread):
//  - BM_GpuGemm: a chain of 4 fully_connected layers on [n, n] x [n, n]
//    (n = 256, 1024, 4096; the reference only up to 1024). Inputs and
//    outputs cross the host-device link once per invoke, intermediates stay
//    on the device. Counter GFLOP/s = 4 * 2n^3 / time.
//  - BM_GpuEmbedder: the imported float MobileNetV2-0.35-96 embedder
//    (models/), infer at batch 1 and 16.
//  - BM_GpuW4: W4 (DESIGN.md): the embedder + trainable head 1280->128
//    ReLU->5, Adam, batch 16: infer, and a train step (only the forward
//    runs on the device; gradients and Adam stay on the reference kernels,
//    and the head's weights are re-uploaded after every step).
// The OpenCL device (ATTUNE_OPENCL_DEVICE=gpu|cpu|any) is in the context
// line "opencl_device".
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "benchmark/benchmark.h"
#include "builder/model_builder.h"
#include "delegates/gpu/gpu_delegate.h"
#include "engine/interpreter.h"
#include "importers/tflite/importer.h"
#include "tests/testing/w4_model.h"

namespace attune {
namespace {

// One delegate for every benchmark (its OpenCL program compiles once).
const absl::StatusOr<std::shared_ptr<Delegate>>& Gpu() {
  static const auto* const gpu =
      new absl::StatusOr<std::shared_ptr<Delegate>>(CreateGpuDelegate());
  return *gpu;
}

const bool kDeviceContext = [] {
  benchmark::AddCustomContext(
      "opencl_device", Gpu().ok() ? GpuDeviceDescription(**Gpu())
                                  : std::string(Gpu().status().message()));
  return true;
}();

// Interpreter options with the GPU delegate when `gpu`; false (and an
// error on `state`) when the delegate is unavailable.
bool MakeOptions(benchmark::State& state, bool gpu,
                 InterpreterOptions& options) {
  options.num_threads = 1;
  if (!gpu) return true;
  if (!Gpu().ok()) {
    state.SkipWithError(Gpu().status().ToString().c_str());
    return false;
  }
  options.delegates = {*Gpu()};
  return true;
}

// Runs `runner` untimed once, then timed; errors (including a partition
// that fell back to the reference kernels) end the benchmark.
void Loop(benchmark::State& state, SignatureRunner* runner, bool gpu) {
  if (gpu && !runner->plan().delegation_report().fallbacks.empty()) {
    return state.SkipWithError(
        runner->plan().delegation_report().fallbacks[0].c_str());
  }
  if (!runner->Invoke().ok()) return state.SkipWithError("invoke failed");
  for (auto _ : state) {
    if (!runner->Invoke().ok()) return state.SkipWithError("invoke failed");
  }
}

// range(0): n, range(1): 1 = gpu.
void BM_GpuGemm(benchmark::State& state) {
  const int64_t n = state.range(0);
  const bool gpu = state.range(1) == 1;
  constexpr int kLayers = 4;
  std::mt19937 rng(0);
  // Weights scaled by 1/sqrt(n) keep activations O(1) through the chain.
  std::uniform_real_distribution<float> d(-1.0f / std::sqrt(float(n)),
                                          1.0f / std::sqrt(float(n)));
  std::vector<float> w(static_cast<size_t>(n * n));
  for (float& v : w) v = d(rng);
  ModelBuilder b("gemm chain");
  const int x = b.Input("x", DType::kFloat32, {n, n});
  int h = x;
  for (int l = 0; l < kLayers; ++l) {
    h = b.Op1(OpCode::kFullyConnected,
              {h, b.Constant<float>("w" + std::to_string(l), {n, n}, w)});
  }
  b.AddSignature("infer", {{"x", x}}, {{"y", h}});
  auto model = b.BuildModel();
  if (!model.ok()) return state.SkipWithError("model");
  InterpreterOptions options;
  if (!MakeOptions(state, gpu, options)) return;
  auto interp = Interpreter::Create(*model, options);
  if (!interp.ok()) return state.SkipWithError("interpreter");
  SignatureRunner* runner = *(*interp)->GetSignatureRunner("infer");
  if (!runner->AllocateTensors().ok()) return state.SkipWithError("plan");
  for (float& v : *runner->typed_input<float>("x")) v = d(rng);
  Loop(state, runner, gpu);
  state.SetLabel(gpu ? "gpu" : "reference");
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * kLayers * n * n * n * 1e-9 * state.iterations(),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GpuGemm)
    ->ArgNames({"n", "gpu"})
    ->Args({256, 0})
    ->Args({256, 1})
    ->Args({1024, 0})
    ->Args({1024, 1})
    ->Args({4096, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// models/ under $ATTUNE_SOURCE_DIR when set (a copy of the tree on the GPU
// machine, as scripts/gpu_check sets it), else under the build's tree.
std::vector<uint8_t> ReadEmbedder() {
  const char* root = std::getenv("ATTUNE_SOURCE_DIR");
  std::ifstream in(
      std::string(root != nullptr && *root != '\0' ? root : ATTUNE_SOURCE_DIR) +
          "/models/mobilenet_v2_035_96_embedder.tflite",
      std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void FillUniform(absl::Span<float> x) {
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (float& v : x) v = pixel(rng);
}

// range(0): batch, range(1): 1 = gpu.
void BM_GpuEmbedder(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const bool gpu = state.range(1) == 1;
  auto graph = tflite::ImportTflite(ReadEmbedder());
  if (!graph.ok()) return state.SkipWithError("import");
  auto model = Model::FromGraph(*std::move(graph));
  if (!model.ok()) return state.SkipWithError("model");
  InterpreterOptions options;
  if (!MakeOptions(state, gpu, options)) return;
  auto interp = Interpreter::Create(*model, options);
  if (!interp.ok()) return state.SkipWithError("interpreter");
  SignatureRunner* runner = *(*interp)->GetSignatureRunner("serving_default");
  if (!runner->ResizeInput("keras_layer_input", {batch, 96, 96, 3}).ok() ||
      !runner->AllocateTensors().ok()) {
    return state.SkipWithError("plan");
  }
  FillUniform(*runner->typed_input<float>("keras_layer_input"));
  Loop(state, runner, gpu);
  state.SetLabel(gpu ? "gpu" : "reference");
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(batch) * state.iterations(),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GpuEmbedder)
    ->ArgsProduct({{1, 16}, {0, 1}})
    ->ArgNames({"batch", "gpu"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// range(0): 0 = infer, 1 = train step; range(1): 1 = gpu.
void BM_GpuW4(benchmark::State& state) {
  const bool train = state.range(0) == 1;
  const bool gpu = state.range(1) == 1;
  auto imported = tflite::ImportTflite(ReadEmbedder());
  if (!imported.ok()) return state.SkipWithError("import");
  auto model = testing::W4Model(*imported);
  if (!model.ok()) return state.SkipWithError("model");
  InterpreterOptions options;
  if (!MakeOptions(state, gpu, options)) return;
  auto interp = Interpreter::Create(*model, options);
  if (!interp.ok()) return state.SkipWithError("interpreter");
  SignatureRunner* runner =
      *(*interp)->GetSignatureRunner(train ? "train" : "infer");
  if (!runner->ResizeInput("keras_layer_input", {16, 96, 96, 3}).ok() ||
      (train && !runner->ResizeInput("y", {16}).ok()) ||
      !runner->AllocateTensors().ok()) {
    return state.SkipWithError("plan");
  }
  FillUniform(*runner->typed_input<float>("keras_layer_input"));
  if (train) {
    int32_t label = 0;
    for (int32_t& v : *runner->typed_input<int32_t>("y")) v = label++ % 5;
  }
  const DelegateKernelStats before = runner->plan().delegate_stats();
  Loop(state, runner, gpu);
  const DelegateKernelStats after = runner->plan().delegate_stats();
  state.SetLabel(std::string(train ? "train step" : "infer") +
                 (gpu ? " gpu" : " reference"));
  state.counters["samples/s"] = benchmark::Counter(16.0 * state.iterations(),
                                                   benchmark::Counter::kIsRate);
  state.counters["upload_ms/step"] =
      1e3 * (after.repack_seconds - before.repack_seconds) /
      static_cast<double>(state.iterations() + 1);
}
BENCHMARK(BM_GpuW4)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"train", "gpu"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace attune
