// Runs the built `attune` binary (ATTUNE_CLI_PATH) in a temporary directory
// and checks its outputs, files and exit codes.

#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "data/npy.h"
#include "engine/kernels/registry.h"
#include "engine/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "checkpoint/store.h"
#include "nlohmann/json.hpp"
#include "variables/initializers.h"
#include "tests/tools/cli_test_base.h"
#include "tests/training/test_models.h"

namespace attune {
namespace {

// Makes `--delegate gpu` fail the same way on every machine (with or
// without an OpenCL device) while it lives: the child processes inherit
// a bad ATTUNE_OPENCL_DEVICE.
constexpr char kBadOpenClDevice[] =
    "ATTUNE_OPENCL_DEVICE: gpu: OpenCL device kind \"tpu\" is not gpu, cpu "
    "or any";
struct ScopedBadOpenClDevice {
  ScopedBadOpenClDevice() { setenv("ATTUNE_OPENCL_DEVICE", "tpu", 1); }
  ~ScopedBadOpenClDevice() { unsetenv("ATTUNE_OPENCL_DEVICE"); }
};

using ::testing::HasSubstr;
using ::testing::StartsWith;

using Result = CliResult;

class CliTest : public CliTestBase {};

// Two dense layers: runs with the kernels this build always has.
constexpr char kTinySpec[] = R"({
  "name": "tiny",
  "inputs": [{"name": "x", "shape": [-1, 3], "dtype": "float32"}],
  "layers": [
    {"type": "dense", "name": "dense_a", "units": 4, "activation": "relu"},
    {"type": "dense", "name": "dense_b", "units": 2}
  ],
  "seed": 5
})";

// The initial values of variable `name` (weights are resource variables,
// initialized by InitializeFloats from their recorded initializer and seed).
std::vector<float> Constant(const Graph& g, const std::string& name) {
  for (const VariableInfo& v : g.variables) {
    if (v.name != name) continue;
    std::vector<float> values(NumElements(v.shape));
    EXPECT_TRUE(InitializeFloats(v.initializer, v.seed, v.shape,
                                 absl::MakeSpan(values))
                    .ok());
    return values;
  }
  ADD_FAILURE() << "no variable " << name;
  return {};
}

