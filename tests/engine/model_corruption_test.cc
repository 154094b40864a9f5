// Mutated model files must never crash, hang or allocate absurdly: every
// mutant either runs (load, plan, allocate, invoke with zero inputs) or is
// rejected with a clean status of an expected code.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "attune_generated.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "flatbuffers/flatbuffers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/fuzz/sample_models.h"
#include "tests/testing/rng.h"
#include "tests/testing/run_signatures.h"

namespace attune {
namespace {

using ::testing::HasSubstr;

// Mutants whose planned arena exceeds this are not allocated: the engine
// reports the size before allocating, which is the guard callers use.
constexpr size_t kArenaCap = size_t{16} << 20;

using ::attune::testing::Rng;

struct Tally {
  int loaded = 0;     // Model::FromBytes succeeded
  int planned = 0;    // Interpreter::Create succeeded
  int invoked = 0;    // every signature allocated and invoked
  int too_large = 0;  // planned arena above kArenaCap, not allocated
  std::map<std::string, int> rejected;  // by stage and status code
  std::vector<std::string> failures;    // contract violations
  double slowest_ms = 0;
  std::string slowest;
  int total() const {
    int n = loaded;
    for (const auto& [key, count] : rejected) {
      if (key.rfind("load:", 0) == 0) n += count;
    }
    return n;
  }
};

bool ExpectedCode(absl::StatusCode code) {
  return code == absl::StatusCode::kDataLoss ||
         code == absl::StatusCode::kInvalidArgument ||
         code == absl::StatusCode::kUnimplemented ||
         code == absl::StatusCode::kResourceExhausted;
}

// Records `status` (not OK) for stage `stage`; false when it breaks the
// contract (empty message or unexpected code).
void Reject(const absl::Status& status, const char* stage,
            const std::string& mutant, Tally& tally) {
  tally.rejected[absl::StrCat(stage, ":",
                              absl::StatusCodeToString(status.code()))]++;
  if (!ExpectedCode(status.code()) || status.message().empty()) {
    if (tally.failures.size() < 20) {
      tally.failures.push_back(
          absl::StrCat(mutant, " at ", stage, ": ", status.ToString()));
    }
  }
}

// Loads `bytes` and, as far as it goes, plans, allocates and runs every
// signature with zero-filled inputs (dynamic dims resized to 1).
void Exercise(absl::Span<const uint8_t> bytes, const std::string& mutant,
              Tally& tally) {
  const auto start = std::chrono::steady_clock::now();
  auto finish = [&] {
    const double ms = std::chrono::duration<double, std::milli>(
                          std::chrono::steady_clock::now() - start)
                          .count();
    if (ms > tally.slowest_ms) {
      tally.slowest_ms = ms;
      tally.slowest = mutant;
    }
  };
  absl::StatusOr<std::shared_ptr<const Model>> model = Model::FromBytes(bytes);
  if (!model.ok()) {
    Reject(model.status(), "load", mutant, tally);
    return finish();
  }
  ++tally.loaded;
  // Variables are capped like the arena, so a mutant declaring gigabytes of
  // variables is refused (ResourceExhausted) instead of initialized.
  InterpreterOptions options;
  options.max_variable_bytes = kArenaCap;
  absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::Create(*model, options);
  if (!interpreter.ok()) {
    Reject(interpreter.status(), "plan", mutant, tally);
    return finish();
  }
  ++tally.planned;
  const testing::SignatureRuns runs = testing::RunEverySignature(
      **interpreter, kArenaCap,
      [&](const absl::Status& status) { Reject(status, "run", mutant, tally); });
  tally.too_large += runs.too_large;
  if (runs.too_large == 0 && runs.failed == 0) ++tally.invoked;
  finish();
}

// --- FlatBuffer-aware locations of integer fields -------------------------

struct Field {
  size_t offset;
  int width;  // bytes: 1, 4 or 8
  std::string what;
};

class FieldCollector {
 public:
  explicit FieldCollector(const std::string& bytes)
      : base_(reinterpret_cast<const uint8_t*>(bytes.data())) {}

  template <typename T>
  void Scalar(const T* table, flatbuffers::voffset_t field, int width,
              const std::string& what) {
    if (table == nullptr) return;
    const auto* t = reinterpret_cast<const flatbuffers::Table*>(table);
    const uint8_t* address = t->GetAddressOf(field);
    if (address != nullptr) Add(address, width, what);
    // The table's offset to its vtable is an int32 at its start.
    Add(reinterpret_cast<const uint8_t*>(table), 4, what + "/vtable");
  }

