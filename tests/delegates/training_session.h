#ifndef ATTUNE_TESTS_DELEGATES_TRAINING_SESSION_H_
#define ATTUNE_TESTS_DELEGATES_TRAINING_SESSION_H_

// What the delegates' end-to-end training tests share: small models (a
// W2-like CNN, a frozen-backbone transfer model), an interpreter with its
// train and infer runners planned for one input shape, train/infer calls
// that fail the test on any error, and checks every delegate must pass.
// Each delegate's test binary (xnnpack_training_test.cc,
// gpu_training_test.cc) runs them with its own delegate against the
// reference kernels.

#include <cmath>
#include <fstream>
#include <functional>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "builder/spec.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"

namespace attune::testing {

inline std::shared_ptr<const Model> Compile(const std::string& json) {
  auto graph = CompileSpec(json);
  EXPECT_TRUE(graph.ok()) << graph.status();
  auto model = Model::FromGraph(*std::move(graph));
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

// examples/specs/`name` of the tree the tests were built from.
inline std::string ReadSpec(const std::string& name) {
  std::ifstream file(std::string(ATTUNE_SOURCE_DIR) + "/examples/specs/" +
                     name);
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// W2's layers with fewer filters so that many steps stay fast (on pocl too).
inline constexpr char kSmallCnn[] = R"({
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
inline constexpr char kTransfer[] = R"({
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

// An interpreter of `model` with `delegate` (nullptr: reference kernels
// only), train and infer planned for inputs of `x_shape`.
inline Session Open(std::shared_ptr<const Model> model,
                    std::shared_ptr<Delegate> delegate, const Shape& x_shape) {
  InterpreterOptions options;
  if (delegate != nullptr) options.delegates = {std::move(delegate)};
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

// One train step; returns the loss.
inline float TrainStep(Session& s, const std::vector<float>& x,
                       const std::vector<int32_t>& y) {
  EXPECT_TRUE(s.train->SetInput<float>("x", x).ok());
  EXPECT_TRUE(s.train->SetInput<int32_t>("y", y).ok());
  absl::Status status = s.train->Invoke();
  EXPECT_TRUE(status.ok()) << status;
  return (*s.train->typed_output<float>("loss"))[0];
}

// The logits of `infer` on `x`.
inline std::vector<float> Infer(Session& s, const std::vector<float>& x) {
  EXPECT_TRUE(s.infer->SetInput<float>("x", x).ok());
  absl::Status status = s.infer->Invoke();
  EXPECT_TRUE(status.ok()) << status;
  auto logits = *s.infer->typed_output<float>("logits");
  return std::vector<float>(logits.begin(), logits.end());
}

// Plan steps that run on the delegate named `delegate`.
inline int DelegatedSteps(const SignatureRunner* runner,
                          const std::string& delegate) {
  int n = 0;
  for (int s = 0; s < runner->plan().num_steps(); ++s) {
    n += runner->plan().step_delegate(s) == delegate;
  }
  return n;
}

// Fills `x` with uniform [0, 1) pixels and `y` with n labels below
// `classes`.
inline void Batch(std::mt19937& rng, int64_t n, int classes,
                  std::vector<float>& x, std::vector<int32_t>& y) {
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  for (float& v : x) v = pixel(rng);
  y.resize(static_cast<size_t>(n));
  for (int32_t& v : y) v = static_cast<int32_t>(rng() % classes);
}

// Opens a session of `model` for inputs of `x_shape`, with the suite's
// delegate when `with_delegate`, else on the reference kernels only.
using OpenSession = std::function<Session(std::shared_ptr<const Model> model,
                                          bool with_delegate,
                                          const Shape& x_shape)>;

// One train step on the small CNN, then infer with the delegate: the logits
// moved and match the reference's within 1e-4 relative + 1e-5; the infer
// plan re-packed (re-uploaded) once, and another infer with no train step
// between re-packs nothing.
inline void ExpectInferAfterTrainSeesNewWeights(const OpenSession& open) {
  auto model = Compile(kSmallCnn);
  const Shape shape = {4, 12, 12, 1};
  Session ref = open(model, false, shape);
  Session dut = open(model, true, shape);
  std::mt19937 rng(5);
  std::vector<float> x(4 * 12 * 12);
  std::vector<int32_t> y;
  Batch(rng, 4, 3, x, y);
  const std::vector<float> before = Infer(dut, x);
  TrainStep(ref, x, y);
  TrainStep(dut, x, y);
  const std::vector<float> after = Infer(dut, x);
  const std::vector<float> expected = Infer(ref, x);
  bool changed = false;
  for (size_t i = 0; i < after.size(); ++i) {
    changed = changed || std::fabs(after[i] - before[i]) > 1e-4;
    EXPECT_NEAR(after[i], expected[i], 1e-4 * std::fabs(expected[i]) + 1e-5);
  }
  EXPECT_TRUE(changed);
  EXPECT_EQ(dut.infer->plan().delegate_stats().repacks, 1);
  Infer(dut, x);
  EXPECT_EQ(dut.infer->plan().delegate_stats().repacks, 1);
}

// The transfer model: backbone and head in separate partitions; over five
// train steps losses and logits match the reference (1e-4 relative +
// 1e-5), the frozen backbone's partition never re-packs and the head's
// re-packs after each step.
inline void ExpectFrozenBackboneRepacksOnlyTheHead(const OpenSession& open) {
  auto model = Compile(kTransfer);
  const Shape shape = {4, 16, 16, 3};
  Session ref = open(model, false, shape);
  Session dut = open(model, true, shape);
  const ExecutionPlan& plan = dut.infer->plan();
  ASSERT_EQ(plan.delegation_report().partitions.size(), 2u)
      << "backbone and head in separate partitions";
  std::mt19937 rng(7);
  std::vector<float> x(4 * 16 * 16 * 3);
  std::vector<int32_t> y;
  for (int step = 0; step < 5; ++step) {
    Batch(rng, 4, 5, x, y);
    const float a = TrainStep(ref, x, y);
    const float b = TrainStep(dut, x, y);
    EXPECT_NEAR(b, a, 1e-4 * std::fabs(a) + 1e-5);
    const std::vector<float> la = Infer(ref, x);
    const std::vector<float> lb = Infer(dut, x);
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

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_DELEGATES_TRAINING_SESSION_H_