TEST_F(CliTest, CompileInfoRunRoundTrip) {
  Write("tiny.json", kTinySpec);
  Result r = Attune("compile tiny.json -o tiny.attune");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("compiled tiny.json -> tiny.attune"));
  EXPECT_EQ(r.err, "");

  r = Attune("info tiny.attune");
  ASSERT_EQ(r.code, 0) << r.err;
  // 4 read_variable nodes (the weights) + 2 fully_connected.
  EXPECT_THAT(r.out, HasSubstr("signature \"infer\" (6 nodes, arena "));
  EXPECT_THAT(r.out, HasSubstr("  input   x       float32  [-1,3]\n"));
  EXPECT_THAT(r.out, HasSubstr("  output  logits  float32  [-1,2]\n"));
  EXPECT_THAT(r.out, HasSubstr("dense_a/kernel  float32  [3,4]  trainable  "
                               "glorot_uniform"));
  EXPECT_THAT(r.out, HasSubstr("  fully_connected     2\n"));
  EXPECT_THAT(r.out, HasSubstr("  input   path           string  []\n"));
  EXPECT_THAT(r.out, HasSubstr("  output  checkpoint_id  int64   []\n"));
  EXPECT_THAT(r.out, HasSubstr("attune.spec"));

  r = Attune("info tiny.attune --json --threads 2");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["description"], "tiny");
  EXPECT_EQ(j["threads"], 2);
  ASSERT_EQ(j["signatures"].size(), 3u);  // infer, save, restore
  EXPECT_EQ(j["signatures"][1]["key"], "save");
  EXPECT_EQ(j["signatures"][2]["key"], "restore");
  const nlohmann::json& sig = j["signatures"][0];
  EXPECT_EQ(sig["key"], "infer");
  EXPECT_EQ(sig["inputs"][0]["name"], "x");
  EXPECT_EQ(sig["inputs"][0]["dtype"], "float32");
  EXPECT_EQ(sig["inputs"][0]["shape"], nlohmann::json::array({-1, 3}));
  EXPECT_EQ(sig["outputs"][0]["name"], "logits");
  EXPECT_EQ(sig["outputs"][0]["shape"], nlohmann::json::array({-1, 2}));
  ASSERT_TRUE(sig["arena_bytes"].is_number_unsigned()) << sig.dump();
  EXPECT_GT(sig["arena_bytes"].get<uint64_t>(), 0u);
  ASSERT_EQ(j["variables"].size(), 4u);
  EXPECT_EQ(j["variables"][0]["name"], "dense_a/kernel");
  EXPECT_EQ(j["variables"][0]["shape"], nlohmann::json::array({3, 4}));
  EXPECT_EQ(j["variables"][1]["initializer"], "zeros");
  EXPECT_EQ(j["parameters"], 3 * 4 + 4 + 4 * 2 + 2);
  EXPECT_EQ(j["ops"]["fully_connected"], 2);
  EXPECT_EQ(j["metadata"]["attune.spec"], kTinySpec);

  // Batch 2 input written by the test.
  const std::vector<float> x = {0.5f, -1.0f, 2.0f, -0.25f, 0.75f, 1.5f};
  absl::StatusOr<Array> input = Array::From<float>({2, 3}, absl::MakeConstSpan(x));
  ASSERT_TRUE(input.ok());
  ASSERT_TRUE(WriteNpy(dir_ + "/x.npy", *input).ok());
  r = Attune("run tiny.attune --signature infer --input x=x.npy --output-dir out");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("logits: float32 [2,2] -> out/logits.npy  min "));
  absl::StatusOr<Array> logits = ReadNpy(dir_ + "/out/logits.npy");
  ASSERT_TRUE(logits.ok()) << logits.status();
  ASSERT_EQ(logits->dtype, ArrayDType::kFloat32);
  ASSERT_EQ(logits->shape, Shape({2, 2}));

  // Expected values from the model's own constants, in double precision.
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::Load(dir_ + "/tiny.attune");
  ASSERT_TRUE(model.ok()) << model.status();
  const Graph& g = (*model)->graph();
  const std::vector<float> wa = Constant(g, "dense_a/kernel");
  const std::vector<float> ba = Constant(g, "dense_a/bias");
  const std::vector<float> wb = Constant(g, "dense_b/kernel");
  const std::vector<float> bb = Constant(g, "dense_b/bias");
  for (int i = 0; i < 2; ++i) {
    double h[4];
    for (int j = 0; j < 4; ++j) {
      double acc = ba[j];
      for (int k = 0; k < 3; ++k) acc += double{x[i * 3 + k]} * wa[k * 4 + j];
      h[j] = std::max(acc, 0.0);
    }
    for (int j = 0; j < 2; ++j) {
      double acc = bb[j];
      for (int k = 0; k < 4; ++k) acc += h[k] * wb[k * 2 + j];
      EXPECT_NEAR(logits->values<float>()[i * 2 + j], acc, 1e-5)
          << "row " << i << " col " << j;
    }
  }

  // Another batch size re-plans; the default signature is infer and the
  // default output directory is the working directory.
  absl::StatusOr<Array> one = Array::From<float>({1, 3}, {1.0f, 2.0f, 3.0f});
  ASSERT_TRUE(WriteNpy(dir_ + "/one.npy", *one).ok());
  r = Attune("run tiny.attune -i x=one.npy");
  ASSERT_EQ(r.code, 0) << r.err;
  absl::StatusOr<Array> single = ReadNpy(dir_ + "/logits.npy");
  ASSERT_TRUE(single.ok());
  EXPECT_EQ(single->shape, Shape({1, 2}));
}

TEST_F(CliTest, SaveAndRestoreSignaturesTakeTheirPathAsText) {
  Write("tiny.json", kTinySpec);
  ASSERT_EQ(Attune("compile tiny.json -o tiny.attune").code, 0);
  Result r = Attune(
      "run tiny.attune --signature save --input path=@user.db -d out");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("checkpoint_id: int64 [] -> out/"));
  absl::StatusOr<Array> id = ReadNpy(dir_ + "/out/checkpoint_id.npy");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(id->values<int64_t>()[0], 1);
  r = Attune("run tiny.attune -s restore -i path=@user.db -d out");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, StartsWith("step: int64 [] -> out/step.npy"));
  // Errors: a file for a string input, text for a float one, a bad path.
  r = Attune("run tiny.attune -s save -i path=user.db");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("input \"path\" is a string: give --input "
                               "path=@TEXT"));
  r = Attune("run tiny.attune -i x=@hello");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("input \"x\" is float32, not a string"));
  r = Attune("run tiny.attune -s restore -i path=@missing.db");
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("restore_checkpoint node"));
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
}

