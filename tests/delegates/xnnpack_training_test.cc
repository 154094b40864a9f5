// End to end with the XNNPACK delegate: train losses and infer outputs with
// the delegate on and off, infer right after train, frozen backbones packed
// once, partitions around unsupported ops, and fallback when a delegate
// fails to build.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "builder/model_builder.h"
#include "builder/spec.h"
#include "delegates/xnnpack/xnnpack_delegate.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

std::shared_ptr<const Model> Compile(const std::string& json) {
  auto graph = CompileSpec(json);
  EXPECT_TRUE(graph.ok()) << graph.status();
  auto model = Model::FromGraph(*std::move(graph));
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

// W2's layers with fewer filters so 50 steps stay fast.
constexpr char kSmallCnn[] = R"({
  "name": "cnn_small",
  "inputs": [{"name": "x", "shape": [-1, 12, 12, 1], "dtype": "float32"}],
  "layers": [
    {"type": "conv2d", "name": "conv2d_1", "filters": 4, "kernel_size": 5,
     "padding": "same", "activation": "relu"},
    {"type": "max_pool2d", "name": "max_pool2d_1", "pool_size": 2},
    {"type": "conv2d", "name": "conv2d_2", "filters": 8, "kernel_size": 3,
     "padding": "same", "activation": "relu"},
    {"type": "max_pool2d", "name": "max_pool2d_2", "pool_size": 2},
    {"type": "flatten", "name": "flatten"},
    {"type": "dense", "name": "dense_1", "units": 16, "activation": "relu"},
    {"type": "dense", "name": "dense_2", "units": 3}
  ],
  "loss": {"type": "softmax_cross_entropy", "labels": "sparse"},
  "optimizer": {"type": "sgd", "learning_rate": 0.05, "momentum": 0.9},
  "seed": 0
})";

// A frozen conv backbone and a trainable head (W4's shape, small).
constexpr char kTransfer[] = R"({
  "name": "transfer_small",
  "inputs": [{"name": "x", "shape": [-1, 16, 16, 3], "dtype": "float32"}],
  "layers": [
    {"type": "conv2d", "name": "stem", "filters": 8, "kernel_size": 3,
     "strides": 2, "padding": "same", "activation": "relu6",
     "trainable": false},
    {"type": "depthwise_conv2d", "name": "dw", "kernel_size": 3,
     "padding": "same", "activation": "relu6", "trainable": false},
    {"type": "conv2d", "name": "pw", "filters": 32, "kernel_size": 1,
     "activation": "relu6", "trainable": false},
    {"type": "global_avg_pool", "name": "pool"},
    {"type": "dense", "name": "head_1", "units": 16, "activation": "relu"},
    {"type": "dense", "name": "head_2", "units": 5}
  ],
  "loss": {"type": "softmax_cross_entropy", "labels": "sparse"},
  "optimizer": {"type": "adam", "learning_rate": 0.01},
  "seed": 0
})";

struct Session {
  std::unique_ptr<Interpreter> interpreter;
  SignatureRunner* train = nullptr;
  SignatureRunner* infer = nullptr;
};

Session Open(std::shared_ptr<const Model> model, bool xnnpack, Shape x_shape) {
  InterpreterOptions options;
  if (xnnpack) {
    auto delegate = CreateXnnpackDelegate();
    EXPECT_TRUE(delegate.ok()) << delegate.status();
    options.delegates = {*delegate};
  }
  auto interpreter = Interpreter::Create(std::move(model), options);
  EXPECT_TRUE(interpreter.ok()) << interpreter.status();
  Session s;
  s.interpreter = *std::move(interpreter);
  s.train = *s.interpreter->GetSignatureRunner("train");
  s.infer = *s.interpreter->GetSignatureRunner("infer");
  EXPECT_TRUE(s.train->ResizeInput("x", x_shape).ok());
  EXPECT_TRUE(s.train->ResizeInput("y", {x_shape[0]}).ok());
  EXPECT_TRUE(s.train->AllocateTensors().ok());
  EXPECT_TRUE(s.infer->ResizeInput("x", x_shape).ok());
  EXPECT_TRUE(s.infer->AllocateTensors().ok());
  return s;
}

float TrainStep(Session& s, const std::vector<float>& x,
                const std::vector<int32_t>& y) {
  EXPECT_TRUE(s.train->SetInput<float>("x", x).ok());
  EXPECT_TRUE(s.train->SetInput<int32_t>("y", y).ok());
  absl::Status status = s.train->Invoke();
  EXPECT_TRUE(status.ok()) << status;
  return (*s.train->typed_output<float>("loss"))[0];
}

std::vector<float> Infer(Session& s, const std::vector<float>& x) {
  EXPECT_TRUE(s.infer->SetInput<float>("x", x).ok());
  absl::Status status = s.infer->Invoke();
  EXPECT_TRUE(status.ok()) << status;
  auto logits = *s.infer->typed_output<float>("logits");
  return std::vector<float>(logits.begin(), logits.end());
}

