// Shape arithmetic on a dynamic batch is evaluated at prepare time
// (DESIGN.md, "Static planning"): shape -> strided_slice -> pack/concat ->
// reshape leaves only the reshape to run at Invoke.

#include <cstdint>
#include <memory>
#include <vector>

#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "signatures/execution_plan.h"

namespace attune {
namespace {

using ::testing::Each;
using ::testing::ElementsAre;

Attributes FirstEntry() {
  return Attributes()
      .SetInts("begin", {0})
      .SetInts("end", {1})
      .SetInts("strides", {1});
}

// x [-1, 28, 28] -> reshape(x, [batch, 784]) where the target shape is
// computed from shape(x). `use_pack` picks pack(batch_scalar, 784) (the
// TFLite/Keras Flatten pattern, with shrink_axis) over
// concat(batch_vector, [784]).
std::shared_ptr<const Model> FlattenModel(bool use_pack, int* target) {
  ModelBuilder b("flatten");
  const int x = b.Input("x", DType::kFloat32, {-1, 28, 28});
  const int shape = b.Op1(OpCode::kShape, {x});
  int new_shape;
  if (use_pack) {
    const int batch = b.Op1(OpCode::kStridedSlice, {shape},
                            FirstEntry().SetInt("shrink_axis_mask", 1));
    const std::vector<int32_t> features = {784};
    const int c = b.Constant<int32_t>("features", {}, features);
    new_shape =
        b.Op1(OpCode::kPack, {batch, c}, Attributes().SetInt("axis", 0));
  } else {
    const int batch = b.Op1(OpCode::kStridedSlice, {shape}, FirstEntry());
    const std::vector<int32_t> features = {784};
    const int c = b.Constant<int32_t>("features", {1}, features);
    new_shape =
        b.Op1(OpCode::kConcat, {batch, c}, Attributes().SetInt("axis", 0));
  }
  *target = new_shape;
  const int y = b.Op1(OpCode::kReshape, {x, new_shape});
  b.AddSignature("infer", {{"x", x}}, {{"y", y}});
  auto model = b.BuildModel();
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : nullptr;
}

void CheckFlatten(bool use_pack) {
  int target = -1;
  std::shared_ptr<const Model> model = FlattenModel(use_pack, &target);
  ASSERT_NE(model, nullptr);
  auto interpreter = Interpreter::Create(model);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("infer");
  EXPECT_EQ(*runner->declared_output_shape("y"), Shape({-1, 784}));
  for (int batch : {5, 3}) {
    ASSERT_TRUE(runner->ResizeInput("x", {batch, 28, 28}).ok());
    ASSERT_TRUE(runner->AllocateTensors().ok());
    const ExecutionPlan& plan = runner->plan();
    EXPECT_EQ(plan.num_steps(), 1) << "batch " << batch;
    EXPECT_EQ(plan.step_op(0), OpCode::kReshape);
    EXPECT_GE(plan.num_folded(), 3);
    const Tensor& new_shape = plan.tensor(target);
    EXPECT_TRUE(new_shape.is_static);
    EXPECT_THAT(new_shape.span<int32_t>(), ElementsAre(batch, 784));
    auto x = *runner->typed_input<float>("x");
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) * 0.5f;
    ASSERT_TRUE(runner->Invoke().ok());
    const Tensor& y = **runner->output("y");
    EXPECT_EQ(y.shape, Shape({batch, 784}));
    auto values = *runner->typed_output<float>("y");
    ASSERT_EQ(values.size(), static_cast<size_t>(batch) * 784);
    for (size_t i = 0; i < values.size(); ++i) {
      ASSERT_EQ(values[i], static_cast<float>(i) * 0.5f) << i;
    }
  }
}

TEST(ShapeFoldingTest, ShapeSliceConcatReshapeFoldsToOneStep) {
  CheckFlatten(/*use_pack=*/false);
}

TEST(ShapeFoldingTest, ShapeSlicePackReshapeFoldsToOneStep) {
  CheckFlatten(/*use_pack=*/true);
}

// TFLite's zeros-of-batch pattern: shape -> strided_slice -> fill(dims,
// value). The dims resolve at prepare time, so fill's output shape follows
// the resized batch. The fill value is a signature input here so that fill
// runs as a step.
TEST(ShapeFoldingTest, FillDimsFromShapeResolveStatically) {
  ModelBuilder b("zeros of batch");
  const int x = b.Input("x", DType::kFloat32, {-1, 28, 28});
  const int value = b.Input("value", DType::kFloat32, {});
  const int shape = b.Op1(OpCode::kShape, {x});
  const int dims = b.Op1(OpCode::kStridedSlice, {shape},
                         Attributes()
                             .SetInts("begin", {0})
                             .SetInts("end", {2})
                             .SetInts("strides", {1}));
  const int zeros = b.Op1(OpCode::kFill, {dims, value});
  // A second fill with a constant value is folded entirely.
  const int folded = b.Op1(OpCode::kFill, {dims, b.ConstantScalar("one", 1)});
  b.AddSignature("run", {{"x", x}, {"value", value}},
                 {{"zeros", zeros}, {"ones", folded}});
  auto model = b.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("run");
  EXPECT_EQ(*runner->declared_output_shape("zeros"), Shape({-1, 28}));
  for (int batch : {5, 3}) {
    ASSERT_TRUE(runner->ResizeInput("x", {batch, 28, 28}).ok());
    ASSERT_TRUE(runner->AllocateTensors().ok());
    const ExecutionPlan& plan = runner->plan();
    EXPECT_EQ(plan.num_steps(), 1);
    EXPECT_EQ(plan.step_op(0), OpCode::kFill);
    EXPECT_EQ(plan.num_folded(), 3);  // shape, strided_slice, constant fill
    EXPECT_EQ(plan.tensor(folded).shape, Shape({batch, 28}));
    EXPECT_THAT(plan.tensor(folded).span<float>(), Each(1.0f));
    (*runner->typed_input<float>("value"))[0] = 0.0f;
    ASSERT_TRUE(runner->Invoke().ok());
    EXPECT_EQ((*runner->output("zeros"))->shape, Shape({batch, 28}));
    EXPECT_THAT(*runner->typed_output<float>("zeros"), Each(0.0f));
  }
}

// A signature output folded at prepare time needs no arena space (this
// crashed PlanMemory once: it indexed the missing buffer request).
TEST(ShapeFoldingTest, FoldedFillAsSignatureOutput) {
  ModelBuilder b("folded output");
  const int x = b.Input("x", DType::kFloat32, {-1, 4});
  const int dims = b.Op1(OpCode::kShape, {x});
  const int zeros = b.Op1(OpCode::kFill, {dims, b.ConstantScalar("zero", 0)});
  b.AddSignature("run", {{"x", x}}, {{"zeros", zeros}});
  auto model = b.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok());
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("run");
  ASSERT_TRUE(runner->ResizeInput("x", {6, 4}).ok());
  ASSERT_TRUE(runner->AllocateTensors().ok());
  ASSERT_TRUE(runner->Invoke().ok());
  EXPECT_EQ((*runner->output("zeros"))->shape, Shape({6, 4}));
  EXPECT_THAT(*runner->typed_output<float>("zeros"), Each(0.0f));
}

}  // namespace
}  // namespace attune