TEST_F(CliTest, ExitCodesAndOneLineErrors) {
  ScopedBadOpenClDevice bad_device;
  Write("tiny.json", kTinySpec);
  ASSERT_EQ(Attune("compile tiny.json -o tiny.attune").code, 0);
  absl::StatusOr<Array> x = Array::From<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(WriteNpy(dir_ + "/x.npy", *x).ok());
  absl::StatusOr<Array> xi = Array::From<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  ASSERT_TRUE(WriteNpy(dir_ + "/xi.npy", *xi).ok());
  absl::StatusOr<Array> x4 = Array::From<float>({1, 4}, {1, 2, 3, 4});
  ASSERT_TRUE(WriteNpy(dir_ + "/x4.npy", *x4).ok());
  Write("bad_spec.json",
        R"({"inputs": [{"name": "x", "shape": [-1, 3]}],
            "layers": [{"type": "dense", "name": "d1"}]})");
  Write("not_a_model", "hello");

  struct Case {
    std::string args;
    int code;
    std::string message;  // in stderr
  };
  const std::vector<Case> cases = {
      // Runtime failures: exit 1, one line "attune: ...".
      {"compile missing.json -o m.attune", 1, "missing.json"},
      {"compile bad_spec.json -o m.attune", 1,
       "layer #0 (\"d1\", dense): field \"units\": is required"},
      {"info missing.attune", 1, "missing.attune"},
      {"info not_a_model", 1, "not_a_model"},
      {"info tiny.attune --delegate gpu", 1, kBadOpenClDevice},
      {"run missing.attune --input x=x.npy", 1, "missing.attune"},
      {"run tiny.attune --input x=nope.npy", 1, "nope.npy"},
      {"run tiny.attune --input x=xi.npy", 1,
       "input \"x\" is float32 but xi.npy holds int32"},
      {"run tiny.attune --input x=x4.npy", 1, ""},
      {"run tiny.attune", 1, "needs input \"x\""},
      {"run tiny.attune --input y=x.npy", 1, "needs input \"x\""},
      {"run tiny.attune --input x=x.npy --input y=x.npy", 1,
       "has no input \"y\" (inputs: x)"},
      {"run tiny.attune --signature train --input x=x.npy", 1, "train"},
      {"run tiny.attune --input x=x.npy --checkpoint not_a_model", 1,
       "checkpoint database \"not_a_model\""},
      {"run tiny.attune --input x=x.npy --delegate gpu", 1, kBadOpenClDevice},
      {"run tiny.attune --input x=x.npy --delegate tpu", 2, "--delegate"},
      // Usage errors: exit 2.
      {"", 2, "subcommand is required"},
      {"frobnicate", 2, "frobnicate"},
      {"compile tiny.json", 2, "--output"},
      {"compile", 2, "spec"},
      {"info", 2, "model"},
      {"info tiny.attune --bogus", 2, "--bogus"},
      {"info tiny.attune --threads 0", 2, "--threads"},
      {"run tiny.attune --input x", 2, "NAME=FILE.npy"},
      {"run tiny.attune --input x=x.npy --input x=x.npy", 2, "more than once"},
      {"run tiny.attune --threads abc --input x=x.npy", 2, "--threads"},
  };
  for (const Case& c : cases) {
    Result r = Attune(c.args);
    EXPECT_EQ(r.code, c.code) << "attune " << c.args << "\n" << r.err;
    EXPECT_THAT(r.err, StartsWith("attune: ")) << c.args;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.args;
    if (c.code == 1) {
      // One line.
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << c.args << ": " << r.err;
    }
  }
}

TEST_F(CliTest, HelpOnEveryCommand) {
  for (const std::string cmd :
       {"", "compile ", "info ", "run ", "fit ", "bench "}) {
    Result r = Attune(cmd + "--help");
    EXPECT_EQ(r.code, 0) << cmd;
    EXPECT_THAT(r.out, HasSubstr("Usage: attune")) << cmd;
    EXPECT_EQ(r.err, "") << cmd;
  }
  EXPECT_THAT(Attune("run --help").out, HasSubstr("--output-dir"));
  EXPECT_THAT(Attune("info --help").out, HasSubstr("--json"));
  EXPECT_THAT(Attune("--help").out, HasSubstr("compile"));
  EXPECT_THAT(Attune("--help").out, HasSubstr("fit"));
  EXPECT_THAT(Attune("fit --help").out, HasSubstr("--batch-size"));
  EXPECT_THAT(Attune("fit --help").out, HasSubstr("--no-shuffle"));
  EXPECT_THAT(Attune("bench --help").out, HasSubstr("--iterations"));
}