  template <typename E>
  void Vector(const flatbuffers::Vector<E>* v, const std::string& what) {
    if (v == nullptr) return;
    Add(v->Data() - sizeof(flatbuffers::uoffset_t), 4, what + "/length");
    for (size_t i = 0; i < v->size(); ++i) {
      Add(v->Data() + i * sizeof(E), static_cast<int>(sizeof(E)),
          absl::StrCat(what, "[", i, "]"));
    }
  }

  void Add(const uint8_t* address, int width, const std::string& what) {
    fields_.push_back({static_cast<size_t>(address - base_), width, what});
  }

  std::vector<Field>& fields() { return fields_; }

 private:
  const uint8_t* base_;
  std::vector<Field> fields_;
};

std::vector<Field> IntegerFields(const std::string& bytes) {
  FieldCollector c(bytes);
  c.Add(reinterpret_cast<const uint8_t*>(bytes.data()), 4, "root_offset");
  const fb::Model* model = fb::GetModel(bytes.data());
  c.Scalar(model, fb::Model::VT_FORMAT_VERSION, 4, "format_version");
  if (model->buffers() != nullptr) {
    for (size_t i = 0; i < model->buffers()->size(); ++i) {
      const fb::Buffer* b = model->buffers()->Get(i);
      c.Scalar(b, fb::Buffer::VT_OFFSET, 8,
               absl::StrCat("buffer", i, ".offset"));
      c.Scalar(b, fb::Buffer::VT_SIZE, 8, absl::StrCat("buffer", i, ".size"));
    }
  }
  for (size_t s = 0; s < model->subgraphs()->size(); ++s) {
    const fb::Subgraph* sg = model->subgraphs()->Get(s);
    const std::string where = absl::StrCat("subgraph", s);
    for (size_t t = 0; t < sg->tensors()->size(); ++t) {
      const fb::Tensor* tensor = sg->tensors()->Get(t);
      const std::string what = absl::StrCat(where, ".tensor", t);
      c.Scalar(tensor, fb::Tensor::VT_DTYPE, 1, what + ".dtype");
      c.Scalar(tensor, fb::Tensor::VT_BUFFER, 4, what + ".buffer");
      c.Vector(tensor->shape(), what + ".shape");
      if (const fb::Quantization* q = tensor->quantization()) {
        c.Scalar(q, fb::Quantization::VT_AXIS, 4, what + ".axis");
        c.Vector(q->scale(), what + ".scale");
        c.Vector(q->zero_point(), what + ".zero_point");
      }
    }
    for (size_t n = 0; n < sg->operators()->size(); ++n) {
      const fb::Operator* op = sg->operators()->Get(n);
      const std::string what = absl::StrCat(where, ".op", n);
      c.Scalar(op, fb::Operator::VT_OPCODE, 4, what + ".opcode");
      c.Vector(op->inputs(), what + ".inputs");
      c.Vector(op->outputs(), what + ".outputs");
      if (op->attributes() == nullptr) continue;
      for (size_t a = 0; a < op->attributes()->size(); ++a) {
        const fb::Attribute* attr = op->attributes()->Get(a);
        const std::string at = absl::StrCat(what, ".attr", a);
        c.Scalar(attr, fb::Attribute::VT_TYPE, 1, at + ".type");
        c.Scalar(attr, fb::Attribute::VT_I, 8, at + ".i");
        c.Vector(attr->ints(), at + ".ints");
      }
    }
  }
  for (size_t s = 0; s < model->signatures()->size(); ++s) {
    const fb::Signature* sig = model->signatures()->Get(s);
    const std::string what = absl::StrCat("signature", s);
    c.Scalar(sig, fb::Signature::VT_SUBGRAPH, 4, what + ".subgraph");
    for (const auto* list : {sig->inputs(), sig->outputs()}) {
      if (list == nullptr) continue;
      for (size_t i = 0; i < list->size(); ++i) {
        c.Scalar(list->Get(i), fb::TensorMap::VT_TENSOR, 4,
                 absl::StrCat(what, list == sig->inputs() ? ".in" : ".out", i));
      }
    }
  }
  if (model->variables() != nullptr) {
    for (size_t v = 0; v < model->variables()->size(); ++v) {
      const fb::Variable* var = model->variables()->Get(v);
      const std::string what = absl::StrCat("variable", v);
      c.Scalar(var, fb::Variable::VT_DTYPE, 1, what + ".dtype");
      c.Scalar(var, fb::Variable::VT_INITIALIZER, 1, what + ".initializer");
      c.Scalar(var, fb::Variable::VT_BUFFER, 4, what + ".buffer");
      c.Vector(var->shape(), what + ".shape");
    }
  }
  return c.fields();
}

void Store(std::string& bytes, const Field& field, int64_t value) {
  uint8_t le[8];
  for (int i = 0; i < 8; ++i) le[i] = static_cast<uint8_t>(value >> (8 * i));
  std::memcpy(&bytes[field.offset], le, field.width);
}

constexpr int64_t kInterestingValues[] = {
    -1,
    0,
    1,
    2,
    3,
    0x7F,
    0xFF,
    int64_t{1} << 20,
    std::numeric_limits<int32_t>::max(),
    std::numeric_limits<int32_t>::min(),
    int64_t{1} << 31,
    int64_t{1} << 40,
    int64_t{1} << 62,
    std::numeric_limits<int64_t>::max(),
    std::numeric_limits<int64_t>::min(),
};

// Size of the FlatBuffer part: constant buffers start after it.
size_t FlatBufferSize(const std::string& bytes) {
  const fb::Model* model = fb::GetModel(bytes.data());
  size_t end = bytes.size();
  if (model->buffers() != nullptr) {
    for (const fb::Buffer* b : *model->buffers()) {
      end = std::min<size_t>(end, b->offset());
    }
  }
  return end;
}

absl::Span<const uint8_t> AsSpan(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

class Corpus {
 public:
  explicit Corpus(Tally& tally) : tally_(tally) {}
  void Run(const std::string& bytes, std::string name) {
    ++count_;
    // ATTUNE_CORRUPTION_VERBOSE=1 names each mutant before it runs, to find
    // the one that crashes.
    static const bool verbose = std::getenv("ATTUNE_CORRUPTION_VERBOSE");
    if (verbose) std::cerr << name << std::endl;
    Exercise(AsSpan(bytes), name, tally_);
  }
  int count() const { return count_; }

 private:
  Tally& tally_;
  int count_ = 0;
};

void MutateModel(const std::string& name, const std::string& base,
                 Corpus& corpus, Rng& rng) {
  const size_t fb_size = FlatBufferSize(base);
  const size_t size = base.size();
  // 1. Single bit flips: one per byte of the FlatBuffer, rotating the bit;
  //    every bit of the first 64 bytes; a few in the constant data.
  for (size_t i = 0; i < fb_size; ++i) {
    std::string m = base;
    const int bit = i < 64 ? 0 : static_cast<int>(i % 8);
    for (int b = bit; b < (i < 64 ? 8 : bit + 1); ++b) {
      m = base;
      m[i] = static_cast<char>(m[i] ^ (1 << b));
      corpus.Run(m, absl::StrCat(name, " bit ", i, ".", b));
    }
  }
  for (int k = 0; k < 32; ++k) {
    std::string m = base;
    const size_t i = fb_size + rng.Below(size - fb_size);
    m[i] = static_cast<char>(m[i] ^ (1 << rng.Below(8)));
    corpus.Run(m, absl::StrCat(name, " data bit at ", i));
  }
  // 2. Multiple bit flips.
  for (int k = 0; k < 400; ++k) {
    std::string m = base;
    const int flips = 2 + static_cast<int>(rng.Below(15));
    for (int f = 0; f < flips; ++f) {
      const size_t i = rng.Below(fb_size);
      m[i] = static_cast<char>(m[i] ^ (1 << rng.Below(8)));
    }
    corpus.Run(m, absl::StrCat(name, " multi-flip #", k));
  }
  // 3. Byte overwrites.
  for (size_t i = 0; i < fb_size; ++i) {
    for (uint8_t value :
         {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x80}, rng.Byte()}) {
      if (static_cast<uint8_t>(base[i]) == value) continue;
      std::string m = base;
      m[i] = static_cast<char>(value);
      corpus.Run(m, absl::StrCat(name, " byte ", i, "=", value));
    }
  }
  // 4. Truncation: every length within the FlatBuffer, then a stride.
  for (size_t len = 0; len < size; len += len < fb_size + 8 ? 1 : 13) {
    corpus.Run(base.substr(0, len), absl::StrCat(name, " truncated to ", len));
  }
  // 5. Appended garbage.
  for (size_t extra : {1, 7, 64, 100, 4096}) {
    std::string zeros = base + std::string(extra, '\0');
    corpus.Run(zeros, absl::StrCat(name, " + ", extra, " zeros"));
    std::string random = base;
    for (size_t i = 0; i < extra; ++i)
      random.push_back(static_cast<char>(rng.Byte()));
    corpus.Run(random, absl::StrCat(name, " + ", extra, " random bytes"));
  }
  // 6. FlatBuffer-aware: every integer field set to boundary values.
  for (const Field& field : IntegerFields(base)) {
    for (int64_t value : kInterestingValues) {
      std::string m = base;
      Store(m, field, value);
      if (m == base) continue;
      corpus.Run(m, absl::StrCat(name, " ", field.what, "=", value));
    }
  }
}

TEST(ModelCorruptionTest, MutatedModelsNeverCrashAndFailCleanly) {
  Tally tally;
  Corpus corpus(tally);
  Rng rng(0x5EED);
  const auto start = std::chrono::steady_clock::now();
  int bases = 0;
  for (const auto& [name, graph] : testing_models::AllSampleModels()) {
    if (name == "dense_stack") continue;  // same structure as mlp
    absl::StatusOr<std::string> bytes = SerializeModel(graph);
    ASSERT_TRUE(bytes.ok()) << name << ": " << bytes.status();
    // The unmutated model runs end to end.
    Tally base_tally;
    Exercise(AsSpan(*bytes), name, base_tally);
    ASSERT_EQ(base_tally.invoked, 1) << name;
    MutateModel(name, *bytes, corpus, rng);
    ++bases;
  }
  // 7. Random garbage, half of it wearing the file identifier.
  for (int k = 0; k < 300; ++k) {
    std::string m(rng.Below(4096), '\0');
    for (char& c : m) c = static_cast<char>(rng.Byte());
    if (k % 2 == 1 && m.size() >= 8) {
      m[0] = static_cast<char>(rng.Below(m.size()) & 0xFC);
      m[1] = static_cast<char>((rng.Below(m.size()) >> 8) & 0xFF);
      m[2] = m[3] = 0;
      std::memcpy(&m[4], "ATUN", 4);
    }
    corpus.Run(m, absl::StrCat("garbage #", k));
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  std::string report = absl::StrCat(
      corpus.count(), " mutants of ", bases, " models in ", seconds,
      " s: loaded ", tally.loaded, ", planned ", tally.planned, ", invoked ",
      tally.invoked, ", arena above cap ", tally.too_large, "; slowest ",
      tally.slowest_ms, " ms (", tally.slowest, ")\n");
  for (const auto& [key, count] : tally.rejected) {
    absl::StrAppend(&report, "  rejected at ", key, ": ", count, "\n");
  }
  std::cout << report;
  for (const std::string& failure : tally.failures) ADD_FAILURE() << failure;
  EXPECT_EQ(tally.total(), corpus.count());
  // Every stage is reached by part of the corpus.
  EXPECT_GT(tally.loaded, 0);
  EXPECT_GT(tally.invoked, 0);
  EXPECT_GT(tally.loaded, tally.planned);
  // No single mutant takes long (a hang would trip the ctest timeout).
  EXPECT_LT(tally.slowest_ms, 2000.0) << tally.slowest;
}

// --- Regression tests for bugs the corpus found ---------------------------

// Found by the corpus (an operator input index pointed at a constant, so
// the node folded): a signature output whose value is static (a constant or
// a folded node) has no arena request; planning indexed requests_[-1].
TEST(ModelCorruptionTest, StaticSignatureOutputsNeedNoArena) {
  Graph graph;
  graph.subgraphs.resize(1);
  const int w0 = testing_models::AddFloatConstant(graph, 0, "w0", {3, 2}, 1);
  const int w1 = testing_models::AddFloatConstant(graph, 0, "w1", {2, 1}, 2);
  // A node over constants only, which the plan folds at prepare time.
  graph.subgraphs[0].tensors.push_back({"folded", DType::kFloat32, {3, 1}});
  Node folded;
  folded.op = OpCode::kFullyConnected;
  folded.inputs = {w0, w1};
  folded.outputs = {2};
  graph.subgraphs[0].nodes.push_back(folded);
  // One signature outputs a constant, the other the folded value.
  graph.signatures.push_back({"weights", 0, {}, {{"w", w0}}});
  graph.signatures.push_back({"folded", 0, {}, {{"f", 2}}});
  absl::StatusOr<std::string> bytes = SerializeModel(graph);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::FromBytes(AsSpan(*bytes));
  ASSERT_TRUE(model.ok()) << model.status();
  auto interpreter = Interpreter::Create(*model);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  const Graph& g = (*model)->graph();
  const float* w = reinterpret_cast<const float*>(g.buffers[0].data);
  const float* v = reinterpret_cast<const float*>(g.buffers[1].data);
  SignatureRunner* weights = *(*interpreter)->GetSignatureRunner("weights");
  ASSERT_TRUE(weights->AllocateTensors().ok());
  ASSERT_TRUE(weights->Invoke().ok());
  absl::Span<const float> out = *weights->typed_output<float>("w");
  ASSERT_EQ(out.size(), 6u);
  for (int i = 0; i < 6; ++i) EXPECT_EQ(out[i], w[i]);

  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("folded");
  ASSERT_TRUE(runner->AllocateTensors().ok());
  ASSERT_TRUE(runner->Invoke().ok());
  absl::Span<const float> f = *runner->typed_output<float>("f");
  ASSERT_EQ(f.size(), 3u);
  for (int row = 0; row < 3; ++row) {
    const float expected = w[2 * row] * v[0] + w[2 * row + 1] * v[1];
    EXPECT_NEAR(f[row], expected, 1e-5f);
  }
  EXPECT_EQ(runner->plan().num_folded(), 1);
}

// Found by the corpus under UBSan: the FlatBuffers verifier checks vector
// alignment only to 4 bytes, so an int64 vector (a shape) can start at a
// 4-byte boundary and parsing loaded it through a misaligned int64_t*.
TEST(ModelCorruptionTest, MisalignedInt64VectorIsReadSafely) {
  absl::StatusOr<std::string> bytes =
      SerializeModel(testing_models::TinyModel());
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  const fb::Tensor* x =
      fb::GetModel(bytes->data())->subgraphs()->Get(0)->tensors()->Get(0);
  ASSERT_EQ(reinterpret_cast<uintptr_t>(x->shape()->Data()) % 8, 0u);
  // Move the shape 4 bytes on: its length now reads as dim 0's low word (2)
  // and its elements start 4 bytes past an 8-byte boundary.
  const uint8_t* field =
      reinterpret_cast<const flatbuffers::Table*>(x)->GetAddressOf(
          fb::Tensor::VT_SHAPE);
  ASSERT_NE(field, nullptr);
  const size_t at = field - reinterpret_cast<const uint8_t*>(bytes->data());
  uint32_t offset;
  std::memcpy(&offset, &(*bytes)[at], 4);
  offset += 4;
  std::memcpy(&(*bytes)[at], &offset, 4);
  // ConstantBuffer::Copy inside FromBytes keeps the file 64-byte aligned.
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::FromBytes(AsSpan(*bytes));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), absl::StatusCode::kInvalidArgument)
      << model.status();
  // [3 << 32, ...] as a shape: rejected, naming the tensor.
  EXPECT_THAT(std::string(model.status().message()), HasSubstr("\"x\""));
}

// Sets the int64 field named `what` (see IntegerFields) in `bytes`.
void SetField(std::string& bytes, const std::string& what, int64_t value) {
  for (const Field& field : IntegerFields(bytes)) {
    if (field.what == what) return Store(bytes, field, value);
  }
  ADD_FAILURE() << "no field " << what;
}

TEST(ModelCorruptionTest, HugeDeclaredInputFailsAtLoadWithoutAllocating) {
  absl::StatusOr<std::string> bytes =
      SerializeModel(testing_models::TinyModel());
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  // Tensor 0 is x: declare it [2^20, 2^20] float32, i.e. 4 TiB.
  SetField(*bytes, "subgraph0.tensor0.shape[0]", int64_t{1} << 20);
  SetField(*bytes, "subgraph0.tensor0.shape[1]", int64_t{1} << 20);
  absl::Status status = Model::FromBytes(AsSpan(*bytes)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"x\""));
  EXPECT_THAT(std::string(status.message()), HasSubstr("bytes"));
}

}  // namespace
}  // namespace attune
