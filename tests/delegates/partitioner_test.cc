// How the partitioner groups steps: independent reference steps between
// delegated ones are hoisted so the partition stays one step; partitions
// are rebuilt after an input resize; a constant backbone and a trainable
// head go to separate partitions.
#include <cmath>
#include <random>
#include <vector>

#include "builder/model_builder.h"
#include "delegates/xnnpack/xnnpack_delegate.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"
#include "importers/tflite/importer.h"
#include "tests/testing/w4_model.h"

namespace attune {
namespace {

// y = relu(relu(x) * 2) and t = tanh(z): tanh (no XNNPACK mapping) sits
// between the two relus in node order but reads nothing they produce.
std::shared_ptr<const Model> InterleavedModel() {
  ModelBuilder b("interleaved");
  const int x = b.Input("x", DType::kFloat32, {-1, 3});
  const int z = b.Input("z", DType::kFloat32, {2});
  const int a = b.Op1(OpCode::kRelu, {x});
  const int t = b.Op1(OpCode::kTanh, {z});
  const int m = b.Op1(OpCode::kMul, {a, b.ConstantScalar("two", 2.0f)});
  const int y = b.Op1(OpCode::kRelu, {m});
  b.AddSignature("infer", {{"x", x}, {"z", z}}, {{"y", y}, {"t", t}});
  auto model = b.BuildModel();
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

TEST(PartitionerTest, HoistsIndependentReferenceSteps) {
  InterpreterOptions options;
  options.delegates = {*CreateXnnpackDelegate()};
  auto interpreter = Interpreter::Create(InterleavedModel(), options);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* infer = *(*interpreter)->GetSignatureRunner("infer");
  const ExecutionPlan& plan = infer->plan();
  ASSERT_EQ(plan.delegation_report().partitions.size(), 1u);
  EXPECT_EQ(plan.delegation_report().partitions[0].nodes.size(), 3u);
  ASSERT_EQ(plan.num_steps(), 2);
  EXPECT_EQ(plan.step_op(0), OpCode::kTanh);  // hoisted ahead
  EXPECT_EQ(plan.step_delegate(1), "xnnpack");
  ASSERT_TRUE(infer->ResizeInput("x", {2, 3}).ok());
  ASSERT_TRUE(infer->AllocateTensors().ok());
  ASSERT_TRUE(
      infer->SetInput<float>("x", std::vector<float>{-1, 2, -3, 4, -5, 6})
          .ok());
  ASSERT_TRUE(infer->SetInput<float>("z", std::vector<float>{0.5f, -1}).ok());
  ASSERT_TRUE(infer->Invoke().ok());
  auto y = *infer->typed_output<float>("y");
  EXPECT_EQ(std::vector<float>(y.begin(), y.end()),
            (std::vector<float>{0, 4, 0, 8, 0, 12}));
  auto t = *infer->typed_output<float>("t");
  EXPECT_NEAR(t[0], std::tanh(0.5f), 1e-6);
  EXPECT_NEAR(t[1], std::tanh(-1.0f), 1e-6);
}

// After ResizeInput + AllocateTensors the plan is prepared again and the
// partition rebuilt for the new batch.
TEST(PartitionerTest, ResizeRebuildsPartitions) {
  ModelBuilder b("resize");
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> w(4 * 3);
  for (float& v : w) v = d(rng);
  const int x = b.Input("x", DType::kFloat32, {-1, 4});
  const int y =
      b.Op1(OpCode::kFullyConnected, {x, b.Constant<float>("w", {4, 3}, w)},
            Attributes().SetString("activation", "relu"));
  b.AddSignature("infer", {{"x", x}}, {{"y", y}});
  auto model = b.BuildModel();
  ASSERT_TRUE(model.ok());
  InterpreterOptions options;
  options.delegates = {*CreateXnnpackDelegate()};
  auto interpreter = Interpreter::Create(*model, options);
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* infer = *(*interpreter)->GetSignatureRunner("infer");
  for (int64_t batch : {1, 5, 2}) {
    std::vector<float> xv(static_cast<size_t>(batch * 4));
    for (float& v : xv) v = d(rng);
    ASSERT_TRUE(infer->ResizeInput("x", {batch, 4}).ok());
    ASSERT_TRUE(infer->AllocateTensors().ok());
    ASSERT_EQ(infer->plan().step_delegate(0), "xnnpack");
    ASSERT_TRUE(infer->SetInput<float>("x", xv).ok());
    ASSERT_TRUE(infer->Invoke().ok());
    auto yv = *infer->typed_output<float>("y");
    ASSERT_EQ(yv.size(), static_cast<size_t>(batch * 3));
    for (int64_t r = 0; r < batch; ++r) {
      for (int c = 0; c < 3; ++c) {
        float expected = 0;
        for (int k = 0; k < 4; ++k) expected += xv[r * 4 + k] * w[k * 3 + c];
        expected = std::max(expected, 0.0f);
        EXPECT_NEAR(yv[r * 3 + c], expected, 1e-5) << batch;
      }
    }
  }
}

// W4's infer: the imported embedder's weights are constants, the head's are
// trainable variables. They go to two partitions, so a write to a head
// variable (each train step) re-packs the head only, not the 52
// convolutions of the backbone.
TEST(PartitionerTest, ConstantBackboneAndTrainableHeadSplit) {
  auto imported = tflite::ImportTfliteFile(
      ATTUNE_SOURCE_DIR "/models/mobilenet_v2_035_96_embedder.tflite");
  ASSERT_TRUE(imported.ok()) << imported.status();
  auto model = testing::W4Model(*imported);
  ASSERT_TRUE(model.ok()) << model.status();
  InterpreterOptions options;
  options.delegates = {*CreateXnnpackDelegate()};
  auto interpreter = Interpreter::Create(*model, options);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* infer = *(*interpreter)->GetSignatureRunner("infer");
  ASSERT_TRUE(infer->AllocateTensors().ok());
  const ExecutionPlan& plan = infer->plan();
  ASSERT_EQ(plan.delegation_report().partitions.size(), 2u);
  ASSERT_TRUE(infer->Invoke().ok());
  const int kernel = (*interpreter)->variables().Find("dense_1/kernel");
  ASSERT_GE(kernel, 0);
  (*interpreter)->variables().MarkWritten(kernel);
  ASSERT_TRUE(infer->Invoke().ok());
  // Delegate steps run in the order of the report's partitions: the
  // backbone's (51 nodes and more) first, then the head's.
  const auto& partitions = plan.delegation_report().partitions;
  EXPECT_GT(partitions[0].nodes.size(), 50u);
  EXPECT_LT(partitions[1].nodes.size(), 10u);
  std::vector<int64_t> repacks;
  for (int s = 0; s < plan.num_steps(); ++s) {
    if (!plan.step_delegate(s).empty()) {
      repacks.push_back(plan.step_delegate_stats(s).repacks);
    }
  }
  EXPECT_EQ(repacks, (std::vector<int64_t>{0, 1}));
}

}  // namespace
}  // namespace attune
