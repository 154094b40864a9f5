// attune bench MODEL --signature S [--batch N] [--iterations N] [--warmup N]
//              [--threads N] [--delegate NAME] [--json]
//
// Feeds random inputs of the signature's dtypes (dynamic dims = --batch;
// float inputs uniform in [0, 1), integer inputs - labels - uniform in
// [0, classes) where classes is the last dim of a `logits` output, else 0),
// runs --warmup untimed Invokes, then times --iterations Invokes and prints
// latency percentiles (nearest rank), peak resident memory (getrusage
// ru_maxrss) and the signature's arena bytes. A `train` signature updates
// the model's variables as it runs.

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "nlohmann/json.hpp"
#include "tools/cli.h"

namespace attune {
namespace cli {
namespace {

struct BenchArgs {
  std::string model;
  std::string signature;
  int64_t batch = 1;
  int64_t iterations = 50;
  int64_t warmup = 3;
  bool json = false;
  RuntimeOptions runtime;
};

// The number of classes for integer label inputs: the last dim of any
// signature's `logits` output, or 1.
int64_t Classes(Interpreter& interpreter) {
  for (const std::string& key : interpreter.signature_keys()) {
    absl::StatusOr<SignatureRunner*> r = interpreter.GetSignatureRunner(key);
    if (!r.ok()) continue;
    absl::StatusOr<Shape> shape = (*r)->declared_output_shape("logits");
    if (shape.ok() && !shape->empty() && shape->back() > 0)
      return shape->back();
  }
  return 1;
}

void Fill(Tensor& t, int64_t classes, std::mt19937_64& rng) {
  auto unit = [&] { return static_cast<float>((rng() >> 40) * 0x1.0p-24); };
  switch (t.dtype) {
    case DType::kFloat32:
      for (float& v : t.span<float>()) v = unit();
      break;
    case DType::kInt32:
      for (int32_t& v : t.span<int32_t>())
        v = static_cast<int32_t>(rng() % classes);
      break;
    case DType::kInt64:
      for (int64_t& v : t.span<int64_t>())
        v = static_cast<int64_t>(rng() % classes);
      break;
    case DType::kBool:
      for (uint8_t& v : t.span<uint8_t>()) v = rng() & 1;
      break;
    default: {
      uint8_t* p = static_cast<uint8_t*>(t.data);
      for (size_t i = 0; i < t.bytes; ++i) p[i] = static_cast<uint8_t>(rng());
    }
  }
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p * sorted.size()));
  rank = std::min(std::max<size_t>(rank, 1), sorted.size());
  return sorted[rank - 1];
}

int RunBench(const BenchArgs& args) {
  absl::StatusOr<std::vector<std::shared_ptr<Delegate>>> delegates =
      MakeDelegates(args.runtime);
  if (!delegates.ok()) return Fail(delegates.status());
  absl::StatusOr<std::shared_ptr<const Model>> model = Model::Load(args.model);
  if (!model.ok()) return Fail(model.status());
  InterpreterOptions options;
  options.num_threads = args.runtime.threads;
  options.delegates = *delegates;
  absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::Create(*model, options);
  if (!interpreter.ok()) return Fail(interpreter.status());
  absl::StatusOr<SignatureRunner*> runner =
      (*interpreter)->GetSignatureRunner(args.signature);
  if (!runner.ok()) return Fail(runner.status());
  SignatureRunner& r = **runner;
  for (const std::string& name : r.input_names()) {
    absl::StatusOr<Shape> declared = r.declared_input_shape(name);
    if (!declared.ok()) return Fail(declared.status());
    Shape shape = *declared;
    for (int64_t& d : shape) {
      if (d < 0) d = args.batch;
    }
    if (absl::Status s = r.ResizeInput(name, shape); !s.ok()) return Fail(s);
  }
  if (absl::Status s = r.AllocateTensors(); !s.ok()) return Fail(s);
  WarnDelegateFallbacks(r);
  const int64_t classes = Classes(**interpreter);
  std::mt19937_64 rng(0);
  for (const std::string& name : r.input_names()) {
    absl::StatusOr<Tensor*> t = r.input(name);
    if (!t.ok()) return Fail(t.status());
    Fill(**t, classes, rng);
  }

  using Clock = std::chrono::steady_clock;
  for (int64_t i = 0; i < args.warmup; ++i) {
    if (absl::Status s = r.Invoke(); !s.ok()) return Fail(s);
  }
  std::vector<double> ms;
  ms.reserve(args.iterations);
  for (int64_t i = 0; i < args.iterations; ++i) {
    const Clock::time_point start = Clock::now();
    absl::Status s = r.Invoke();
    const Clock::time_point end = Clock::now();
    if (!s.ok()) return Fail(s);
    ms.push_back(
        std::chrono::duration<double, std::milli>(end - start).count());
  }
  double mean = 0;
  for (double v : ms) mean += v;
  mean /= static_cast<double>(ms.size());
  std::vector<double> sorted = ms;
  std::sort(sorted.begin(), sorted.end());
  struct rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  const int64_t peak_rss = static_cast<int64_t>(usage.ru_maxrss) * 1024;  // KiB

  if (args.json) {
    nlohmann::json j;
    j["model"] = args.model;
    j["signature"] = args.signature;
    j["batch"] = args.batch;
    j["threads"] = args.runtime.threads;
    j["iterations"] = args.iterations;
    j["warmup"] = args.warmup;
    j["latency_ms"] = {
        {"p50", Percentile(sorted, 0.50)}, {"p90", Percentile(sorted, 0.90)},
        {"p99", Percentile(sorted, 0.99)}, {"mean", mean},
        {"min", sorted.front()},           {"max", sorted.back()}};
    j["peak_rss_bytes"] = peak_rss;
    j["arena_bytes"] = r.arena_bytes();
    std::cout << j.dump(2) << std::endl;
    return kExitOk;
  }
  std::cout << absl::StrFormat(
      "%s signature \"%s\": batch %d, %d thread(s), %d iterations after %d "
      "warm-up\n",
      args.model, args.signature, args.batch, args.runtime.threads,
      args.iterations, args.warmup);
  std::cout << absl::StrFormat(
      "  latency ms  p50 %.3f  p90 %.3f  p99 %.3f  mean %.3f  min %.3f  max "
      "%.3f\n",
      Percentile(sorted, 0.50), Percentile(sorted, 0.90),
      Percentile(sorted, 0.99), mean, sorted.front(), sorted.back());
  std::cout << absl::StrFormat("  peak resident memory  %.1f MiB\n",
                               peak_rss / (1024.0 * 1024.0));
  std::cout << absl::StrFormat("  arena  %d bytes\n", r.arena_bytes());
  return kExitOk;
}

}  // namespace

void AddBenchCommand(CLI::App& app, std::vector<Command>& commands) {
  auto args = std::make_shared<BenchArgs>();
  CLI::App* sub = app.add_subcommand(
      "bench", "Latency and peak memory of one signature on random inputs");
  sub->add_option("model", args->model, "Model file")->required();
  sub->add_option("-s,--signature", args->signature, "Signature to time")
      ->required();
  sub->add_option("--batch", args->batch, "Size of dynamic dims (default 1)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--iterations", args->iterations,
                  "Timed Invokes (default 50)")
      ->check(CLI::PositiveNumber);
  sub->add_option("--warmup", args->warmup, "Untimed Invokes first (default 3)")
      ->check(CLI::NonNegativeNumber);
  sub->add_flag("--json", args->json, "Print JSON");
  AddRuntimeOptions(sub, args->runtime);
  commands.push_back({sub, [args] { return RunBench(*args); }});
}

}  // namespace cli
}  // namespace attune
