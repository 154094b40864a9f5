// String signature inputs: std::string elements owned by the plan outside
// the arena, set through SetInputString / typed_input<std::string>.

#include <string>
#include <vector>

#include "builder/model_builder.h"
#include "engine/interpreter.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

// echo(path: string scalar, names: string [-1], x: float [2]) ->
//   (path, names, y = x + x): strings pass through, floats are computed.
std::unique_ptr<Interpreter> EchoInterpreter() {
  ModelBuilder b("strings");
  const int path = b.Input("path", DType::kString, {});
  const int names = b.Input("names", DType::kString, {-1});
  const int x = b.Input("x", DType::kFloat32, {2});
  const int y = b.Op1(OpCode::kAdd, {x, x}, {}, "y");
  b.AddSignature("echo", {{"path", path}, {"names", names}, {"x", x}},
                 {{"path_out", path}, {"names_out", names}, {"y", y}});
  auto model = b.BuildModel();
  EXPECT_TRUE(model.ok()) << model.status();
  if (!model.ok()) return nullptr;
  auto interpreter = Interpreter::Create(*model);
  EXPECT_TRUE(interpreter.ok()) << interpreter.status();
  return interpreter.ok() ? *std::move(interpreter) : nullptr;
}

TEST(StringInputTest, SetInvokeReadBack) {
  auto interpreter = EchoInterpreter();
  ASSERT_NE(interpreter, nullptr);
  SignatureRunner* r = *interpreter->GetSignatureRunner("echo");
  EXPECT_EQ(r->SetInputString("path", "a.db").code(),
            absl::StatusCode::kFailedPrecondition);
  ASSERT_TRUE(r->ResizeInput("names", {3}).ok());
  ASSERT_TRUE(r->AllocateTensors().ok());
  const std::string long_path(300, 'p');  // no small-string optimization
  ASSERT_TRUE(r->SetInputString("path", long_path).ok());
  auto names = r->typed_input<std::string>("names");
  ASSERT_TRUE(names.ok()) << names.status();
  ASSERT_EQ(names->size(), 3u);
  (*names)[0] = "a";
  (*names)[2] = "c";
  ASSERT_TRUE(r->SetInput<float>("x", std::vector<float>{1.5f, -2.f}).ok());
  ASSERT_TRUE(r->Invoke().ok());
  auto path = r->typed_output<std::string>("path_out");
  ASSERT_TRUE(path.ok()) << path.status();
  EXPECT_EQ((*path)[0], long_path);
  auto names_out = r->typed_output<std::string>("names_out");
  ASSERT_TRUE(names_out.ok());
  EXPECT_THAT(*names_out, ::testing::ElementsAre("a", "", "c"));
  auto y = r->typed_output<float>("y");
  ASSERT_TRUE(y.ok());
  EXPECT_FLOAT_EQ((*y)[0], 3.f);

  // Contents survive an AllocateTensors that keeps the shapes.
  ASSERT_TRUE(r->AllocateTensors().ok());
  EXPECT_EQ((*r->typed_input<std::string>("path"))[0], long_path);
}

TEST(StringInputTest, Errors) {
  auto interpreter = EchoInterpreter();
  ASSERT_NE(interpreter, nullptr);
  SignatureRunner* r = *interpreter->GetSignatureRunner("echo");
  ASSERT_TRUE(r->ResizeInput("names", {2}).ok());
  ASSERT_TRUE(r->AllocateTensors().ok());
  absl::Status status = r->SetInputString("names", "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("holds 2 strings"));
  status = r->SetInputString("x", "x");
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("float32, not string"));
  EXPECT_EQ(r->SetInputString("nope", "x").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(r->typed_input<std::string>("x").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace attune
