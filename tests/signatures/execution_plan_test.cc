#include "signatures/execution_plan.h"

#include <vector>

#include "builder/model_builder.h"
#include "engine/gemm/gemm.h"
#include "engine/interpreter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

// x[-1, width] -> `depth` fully_connected layers of `width` units.
std::shared_ptr<const Model> DeepChain(int depth, int width) {
  ModelBuilder b("deep chain");
  int x = b.Input("x", DType::kFloat32, {-1, width});
  std::vector<float> identity(width * width, 0.0f);
  for (int i = 0; i < width; ++i) identity[i * width + i] = 1.0f;
  int h = x;
  for (int layer = 0; layer < depth; ++layer) {
    int w = b.Constant<float>("w", {width, width}, identity);
    h = b.Op1(OpCode::kFullyConnected, {h, w}, Attributes().SetString("activation", "relu"));
  }
  b.AddSignature("infer", {{"x", x}}, {{"y", h}});
  auto model = b.BuildModel();
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

TEST(ExecutionPlanTest, DeepChainArenaIsMuchSmallerThanSumOfTensors) {
  constexpr int kDepth = 20, kWidth = 64, kBatch = 8;
  auto interpreter = Interpreter::Create(DeepChain(kDepth, kWidth));
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("infer");
  ASSERT_TRUE(runner->ResizeInput("x", {kBatch, kWidth}).ok());
  ASSERT_TRUE(runner->AllocateTensors().ok());
  const size_t tensor_bytes = kBatch * kWidth * sizeof(float);
  // depth + 1 activations exist, but only the input (kept intact for the
  // whole Invoke) and two others are ever live at once, plus one layer's
  // GEMM packing scratch.
  const size_t scratch = GemmScratchBytes(kBatch, kWidth, kWidth, 1);
  EXPECT_LE(runner->arena_bytes(), 3 * tensor_bytes + scratch + 64);
  EXPECT_GE(runner->arena_bytes(), 3 * tensor_bytes);
  EXPECT_LT(runner->arena_bytes(), (kDepth + 1) * tensor_bytes / 4 + scratch);
  const ExecutionPlan& plan = runner->plan();
  EXPECT_TRUE(CheckNoOverlap(plan.buffer_requests(), plan.arena_plan()).ok());
}

TEST(ExecutionPlanTest, ResizeReplansAndComputesCorrectly) {
  auto interpreter = Interpreter::Create(DeepChain(3, 4));
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("infer");
  for (int batch : {1, 5, 2}) {
    ASSERT_TRUE(runner->ResizeInput("x", {batch, 4}).ok());
    ASSERT_TRUE(runner->AllocateTensors().ok());
    auto x = *runner->typed_input<float>("x");
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) - 3.0f;
    ASSERT_TRUE(runner->Invoke().ok());
    auto y = *runner->typed_output<float>("y");
    ASSERT_EQ(y.size(), static_cast<size_t>(batch * 4));
    for (size_t i = 0; i < y.size(); ++i) {
      EXPECT_FLOAT_EQ(y[i], std::max(static_cast<float>(i) - 3.0f, 0.0f));
    }
  }
}

TEST(ExecutionPlanTest, RepeatedInvokeOnTheSameInputsGivesTheSameOutputs) {
  auto interpreter = Interpreter::Create(DeepChain(6, 16));
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("infer");
  ASSERT_TRUE(runner->ResizeInput("x", {4, 16}).ok());
  ASSERT_TRUE(runner->AllocateTensors().ok());
  auto x = *runner->typed_input<float>("x");
  for (size_t i = 0; i < x.size(); ++i) x[i] = 0.25f * i - 5.0f;
  ASSERT_TRUE(runner->Invoke().ok());
  auto y = *runner->typed_output<float>("y");
  const std::vector<float> first(y.begin(), y.end());
  ASSERT_TRUE(runner->Invoke().ok());
  y = *runner->typed_output<float>("y");
  EXPECT_EQ(std::vector<float>(y.begin(), y.end()), first);
}

TEST(ExecutionPlanTest, InvokeBeforeAllocateFails) {
  auto interpreter = Interpreter::Create(DeepChain(1, 2));
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("infer");
  EXPECT_EQ(runner->Invoke().code(), absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(runner->AllocateTensors().ok());
  ASSERT_TRUE(runner->ResizeInput("x", {3, 2}).ok());
  EXPECT_EQ(runner->Invoke().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(ExecutionPlanTest, ResizeRejectsWrongRankAndStaticDims) {
  auto interpreter = Interpreter::Create(DeepChain(1, 2));
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("infer");
  absl::Status wrong_dim = runner->ResizeInput("x", {3, 5});
  EXPECT_EQ(wrong_dim.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(wrong_dim.message()), HasSubstr("[-1,2]"));
  EXPECT_EQ(runner->ResizeInput("x", {3}).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(runner->ResizeInput("nope", {3, 2}).code(),
            absl::StatusCode::kNotFound);
}

TEST(ExecutionPlanTest, TypedAccessChecksDType) {
  auto interpreter = Interpreter::Create(DeepChain(1, 2));
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("infer");
  ASSERT_TRUE(runner->AllocateTensors().ok());
  EXPECT_EQ(runner->typed_input<int32_t>("x").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ((*interpreter)->GetSignatureRunner("train").status().code(),
            absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace attune
