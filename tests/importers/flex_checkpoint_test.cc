// Flex Save/SaveV2/Restore/RestoreV2 mapped onto attune checkpoint
// databases (save_tensors / restore_tensors), on files shaped like
// TensorFlow's on-device training recipe (flex_checkpoint_model.h).

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "checkpoint/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/importers/flex_checkpoint_model.h"
#include "tests/importers/tflite_test_util.h"

namespace attune {
namespace tflite {
namespace {

using ::testing::HasSubstr;

const std::vector<float> kSetKernel = {9, 8, 7, 6, 5, 4};
const std::vector<float> kSetBias = {-1, -2, -3};

class FlexCheckpointTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    dir_ = std::string(base ? base : "/tmp") + "/attune_flexckpt_XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
    FlexCheckpointModelOptions options;
    options.v2 = GetParam();
    absl::StatusOr<Graph> graph = ImportTflite(FlexCheckpointModel(options));
    ASSERT_TRUE(graph.ok()) << graph.status();
    graph_ = *graph;
    absl::StatusOr<std::shared_ptr<const Model>> model =
        Model::FromGraph(*std::move(graph));
    ASSERT_TRUE(model.ok()) << model.status();
    absl::StatusOr<std::unique_ptr<Interpreter>> interp =
        Interpreter::Create(*model);
    ASSERT_TRUE(interp.ok()) << interp.status();
    interp_ = *std::move(interp);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  std::string Db(const std::string& name) const { return dir_ + "/" + name; }

  absl::Status RunWithPath(const std::string& key, const std::string& path) {
    absl::StatusOr<SignatureRunner*> runner = Runner(*interp_, key);
    if (!runner.ok()) return runner.status();
    absl::Status s = (*runner)->SetInputString("checkpoint_path", path);
    if (!s.ok()) return s;
    return (*runner)->Invoke();
  }

  void Set(const std::vector<float>& kernel, const std::vector<float>& bias) {
    absl::StatusOr<SignatureRunner*> runner = Runner(*interp_, "set");
    ASSERT_TRUE(runner.ok()) << runner.status();
    ASSERT_TRUE((*runner)->SetInput<float>("kernel", kernel).ok());
    ASSERT_TRUE((*runner)->SetInput<float>("bias", bias).ok());
    ASSERT_TRUE((*runner)->Invoke().ok());
  }

  // The variables' current values, kernel then bias.
  std::vector<float> Get() {
    absl::StatusOr<SignatureRunner*> runner = Runner(*interp_, "get");
    EXPECT_TRUE(runner.ok()) << runner.status();
    if (!runner.ok()) return {};
    EXPECT_TRUE((*runner)->Invoke().ok());
    std::vector<float> values;
    for (const char* name : {"kernel", "bias"}) {
      auto out = (*runner)->typed_output<float>(name);
      EXPECT_TRUE(out.ok()) << out.status();
      if (out.ok()) values.insert(values.end(), out->begin(), out->end());
    }
    return values;
  }

  // Writes a checkpoint of `tensors` into database `path` directly.
  static void WriteCheckpoint(const std::string& path,
                              const std::vector<TensorToWrite>& tensors) {
    auto store = CheckpointStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    CheckpointToWrite c;
    c.tensors = tensors;
    ASSERT_TRUE((*store)->Write(c).ok());
  }

  static absl::Span<const uint8_t> BytesOf(const std::vector<float>& v) {
    return {reinterpret_cast<const uint8_t*>(v.data()), v.size() * 4};
  }

  std::string dir_;
  Graph graph_;
  std::unique_ptr<Interpreter> interp_;
};

// Bit-exact comparison (restores copy bytes; no tolerance applies).
void ExpectBitExact(const std::vector<float>& actual,
                    const std::vector<float>& expected) {
  ASSERT_EQ(actual.size(), expected.size());
  EXPECT_EQ(std::memcmp(actual.data(), expected.data(), actual.size() * 4), 0);
}

std::vector<float> Initial() {
  std::vector<float> v(kInitKernel, kInitKernel + 6);
  v.insert(v.end(), kInitBias, kInitBias + 3);
  return v;
}

TEST_P(FlexCheckpointTest, RestoreIsOneNativeOpPerSubgraph) {
  const Signature* restore = graph_.FindSignature("restore");
  ASSERT_NE(restore, nullptr);
  int restores = 0, outputs = 0;
  for (const Node& node : graph_.subgraphs[restore->subgraph].nodes) {
    if (node.op == OpCode::kRestoreTensors) {
      ++restores;
      outputs = static_cast<int>(node.outputs.size());
    }
  }
  EXPECT_EQ(restores, 1);
  EXPECT_EQ(outputs, 2);
}

TEST_P(FlexCheckpointTest, SaveChangeRestoreIsBitExact) {
  const std::vector<float> saved = Initial();
  ASSERT_TRUE(RunWithPath("save", Db("c.db")).ok());
  Set(kSetKernel, kSetBias);
  std::vector<float> changed = kSetKernel;
  changed.insert(changed.end(), kSetBias.begin(), kSetBias.end());
  ExpectBitExact(Get(), changed);
  absl::Status s = RunWithPath("restore", Db("c.db"));
  ASSERT_TRUE(s.ok()) << s;
  ExpectBitExact(Get(), saved);

  // One checkpoint, TF names and shapes, the model's fingerprint.
  auto store = CheckpointStore::Open(Db("c.db"));
  ASSERT_TRUE(store.ok());
  auto list = (*store)->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].num_tensors, 2);
  EXPECT_EQ((*list)[0].fingerprint.size(), 16u);
  auto records = (*store)->ListTensors((*list)[0].id);
  ASSERT_TRUE(records.ok());
  ASSERT_EQ(records->size(), 2u);
  EXPECT_EQ((*records)[0].name, "dense/kernel:0");
  EXPECT_EQ((*records)[0].shape, Shape({2, 3}));
  EXPECT_EQ((*records)[1].name, "dense/bias:0");
  EXPECT_EQ((*records)[1].shape, Shape({3}));
}

