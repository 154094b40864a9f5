#ifndef ATTUNE_TESTS_DELEGATES_GPU_TEST_UTIL_H_
#define ATTUNE_TESTS_DELEGATES_GPU_TEST_UTIL_H_

// One GPU delegate per test binary (the OpenCL program compiles once: pocl
// takes seconds). Its device follows ATTUNE_OPENCL_DEVICE (gpu|cpu|any,
// default any). Without an OpenCL device the tests fail with the
// delegate's Unavailable message (scripts/setup installs pocl).

#include <cstdlib>
#include <memory>
#include <string>

#include "delegates/gpu/gpu_delegate.h"
#include "gtest/gtest.h"

namespace attune {

inline absl::StatusOr<std::shared_ptr<Delegate>> SharedGpuDelegate() {
  static const auto* const delegate =
      new absl::StatusOr<std::shared_ptr<Delegate>>(CreateGpuDelegate());
  return *delegate;
}

// The project file `relative` ("models/...", "examples/..."): under
// $ATTUNE_SOURCE_DIR when set (a copy of the tree on another machine, as
// scripts/gpu_check sets it), else under the tree this binary was built from.
inline std::string ProjectFile(const std::string& relative) {
  const char* root = std::getenv("ATTUNE_SOURCE_DIR");
  return std::string(root != nullptr && *root != '\0' ? root
                                                      : ATTUNE_SOURCE_DIR) +
         "/" + relative;
}

}  // namespace attune

// Sets `var` to the shared delegate or fails the test with the reason.
#define ATTUNE_ASSERT_GPU(var)                     \
  auto var##_or = ::attune::SharedGpuDelegate();   \
  ASSERT_TRUE(var##_or.ok()) << var##_or.status(); \
  std::shared_ptr<::attune::Delegate> var = *std::move(var##_or)

#endif  // ATTUNE_TESTS_DELEGATES_GPU_TEST_UTIL_H_
