// End to end with the XNNPACK delegate: train losses and infer outputs with
// the delegate on and off, infer right after train, frozen backbones packed
// once, partitions around unsupported ops, and fallback when a delegate
// fails to build.
#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "builder/model_builder.h"
#include "delegates/xnnpack/xnnpack_delegate.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"
#include "tests/delegates/training_session.h"

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

Session Open(std::shared_ptr<const Model> model, bool xnnpack,
             const Shape& x_shape) {
  std::shared_ptr<Delegate> delegate;
  if (xnnpack) {
    auto created = CreateXnnpackDelegate();
    EXPECT_TRUE(created.ok()) << created.status();
    if (created.ok()) delegate = *std::move(created);
  }
  return testing::Open(std::move(model), std::move(delegate), x_shape);
}

int DelegatedSteps(const SignatureRunner* runner) {
  return testing::DelegatedSteps(runner, "xnnpack");
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
  testing::ExpectInferAfterTrainSeesNewWeights(Open);
}

TEST(XnnpackTrainingTest, FrozenBackbonePacksOnce) {
  testing::ExpectFrozenBackboneRepacksOnlyTheHead(Open);
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