TEST_P(FlexCheckpointTest, RestoreReadsTheLatestCheckpoint) {
  ASSERT_TRUE(RunWithPath("save", Db("c.db")).ok());
  Set(kSetKernel, kSetBias);
  ASSERT_TRUE(RunWithPath("save", Db("c.db")).ok());
  Set({0, 0, 0, 0, 0, 0}, {0, 0, 0});
  ASSERT_TRUE(RunWithPath("restore", Db("c.db")).ok());
  std::vector<float> latest = kSetKernel;
  latest.insert(latest.end(), kSetBias.begin(), kSetBias.end());
  ExpectBitExact(Get(), latest);
}

TEST_P(FlexCheckpointTest, MissingTensorLeavesEveryVariableUnchanged) {
  const std::vector<float> kernel = {1, 1, 1, 1, 1, 1};
  WriteCheckpoint(
      Db("c.db"),
      {{"dense/kernel:0", DType::kFloat32, {2, 3}, BytesOf(kernel)}});
  absl::Status s = RunWithPath("restore", Db("c.db"));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("\"dense/bias:0\""));
  EXPECT_THAT(std::string(s.message()), HasSubstr(Db("c.db")));
  ExpectBitExact(Get(), Initial());
}

TEST_P(FlexCheckpointTest, WrongDtypeOrShapeLeavesEveryVariableUnchanged) {
  const std::vector<float> kernel = {1, 1, 1, 1, 1, 1};
  const std::vector<int32_t> bias = {1, 2, 3};
  WriteCheckpoint(Db("dtype.db"),
                  {{"dense/kernel:0", DType::kFloat32, {2, 3}, BytesOf(kernel)},
                   {"dense/bias:0",
                    DType::kInt32,
                    {3},
                    {reinterpret_cast<const uint8_t*>(bias.data()), 12}}});
  absl::Status s = RunWithPath("restore", Db("dtype.db"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(s.message()),
              HasSubstr("\"dense/bias:0\" is int32[3]"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("expected float32[3]"));
  ExpectBitExact(Get(), Initial());

  WriteCheckpoint(Db("shape.db"),
                  {{"dense/kernel:0", DType::kFloat32, {3, 2}, BytesOf(kernel)},
                   {"dense/bias:0", DType::kFloat32, {3}, BytesOf(kSetBias)}});
  s = RunWithPath("restore", Db("shape.db"));
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(
      std::string(s.message()),
      HasSubstr("\"dense/kernel:0\" is float32[3,2], expected float32[2,3]"));
  ExpectBitExact(Get(), Initial());
}

// Flips one byte of the saved kernel's data in the database file (found by
// its bytes, so this does not depend on the store's table layout).
bool CorruptKernelData(const std::string& path) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)),
                    std::istreambuf_iterator<char>());
  const std::string kernel(reinterpret_cast<const char*>(kInitKernel),
                           sizeof(kInitKernel));
  const size_t at = bytes.find(kernel);
  if (at == std::string::npos) return false;
  f.clear();
  f.seekp(static_cast<std::streamoff>(at + 5));
  f.put(static_cast<char>(bytes[at + 5] ^ 0x40));
  return static_cast<bool>(f);
}

TEST_P(FlexCheckpointTest, CorruptTensorIsDataLossAndChangesNothing) {
  ASSERT_TRUE(RunWithPath("save", Db("c.db")).ok());
  Set(kSetKernel, kSetBias);
  const bool corrupted =
      CorruptKernelData(Db("c.db")) || CorruptKernelData(Db("c.db") + "-wal");
  if (!corrupted) GTEST_SKIP() << "the kernel's bytes are not stored raw";
  absl::Status s = RunWithPath("restore", Db("c.db"));
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("dense/kernel:0"));
  std::vector<float> changed = kSetKernel;
  changed.insert(changed.end(), kSetBias.begin(), kSetBias.end());
  ExpectBitExact(Get(), changed);
}

