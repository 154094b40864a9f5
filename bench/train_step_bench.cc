// Train-step time of the standard workloads W0-W3 (examples/specs) at 1 and
// 2 threads: ms per step, samples/s, and the planned `train` arena bytes.
// Inputs are random (labels in range); weights change every step, as in
// real training.

#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "benchmark/benchmark.h"
#include "builder/spec.h"
#include "engine/interpreter.h"

namespace attune {
namespace {

struct Workload {
  const char* spec;
  int batch;     // the workload's standard batch (DESIGN.md)
  int classes;
};

constexpr Workload kWorkloads[] = {
    {"w0_tflite_tutorial.json", 100, 10},
    {"w1_mlp.json", 64, 10},
    {"w2_cnn.json", 32, 10},
    {"w3_head.json", 32, 5},
};

void BM_TrainStep(benchmark::State& state) {
  const Workload& w = kWorkloads[state.range(0)];
  std::ifstream file(std::string(ATTUNE_SOURCE_DIR) + "/examples/specs/" +
                     w.spec);
  std::stringstream text;
  text << file.rdbuf();
  auto graph = CompileSpec(text.str());
  if (!graph.ok()) return state.SkipWithError(graph.status().ToString().c_str());
  auto model = Model::FromGraph(*std::move(graph));
  if (!model.ok()) return state.SkipWithError(model.status().ToString().c_str());
  InterpreterOptions options;
  options.num_threads = static_cast<int>(state.range(1));
  auto interpreter = Interpreter::Create(*model, options);
  if (!interpreter.ok()) {
    return state.SkipWithError(interpreter.status().ToString().c_str());
  }
  SignatureRunner* train = *(*interpreter)->GetSignatureRunner("train");
  const std::string input = train->input_names()[0];
  Shape shape = *train->declared_input_shape(input);
  shape[0] = w.batch;
  if (!train->ResizeInput(input, shape).ok() ||
      !train->ResizeInput("y", {w.batch}).ok() ||
      !train->AllocateTensors().ok()) {
    return state.SkipWithError("cannot plan train");
  }
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (float& v : *train->typed_input<float>(input)) v = pixel(rng);
  for (int32_t& v : *train->typed_input<int32_t>("y")) {
    v = static_cast<int32_t>(rng() % w.classes);
  }
  for (auto _ : state) {
    if (!train->Invoke().ok()) return state.SkipWithError("invoke failed");
  }
  state.SetLabel(w.spec);
  state.counters["samples/s"] = benchmark::Counter(
      static_cast<double>(w.batch) * state.iterations(),
      benchmark::Counter::kIsRate);
  state.counters["arena_bytes"] = static_cast<double>(train->arena_bytes());
}

BENCHMARK(BM_TrainStep)
    ->ArgsProduct({{0, 1, 2, 3}, {1, 2}})
    ->ArgNames({"workload", "threads"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace attune
