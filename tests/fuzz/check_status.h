#ifndef ATTUNE_TESTS_FUZZ_CHECK_STATUS_H_
#define ATTUNE_TESTS_FUZZ_CHECK_STATUS_H_

// The fuzzers' error contract: a rejected input must give a status with a
// message and one of the codes the entry point documents.

#include <cstdio>
#include <cstdlib>
#include <initializer_list>

#include "absl/status/status.h"

namespace attune::fuzz {

// Aborts (a finding for libFuzzer) when `status` has an empty message or a
// code outside `allowed`; `stage` names the step in the report.
inline void CheckClean(const absl::Status& status, const char* stage,
                       std::initializer_list<absl::StatusCode> allowed) {
  bool expected = false;
  for (absl::StatusCode code : allowed) expected |= status.code() == code;
  if (!expected || status.message().empty()) {
    std::fprintf(stderr, "unexpected error at %s: %s\n", stage,
                 status.ToString().c_str());
    std::abort();
  }
}

}  // namespace attune::fuzz

#endif  // ATTUNE_TESTS_FUZZ_CHECK_STATUS_H_
