#include "checkpoint/checkpoint.h"

#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sqlite3.h"
#include "tests/checkpoint/test_models.h"
#include "tests/checkpoint/test_util.h"

namespace attune {
namespace {

using ::attune::testing::FillVariables;
using ::attune::testing::SmallInterpreter;
using ::attune::testing::SmallModel;
using ::attune::testing::Snapshot;
using ::attune::testing::TempDir;
using ::testing::HasSubstr;

std::unique_ptr<Interpreter> MakeInterpreter(
    const std::string& first = "dense_1", int hidden = 8) {
  auto interpreter = SmallInterpreter(first, hidden);
  EXPECT_TRUE(interpreter.ok()) << interpreter.status();
  return interpreter.ok() ? *std::move(interpreter) : nullptr;
}

TEST(CheckpointTest, SaveRestoreIsBitExactAndBumpsVersions) {
  TempDir dir;
  const std::string db = dir.File("user.db");
  auto interpreter = MakeInterpreter();
  ASSERT_NE(interpreter, nullptr);
  VariableStore& vars = interpreter->variables();
  FillVariables(vars, 1.5f);
  const auto saved = Snapshot(vars);
  SaveOptions options;
  options.properties = {{"epoch", int64_t{2}}, {"accuracy", 0.75}};
  auto id = Save(*interpreter, db, options);
  ASSERT_TRUE(id.ok()) << id.status();

  FillVariables(vars, -7.0f);
  const uint64_t version = vars.version(0);
  auto info = Restore(*interpreter, db);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->id, *id);
  EXPECT_EQ(info->step, 1);  // optimizer/step was filled with int(1.5)
  EXPECT_EQ(std::get<int64_t>(info->properties.at("epoch")), 2);
  EXPECT_EQ(Snapshot(vars), saved);
  EXPECT_GT(vars.version(0), version);

  // Every variable is stored under its exact name.
  auto store = CheckpointStore::Open(db);
  ASSERT_TRUE(store.ok());
  auto records = (*store)->ListTensors(*id);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(static_cast<int>(records->size()), vars.size());
  for (int i = 0; i < vars.size(); ++i) {
    EXPECT_EQ((*records)[i].name, vars.info(i).name);
  }
}

TEST(CheckpointTest, OptimizerStateExcludable) {
  TempDir dir;
  const std::string db = dir.File("user.db");
  auto interpreter = MakeInterpreter();
  VariableStore& vars = interpreter->variables();
  FillVariables(vars, 1.0f);
  SaveOptions options;
  options.include_optimizer_state = false;
  auto id = Save(*interpreter, db, options);
  ASSERT_TRUE(id.ok()) << id.status();
  auto records = (*CheckpointStore::Open(db))->ListTensors(*id);
  ASSERT_TRUE(records.ok());
  std::vector<std::string> names;
  for (const TensorRecord& r : *records) names.push_back(r.name);
  EXPECT_THAT(names,
              ::testing::UnorderedElementsAre("dense_1/kernel", "dense_1/bias",
                                              "head/kernel", "head/bias"));
  // Restoring weights-only leaves the optimizer state alone.
  FillVariables(vars, 5.0f);
  const auto before = Snapshot(vars);
  ASSERT_TRUE(Restore(*interpreter, db).ok());
  const auto after = Snapshot(vars);
  for (int i = 0; i < vars.size(); ++i) {
    const bool optimizer =
        vars.info(i).name.find("adam") != std::string::npos ||
        vars.info(i).name.rfind("optimizer/", 0) == 0;
    EXPECT_EQ(after[i] == before[i], optimizer) << vars.info(i).name;
  }
}

TEST(CheckpointTest, PartialRestoreByNamesAndPrefix) {
  TempDir dir;
  const std::string db = dir.File("user.db");
  auto interpreter = MakeInterpreter();
  VariableStore& vars = interpreter->variables();
  FillVariables(vars, 1.0f);
  const auto saved = Snapshot(vars);
  ASSERT_TRUE(Save(*interpreter, db).ok());
  FillVariables(vars, 9.0f);
  const auto changed = Snapshot(vars);

  RestoreOptions options;
  options.prefix = "head/";
  options.include_optimizer_state = false;
  ASSERT_TRUE(Restore(*interpreter, db, "latest", options).ok());
  for (int i = 0; i < vars.size(); ++i) {
    const std::string& name = vars.info(i).name;
    const bool restored = name == "head/kernel" || name == "head/bias";
    EXPECT_EQ(Snapshot(vars)[i], restored ? saved[i] : changed[i]) << name;
  }

  RestoreOptions by_name;
  by_name.names = {"dense_1/bias"};
  ASSERT_TRUE(Restore(*interpreter, db, "latest", by_name).ok());
  EXPECT_EQ(Snapshot(vars)[vars.Find("dense_1/bias")],
            saved[vars.Find("dense_1/bias")]);
  by_name.names = {"nope"};
  absl::Status status = Restore(*interpreter, db, "latest", by_name).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(status.message(), HasSubstr("\"nope\""));
}

TEST(CheckpointTest, BackboneFromAnotherModelWithNameMap) {
  TempDir dir;
  const std::string db = dir.File("teacher.db");
  auto teacher = MakeInterpreter("backbone", 8);
  FillVariables(teacher->variables(), 2.0f);
  ASSERT_TRUE(Save(*teacher, db).ok());

  auto student = MakeInterpreter("features", 8);
  VariableStore& vars = student->variables();
  FillVariables(vars, -1.0f);
  RestoreOptions options;
  options.prefix = "features/";
  options.include_optimizer_state = false;
  options.name_map = {{"features/", "backbone/"}};
  // Another architecture: refused unless explicitly allowed.
  absl::Status status = Restore(*student, db, "latest", options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("fingerprint"));
  options.allow_fingerprint_mismatch = true;
  ASSERT_TRUE(Restore(*student, db, "latest", options).ok());
  auto got = vars.Get<float>("features/kernel");
  auto want = teacher->variables().Get<float>("backbone/kernel");
  ASSERT_TRUE(got.ok() && want.ok());
  EXPECT_TRUE(std::equal(got->begin(), got->end(), want->begin(), want->end()));
}

TEST(CheckpointTest, FailedRestoreChangesNothing) {
  TempDir dir;
  const std::string db = dir.File("user.db");
  auto small = MakeInterpreter("dense_1", 8);
  FillVariables(small->variables(), 1.0f);
  ASSERT_TRUE(Save(*small, db).ok());

  // Same names, another hidden size: the shapes differ.
  auto wide = MakeInterpreter("dense_1", 16);
  VariableStore& vars = wide->variables();
  FillVariables(vars, 4.0f);
  const auto before = Snapshot(vars);
  std::vector<uint64_t> versions;
  for (int i = 0; i < vars.size(); ++i) versions.push_back(vars.version(i));
  RestoreOptions options;
  options.allow_fingerprint_mismatch = true;
  absl::Status status = Restore(*wide, db, "latest", options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("dense_1/kernel"));
  EXPECT_EQ(Snapshot(vars), before);
  for (int i = 0; i < vars.size(); ++i) EXPECT_EQ(vars.version(i), versions[i]);

  // A corrupt tensor late in the checkpoint: nothing before it is written.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw,
                         "UPDATE tensors SET data = zeroblob(length(data)) "
                         "WHERE name = 'head/bias'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  VariableStore& small_vars = small->variables();
  FillVariables(small_vars, 3.0f);
  const auto small_before = Snapshot(small_vars);
  status = Restore(*small, db).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("\"head/bias\""));
  EXPECT_EQ(Snapshot(small_vars), small_before);
}

