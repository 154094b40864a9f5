#ifndef ATTUNE_TESTS_DATA_TEST_UTIL_H_
#define ATTUNE_TESTS_DATA_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/types/span.h"
#include "gtest/gtest.h"

namespace attune {
namespace testing {

inline absl::Span<const uint8_t> AsBytes(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// A fresh directory under TEST_TMPDIR or /tmp for this test.
inline std::string TempDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string dir = std::string(base ? base : "/tmp") + "/attune_data_test_XXXXXX";
  if (mkdtemp(dir.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
  return dir;
}

}  // namespace testing
}  // namespace attune

#endif  // ATTUNE_TESTS_DATA_TEST_UTIL_H_
