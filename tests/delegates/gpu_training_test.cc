// End to end with the GPU delegate: train losses and infer outputs with the
// delegate on and off, infer right after train (variables re-uploaded only
// when written), frozen backbones uploaded once, partitions around
// unsupported ops, and W4's infer on the real imported MobileNetV2 embedder.
// Only forward ops run on the device; gradient and optimizer ops stay on
// the reference kernels.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"
#include "importers/tflite/importer.h"
#include "tests/delegates/gpu_test_util.h"
#include "tests/delegates/training_session.h"
#include "tests/testing/w4_model.h"

namespace attune {
namespace {

using testing::Batch;
using testing::Compile;
using testing::Infer;
using testing::kSmallCnn;
using testing::kTransfer;
using testing::ReadSpec;
using testing::Session;
using testing::TrainStep;

// testing::Open with the shared GPU delegate (or none); a partition that
// fell back to the reference kernels fails the test.
Session Open(std::shared_ptr<const Model> model, bool gpu,
             const Shape& x_shape) {
  std::shared_ptr<Delegate> delegate;
  if (gpu) {
    auto shared = SharedGpuDelegate();
    EXPECT_TRUE(shared.ok()) << shared.status();
    if (shared.ok()) delegate = *std::move(shared);
  }
  Session s = testing::Open(std::move(model), std::move(delegate), x_shape);
  for (SignatureRunner* r : {s.train, s.infer}) {
    for (const auto& f : r->plan().delegation_report().fallbacks) {
      ADD_FAILURE() << f;
    }
  }
  return s;
}

int DelegatedSteps(const SignatureRunner* runner) {
  return testing::DelegatedSteps(runner, "gpu");
}

// Trains two interpreters of `spec` (reference, gpu) on the same `steps`
// random batches: losses agree within 1e-5 relative at every step (the
// per-op tolerance compounded), and so do the logits of `infer` afterwards.
void ExpectLossParity(const std::string& spec, Shape shape, int classes,
                      int steps) {
  auto model = Compile(spec);
  Session ref = Open(model, false, shape);
  Session gpu = Open(model, true, shape);
  EXPECT_GE(DelegatedSteps(gpu.train), 1);  // the forward of train
  EXPECT_GE(DelegatedSteps(gpu.infer), 1);
  std::mt19937 rng(3);
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  std::vector<float> x(static_cast<size_t>(n));
  std::vector<int32_t> y;
  double max_rel = 0;
  for (int step = 0; step < steps; ++step) {
    Batch(rng, shape[0], classes, x, y);
    const float a = TrainStep(ref, x, y);
    const float b = TrainStep(gpu, x, y);
    ASSERT_NEAR(b, a, 1e-5 * std::fabs(a) + 1e-6) << "step " << step;
    max_rel = std::max(max_rel, std::fabs(double{b} - a) / std::fabs(a));
  }
  ::testing::Test::RecordProperty("max_relative_loss_difference",
                                  absl::StrFormat("%.3g", max_rel));
  const std::vector<float> la = Infer(ref, x);
  const std::vector<float> lb = Infer(gpu, x);
  ASSERT_EQ(la.size(), lb.size());
  for (size_t i = 0; i < la.size(); ++i) {
    EXPECT_NEAR(lb[i], la[i], 1e-4 * std::fabs(la[i]) + 1e-5) << i;
  }
}

TEST(GpuTrainingTest, LossParityOver20StepsSmallCnn) {
  ExpectLossParity(kSmallCnn, {8, 12, 12, 1}, 3, 20);
}

TEST(GpuTrainingTest, LossParityOver10StepsW0) {
  ExpectLossParity(ReadSpec("w0_tflite_tutorial.json"), {100, 28, 28}, 10, 10);
}

TEST(GpuTrainingTest, LossParityOver20StepsFrozenBackboneAdam) {
  ExpectLossParity(kTransfer, {4, 16, 16, 3}, 5, 20);
}

TEST(GpuTrainingTest, InferAfterTrainSeesNewWeights) {
  testing::ExpectInferAfterTrainSeesNewWeights(Open);
}

TEST(GpuTrainingTest, FrozenBackboneUploadsOnce) {
  testing::ExpectFrozenBackboneRepacksOnlyTheHead(Open);
}

// fully_connected -> gelu (no GPU kernel) -> fully_connected: two
// partitions around the reference gelu, same results.
TEST(GpuTrainingTest, PartitionsAroundUnsupportedOps) {
  ModelBuilder b("around gelu");
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
  const int t = b.Op1(OpCode::kGelu, {h});
  const int y =
      b.Op1(OpCode::kFullyConnected, {t, b.Constant<float>("w2", {5, 4}, w2)});
  b.AddSignature("infer", {{"x", x}}, {{"y", y}});
  auto model = b.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  ATTUNE_ASSERT_GPU(gpu);
  std::vector<float> results[2];
  for (int use = 0; use < 2; ++use) {
    InterpreterOptions options;
    if (use == 1) options.delegates = {gpu};
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
      EXPECT_NE(report.refused[0].reason.find("gelu"), std::string::npos);
      EXPECT_EQ(infer->plan().num_steps(), 3);
    }
  }
  for (size_t i = 0; i < results[0].size(); ++i) {
    EXPECT_NEAR(results[1][i], results[0][i],
                1e-4 * std::fabs(results[0][i]) + 1e-5);
  }
}

// W4's infer: the imported MobileNetV2-0.35-96 embedder (models/) plus the
// head 1280->128 ReLU->5, whole on the device (two partitions: the constant
// backbone and the trainable head, partitioner.h rule 3). Logits agree
// with the reference within 1e-4 relative + 1e-4 absolute (gpu_delegate.h:
// the per-op tolerance compounded over 52 convolutions).
TEST(GpuTrainingTest, W4InferOnTheRealEmbedder) {
  auto imported = tflite::ImportTfliteFile(
      ProjectFile("models/mobilenet_v2_035_96_embedder.tflite"));
  ASSERT_TRUE(imported.ok()) << imported.status();
  auto model = testing::W4Model(*imported);
  ASSERT_TRUE(model.ok()) << model.status();
  ATTUNE_ASSERT_GPU(gpu);
  constexpr int64_t kBatch = 2;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> pixel(0.0f, 1.0f);
  std::vector<float> x(kBatch * 96 * 96 * 3);
  for (float& v : x) v = pixel(rng);
  std::vector<float> out[2];
  for (int use = 0; use < 2; ++use) {
    InterpreterOptions options;
    if (use == 1) options.delegates = {gpu};
    auto interpreter = Interpreter::Create(*model, options);
    ASSERT_TRUE(interpreter.ok()) << interpreter.status();
    SignatureRunner* infer = *(*interpreter)->GetSignatureRunner("infer");
    ASSERT_TRUE(
        infer->ResizeInput("keras_layer_input", {kBatch, 96, 96, 3}).ok());
    ASSERT_TRUE(infer->AllocateTensors().ok());
    ASSERT_TRUE(infer->SetInput<float>("keras_layer_input", x).ok());
    ASSERT_TRUE(infer->Invoke().ok());
    auto logits = *infer->typed_output<float>("logits");
    out[use].assign(logits.begin(), logits.end());
    if (use == 1) {
      const DelegationReport& report = infer->plan().delegation_report();
      EXPECT_TRUE(report.refused.empty());
      EXPECT_TRUE(report.fallbacks.empty());
      EXPECT_EQ(report.partitions.size(), 2u);
    }
  }
  ASSERT_EQ(out[0].size(), static_cast<size_t>(kBatch * 5));
  double max_abs = 0;
  for (size_t i = 0; i < out[0].size(); ++i) {
    max_abs = std::max(max_abs, std::fabs(double{out[1][i]} - out[0][i]));
    EXPECT_NEAR(out[1][i], out[0][i], 1e-4 * std::fabs(out[0][i]) + 1e-4) << i;
  }
  RecordProperty("max_abs_logit_difference", absl::StrFormat("%.3g", max_abs));
}

}  // namespace
}  // namespace attune
