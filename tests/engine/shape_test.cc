#include <cstdint>
#include <memory>
#include <vector>

#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/op_tester.h"

namespace attune {
namespace {

using ::attune::testing::OpTester;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

// shape is always folded at prepare time. A folded tensor cannot be a
// signature output yet (see shape_folding_test.cc), so the model also runs an
// identity reshape(x, shape(x)) and the test reads the folded value from the
// plan.
struct Folded {
  std::unique_ptr<Interpreter> interpreter;
  const Tensor* shape = nullptr;
};

Folded RunShape(DType dtype, const Shape& dims, const std::string& out_type) {
  ModelBuilder b("shape test");
  const int x = b.Input("x", dtype, dims);
  Attributes attrs;
  if (!out_type.empty()) attrs.SetString("out_type", out_type);
  const int s = b.Op1(OpCode::kShape, {x}, attrs);
  const int y = b.Op1(OpCode::kReshape, {x, s});
  b.AddSignature("run", {{"x", x}}, {{"y", y}});
  Folded result;
  auto model = b.BuildModel();
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return result;
  auto interpreter = Interpreter::Create(*model);
  EXPECT_TRUE(interpreter.ok()) << interpreter.status();
  if (!interpreter.ok()) return result;
  result.interpreter = std::move(*interpreter);
  SignatureRunner* runner = *result.interpreter->GetSignatureRunner("run");
  EXPECT_TRUE(runner->AllocateTensors().ok());
  EXPECT_TRUE(runner->Invoke().ok());
  EXPECT_EQ(runner->plan().num_steps(), 1);  // only the reshape runs
  result.shape = &runner->plan().tensor(s);
  EXPECT_TRUE(result.shape->is_static);
  return result;
}

TEST(ShapeTest, Int32ByDefault) {
  Folded f = RunShape(DType::kFloat32, {2, 3, 4}, "");
  ASSERT_NE(f.shape, nullptr);
  EXPECT_EQ(f.shape->dtype, DType::kInt32);
  EXPECT_EQ(f.shape->shape, Shape({3}));
  EXPECT_THAT(f.shape->span<int32_t>(), ElementsAre(2, 3, 4));
}

TEST(ShapeTest, Int64AnyInputDTypeAndZeroDims) {
  for (DType dtype : {DType::kBool, DType::kUint8, DType::kInt64}) {
    Folded f = RunShape(dtype, {5, 0, 1}, "int64");
    ASSERT_NE(f.shape, nullptr);
    EXPECT_EQ(f.shape->dtype, DType::kInt64);
    EXPECT_THAT(f.shape->span<int64_t>(), ElementsAre(5, 0, 1));
  }
}

TEST(ShapeTest, ScalarHasEmptyShape) {
  Folded f = RunShape(DType::kInt32, {}, "int32");
  ASSERT_NE(f.shape, nullptr);
  EXPECT_EQ(f.shape->shape, Shape({0}));
}

TEST(ShapeTest, BadOutTypeIsInvalidArgument) {
  OpTester t(OpCode::kShape);
  t.Input<float>({2}, {1, 2}).String("out_type", "float32");
  absl::Status s = t.Run();
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()), HasSubstr("out_type"));
}

}  // namespace
}  // namespace attune
