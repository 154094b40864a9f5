// read_variable / assign_*_variable through real signatures sharing one
// interpreter's variables.
#include <vector>

#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

Attributes Var(int index) { return Attributes().SetInt("variable", index); }

// Variable w [2, 2] (initially identity). Signatures:
//   infer(x[-1,2]) -> y = x . w            (read is aliased: zero-copy)
//   step(delta[2,2]) -> w_before           (reads w, w += delta, then uses
//                                           the value read: not aliased)
//   set(value[2,2])                        (w = value)
std::shared_ptr<const Model> CounterModel() {
  ModelBuilder b("variable ops");
  const std::vector<float> identity = {1, 0, 0, 1};
  const int buffer = b.AddBuffer({reinterpret_cast<const uint8_t*>(identity.data()),
                                  identity.size() * sizeof(float)});
  b.AddVariable({"w", DType::kFloat32, {2, 2}, Initializer::kConstantBuffer,
                 buffer, 0, true});
  const int x = b.Input("x", DType::kFloat32, {-1, 2});
  const int w = b.Op1(OpCode::kReadVariable, {}, Var(0), "w_read");
  const int y = b.Op1(OpCode::kFullyConnected, {x, w});
  b.AddSignature("infer", {{"x", x}}, {{"y", y}});

  b.AddSubgraph("step");
  const int delta = b.Input("delta", DType::kFloat32, {2, 2});
  const int before = b.Op1(OpCode::kReadVariable, {}, Var(0));
  // The assign runs while `before` is still to be read: the read must copy.
  b.Op(OpCode::kAssignAddVariable, {delta}, Var(0), 0);
  const int copy = b.Op1(OpCode::kFullyConnected,
                         {b.Constant<float>("eye", {2, 2}, identity), before});
  b.AddSignature("step", {{"delta", delta}}, {{"w_before", copy}});

  b.AddSubgraph("set");
  const int value = b.Input("value", DType::kFloat32, {2, 2});
  b.Op(OpCode::kAssignVariable, {value}, Var(0), 0);
  b.AddSignature("set", {{"value", value}}, {});
  auto model = b.BuildModel();
  EXPECT_TRUE(model.ok()) << model.status();
  return *model;
}

std::vector<float> RunInfer(SignatureRunner* infer, std::vector<float> x) {
  EXPECT_TRUE(infer->ResizeInput("x", {static_cast<int64_t>(x.size() / 2), 2}).ok());
  EXPECT_TRUE(infer->AllocateTensors().ok());
  EXPECT_TRUE(infer->SetInput<float>("x", x).ok());
  EXPECT_TRUE(infer->Invoke().ok());
  auto y = *infer->typed_output<float>("y");
  return std::vector<float>(y.begin(), y.end());
}

TEST(VariableOpsTest, SignaturesShareVariablesAcrossCalls) {
  auto interpreter = Interpreter::Create(CounterModel());
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* infer = *(*interpreter)->GetSignatureRunner("infer");
  SignatureRunner* step = *(*interpreter)->GetSignatureRunner("step");
  SignatureRunner* set = *(*interpreter)->GetSignatureRunner("set");
  EXPECT_EQ(RunInfer(infer, {3, 4}), (std::vector<float>{3, 4}));

  ASSERT_TRUE(step->AllocateTensors().ok());
  ASSERT_TRUE(step->SetInput<float>("delta", std::vector<float>{1, 1, 0, 0}).ok());
  const uint64_t version = (*interpreter)->variables().version(0);
  ASSERT_TRUE(step->Invoke().ok());
  EXPECT_GT((*interpreter)->variables().version(0), version);
  // The output is the value before the assign, though the assign ran later.
  auto before = *step->typed_output<float>("w_before");
  EXPECT_EQ(std::vector<float>(before.begin(), before.end()),
            (std::vector<float>{1, 0, 0, 1}));
  // w is now [[2, 1], [0, 1]]: infer sees it.
  EXPECT_EQ(RunInfer(infer, {3, 4}), (std::vector<float>{6, 7}));

  ASSERT_TRUE(set->AllocateTensors().ok());
  ASSERT_TRUE(set->SetInput<float>("value", std::vector<float>{0, 1, 1, 0}).ok());
  ASSERT_TRUE(set->Invoke().ok());
  EXPECT_EQ(RunInfer(infer, {3, 4}), (std::vector<float>{4, 3}));

  ASSERT_TRUE((*interpreter)->ResetVariables().ok());
  EXPECT_EQ(RunInfer(infer, {3, 4}), (std::vector<float>{3, 4}));
}

TEST(VariableOpsTest, ReadIsZeroCopyOnlyWhenNoWriteIntervenes) {
  auto interpreter = Interpreter::Create(CounterModel());
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* infer = *(*interpreter)->GetSignatureRunner("infer");
  SignatureRunner* step = *(*interpreter)->GetSignatureRunner("step");
  EXPECT_EQ(infer->plan().num_aliased_reads(), 1);
  EXPECT_EQ(infer->plan().num_steps(), 1);  // only fully_connected runs
  EXPECT_EQ(step->plan().num_aliased_reads(), 0);
}

TEST(VariableOpsTest, AssignShapeMismatchIsRejectedAtCreate) {
  ModelBuilder b("bad assign");
  b.AddVariable({"w", DType::kFloat32, {2}, Initializer::kZeros, -1, 0, true});
  const int value = b.Input("value", DType::kFloat32, {3});
  b.Op(OpCode::kAssignVariable, {value}, Var(0), 0);
  b.AddSignature("set", {{"value", value}}, {});
  auto model = b.BuildModel();
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(model.status().message()).find("assign_variable node #0"),
            std::string::npos);
}

TEST(VariableOpsTest, VariableIndexOutOfRangeIsRejected) {
  ModelBuilder b("bad read");
  const int w = b.Op1(OpCode::kReadVariable, {}, Var(3));
  b.AddSignature("read", {}, {{"w", w}});
  auto model = b.BuildModel();
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
