#ifndef ATTUNE_TESTS_TESTING_RUN_SIGNATURES_H_
#define ATTUNE_TESTS_TESTING_RUN_SIGNATURES_H_

// Runs every signature of an interpreter the way the corruption sweeps and
// the fuzzers do (tests/engine/model_corruption_test.cc,
// tests/importers/tflite_corruption_test.cc, tests/fuzz/*_fuzzer.cc): dynamic
// dims set to 1; a signature whose planned arena exceeds `arena_cap` is
// skipped (the engine reports the size before it allocates, the guard an app
// uses); inputs zeroed, string inputs emptied; Invoke; every output byte
// (string outputs: every character) read, so ASan checks pointers and sizes.
// Header-only so the clang fuzz build can use it without another library.

#include <cstdint>
#include <cstring>
#include <functional>
#include <string>

#include "absl/status/status.h"
#include "engine/interpreter.h"

namespace attune::testing {

struct SignatureRuns {
  int too_large = 0;  // skipped: planned arena above the cap
  int failed = 0;     // a step returned an error (passed to on_error)
};

inline void ZeroInput(Tensor& input) {
  if (input.dtype == DType::kString) {
    auto* strings = static_cast<std::string*>(input.data);
    for (int64_t i = 0; i < input.num_elements(); ++i) strings[i].clear();
  } else if (input.bytes > 0) {
    std::memset(input.data, 0, input.bytes);
  }
}

inline SignatureRuns RunEverySignature(
    Interpreter& interpreter, size_t arena_cap,
    const std::function<void(const absl::Status&)>& on_error) {
  SignatureRuns runs;
  for (const std::string& key : interpreter.signature_keys()) {
    SignatureRunner* runner = *interpreter.GetSignatureRunner(key);
    absl::Status status;
    for (const std::string& name : runner->input_names()) {
      Shape shape = *runner->declared_input_shape(name);
      for (int64_t& d : shape) {
        if (d == -1) d = 1;
      }
      status.Update(runner->ResizeInput(name, shape));
    }
    if (status.ok() && runner->arena_bytes() > arena_cap) {
      ++runs.too_large;
      continue;
    }
    if (status.ok()) status = runner->AllocateTensors();
    if (status.ok()) {
      for (const std::string& name : runner->input_names()) {
        ZeroInput(**runner->input(name));
      }
      status = runner->Invoke();
    }
    if (status.ok()) {
      uint8_t sum = 0;
      for (const std::string& name : runner->output_names()) {
        const Tensor* output = *runner->output(name);
        if (output->dtype == DType::kString) {
          const auto* strings = static_cast<const std::string*>(output->data);
          for (int64_t i = 0; i < output->num_elements(); ++i) {
            for (char c : strings[i]) sum ^= static_cast<uint8_t>(c);
          }
          continue;
        }
        const auto* bytes = static_cast<const uint8_t*>(output->data);
        for (size_t i = 0; i < output->bytes; ++i) sum ^= bytes[i];
      }
      volatile uint8_t sink = sum;
      (void)sink;
    }
    if (!status.ok()) {
      ++runs.failed;
      on_error(status);
    }
  }
  return runs;
}

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_TESTING_RUN_SIGNATURES_H_
