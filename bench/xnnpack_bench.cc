// W2 and W4 `infer` and `train` step with and without the XNNPACK delegate
// at 1 and 2 threads, plus the delegate's re-pack cost per step (a train
// step writes the weights the forward partitions packed, so they are
// re-packed at the next run; frozen weights never are).
//
// W4 here is a STAND-IN: a MobileNetV2-0.35-like frozen backbone written as
// a spec (examples/specs/w4_transfer_standin.json: conv 3x3 s2, inverted
// bottleneck blocks of 1x1 expand / 3x3 depthwise / 1x1 project with relu6,
// no residual adds, 1x1 conv to 1280, global average pooling) with the
// trainable head 1280->128->5, batch 16, Adam; its weights are random.
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"
#include "builder/spec.h"
#include "delegates/xnnpack/xnnpack_delegate.h"
#include "engine/interpreter.h"

namespace attune {
namespace {

struct Workload {
  const char* spec;
  int batch;
  int classes;
};

constexpr Workload kWorkloads[] = {
    {"w2_cnn.json", 32, 10},
    {"w4_transfer_standin.json", 16, 5},
};

// Fills x (and y) of `runner` with seeded random data.
bool FillInputs(SignatureRunner* runner, const Workload& w, bool labels) {
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  auto x = runner->typed_input<float>("x");
  if (!x.ok()) return false;
  for (float& v : *x) v = pixel(rng);
  if (!labels) return true;
  auto y = runner->typed_input<int32_t>("y");
  if (!y.ok()) return false;
  for (int32_t& v : *y) v = static_cast<int32_t>(rng() % w.classes);
  return true;
}

// range(0): workload, range(1): threads, range(2): 1 = xnnpack,
// range(3): 0 = infer, 1 = train step, 2 = infer right after a train step
// (the train step untimed: shows the re-pack `infer` pays for new weights).
void BM_Xnnpack(benchmark::State& state) {
  const Workload& w = kWorkloads[state.range(0)];
  const bool xnnpack = state.range(2) == 1;
  const bool train = state.range(3) == 1;
  const bool after_train = state.range(3) == 2;
  std::ifstream file(std::string(ATTUNE_SOURCE_DIR) + "/examples/specs/" +
                     w.spec);
  std::stringstream text;
  text << file.rdbuf();
  auto graph = CompileSpec(text.str());
  if (!graph.ok())
    return state.SkipWithError(graph.status().ToString().c_str());
  auto model = Model::FromGraph(*std::move(graph));
  if (!model.ok())
    return state.SkipWithError(model.status().ToString().c_str());
  InterpreterOptions options;
  options.num_threads = static_cast<int>(state.range(1));
  if (xnnpack) {
    auto delegate = CreateXnnpackDelegate();
    if (!delegate.ok()) {
      return state.SkipWithError(delegate.status().ToString().c_str());
    }
    options.delegates = {*delegate};
  }
  auto interpreter = Interpreter::Create(*model, options);
  if (!interpreter.ok()) {
    return state.SkipWithError(interpreter.status().ToString().c_str());
  }
  SignatureRunner* runner =
      *(*interpreter)->GetSignatureRunner(train ? "train" : "infer");
  Shape shape = *runner->declared_input_shape("x");
  shape[0] = w.batch;
  if (!runner->ResizeInput("x", shape).ok() ||
      (train && !runner->ResizeInput("y", {w.batch}).ok()) ||
      !runner->AllocateTensors().ok()) {
    return state.SkipWithError("cannot plan");
  }
  if (!FillInputs(runner, w, train)) return state.SkipWithError("inputs");
  SignatureRunner* trainer = nullptr;
  if (after_train) {
    trainer = *(*interpreter)->GetSignatureRunner("train");
    if (!trainer->ResizeInput("x", shape).ok() ||
        !trainer->ResizeInput("y", {w.batch}).ok() ||
        !trainer->AllocateTensors().ok() || !FillInputs(trainer, w, true)) {
      return state.SkipWithError("cannot plan train");
    }
  }
  if (!runner->Invoke().ok()) return state.SkipWithError("invoke failed");
  const DelegateKernelStats before = runner->plan().delegate_stats();
  for (auto _ : state) {
    if (trainer != nullptr) {
      state.PauseTiming();
      const bool ok = trainer->Invoke().ok();
      state.ResumeTiming();
      if (!ok) return state.SkipWithError("train failed");
    }
    if (!runner->Invoke().ok()) return state.SkipWithError("invoke failed");
  }
  const DelegateKernelStats after = runner->plan().delegate_stats();
  state.SetLabel(std::string(w.spec) +
                 (train         ? " train"
                  : after_train ? " infer after train"
                                : " infer") +
                 (xnnpack ? " xnnpack" : " reference"));
  state.counters["samples/s"] =
      benchmark::Counter(static_cast<double>(w.batch) * state.iterations(),
                         benchmark::Counter::kIsRate);
  state.counters["arena_bytes"] = static_cast<double>(runner->arena_bytes());
  state.counters["repack_ms/step"] =
      1e3 * (after.repack_seconds - before.repack_seconds) /
      static_cast<double>(state.iterations());
}

BENCHMARK(BM_Xnnpack)
    ->ArgsProduct({{0, 1}, {1, 2}, {0, 1}, {0, 1, 2}})
    ->ArgNames({"workload", "threads", "xnnpack", "train"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace attune
