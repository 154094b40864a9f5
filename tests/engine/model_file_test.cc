// The model file: serialize -> parse round trips of every schema field,
// mmap loading with constant buffers used in place, atomic writes, and the
// errors Model::Load gives for files that are not models.

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdint>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "attune_generated.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "flatbuffers/flatbuffers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fuzz/sample_models.h"

namespace attune {
namespace {

using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

absl::Span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

template <typename T>
ConstantBuffer BufferOf(const std::vector<T>& values) {
  return ConstantBuffer::Copy({reinterpret_cast<const uint8_t*>(values.data()),
                               values.size() * sizeof(T)});
}

int AddTensor(Graph& g, int subgraph, std::string name, DType dtype,
              Shape shape, int buffer = -1,
              std::optional<Quantization> quantization = std::nullopt) {
  auto& tensors = g.subgraphs[subgraph].tensors;
  tensors.push_back(
      {std::move(name), dtype, std::move(shape), buffer, quantization});
  return static_cast<int>(tensors.size()) - 1;
}

int AddBuffer(Graph& g, ConstantBuffer buffer) {
  g.buffers.push_back(std::move(buffer));
  return static_cast<int>(g.buffers.size()) - 1;
}

// A graph that sets every field of the schema at least once (it validates
// but is not meant to run: most of its ops have no kernel in this branch).
Graph EveryFieldGraph() {
  Graph g;
  g.description = "every schema field";
  g.subgraphs.resize(2);
  g.subgraphs[0].name = "all_dtypes";
  g.subgraphs[1].name = "second";

  // One constant of every dtype; quantization per tensor and per channel.
  AddTensor(g, 0, "f32", DType::kFloat32, {2, 3},
            AddBuffer(g, BufferOf<float>({1, 2, 3, 4, 5, 6.5f})));
  AddTensor(g, 0, "i32", DType::kInt32, {4},
            AddBuffer(g, BufferOf<int32_t>({-1, 0, 1, INT32_MAX})));
  AddTensor(g, 0, "i64", DType::kInt64, {2},
            AddBuffer(g, BufferOf<int64_t>({INT64_MIN, 7})));
  AddTensor(g, 0, "bool", DType::kBool, {3},
            AddBuffer(g, BufferOf<uint8_t>({1, 0, 1})));
  AddTensor(g, 0, "u8", DType::kUint8, {5},
            AddBuffer(g, BufferOf<uint8_t>({0, 1, 128, 254, 255})),
            Quantization{{0.5f}, {128}, 0});
  AddTensor(g, 0, "i8", DType::kInt8, {2, 2},
            AddBuffer(g, BufferOf<int8_t>({-128, -1, 0, 127})),
            Quantization{{0.1f, 0.2f}, {0, -3}, 1});
  AddTensor(g, 0, "f16", DType::kFloat16, {2},
            AddBuffer(g, BufferOf<uint16_t>({0x3C00, 0xC000})));
  AddTensor(g, 0, "str", DType::kString, {},
            AddBuffer(g, BufferOf<char>({'h', 'i', '\0', '!'})));
  AddTensor(g, 0, "empty", DType::kFloat32, {0, 4},
            AddBuffer(g, ConstantBuffer::Copy({})));
  // Graph inputs with dynamic dims, scale-only quantization.
  const int x = AddTensor(g, 0, "x", DType::kFloat32, {-1, 3, -1});
  const int q = AddTensor(g, 0, "q", DType::kInt8, {-1, 4}, -1,
                          Quantization{{0.25f}, {}, 0});
  const int sum = AddTensor(g, 0, "sum", DType::kFloat32, {-1, 3, -1});
  const int fc = AddTensor(g, 0, "fc", DType::kFloat32, {-1, 3});
  const int cat = AddTensor(g, 0, "cat", DType::kFloat32, {});
  const int part0 = AddTensor(g, 0, "part:0", DType::kInt8, {4});
  const int part1 = AddTensor(g, 0, "part:1", DType::kInt8, {4});

  Node add;
  add.op = OpCode::kAdd;
  add.inputs = {x, 0};
  add.outputs = {sum};
  add.attrs.SetInt("int", -(int64_t{1} << 40))
      .SetFloat("float", 0.1)
      .SetString("string", std::string("a\0b", 3))
      .SetInts("ints", {1, -1, INT64_MAX})
      .SetFloats("floats", {1e-30, -2.5})
      .SetInts("empty_ints", {})
      .SetString("empty_string", "");
  g.subgraphs[0].nodes.push_back(add);
  Node dense;
  dense.op = OpCode::kFullyConnected;
  dense.inputs = {x, 0, -1};  // omitted optional bias
  dense.outputs = {fc};
  g.subgraphs[0].nodes.push_back(dense);
  Node concat;
  concat.op = OpCode::kConcat;
  concat.inputs = {sum, fc, x, 0};  // variadic
  concat.outputs = {cat};
  concat.attrs.SetInt("axis", -1);
  g.subgraphs[0].nodes.push_back(concat);
  Node unpack;
  unpack.op = OpCode::kUnpack;
  unpack.inputs = {q};
  unpack.outputs = {part0, part1};  // variadic outputs
  g.subgraphs[0].nodes.push_back(unpack);

  const int u = AddTensor(g, 1, "u", DType::kInt64, {-1});
  const int v = AddTensor(g, 1, "v", DType::kInt64, {-1});
  Node neg;
  neg.op = OpCode::kNeg;
  neg.inputs = {u};
  neg.outputs = {v};
  g.subgraphs[1].nodes.push_back(neg);

  g.signatures.push_back({"infer", 0, {{"x", x}}, {{"y", cat}, {"fc", fc}}});
  g.signatures.push_back(
      {"parts", 0, {{"q", q}}, {{"p0", part0}, {"p1", part1}}});
  g.signatures.push_back({"negate", 1, {{"u", u}}, {{"v", v}}});
  g.signatures.push_back({"nothing", 1, {}, {}});

  const int init = AddBuffer(g, BufferOf<float>({0.5f, -0.5f}));
  g.variables.push_back(
      {"zeros", DType::kFloat32, {2, 2}, Initializer::kZeros, -1, 0, true});
  g.variables.push_back(
      {"ones", DType::kInt32, {3}, Initializer::kOnes, -1, 0, false});
  g.variables.push_back({"from_buffer",
                         DType::kFloat32,
                         {2},
                         Initializer::kConstantBuffer,
                         init,
                         0,
                         true});
  g.variables.push_back({"glorot_u",
                         DType::kFloat32,
                         {4, 5},
                         Initializer::kGlorotUniform,
                         -1,
                         1,
                         true});
  g.variables.push_back({"glorot_n",
                         DType::kFloat32,
                         {4, 5},
                         Initializer::kGlorotNormal,
                         -1,
                         UINT64_MAX,
                         true});
  g.variables.push_back({"he_u",
                         DType::kFloat32,
                         {3, 3, 1, 2},
                         Initializer::kHeUniform,
                         -1,
                         3,
                         true});
  g.variables.push_back(
      {"he_n", DType::kFloat32, {7}, Initializer::kHeNormal, -1, 4, true});
  g.variables.push_back(
      {"optimizer/step", DType::kInt64, {}, Initializer::kZeros, -1, 0, false});

  g.metadata = {{"author", "attune"},
                {"empty", ""},
                {"binary", std::string("\x01\x00\xff", 3)},
                {"author", "duplicate keys are kept in order"}};
  return g;
}

void ExpectSameGraph(const Graph& a, const Graph& b) {
  EXPECT_EQ(a.description, b.description);
  ASSERT_EQ(a.subgraphs.size(), b.subgraphs.size());
  for (size_t s = 0; s < a.subgraphs.size(); ++s) {
    SCOPED_TRACE(absl::StrCat("subgraph ", s));
    const Subgraph& sa = a.subgraphs[s];
    const Subgraph& sb = b.subgraphs[s];
    EXPECT_EQ(sa.name, sb.name);
    ASSERT_EQ(sa.tensors.size(), sb.tensors.size());
    for (size_t t = 0; t < sa.tensors.size(); ++t) {
      SCOPED_TRACE(absl::StrCat("tensor ", t, " ", sa.tensors[t].name));
      const TensorInfo& ta = sa.tensors[t];
      const TensorInfo& tb = sb.tensors[t];
      EXPECT_EQ(ta.name, tb.name);
      EXPECT_EQ(ta.dtype, tb.dtype);
      EXPECT_EQ(ta.shape, tb.shape);
      EXPECT_EQ(ta.buffer, tb.buffer);
      ASSERT_EQ(ta.quantization.has_value(), tb.quantization.has_value());
      if (ta.quantization.has_value()) {
        EXPECT_EQ(ta.quantization->scale, tb.quantization->scale);
        EXPECT_EQ(ta.quantization->zero_point, tb.quantization->zero_point);
        EXPECT_EQ(ta.quantization->axis, tb.quantization->axis);
      }
    }
    ASSERT_EQ(sa.nodes.size(), sb.nodes.size());
    for (size_t n = 0; n < sa.nodes.size(); ++n) {
      SCOPED_TRACE(absl::StrCat("node ", n));
      EXPECT_EQ(sa.nodes[n].op, sb.nodes[n].op);
      EXPECT_EQ(sa.nodes[n].inputs, sb.nodes[n].inputs);
      EXPECT_EQ(sa.nodes[n].outputs, sb.nodes[n].outputs);
      EXPECT_EQ(sa.nodes[n].attrs.entries(), sb.nodes[n].attrs.entries());
    }
  }
  ASSERT_EQ(a.buffers.size(), b.buffers.size());
  for (size_t i = 0; i < a.buffers.size(); ++i) {
    EXPECT_EQ(
        std::string(a.buffers[i].bytes().begin(), a.buffers[i].bytes().end()),
        std::string(b.buffers[i].bytes().begin(), b.buffers[i].bytes().end()))
        << "buffer " << i;
  }
  ASSERT_EQ(a.signatures.size(), b.signatures.size());
  for (size_t i = 0; i < a.signatures.size(); ++i) {
    const Signature& x = a.signatures[i];
    const Signature& y = b.signatures[i];
    EXPECT_EQ(x.key, y.key);
    EXPECT_EQ(x.subgraph, y.subgraph);
    ASSERT_EQ(x.inputs.size(), y.inputs.size());
    ASSERT_EQ(x.outputs.size(), y.outputs.size());
    for (size_t k = 0; k < x.inputs.size(); ++k) {
      EXPECT_EQ(x.inputs[k].name, y.inputs[k].name);
      EXPECT_EQ(x.inputs[k].tensor, y.inputs[k].tensor);
    }
    for (size_t k = 0; k < x.outputs.size(); ++k) {
      EXPECT_EQ(x.outputs[k].name, y.outputs[k].name);
      EXPECT_EQ(x.outputs[k].tensor, y.outputs[k].tensor);
    }
  }
  ASSERT_EQ(a.variables.size(), b.variables.size());
  for (size_t i = 0; i < a.variables.size(); ++i) {
    SCOPED_TRACE(a.variables[i].name);
    const VariableInfo& x = a.variables[i];
    const VariableInfo& y = b.variables[i];
    EXPECT_EQ(x.name, y.name);
    EXPECT_EQ(x.dtype, y.dtype);
    EXPECT_EQ(x.shape, y.shape);
    EXPECT_EQ(x.initializer, y.initializer);
    EXPECT_EQ(x.buffer, y.buffer);
    EXPECT_EQ(x.seed, y.seed);
    EXPECT_EQ(x.trainable, y.trainable);
  }
  EXPECT_EQ(a.metadata, b.metadata);
}

TEST(ModelFileTest, RoundTripKeepsEverySchemaField) {
  const Graph graph = EveryFieldGraph();
  absl::StatusOr<std::string> bytes = SerializeModel(graph);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::FromBytes(AsSpan(*bytes));
  ASSERT_TRUE(model.ok()) << model.status();
  ExpectSameGraph(graph, (*model)->graph());
  // Serializing the parsed graph gives the same bytes.
  absl::StatusOr<std::string> again = SerializeModel((*model)->graph());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*bytes, *again);
}

TEST(ModelFileTest, ConstantBuffersAreAlignedAfterTheFlatBuffer) {
  absl::StatusOr<std::string> bytes = SerializeModel(EveryFieldGraph());
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(flatbuffers::BufferHasIdentifier(bytes->data(), "ATUN"));
  const fb::Model* model = fb::GetModel(bytes->data());
  EXPECT_EQ(model->format_version(), kFormatVersion);
  uint64_t previous_end = 0;
  for (const fb::Buffer* b : *model->buffers()) {
    EXPECT_EQ(b->offset() % kBufferAlignment, 0u);
    EXPECT_GE(b->offset(), previous_end);
    EXPECT_LE(b->offset() + b->size(), bytes->size());
    previous_end = b->offset() + b->size();
  }
  EXPECT_EQ(bytes->size() % kBufferAlignment, 0u);
}

// --- files ------------------------------------------------------------------

class ModelFileOnDiskTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string temp = ::testing::TempDir();
    // No "//" in the path: /proc/self/maps shows it normalized.
    while (!temp.empty() && temp.back() == '/') temp.pop_back();
    dir_ = absl::StrCat(
        temp, "/model_file_test_", getpid(), "_",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    ASSERT_EQ(mkdir(dir_.c_str(), 0755), 0) << dir_;
  }
  void TearDown() override {
    for (const std::string& name : ListDir()) {
      unlink(absl::StrCat(dir_, "/", name).c_str());
    }
    rmdir(dir_.c_str());
  }
  std::vector<std::string> ListDir() const {
    std::vector<std::string> names;
    DIR* d = opendir(dir_.c_str());
    if (d == nullptr) return names;
    while (dirent* e = readdir(d)) {
      const std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(name);
    }
    closedir(d);
    return names;
  }
  std::string Path(const std::string& name) const {
    return absl::StrCat(dir_, "/", name);
  }
  void WriteRaw(const std::string& name, const std::string& bytes) {
    std::ofstream(Path(name), std::ios::binary) << bytes;
  }