TEST_F(CliTest, W0InfoWithoutKernelsAndRunWithThem) {
  const std::string spec = std::string(ATTUNE_SOURCE_DIR) +
                           "/examples/specs/w0_tflite_tutorial.json";
  Result r = Attune("compile '" + spec + "' -o w0.attune");
  ASSERT_EQ(r.code, 0) << r.err;
  // info works even when some op has no kernel yet.
  r = Attune("info w0.attune --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded());
  EXPECT_EQ(j["variables"][0]["shape"], nlohmann::json::array({784, 128}));
  EXPECT_EQ(j["signatures"][0]["outputs"][1]["name"], "probabilities");
  if (FindKernel(OpCode::kReshape) == nullptr ||
      FindKernel(OpCode::kSoftmax) == nullptr) {
    EXPECT_TRUE(j["signatures"][0]["arena_bytes"].is_null());
    EXPECT_THAT(j["signatures"][0]["plan_error"].get<std::string>(),
                HasSubstr("kernel"));
    GTEST_SKIP() << "running W0 needs the reshape and softmax kernels";
  }
  std::vector<float> x(4 * 28 * 28);
  for (size_t i = 0; i < x.size(); ++i) x[i] = (i % 17) / 16.0f;
  ASSERT_TRUE(
      WriteNpy(dir_ + "/x.npy", *Array::From<float>({4, 28, 28}, absl::MakeConstSpan(x)))
          .ok());
  r = Attune("run w0.attune --signature infer --input x=x.npy --output-dir o "
             "--threads 2");
  ASSERT_EQ(r.code, 0) << r.err;
  absl::StatusOr<Array> p = ReadNpy(dir_ + "/o/probabilities.npy");
  ASSERT_TRUE(p.ok()) << p.status();
  ASSERT_EQ(p->shape, Shape({4, 10}));
  for (int i = 0; i < 4; ++i) {
    double sum = 0;
    for (int c = 0; c < 10; ++c) sum += p->values<float>()[i * 10 + c];
    EXPECT_NEAR(sum, 1.0, 1e-5);
  }
}

// fit and bench on the hand-built classifier of tests/training (train,
// eval, infer, accumulate, apply_gradients signatures).
class FitCliTest : public CliTest {
 protected:
  void SetUp() override {
    CliTest::SetUp();
    auto graph = testing::BuildClassifierGraph({});
    ASSERT_TRUE(graph.ok()) << graph.status();
    ASSERT_TRUE(WriteModelFile(*graph, dir_ + "/cls.attune").ok());
    WriteData("x.npy", "y.npy", 40, 1, -1);
    WriteData("vx.npy", "vy.npy", 20, 2, -1);
    WriteData("nanx.npy", "nany.npy", 20, 3, 5);
    std::string csv = "a,b,label\n";
    const std::vector<float> x = Features(40, 1, -1);
    for (int i = 0; i < 40; ++i) {
      absl::StrAppend(&csv, x[2 * i], ",", x[2 * i + 1], ",",
                      x[2 * i] + x[2 * i + 1] > 0 ? 1 : 0, "\n");
    }
    Write("data.csv", csv);
  }

  // n points of a separable 2-class task (label: x0 + x1 > 0).
  static std::vector<float> Features(int n, int seed, int nan_at) {
    std::vector<float> x(2 * n);
    for (int i = 0; i < n; ++i) {
      x[2 * i] = std::sin(1.7f * i + seed);
      x[2 * i + 1] = std::cos(2.3f * i + 3 * seed) * 0.5f;
    }
    if (nan_at >= 0) x[2 * nan_at] = std::nanf("");
    return x;
  }

  void WriteData(const std::string& xs, const std::string& ys, int n, int seed,
                 int nan_at) {
    const std::vector<float> x = Features(n, seed, nan_at);
    std::vector<int32_t> y(n);
    for (int i = 0; i < n; ++i) y[i] = x[2 * i] + x[2 * i + 1] > 0 ? 1 : 0;
    ASSERT_TRUE(WriteNpy(dir_ + "/" + xs,
                         *Array::From<float>({n, 2}, absl::MakeConstSpan(x)))
                    .ok());
    ASSERT_TRUE(WriteNpy(dir_ + "/" + ys,
                         *Array::From<int32_t>({n}, absl::MakeConstSpan(y)))
                    .ok());
  }
};

TEST_F(FitCliTest, TrainsWithValidationLogAndWeights) {
  Result r = Attune(
      "fit cls.attune --x x.npy --y y.npy --val-x vx.npy --val-y vy.npy "
      "--batch-size 8 --epochs 3 --seed 1 --learning-rate 0.5 --log log.csv "
      "--save-weights w");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("epoch 1/3  loss "));
  EXPECT_THAT(r.out, HasSubstr("epoch 3/3  loss "));
  EXPECT_THAT(r.out, HasSubstr("val_accuracy"));
  EXPECT_THAT(r.out, HasSubstr("trained 15 steps (120 samples)"));
  EXPECT_THAT(r.out, HasSubstr("validation accuracy "));
  const std::string log = Slurp(dir_ + "/log.csv");
  EXPECT_THAT(log, StartsWith("step,epoch,loss\n1,1,"));
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 16);
  absl::StatusOr<Array> before = ReadNpy(dir_ + "/w/initial/dense__kernel.npy");
  absl::StatusOr<Array> after = ReadNpy(dir_ + "/w/dense__kernel.npy");
  ASSERT_TRUE(before.ok()) << before.status();
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(after->shape, Shape({2, 2}));
  EXPECT_NE(before->bytes, after->bytes);
  absl::StatusOr<Array> lr = ReadNpy(dir_ + "/w/optimizer__learning_rate.npy");
  ASSERT_TRUE(lr.ok());
  EXPECT_FLOAT_EQ(lr->values<float>()[0], 0.5f);

  // Same seed, same log; the stdout of a non-TTY run has no progress bar.
  ASSERT_EQ(Attune("fit cls.attune --x x.npy --y y.npy --batch-size 8 "
                   "--epochs 3 --seed 1 --learning-rate 0.5 --log log2.csv")
                .code,
            0);
  const std::string log2 = Slurp(dir_ + "/log2.csv");
  EXPECT_EQ(log, log2);
  EXPECT_EQ(r.err, "");

  // Snapshots after every 5th step; the last equals the final weights.
  ASSERT_EQ(Attune("fit cls.attune --x x.npy --y y.npy --batch-size 8 "
                   "--epochs 3 --seed 1 --learning-rate 0.5 "
                   "--save-weights s --save-weights-every 5")
                .code,
            0);
  absl::StatusOr<Array> step5 = ReadNpy(dir_ + "/s/step_5/dense__kernel.npy");
  absl::StatusOr<Array> step15 =
      ReadNpy(dir_ + "/s/step_15/dense__kernel.npy");
  absl::StatusOr<Array> final = ReadNpy(dir_ + "/s/dense__kernel.npy");
  ASSERT_TRUE(step5.ok() && step15.ok() && final.ok());
  EXPECT_NE(step5->bytes, step15->bytes);
  EXPECT_EQ(step15->bytes, final->bytes);
  EXPECT_EQ(step15->bytes, after->bytes);  // same seed as the first run
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/s/step_4"));
  EXPECT_TRUE(std::filesystem::exists(dir_ + "/s/step_10/optimizer__step.npy"));
}