TEST_P(FlexCheckpointTest, MissingDatabaseIsNotFoundAndCreatesNoFile) {
  const std::string path = Db("nope.db");
  absl::Status s = RunWithPath("restore", path);
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr(path));
  EXPECT_FALSE(std::filesystem::exists(path));
  ExpectBitExact(Get(), Initial());
  // An empty path is refused too.
  EXPECT_EQ(RunWithPath("restore", "").code(),
            absl::StatusCode::kInvalidArgument);
}

INSTANTIATE_TEST_SUITE_P(SaveRestoreAndV2, FlexCheckpointTest,
                         ::testing::Bool(),
                         [](const ::testing::TestParamInfo<bool>& info) {
                           return info.param ? "V2" : "V1";
                         });

// Without an init subgraph, the shapeless restored tensors are the first
// assigned to the variables; the ranked ones of later subgraphs type them.
TEST(FlexCheckpointImport, ShapelessRestoreBeforeInitlessVariables) {
  FlexCheckpointModelOptions options;
  options.with_init = false;
  absl::StatusOr<Graph> graph = ImportTflite(FlexCheckpointModel(options));
  ASSERT_TRUE(graph.ok()) << graph.status();
  ASSERT_EQ(graph->variables.size(), 2u);
  EXPECT_EQ(graph->variables[0].shape, Shape({2, 3}));
  EXPECT_EQ(graph->variables[1].shape, Shape({3}));
  const Signature* restore = graph->FindSignature("restore");
  ASSERT_NE(restore, nullptr);
  bool found = false;
  for (const Node& node : graph->subgraphs[restore->subgraph].nodes) {
    if (node.op != OpCode::kRestoreTensors) continue;
    found = true;
    EXPECT_EQ(
        graph->subgraphs[restore->subgraph].tensors[node.outputs[0]].shape,
        Shape({2, 3}));
  }
  EXPECT_TRUE(found);
}

TEST(FlexCheckpointImport, PartialSliceIsUnimplemented) {
  FlexCheckpointModelOptions options;
  options.v2 = true;
  options.bias_slice = "3 0,2";
  absl::StatusOr<Graph> graph = ImportTflite(FlexCheckpointModel(options));
  EXPECT_EQ(graph.status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_THAT(std::string(graph.status().message()),
              HasSubstr("tensor \"dense/bias:0\": partial slice \"3 0,2\""));
  EXPECT_THAT(std::string(graph.status().message()), HasSubstr("FlexSaveV2"));
}

// A Restore whose name is a signature input (not constant) is mapped alone,
// with the name read at run time.
TEST(FlexCheckpointImport, ComputedNameRestoresPerOp) {
  using TT = tfl::TensorType;
  TfliteWriter w;
  const int path = w.Tensor("path", TT::STRING, {});
  const int name = w.Tensor("name", TT::STRING, {});
  const int out = w.Tensor("value", TT::FLOAT32, {3});
  w.Custom("FlexRestore", {path, name}, {out}, FlexOptions("Restore"));
  w.AddSignature("restore", w.EndSubgraph({path, name}, {out}, "restore"),
                 {{"path", path}, {"name", name}}, {{"value", out}});
  absl::StatusOr<Graph> graph = ImportTflite(w.Finish({}, {}));
  ASSERT_TRUE(graph.ok()) << graph.status();
  auto model = Model::FromGraph(*std::move(graph));
  ASSERT_TRUE(model.ok()) << model.status();
  auto interp = Interpreter::Create(*model);
  ASSERT_TRUE(interp.ok());
  char dir[] = "/tmp/attune_flexckpt_name_XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string db = std::string(dir) + "/c.db";
  const std::vector<float> values = {4, 5, 6};
  {
    auto store = CheckpointStore::Open(db);
    ASSERT_TRUE(store.ok());
    CheckpointToWrite c;
    c.tensors.push_back(
        {"w",
         DType::kFloat32,
         {3},
         {reinterpret_cast<const uint8_t*>(values.data()), 12}});
    ASSERT_TRUE((*store)->Write(c).ok());
  }
  auto runner = Runner(**interp, "restore");
  ASSERT_TRUE(runner.ok()) << runner.status();
  ASSERT_TRUE((*runner)->SetInputString("path", db).ok());
  ASSERT_TRUE((*runner)->SetInputString("name", "w").ok());
  absl::Status s = (*runner)->Invoke();
  ASSERT_TRUE(s.ok()) << s;
  EXPECT_THAT(*(*runner)->typed_output<float>("value"),
              ::testing::ElementsAre(4, 5, 6));
  ASSERT_TRUE((*runner)->SetInputString("name", "other").ok());
  s = (*runner)->Invoke();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(s.message()), HasSubstr("\"other\""));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

}  // namespace
}  // namespace tflite
}  // namespace attune