  std::string dir_;
};

// [begin, end) of the mappings of `path` in this process.
std::vector<std::pair<uintptr_t, uintptr_t>> MappingsOf(
    const std::string& path) {
  std::vector<std::pair<uintptr_t, uintptr_t>> out;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    if (line.size() < path.size() ||
        line.compare(line.size() - path.size(), path.size(), path) != 0) {
      continue;
    }
    uintptr_t begin = 0, end = 0;
    char dash = 0;
    std::istringstream in(line);
    in >> std::hex >> begin >> dash >> end;
    out.emplace_back(begin, end);
  }
  return out;
}

// Runs signature `key` on a fixed input; returns every output value.
std::vector<float> RunOnce(std::shared_ptr<const Model> model,
                           const std::string& key, int batch) {
  auto interpreter = Interpreter::Create(std::move(model));
  EXPECT_TRUE(interpreter.ok()) << interpreter.status();
  if (!interpreter.ok()) return {};
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner(key);
  for (const std::string& name : runner->input_names()) {
    Shape shape = *runner->declared_input_shape(name);
    for (int64_t& d : shape) {
      if (d == -1) d = batch;
    }
    EXPECT_TRUE(runner->ResizeInput(name, shape).ok());
  }
  EXPECT_TRUE(runner->AllocateTensors().ok());
  for (const std::string& name : runner->input_names()) {
    absl::Span<float> x = *runner->typed_input<float>(name);
    for (size_t i = 0; i < x.size(); ++i) x[i] = 0.1f * i - 1.0f;
  }
  EXPECT_TRUE(runner->Invoke().ok());
  std::vector<float> out;
  for (const std::string& name : runner->output_names()) {
    absl::Span<const float> y = *runner->typed_output<float>(name);
    out.insert(out.end(), y.begin(), y.end());
  }
  return out;
}

