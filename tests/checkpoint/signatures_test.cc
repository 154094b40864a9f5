// The save(path) / restore(path) signatures of compiled models and their
// save_checkpoint / restore_checkpoint kernels.

#include <filesystem>
#include <string>
#include <vector>

#include "builder/model_builder.h"
#include "builder/training.h"
#include "checkpoint/checkpoint.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/checkpoint/test_models.h"
#include "tests/checkpoint/test_util.h"

namespace attune {
namespace {

using ::attune::testing::FillVariables;
using ::attune::testing::SmallModel;
using ::attune::testing::Snapshot;
using ::attune::testing::TempDir;
using ::testing::HasSubstr;

absl::StatusOr<int64_t> RunPathSignature(Interpreter& interpreter,
                                         const std::string& key,
                                         const std::string& path,
                                         const std::string& output) {
  ATTUNE_ASSIGN_OR_RETURN(SignatureRunner * runner,
                          interpreter.GetSignatureRunner(key));
  ATTUNE_RETURN_IF_ERROR(runner->AllocateTensors());
  ATTUNE_RETURN_IF_ERROR(runner->SetInputString("path", path));
  ATTUNE_RETURN_IF_ERROR(runner->Invoke());
  ATTUNE_ASSIGN_OR_RETURN(absl::Span<const int64_t> value,
                          runner->typed_output<int64_t>(output));
  return value[0];
}

TEST(CheckpointSignaturesTest, CompiledModelSavesAndRestoresThroughFile) {
  TempDir dir;
  const std::string db = dir.File("user.db");
  const std::string model_path = dir.File("small.attune");
  auto model = SmallModel();
  ASSERT_TRUE(model.ok()) << model.status();
  const Graph& graph = (*model)->graph();
  ASSERT_NE(graph.FindSignature("save"), nullptr);
  ASSERT_NE(graph.FindSignature("restore"), nullptr);
  ASSERT_TRUE(WriteModelFile(graph, model_path).ok());
  auto loaded = Model::Load(model_path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  auto created = Interpreter::Create(*loaded);
  ASSERT_TRUE(created.ok()) << created.status();
  Interpreter& interpreter = **created;
  VariableStore& vars = interpreter.variables();

  FillVariables(vars, 6.0f);  // optimizer/step = 6
  const auto saved = Snapshot(vars);
  auto id = RunPathSignature(interpreter, "save", db, "checkpoint_id");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, 1);
  // The C++ API reads what the signature wrote, under the variable names.
  auto list = ListCheckpoints(db);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].step, 6);
  EXPECT_EQ((*list)[0].num_tensors, vars.size());

  FillVariables(vars, -3.0f);
  auto step = RunPathSignature(interpreter, "restore", db, "step");
  ASSERT_TRUE(step.ok()) << step.status();
  EXPECT_EQ(*step, 6);
  EXPECT_EQ(Snapshot(vars), saved);

  // A second interpreter on the same model (a recompiled identical model
  // would do too: the fingerprint depends on the architecture only).
  auto other = Interpreter::Create(*loaded);
  ASSERT_TRUE(other.ok());
  ASSERT_TRUE(RunPathSignature(**other, "restore", db, "step").ok());
  EXPECT_EQ(Snapshot((*other)->variables()), saved);
}

TEST(CheckpointSignaturesTest, RestoreErrorsComeFromInvokeAndChangeNothing) {
  TempDir dir;
  auto model = SmallModel();
  ASSERT_TRUE(model.ok());
  auto created = Interpreter::Create(*model);
  ASSERT_TRUE(created.ok());
  Interpreter& interpreter = **created;
  FillVariables(interpreter.variables(), 2.0f);
  const auto before = Snapshot(interpreter.variables());

  absl::Status status =
      RunPathSignature(interpreter, "restore", dir.File("none.db"), "step")
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr("restore_checkpoint node"));
  EXPECT_THAT(status.message(), HasSubstr("none.db"));
  EXPECT_FALSE(std::filesystem::exists(dir.File("none.db")));
  // An existing database without checkpoints.
  ASSERT_TRUE(CheckpointStore::Open(dir.File("empty.db")).ok());
  status =
      RunPathSignature(interpreter, "restore", dir.File("empty.db"), "step")
          .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound) << status;
  EXPECT_THAT(status.message(), HasSubstr("has no checkpoint"));

  status = RunPathSignature(interpreter, "restore", "", "step").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("path is empty"));

  // A checkpoint of another architecture.
  auto wide = attune::testing::SmallInterpreter("dense_1", 16);
  ASSERT_TRUE(wide.ok());
  ASSERT_TRUE(Save(**wide, dir.File("wide.db")).ok());
  status = RunPathSignature(interpreter, "restore", dir.File("wide.db"), "step")
               .status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("fingerprint"));
  EXPECT_EQ(Snapshot(interpreter.variables()), before);
}

TEST(CheckpointSignaturesTest, ModelsWithoutTheSignaturesUseTheCppApi) {
  TempDir dir;
  ModelBuilder b("plain");
  const int w = b.AddVariable({"w", DType::kFloat32, {3}, Initializer::kOnes});
  const int x = b.Input("x", DType::kFloat32, {3});
  const int read = b.Op1(OpCode::kReadVariable, {},
                         Attributes().SetInt("variable", w), "w_read");
  b.AddSignature("infer", {{"x", x}},
                 {{"y", b.Op1(OpCode::kMul, {x, read}, {}, "y")}});
  auto model = b.BuildModel();
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok());
  EXPECT_EQ((*interpreter)->GetSignatureRunner("save").status().code(),
            absl::StatusCode::kNotFound);
  ASSERT_TRUE(Save(**interpreter, dir.File("a.db")).ok());
  ASSERT_TRUE((*interpreter)
                  ->variables()
                  .Set<float>("w", std::vector<float>{5, 5, 5})
                  .ok());
  ASSERT_TRUE(Restore(**interpreter, dir.File("a.db")).ok());
  EXPECT_THAT(*(*interpreter)->variables().Get<float>("w"),
              ::testing::ElementsAre(1.f, 1.f, 1.f));
}

TEST(CheckpointSignaturesTest, CheckpointSignaturesAreAddedOnce) {
  auto model = SmallModel();
  ASSERT_TRUE(model.ok());
  absl::Status status = AddCheckpointSignatures((*model)->graph()).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("\"save\""));
}

}  // namespace
}  // namespace attune