int DelegatedSteps(const SignatureRunner* runner) {
  int n = 0;
  for (int s = 0; s < runner->plan().num_steps(); ++s) {
    n += runner->plan().step_delegate(s) == "xnnpack";
  }
  return n;
}

void Batch(std::mt19937& rng, int64_t n, int classes, std::vector<float>& x,
           std::vector<int32_t>& y) {
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (float& v : x) v = pixel(rng);
  y.resize(static_cast<size_t>(n));
  for (int32_t& v : y) v = static_cast<int32_t>(rng() % classes);
}

std::string ReadSpec(const std::string& name) {
  std::ifstream file(std::string(ATTUNE_SOURCE_DIR) + "/examples/specs/" +
                     name);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// Trains two interpreters of `spec` (reference, xnnpack) on the same 50
// random batches: losses agree within 1e-5 relative at every step (the
// per-op tolerance compounded; 1.1e-7 measured on the small CNN), and so do
// the logits of `infer` afterwards.
// `infer_partitions`: 1, or 2 when frozen and trainable layers split.
void ExpectLossParity(const std::string& spec, Shape shape, int classes,
                      int infer_partitions) {
  auto model = Compile(spec);
  Session ref = Open(model, false, shape);
  Session xnn = Open(model, true, shape);
  EXPECT_GE(DelegatedSteps(xnn.train), 1);  // the forward of train
  EXPECT_EQ(DelegatedSteps(xnn.infer), infer_partitions);
  std::mt19937 rng(3);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> x(static_cast<size_t>(n));
  std::vector<int32_t> y;
  double max_rel = 0;
  for (int step = 0; step < 50; ++step) {
    Batch(rng, shape[0], classes, x, y);
    const float a = TrainStep(ref, x, y);
    const float b = TrainStep(xnn, x, y);
    ASSERT_NEAR(b, a, 1e-5 * std::fabs(a) + 1e-6) << "step " << step;
    max_rel = std::max(max_rel, std::fabs(double{b} - a) / std::fabs(a));
  }
  ::testing::Test::RecordProperty("max_relative_loss_difference",
                                  absl::StrFormat("%.3g", max_rel));
  const std::vector<float> la = Infer(ref, x);
  const std::vector<float> lb = Infer(xnn, x);
  ASSERT_EQ(la.size(), lb.size());
  for (size_t i = 0; i < la.size(); ++i) {
    EXPECT_NEAR(lb[i], la[i], 1e-4 * std::fabs(la[i]) + 1e-5) << i;
  }
}

TEST(XnnpackTrainingTest, LossParityOver50StepsSmallCnn) {
  ExpectLossParity(kSmallCnn, {8, 12, 12, 1}, 3, 1);
}

TEST(XnnpackTrainingTest, LossParityOver50StepsW0) {
  ExpectLossParity(ReadSpec("w0_tflite_tutorial.json"), {100, 28, 28}, 10, 1);
}

TEST(XnnpackTrainingTest, LossParityOver50StepsFrozenBackboneAdam) {
  ExpectLossParity(kTransfer, {4, 16, 16, 3}, 5, 2);
}

TEST(XnnpackTrainingTest, InferAfterTrainSeesNewWeights) {
  auto model = Compile(kSmallCnn);
  const Shape shape = {4, 12, 12, 1};
  Session ref = Open(model, false, shape);
  Session xnn = Open(model, true, shape);
  std::mt19937 rng(5);
  std::vector<float> x(4 * 12 * 12);
  std::vector<int32_t> y;
  Batch(rng, 4, 3, x, y);
  const std::vector<float> before = Infer(xnn, x);
  TrainStep(ref, x, y);
  TrainStep(xnn, x, y);
  const std::vector<float> after = Infer(xnn, x);
  const std::vector<float> expected = Infer(ref, x);
  bool changed = false;
  for (size_t i = 0; i < after.size(); ++i) {
    changed = changed || std::fabs(after[i] - before[i]) > 1e-4;
    EXPECT_NEAR(after[i], expected[i], 1e-4 * std::fabs(expected[i]) + 1e-5);
  }
  EXPECT_TRUE(changed);
  EXPECT_EQ(xnn.infer->plan().delegate_stats().repacks, 1);
  // Another infer without a train step re-packs nothing.
  Infer(xnn, x);
  EXPECT_EQ(xnn.infer->plan().delegate_stats().repacks, 1);
}

TEST(XnnpackTrainingTest, FrozenBackbonePacksOnce) {
  auto model = Compile(kTransfer);
  const Shape shape = {4, 16, 16, 3};
  Session ref = Open(model, false, shape);
  Session xnn = Open(model, true, shape);
  const ExecutionPlan& plan = xnn.infer->plan();
  ASSERT_EQ(plan.delegation_report().partitions.size(), 2u)
      << "backbone and head in separate partitions";
  std::mt19937 rng(7);
  std::vector<float> x(4 * 16 * 16 * 3);
  std::vector<int32_t> y;
  for (int step = 0; step < 5; ++step) {
    Batch(rng, 4, 5, x, y);
    const float a = TrainStep(ref, x, y);
    const float b = TrainStep(xnn, x, y);
    EXPECT_NEAR(b, a, 1e-4 * std::fabs(a) + 1e-5);
    const std::vector<float> la = Infer(ref, x);
    const std::vector<float> lb = Infer(xnn, x);
    for (size_t i = 0; i < la.size(); ++i) {
      ASSERT_NEAR(lb[i], la[i], 1e-4 * std::fabs(la[i]) + 1e-5);
    }
  }
  for (int s = 0; s < plan.num_steps(); ++s) {
    if (plan.step_delegate(s).empty()) continue;
    const DelegateKernelStats stats = plan.step_delegate_stats(s);
    EXPECT_EQ(stats.invokes, 5);
    if (plan.step_op(s) == OpCode::kConv2d) {
      EXPECT_EQ(stats.repacks, 0) << "frozen backbone re-packed";
    } else {
      EXPECT_EQ(stats.repacks, 5) << "head re-packed after each step";
    }
  }
}

// fully_connected -> tanh (no XNNPACK mapping) -> fully_connected: two
// partitions around the reference tanh, same results.
TEST(XnnpackTrainingTest, PartitionsAroundUnsupportedOps) {
  ModelBuilder b("around tanh");
  std::mt19937 rng(9);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> w1(6 * 5), w2(5 * 4), xv(3 * 6);
  for (float& v : w1) v = d(rng);
  for (float& v : w2) v = d(rng);
  for (float& v : xv) v = d(rng);
  const int x = b.Input("x", DType::kFloat32, {3, 6});
  const int h =
      b.Op1(OpCode::kFullyConnected, {x, b.Constant<float>("w1", {6, 5}, w1)},
            Attributes().SetString("activation", "relu"));
  const int t = b.Op1(OpCode::kTanh, {h});
  const int y =
      b.Op1(OpCode::kFullyConnected, {t, b.Constant<float>("w2", {5, 4}, w2)});
  b.AddSignature("infer", {{"x", x}}, {{"y", y}});
  auto model = b.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  std::vector<float> results[2];
  for (int use = 0; use < 2; ++use) {
    InterpreterOptions options;
    if (use == 1) options.delegates = {*CreateXnnpackDelegate()};
    auto interpreter = Interpreter::Create(*model, options);
    ASSERT_TRUE(interpreter.ok());
    SignatureRunner* infer = *(*interpreter)->GetSignatureRunner("infer");
    ASSERT_TRUE(infer->AllocateTensors().ok());
    ASSERT_TRUE(infer->SetInput<float>("x", xv).ok());
    ASSERT_TRUE(infer->Invoke().ok());
    auto out = *infer->typed_output<float>("y");
    results[use].assign(out.begin(), out.end());
    if (use == 1) {
      const DelegationReport& report = infer->plan().delegation_report();
      EXPECT_EQ(report.partitions.size(), 2u);
      ASSERT_EQ(report.refused.size(), 1u);
      EXPECT_NE(report.refused[0].reason.find("tanh"), std::string::npos);
      EXPECT_EQ(infer->plan().num_steps(), 3);
    }
  }
  for (size_t i = 0; i < results[0].size(); ++i) {
    EXPECT_NEAR(results[1][i], results[0][i],
                1e-4 * std::fabs(results[0][i]) + 1e-5);
  }
}

// Claims every relu and fails to build: the plan keeps the reference relu.
class FailingDelegate : public Delegate {
 public:
  absl::string_view name() const override { return "failing"; }
  absl::Status Supports(const PlanView& view, int step) const override {
    return view.node(step).op == OpCode::kRelu
               ? absl::OkStatus()
               : absl::UnimplementedError("only relu");
  }
  absl::StatusOr<std::unique_ptr<DelegateKernel>> Build(
      const PlanView&, const Partition&) override {
    return absl::InternalError("no device");
  }
};

TEST(XnnpackTrainingTest, FailedBuildFallsBackWithReason) {
  ModelBuilder b("fallback");
  const int x = b.Input("x", DType::kFloat32, {4});
  const int y = b.Op1(OpCode::kRelu, {x});
  b.AddSignature("infer", {{"x", x}}, {{"y", y}});
  InterpreterOptions options;
  options.delegates = {std::make_shared<FailingDelegate>()};
  auto interpreter = Interpreter::Create(*b.BuildModel(), options);
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* infer = *(*interpreter)->GetSignatureRunner("infer");
  const DelegationReport& report = infer->plan().delegation_report();
  ASSERT_EQ(report.fallbacks.size(), 1u);
  EXPECT_NE(report.fallbacks[0].find("no device"), std::string::npos);
  EXPECT_TRUE(report.partitions.empty());
  ASSERT_TRUE(infer->AllocateTensors().ok());
  ASSERT_TRUE(
      infer->SetInput<float>("x", std::vector<float>{-1, 2, -3, 4}).ok());
  ASSERT_TRUE(infer->Invoke().ok());
  auto out = *infer->typed_output<float>("y");
  EXPECT_EQ(std::vector<float>(out.begin(), out.end()),
            (std::vector<float>{0, 2, 0, 4}));
}

}  // namespace
}  // namespace attune