// fit --delegate xnnpack trains to the same weights as the reference
// kernels (within 1e-5) and bench takes the delegate too.
TEST_F(FitCliTest, FitAndBenchWithXnnpack) {
  const std::string base =
      "fit cls.attune --x x.npy --y y.npy --batch-size 8 --epochs 3 --seed 1 "
      "--learning-rate 0.5 ";
  Result r = Attune(base + "--save-weights ref");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Attune(base + "--save-weights xnn --delegate xnnpack");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  absl::StatusOr<Array> a = ReadNpy(dir_ + "/ref/dense__kernel.npy");
  absl::StatusOr<Array> b = ReadNpy(dir_ + "/xnn/dense__kernel.npy");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->shape, b->shape);
  for (int64_t i = 0; i < a->num_elements(); ++i) {
    EXPECT_NEAR(b->values<float>()[i], a->values<float>()[i], 1e-5);
  }
  r = Attune("bench cls.attune --signature infer --delegate xnnpack --json");
  ASSERT_EQ(r.code, 0) << r.err;
}

TEST_F(FitCliTest, CsvValSplitScheduleJsonlAccumulate) {
  Result r = Attune(
      "fit cls.attune --x data.csv --y data.csv --label-column label "
      "--val-split 0.25 --batch-size 5 --epochs 2 --no-shuffle "
      "--schedule cosine:10,warmup:2 --learning-rate 0.3 --log log.jsonl "
      "--accumulate 2 --threads 2");
  ASSERT_EQ(r.code, 0) << r.err;
  // 30 training samples: 6 batches of 5, 3 steps of 2 per epoch.
  EXPECT_THAT(r.out, HasSubstr("trained 6 steps (60 samples)"));
  EXPECT_THAT(r.out, HasSubstr("validation accuracy"));
  const std::string log = Slurp(dir_ + "/log.jsonl");
  std::stringstream lines(log);
  std::string line;
  int rows = 0;
  while (std::getline(lines, line)) {
    nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_FALSE(j.is_discarded()) << line;
    EXPECT_EQ(j["step"], rows + 1);
    EXPECT_TRUE(j["loss"].is_number());
    ++rows;
  }
  EXPECT_EQ(rows, 6);
  r = Attune("fit cls.attune --x x.npy --y y.npy --batch-size 8 --epochs 10 "
             "--steps 4");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("trained 4 steps (32 samples), stopped at"));
}