TEST_F(ModelFileOnDiskTest, LoadUsesConstantBuffersInPlace) {
  const Graph graph = testing_models::MultiSignatureModel();
  const std::string path = Path("model.attune");
  ASSERT_TRUE(WriteModelFile(graph, path).ok());
  absl::StatusOr<std::shared_ptr<const Model>> loaded = Model::Load(path);
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  const auto mappings = MappingsOf(path);
  ASSERT_FALSE(mappings.empty()) << "model file is not mapped";
  ASSERT_FALSE((*loaded)->graph().buffers.empty());
  for (const ConstantBuffer& buffer : (*loaded)->graph().buffers) {
    const uintptr_t begin = reinterpret_cast<uintptr_t>(buffer.data);
    EXPECT_EQ(begin % kBufferAlignment, 0u);
    bool inside = false;
    for (const auto& [lo, hi] : mappings) {
      inside |= begin >= lo && begin + buffer.size <= hi;
    }
    EXPECT_TRUE(inside) << "buffer is not inside the mapping";
  }
  ExpectSameGraph(graph, (*loaded)->graph());

  // Same results as from bytes in memory, for every signature.
  std::ifstream file(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(file)),
                          std::istreambuf_iterator<char>());
  absl::StatusOr<std::shared_ptr<const Model>> from_bytes =
      Model::FromBytes(AsSpan(bytes));
  ASSERT_TRUE(from_bytes.ok());
  for (const char* key : {"infer", "embed", "head"}) {
    const std::vector<float> a = RunOnce(*loaded, key, 3);
    EXPECT_FALSE(a.empty()) << key;
    EXPECT_EQ(a, RunOnce(*from_bytes, key, 3)) << key;
  }
  // The mapping lives as long as the model does.
  EXPECT_EQ(loaded->use_count(), 1);
  loaded->reset();
  EXPECT_TRUE(MappingsOf(path).empty());
}

