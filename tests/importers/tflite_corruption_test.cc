// Malformed .tflite files must never crash, hang or allocate absurdly:
// every mutant of the small real test files either imports and runs
// (model, interpreter, allocate, invoke with zero inputs) or is rejected
// with a clean status of an allowed code. The deterministic companion of
// tests/fuzz/tflite_importer_fuzzer.cc (same stages, same allowed codes),
// plus regression tests for what the fuzzer found.

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "importers/tflite/importer.h"
#include "tests/importers/tflite_test_util.h"
#include "tests/importers/tflite_writer.h"
#include "tests/testing/rng.h"
#include "tests/testing/run_signatures.h"

namespace attune {
namespace tflite {
namespace {

using ::testing::HasSubstr;

// Mutants whose planned arena (or variables) exceed this are not
// allocated, as in the fuzzer.
constexpr size_t kArenaCap = size_t{16} << 20;

using ::attune::testing::Rng;

// The codes tflite_importer_fuzzer.cc allows (its header says why).
bool AllowedCode(absl::StatusCode code) {
  return code == absl::StatusCode::kDataLoss ||
         code == absl::StatusCode::kInvalidArgument ||
         code == absl::StatusCode::kUnimplemented ||
         code == absl::StatusCode::kResourceExhausted ||
         code == absl::StatusCode::kNotFound ||
         code == absl::StatusCode::kFailedPrecondition;
}

struct Tally {
  int mutants = 0;
  int imported = 0;                     // ImportTflite succeeded
  int invoked = 0;                      // every signature allocated and invoked
  std::map<std::string, int> rejected;  // by stage and status code
  std::vector<std::string> failures;    // contract violations
  double slowest_ms = 0;
  std::string slowest;
};

void Reject(const absl::Status& status, const char* stage,
            const std::string& mutant, Tally& tally) {
  tally.rejected[absl::StrCat(stage, ":",
                              absl::StatusCodeToString(status.code()))]++;
  if ((!AllowedCode(status.code()) || status.message().empty()) &&
      tally.failures.size() < 20) {
    tally.failures.push_back(
        absl::StrCat(mutant, " at ", stage, ": ", status.ToString()));
  }
}

// Imports `bytes` and, as far as it goes, builds, plans, allocates and runs
// every signature with zero inputs (dynamic dims resized to 1).
void Exercise(const std::vector<uint8_t>& bytes, const std::string& mutant,
              Tally& tally) {
  // ATTUNE_CORRUPTION_VERBOSE=1 names each mutant before it runs, to find
  // the one that crashes.
  static const bool verbose = std::getenv("ATTUNE_CORRUPTION_VERBOSE");
  if (verbose) std::cerr << mutant << std::endl;
  ++tally.mutants;
  const auto start = std::chrono::steady_clock::now();
  [&] {
    absl::StatusOr<Graph> graph = ImportTflite(bytes);
    if (!graph.ok()) return Reject(graph.status(), "import", mutant, tally);
    ++tally.imported;
    absl::StatusOr<std::shared_ptr<const Model>> model =
        Model::FromGraph(*std::move(graph));
    if (!model.ok()) return Reject(model.status(), "model", mutant, tally);
    InterpreterOptions options;
    options.max_variable_bytes = kArenaCap;
    absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
        Interpreter::Create(*model, options);
    if (!interpreter.ok()) {
      return Reject(interpreter.status(), "plan", mutant, tally);
    }
    const testing::SignatureRuns runs = testing::RunEverySignature(
        **interpreter, kArenaCap, [&](const absl::Status& status) {
          Reject(status, "run", mutant, tally);
        });
    if (runs.too_large == 0 && runs.failed == 0) ++tally.invoked;
  }();
  const double ms = std::chrono::duration<double, std::milli>(
                        std::chrono::steady_clock::now() - start)
                        .count();
  if (ms > tally.slowest_ms) {
    tally.slowest_ms = ms;
    tally.slowest = mutant;
  }
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Truncations at every length; a bit flip at every byte (rotating the bit)
// and every bit of the first 256 bytes (the root table, vtables and
// offsets); every byte overwritten with 0x00, 0xFF, 0x80 and a random
// value; multi-bit flips at fixed-seed random positions.
void Mutate(const std::string& name, const std::vector<uint8_t>& base,
            Tally& tally, Rng& rng) {
  const size_t size = base.size();
  for (size_t len = 0; len < size; ++len) {
    Exercise({base.begin(), base.begin() + len},
             absl::StrCat(name, " truncated to ", len), tally);
  }
  for (size_t i = 0; i < size; ++i) {
    const int first = i < 256 ? 0 : static_cast<int>(i % 8);
    const int last = i < 256 ? 8 : first + 1;
    for (int bit = first; bit < last; ++bit) {
      std::vector<uint8_t> m = base;
      m[i] ^= static_cast<uint8_t>(1 << bit);
      Exercise(m, absl::StrCat(name, " bit ", i, ".", bit), tally);
    }
  }
  for (size_t i = 0; i < size; ++i) {
    for (uint8_t value :
         {uint8_t{0x00}, uint8_t{0xFF}, uint8_t{0x80}, rng.Byte()}) {
      if (base[i] == value) continue;
      std::vector<uint8_t> m = base;
      m[i] = value;
      Exercise(m, absl::StrCat(name, " byte ", i, "=", int{value}), tally);
    }
  }
  for (int k = 0; k < 1000; ++k) {
    std::vector<uint8_t> m = base;
    const int flips = 2 + static_cast<int>(rng.Below(15));
    for (int f = 0; f < flips; ++f) {
      m[rng.Below(size)] ^= static_cast<uint8_t>(1 << rng.Below(8));
    }
    Exercise(m, absl::StrCat(name, " multi-flip #", k), tally);
  }
}

TEST(TfliteCorruptionTest, MutatedFilesNeverCrashAndFailCleanly) {
  std::vector<std::pair<std::string, std::vector<uint8_t>>> bases;
  for (const char* file : {"call_once_mul.tflite", "multi_signatures.tflite",
                           "resource_vars_calibrated.tflite",
                           "string_input_model_with_signature.tflite",
                           "flutter_training_model.tflite"}) {
    bases.emplace_back(
        file, ReadFile(ModelPath(absl::StrCat("tflite_testdata/", file))));
  }
  // The fuzzer's written seeds (tests/fuzz/make_tflite_seeds.cc): Flex
  // Save/Restore, quantized and per-channel weights, quantized I/O.
  for (const char* file :
       {"flex_save_restore.tflite", "flex_save_restore_v2.tflite",
        "conv2d_int8_per_channel.tflite", "depthwise_conv2d.tflite",
        "fully_connected_uint8.tflite"}) {
    bases.emplace_back(
        file, ReadFile(absl::StrCat(ATTUNE_SOURCE_DIR,
                                    "/tests/fuzz/corpus/tflite_seeds/", file)));
  }

  Tally tally;
  Rng rng(0x7F11E);
  const auto start = std::chrono::steady_clock::now();
  for (const auto& [name, bytes] : bases) {
    ASSERT_GT(bytes.size(), 64u) << name;
    // The unmutated file imports (the Flex ones' save and restore
    // signatures then fail cleanly: their path input is empty).
    Tally base_tally;
    Exercise(bytes, name, base_tally);
    ASSERT_EQ(base_tally.imported, 1) << name;
    for (const std::string& failure : base_tally.failures) {
      ADD_FAILURE() << failure;
    }
    Mutate(name, bytes, tally, rng);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  std::string report = absl::StrCat(
      tally.mutants, " mutants of ", bases.size(), " files in ", seconds,
      " s: imported ", tally.imported, ", invoked ", tally.invoked,
      "; slowest ", tally.slowest_ms, " ms (", tally.slowest, ")\n");
  for (const auto& [key, count] : tally.rejected) {
    absl::StrAppend(&report, "  rejected at ", key, ": ", count, "\n");
  }
  std::cout << report;
  for (const std::string& failure : tally.failures) ADD_FAILURE() << failure;
  // Both outcomes are reached.
  EXPECT_GT(tally.imported, 0);
  EXPECT_GT(tally.invoked, 0);
  EXPECT_LT(tally.imported, tally.mutants);
  // No single mutant takes long (a hang would trip the ctest timeout).
  EXPECT_LT(tally.slowest_ms, 2000.0) << tally.slowest;
}

// --- Regression tests for what the fuzzer and the sweep found ------------

using B = tfl::BuiltinOperator;
using O = tfl::BuiltinOptions;
using TT = tfl::TensorType;

flatbuffers::Offset<void> Handle(TfliteWriter& w, const std::string& name) {
  return tfl::CreateVarHandleOptions(w.fbb(), w.fbb().CreateString(""),
                                     w.fbb().CreateString(name))
      .Union();
}

// Found by the fuzzer (a mutated dim, an out-of-memory report): shape
// inference at import (ModelBuilder::Build) allocated each signature's
// arena. It now only plans it; the caller sees arena_bytes() first.
TEST(TfliteCorruptionTest, ImportPlansTheArenaWithoutAllocatingIt) {
  TfliteWriter w;
  // x and y: [2^18, 2^19] float32, 512 GiB each.
  const int x = w.Tensor("x", TT::FLOAT32, {1 << 18, 1 << 19});
  const int y = w.Tensor("y", TT::FLOAT32, {1 << 18, 1 << 19});
  w.Op(B::RELU, {x}, {y});
  absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
      ImportBytesAndCreate(w.Finish({x}, {y}, "run"));
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("run");
  EXPECT_GE(runner->arena_bytes(), size_t{1} << 39);
}

// Found by the sweep (a bit flip in a string input's shape): string inputs
// live outside the arena, and AllocateTensors created one std::string per
// element with no limit (std::bad_alloc for 2^30 of them).
TEST(TfliteCorruptionTest, HugeStringInputIsResourceExhausted) {
  TfliteWriter w;
  const int s = w.Tensor("s", TT::STRING, {1 << 30});
  const int y = w.Tensor("y", TT::INT32, {1});
  w.Op(B::SHAPE, {s}, {y}, O::ShapeOptions,
       tfl::CreateShapeOptions(w.fbb(), TT::INT32).Union());
  absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
      ImportBytesAndCreate(w.Finish({s}, {y}, "run"));
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  SignatureRunner* runner = *(*interpreter)->GetSignatureRunner("run");
  const absl::Status status = runner->AllocateTensors();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("\"t0\""));
  EXPECT_THAT(std::string(status.message()), HasSubstr("1073741824 strings"));
}

// Found by the sweep (a byte of the Flex model's init subgraph): an
// ASSIGN_VARIABLE without a value input in an evaluated CALL_ONCE init
// subgraph read the builder's tensor -1.
TEST(TfliteCorruptionTest, AssignVariableWithoutValueIsInvalidArgument) {
  TfliteWriter w;
  const int res = w.Tensor("v_init", TT::RESOURCE, {});
  w.Op(B::VAR_HANDLE, {}, {res}, O::VarHandleOptions, Handle(w, "v"));
  w.Op(B::ASSIGN_VARIABLE, {res}, {});
  w.EndSubgraph({}, {}, "init");
  const int x = w.Tensor("x", TT::FLOAT32, {2});
  const int r = w.Tensor("v_res", TT::RESOURCE, {});
  const int value = w.Tensor("v_value", TT::FLOAT32, {2});
  const int y = w.Tensor("y", TT::FLOAT32, {2});
  w.Op(B::CALL_ONCE, {}, {}, O::CallOnceOptions,
       tfl::CreateCallOnceOptions(w.fbb(), 0).Union());
  w.Op(B::VAR_HANDLE, {}, {r}, O::VarHandleOptions, Handle(w, "v"));
  w.Op(B::READ_VARIABLE, {r}, {value});
  w.Op(B::MUL, {x, value}, {y}, O::MulOptions,
       tfl::CreateActivationOptions(w.fbb()).Union());
  const absl::Status status = ImportTflite(w.Finish({x}, {y}, "run")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("subgraph 0 (\"init\") operator 1 (ASSIGN_VARIABLE)"));
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("needs a resource and a value input"));
}

// Found by review while fixing the above: an init subgraph is evaluated at
// import, so its arena is capped (a FILL of 2^34 floats here).
TEST(TfliteCorruptionTest, HugeInitSubgraphArenaIsResourceExhausted) {
  TfliteWriter w;
  const int dims =
      w.Tensor("dims", TT::INT32, {2},
               TfliteWriter::Bytes(std::vector<int32_t>{1 << 17, 1 << 17}));
  const int one = w.Tensor("one", TT::FLOAT32, {},
                           TfliteWriter::Bytes(std::vector<float>{1}));
  const int filled = w.Tensor("filled", TT::FLOAT32, {1 << 17, 1 << 17});
  const int res = w.Tensor("v_init", TT::RESOURCE, {});
  w.Op(B::FILL, {dims, one}, {filled});
  w.Op(B::VAR_HANDLE, {}, {res}, O::VarHandleOptions, Handle(w, "v"));
  w.Op(B::ASSIGN_VARIABLE, {res, filled}, {});
  w.EndSubgraph({}, {}, "init");
  const int x = w.Tensor("x", TT::FLOAT32, {1});
  const int r = w.Tensor("v_res", TT::RESOURCE, {});
  const int value = w.Tensor("v_value", TT::FLOAT32, {1 << 17, 1 << 17});
  w.Op(B::CALL_ONCE, {}, {}, O::CallOnceOptions,
       tfl::CreateCallOnceOptions(w.fbb(), 0).Union());
  w.Op(B::VAR_HANDLE, {}, {r}, O::VarHandleOptions, Handle(w, "v"));
  w.Op(B::READ_VARIABLE, {r}, {value});
  const absl::Status status =
      ImportTflite(w.Finish({x}, {value}, "run")).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_THAT(std::string(status.message()),
              HasSubstr("CALL_ONCE init subgraph 0"));
}

}  // namespace
}  // namespace tflite
}  // namespace attune