TEST_F(FitCliTest, CheckpointRestoresLatestAndSavesAtTheEnd) {
  const std::string args =
      "fit cls.attune --x x.npy --y y.npy --batch-size 8 --epochs 2 "
      "--checkpoint user.db";
  Result r = Attune(args);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("restored")));
  EXPECT_THAT(r.out, HasSubstr("saved checkpoint 1 (step 10) to user.db"));
  r = Attune(args + " --save-weights w");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("restored checkpoint 1 (step 10) from user.db"));
  EXPECT_THAT(r.out, HasSubstr("saved checkpoint 2 (step 20) to user.db"));

  auto store = CheckpointStore::Open(dir_ + "/user.db");
  ASSERT_TRUE(store.ok()) << store.status();
  auto latest = (*store)->Find("latest");
  ASSERT_TRUE(latest.ok()) << latest.status();
  EXPECT_EQ(latest->step, 20);
  EXPECT_EQ(std::get<int64_t>(latest->properties.at("epoch")), 4);
  EXPECT_EQ(std::get<int64_t>(latest->properties.at("step")), 20);
  EXPECT_TRUE(std::holds_alternative<double>(latest->properties.at("loss")));
  EXPECT_TRUE(
      std::holds_alternative<double>(latest->properties.at("accuracy")));
  // Stored under the exact variable names, equal to the weights written.
  auto kernel = (*store)->ReadTensors(latest->id, {"dense/kernel"});
  ASSERT_TRUE(kernel.ok()) << kernel.status();
  absl::StatusOr<Array> npy = ReadNpy(dir_ + "/w/dense__kernel.npy");
  ASSERT_TRUE(npy.ok()) << npy.status();
  EXPECT_EQ((*kernel)[0].data, npy->bytes);
}

TEST_F(FitCliTest, RunWithCheckpointRestoresAndSaves) {
  ASSERT_EQ(Attune("fit cls.attune --x x.npy --y y.npy --batch-size 8 "
                   "--epochs 1 --checkpoint user.db")
                .code,
            0);
  Result r = Attune("run cls.attune --signature train --input x=x.npy "
                    "--input y=y.npy --checkpoint user.db");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("restored checkpoint 1 (step 5) from user.db"));
  EXPECT_THAT(r.out, HasSubstr("saved checkpoint 2 (step 6) to user.db"));
}

