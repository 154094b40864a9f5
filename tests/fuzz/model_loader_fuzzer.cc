// libFuzzer target: arbitrary bytes as a model file. Whatever the input,
// loading, planning and (for models that plan) allocating and invoking
// every signature must not crash, and every error must be a clean status.
// Build and run: tests/fuzz/README.md.

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
#include "tests/fuzz/check_status.h"
#include "tests/testing/run_signatures.h"

namespace {

// Models whose planned arena is larger are not allocated (the engine
// reports the size first; allocating gigabytes would only slow fuzzing).
constexpr size_t kArenaCap = size_t{16} << 20;

// The codes this entry point documents for bad input.
void CheckClean(const absl::Status& status, const char* stage) {
  attune::fuzz::CheckClean(
      status, stage,
      {absl::StatusCode::kDataLoss, absl::StatusCode::kInvalidArgument,
       absl::StatusCode::kUnimplemented, absl::StatusCode::kResourceExhausted});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace attune;
  absl::StatusOr<std::shared_ptr<const Model>> model =
      Model::FromBytes({data, size});
  if (!model.ok()) {
    CheckClean(model.status(), "load");
    return 0;
  }
  absl::StatusOr<std::unique_ptr<Interpreter>> interpreter =
      Interpreter::Create(*model);
  if (!interpreter.ok()) {
    CheckClean(interpreter.status(), "plan");
    return 0;
  }
  attune::testing::RunEverySignature(
      **interpreter, kArenaCap,
      [](const absl::Status& status) { CheckClean(status, "run"); });
  return 0;
}