TEST_F(ModelFileOnDiskTest, WriteLeavesNoTempFileAndReplacesAtomically) {
  const std::string path = Path("model.attune");
  ASSERT_TRUE(WriteModelFile(testing_models::TinyModel(), path).ok());
  EXPECT_THAT(ListDir(), UnorderedElementsAre("model.attune"));
  struct stat before;
  ASSERT_EQ(stat(path.c_str(), &before), 0);
  absl::StatusOr<std::shared_ptr<const Model>> old_model = Model::Load(path);
  ASSERT_TRUE(old_model.ok());
  const std::vector<float> old_result = RunOnce(*old_model, "infer", 1);

  // Overwrite with another model: a new inode takes the name (rename), and
  // the model still mapped from the old file is untouched.
  ASSERT_TRUE(WriteModelFile(testing_models::DenseStack(3, {2}), path).ok());
  EXPECT_THAT(ListDir(), UnorderedElementsAre("model.attune"));
  struct stat after;
  ASSERT_EQ(stat(path.c_str(), &after), 0);
  EXPECT_NE(before.st_ino, after.st_ino);
  EXPECT_EQ(RunOnce(*old_model, "infer", 1), old_result);
  absl::StatusOr<std::shared_ptr<const Model>> new_model = Model::Load(path);
  ASSERT_TRUE(new_model.ok());
  EXPECT_EQ((*new_model)->graph().description, "dense stack");

  // A graph that fails validation writes nothing and keeps the old file.
  Graph invalid = testing_models::TinyModel();
  invalid.subgraphs[0].nodes[0].inputs[0] = 99;
  EXPECT_EQ(WriteModelFile(invalid, path).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(ListDir(), UnorderedElementsAre("model.attune"));
  ASSERT_EQ(stat(path.c_str(), &after), 0);
  EXPECT_TRUE(Model::Load(path).ok());

  // A missing directory fails cleanly too.
  EXPECT_EQ(WriteModelFile(testing_models::TinyModel(),
                           Path("no_such_dir/model.attune"))
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_THAT(ListDir(), UnorderedElementsAre("model.attune"));
}

TEST_F(ModelFileOnDiskTest, LoadErrorsNameTheProblem) {
  absl::Status missing = Model::Load(Path("missing.attune")).status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("missing.attune"));

  absl::Status directory = Model::Load(dir_).status();
  EXPECT_EQ(directory.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(directory.message()),
              HasSubstr("not a regular file"));

  WriteRaw("empty.attune", "");
  absl::Status empty = Model::Load(Path("empty.attune")).status();
  EXPECT_EQ(empty.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(empty.message()), HasSubstr("empty"));

  WriteRaw("short.attune", "ATUN");
  absl::Status short_file = Model::Load(Path("short.attune")).status();
  EXPECT_EQ(short_file.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(short_file.message()), HasSubstr("4 bytes"));

  absl::StatusOr<std::string> bytes =
      SerializeModel(testing_models::TinyModel());
  ASSERT_TRUE(bytes.ok());
  std::string wrong_id = *bytes;
  std::memcpy(&wrong_id[4], "TFL3", 4);
  WriteRaw("wrong_id.attune", wrong_id);
  absl::Status identifier = Model::Load(Path("wrong_id.attune")).status();
  EXPECT_EQ(identifier.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(identifier.message()), HasSubstr("identifier"));
  EXPECT_THAT(std::string(identifier.message()), HasSubstr("wrong_id.attune"));

  // format_version is the Model table's first field; the writer always
  // stores it, so it can be patched in place.
  std::string future = *bytes;
  const auto* table =
      reinterpret_cast<const flatbuffers::Table*>(fb::GetModel(future.data()));
  const uint8_t* field = table->GetAddressOf(fb::Model::VT_FORMAT_VERSION);
  ASSERT_NE(field, nullptr);
  const uint32_t version = kFormatVersion + 1;
  std::memcpy(&future[field - reinterpret_cast<const uint8_t*>(future.data())],
              &version, sizeof(version));
  WriteRaw("future.attune", future);
  absl::Status unsupported = Model::Load(Path("future.attune")).status();
  EXPECT_EQ(unsupported.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(unsupported.message()),
              HasSubstr(absl::StrCat("format version ", version)));

  WriteRaw("truncated.attune", bytes->substr(0, bytes->size() / 3));
  absl::Status truncated = Model::Load(Path("truncated.attune")).status();
  EXPECT_EQ(truncated.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(truncated.message()), HasSubstr("truncated.attune"));
}

}  // namespace
}  // namespace attune