TEST_F(FitCliTest, FitExitCodes) {
  ScopedBadOpenClDevice bad_device;
  Write("tiny.json", kTinySpec);
  ASSERT_EQ(Attune("compile tiny.json -o tiny.attune").code, 0);
  // A checkpoint of another model.
  ASSERT_EQ(Attune("fit cls.attune --x x.npy --y y.npy --batch-size 8 "
                   "--epochs 1 --checkpoint other.db")
                .code,
            0);
  struct Case {
    std::string args;
    int code;
    std::string message;
  };
  const std::string base = "--batch-size 4 --epochs 1";
  const std::vector<Case> cases = {
      {"fit cls.attune --x nope.npy --y y.npy " + base, 1, "nope.npy"},
      {"fit missing.attune --x x.npy --y y.npy " + base, 1, "missing.attune"},
      {"fit tiny.attune --x x.npy --y y.npy " + base, 1,
       "has no train signature (signatures: infer, save, restore)"},
      {"fit cls.attune --x x.npy --y vy.npy " + base, 1,
       "features hold 40 samples"},
      {"fit cls.attune --x data.csv --y y.npy " + base, 1,
       "cannot take samples of shape [3]"},
      {"fit cls.attune --x nanx.npy --y nany.npy --no-shuffle " + base, 1,
       "step 2 (epoch 1, batch 2/5): loss is nan"},
      {"fit cls.attune --x x.npy --y y.npy --checkpoint x.npy " + base, 1,
       "checkpoint database \"x.npy\""},
      {"run tiny.attune --input x=x.npy --checkpoint other.db", 1,
       "fingerprint"},
      {"fit cls.attune --x x.npy --y y.npy --delegate gpu " + base, 1,
       kBadOpenClDevice},
      {"fit cls.attune --x x.npy --y y.npy --log log.txt " + base, 1,
       ".csv or .jsonl"},
      {"bench cls.attune --signature nope", 1, "nope"},
      {"bench missing.attune --signature train", 1, "missing.attune"},
      // Usage errors.
      {"fit cls.attune --x x.npy --y y.npy --epochs 1", 2, "--batch-size"},
      {"fit cls.attune --x x.npy --y y.npy --batch-size 4", 2, "--epochs"},
      {"fit cls.attune --y y.npy " + base, 2, "--x"},
      {"fit cls.attune --x x.npy --y y.npy --batch-size 0 --epochs 1", 2,
       "--batch-size"},
      {"fit cls.attune --x x.npy --y y.npy --val-x vx.npy " + base, 2,
       "--val-x and --val-y"},
      {"fit cls.attune --x x.npy --y y.npy --schedule linear " + base, 2,
       "schedule \"linear\""},
      {"fit cls.attune --x x.npy --y y.npy --val-split 2 " + base, 2,
       "--val-split"},
      {"fit cls.attune --x x.npy --y y.npy --save-weights-every 2 " + base, 2,
       "--save-weights-every needs --save-weights DIR"},
      {"bench cls.attune", 2, "--signature"},
      {"bench cls.attune --signature train --iterations 0", 2, "--iterations"},
  };
  for (const Case& c : cases) {
    Result r = Attune(c.args);
    EXPECT_EQ(r.code, c.code) << "attune " << c.args << "\n" << r.err;
    EXPECT_THAT(r.err, StartsWith("attune: ")) << c.args;
    EXPECT_THAT(r.err, HasSubstr(c.message)) << c.args;
    if (c.code == 1) {
      EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << c.args << ": " << r.err;
    }
  }
}

TEST_F(FitCliTest, BenchPrintsLatencyMemoryAndArena) {
  Result r = Attune("bench cls.attune --signature train --batch 16 "
                    "--iterations 20 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["signature"], "train");
  EXPECT_EQ(j["batch"], 16);
  EXPECT_EQ(j["iterations"], 20);
  const nlohmann::json& l = j["latency_ms"];
  EXPECT_GT(l["p50"].get<double>(), 0.0);
  EXPECT_LE(l["min"].get<double>(), l["p50"].get<double>());
  EXPECT_LE(l["p50"].get<double>(), l["p90"].get<double>());
  EXPECT_LE(l["p90"].get<double>(), l["p99"].get<double>());
  EXPECT_LE(l["p99"].get<double>(), l["max"].get<double>());
  EXPECT_GT(j["peak_rss_bytes"].get<int64_t>(), 1 << 20);
  EXPECT_GT(j["arena_bytes"].get<int64_t>(), 0);
  r = Attune("bench cls.attune --signature infer --threads 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("latency ms  p50 "));
  EXPECT_THAT(r.out, HasSubstr("peak resident memory"));
  EXPECT_THAT(r.out, HasSubstr("arena "));
}

// batch_norm and dropout build a training path (random_mask, moving
// statistics updates, random/counter); info and fit handle it.
TEST_F(CliTest, TrainModeLayersCompileInfoAndFit) {
  Write("bn.json", R"({
    "name": "bn",
    "inputs": [{"name": "x", "shape": [-1, 3]}],
    "layers": [
      {"type": "dense", "name": "d", "units": 8, "activation": "relu"},
      {"type": "batch_norm", "name": "bn"},
      {"type": "dropout", "name": "drop", "rate": 0.5},
      {"type": "dense", "name": "out", "units": 2}
    ],
    "loss": {"type": "softmax_cross_entropy"},
    "optimizer": {"type": "adam"},
    "seed": 1
  })");
  Result r = Attune("compile bn.json -o bn.attune");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Attune("info bn.attune");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::ContainsRegex("random/counter +int64 +\\[\\]"));
  EXPECT_THAT(r.out, HasSubstr("random_mask"));
  std::vector<float> x(32 * 3);
  std::vector<int32_t> y(32);
  for (int i = 0; i < 32; ++i) {
    for (int j = 0; j < 3; ++j) x[i * 3 + j] = ((i * 7 + j * 3) % 11) / 5.0f;
    y[i] = x[i * 3] > 1.0f;
  }
  ASSERT_TRUE(WriteNpy(dir_ + "/x.npy",
                       *Array::From<float>({32, 3}, absl::MakeConstSpan(x)))
                  .ok());
  ASSERT_TRUE(WriteNpy(dir_ + "/y.npy",
                       *Array::From<int32_t>({32}, absl::MakeConstSpan(y)))
                  .ok());
  r = Attune("fit bn.attune --x x.npy --y y.npy --batch-size 8 --epochs 2");
  ASSERT_EQ(r.code, 0) << r.err;
}

}  // namespace
}  // namespace attune