TEST(CheckpointTest, NominalCheckpoint) {
  TempDir dir;
  const std::string db = dir.File("app.db");
  auto model = SmallModel();
  ASSERT_TRUE(model.ok());
  auto id = SaveNominal(**model, db);
  ASSERT_TRUE(id.ok()) << id.status();
  auto list = ListCheckpoints(db);
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_TRUE((*list)[0].nominal);
  auto interpreter = MakeInterpreter();
  EXPECT_EQ((*list)[0].fingerprint,
            ModelFingerprint((*model)->graph().variables));
  absl::Status status = Restore(*interpreter, db).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(status.message(), HasSubstr("nominal"));
  // Weights arrive later as a full checkpoint of the same model.
  FillVariables(interpreter->variables(), 1.0f);
  ASSERT_TRUE(Save(*interpreter, db).ok());
  EXPECT_TRUE(Restore(*interpreter, db).ok());
}

TEST(CheckpointTest, FingerprintIsArchitectureNotWeights) {
  auto a = SmallModel();
  auto b = SmallModel();
  auto c = SmallModel("dense_1", 9);
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  const std::string fa = ModelFingerprint((*a)->graph().variables);
  EXPECT_EQ(fa.size(), 16u);
  EXPECT_EQ(fa, ModelFingerprint((*b)->graph().variables));
  EXPECT_NE(fa, ModelFingerprint((*c)->graph().variables));
}

TEST(CheckpointTest, SelectorsPropertiesDeleteVerify) {
  TempDir dir;
  const std::string db = dir.File("user.db");
  auto interpreter = MakeInterpreter();
  VariableStore& vars = interpreter->variables();
  FillVariables(vars, 1.0f);
  const auto first = Snapshot(vars);
  SaveOptions tagged;
  tagged.tag = "baseline";
  tagged.step = 100;
  ASSERT_TRUE(Save(*interpreter, db, tagged).ok());
  FillVariables(vars, 2.0f);
  auto second = Save(*interpreter, db);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(
      SetCheckpointProperty(db, "latest", "note", std::string("x")).ok());
  EXPECT_EQ(
      std::get<std::string>(GetCheckpointProperties(db, "latest")->at("note")),
      "x");
  auto info = Restore(*interpreter, db, "baseline");
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->step, 100);
  EXPECT_EQ(Snapshot(vars), first);
  EXPECT_TRUE(VerifyCheckpoints(db).ok());
  ASSERT_TRUE(DeleteCheckpoint(db, std::to_string(*second)).ok());
  EXPECT_EQ(ListCheckpoints(db)->size(), 1u);
  EXPECT_EQ(DeleteCheckpoint(db, "nope").code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ListCheckpoints(dir.File("absent.db")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Restore(*interpreter, dir.File("absent.db")).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(DeleteCheckpoint(dir.File("absent.db"), "1").code(),
            absl::StatusCode::kNotFound);
  EXPECT_FALSE(std::filesystem::exists(dir.File("absent.db")));
  // Retention through SaveOptions.
  SaveOptions keep;
  keep.keep_last = 2;
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(Save(*interpreter, db, keep).ok());
  EXPECT_EQ(ListCheckpoints(db)->size(), 3u);  // 2 + the tagged one
}

}  // namespace
}  // namespace attune
