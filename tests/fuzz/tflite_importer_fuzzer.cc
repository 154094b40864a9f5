// libFuzzer target: arbitrary bytes as a .tflite file. Whatever the input,
// importing, building the model, planning and (for models that plan)
// allocating and invoking every signature must not crash, and every error
// must be a clean status. Build and run: tests/fuzz/README.md.
//
// Allowed error codes: the importer documents DataLoss (malformed file),
// Unimplemented (unsupported op, dtype or feature) and InvalidArgument
// (graph fails shape inference or validation) (importers/tflite/importer.h);
// the engine adds ResourceExhausted (arena or variables too large). Running
// an imported Flex Save/Restore signature works on a checkpoint database,
// which adds NotFound (no checkpoint, no such tensor) and
// FailedPrecondition. Internal (an attune bug) and anything else is a
// finding.

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "engine/interpreter.h"
#include "engine/model.h"
#include "importers/tflite/importer.h"
#include "tests/fuzz/check_status.h"
#include "tests/testing/run_signatures.h"

namespace {

// Models whose planned arena (or variables) are larger are not allocated,
// as in model_loader_fuzzer.cc.
constexpr size_t kArenaCap = size_t{16} << 20;

// The codes this entry point documents for bad input.
void CheckClean(const absl::Status& status, const char* stage) {
  attune::fuzz::CheckClean(
      status, stage,
      {absl::StatusCode::kDataLoss, absl::StatusCode::kInvalidArgument,
       absl::StatusCode::kUnimplemented, absl::StatusCode::kResourceExhausted,
       absl::StatusCode::kNotFound, absl::StatusCode::kFailedPrecondition});
}

}  // namespace

namespace {
char scratch_dir[] = "/tmp/attune_tflite_fuzz_XXXXXX";
void RemoveScratchDir() { rmdir(scratch_dir); }  // only when left empty
}  // namespace

// Runs in a private scratch directory (so paths given on the command line
// must be absolute): a fuzzed file may carry a constant checkpoint path for
// its Flex Save op. The directory is removed at exit when empty.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (mkdtemp(scratch_dir) == nullptr || chdir(scratch_dir) != 0) {
    std::perror("tflite_importer_fuzzer: scratch directory");
    std::abort();
  }
  std::atexit(RemoveScratchDir);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attune;
  absl::StatusOr<Graph> graph = tflite::ImportTflite({data, size});
  if (!graph.ok()) {
    CheckClean(graph.status(), "import");
    return 0;
  }
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::FromGraph(*std::move(graph));
  if (!model.ok()) {
    CheckClean(model.status(), "model");
    return 0;
  }
  InterpreterOptions options;
  options.max_variable_bytes = kArenaCap;
  absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::Create(*model, options);
  if (!interpreter.ok()) {
    CheckClean(interpreter.status(), "plan");
    return 0;
  }
  attune::testing::RunEverySignature(
      **interpreter, kArenaCap,
      [](const absl::Status& status) { CheckClean(status, "run"); });
  return 0;
}