namespace attune {
namespace {

// --delegate xnnpack: info lists the partition, run gives the reference
// kernels' logits within the delegate's tolerance.
TEST_F(CliTest, DelegateXnnpack) {
  Write("tiny.json", kTinySpec);
  ASSERT_EQ(Attune("compile tiny.json -o tiny.attune").code, 0);
  Result r = Attune("info tiny.attune --delegate xnnpack");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("delegation (1 partitions)"));
  EXPECT_THAT(r.out, HasSubstr("partition 1  xnnpack  2 nodes  fully_connected "
                               "fully_connected"));
  r = Attune("info tiny.attune --json --delegate xnnpack");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  const nlohmann::json& d = j["signatures"][0]["delegation"];
  ASSERT_EQ(d["partitions"].size(), 1u) << d.dump();
  EXPECT_EQ(d["partitions"][0]["delegate"], "xnnpack");
  EXPECT_EQ(d["partitions"][0]["ops"],
            nlohmann::json::array({"fully_connected", "fully_connected"}));

  const std::vector<float> x = {0.5f, -1.0f, 2.0f, -0.25f, 0.75f, 1.5f};
  ASSERT_TRUE(WriteNpy(dir_ + "/x.npy",
                       *Array::From<float>({2, 3}, absl::MakeConstSpan(x)))
                  .ok());
  r = Attune("run tiny.attune --input x=x.npy --output-dir ref");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Attune(
      "run tiny.attune --input x=x.npy --output-dir xnn --delegate xnnpack");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  absl::StatusOr<Array> a = ReadNpy(dir_ + "/ref/logits.npy");
  absl::StatusOr<Array> b = ReadNpy(dir_ + "/xnn/logits.npy");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->shape, b->shape);
  const float* pa = reinterpret_cast<const float*>(a->bytes.data());
  const float* pb = reinterpret_cast<const float*>(b->bytes.data());
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(pb[i], pa[i], 1e-5);
}

// --delegate gpu: info names the device and lists the partition, run gives
// the reference kernels' logits within the delegate's tolerance (on
// whatever OpenCL device comes first: pocl's CPU device in CI).
TEST_F(CliTest, DelegateGpu) {
  Write("tiny.json", kTinySpec);
  ASSERT_EQ(Attune("compile tiny.json -o tiny.attune").code, 0);
  Result r = Attune("info tiny.attune --delegate gpu");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("delegate     gpu ("));
  EXPECT_THAT(r.out, HasSubstr("partition 1  gpu  2 nodes  fully_connected "
                               "fully_connected"));
  r = Attune("info tiny.attune --json --delegate gpu");
  ASSERT_EQ(r.code, 0) << r.err;
  nlohmann::json j = nlohmann::json::parse(r.out, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << r.out;
  EXPECT_EQ(j["delegates"][0]["name"], "gpu");
  EXPECT_EQ(j["signatures"][0]["delegation"]["partitions"][0]["delegate"],
            "gpu");
  const std::vector<float> x = {0.5f, -1.0f, 2.0f, -0.25f, 0.75f, 1.5f};
  ASSERT_TRUE(WriteNpy(dir_ + "/x.npy",
                       *Array::From<float>({2, 3}, absl::MakeConstSpan(x)))
                  .ok());
  r = Attune("run tiny.attune --input x=x.npy --output-dir ref");
  ASSERT_EQ(r.code, 0) << r.err;
  r = Attune("run tiny.attune --input x=x.npy --output-dir gpu --delegate gpu");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.err, "");
  absl::StatusOr<Array> a = ReadNpy(dir_ + "/ref/logits.npy");
  absl::StatusOr<Array> b = ReadNpy(dir_ + "/gpu/logits.npy");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->shape, b->shape);
  const float* pa = reinterpret_cast<const float*>(a->bytes.data());
  const float* pb = reinterpret_cast<const float*>(b->bytes.data());
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(pb[i], pa[i], 1e-5);
}

}  // namespace
}  // namespace attune
