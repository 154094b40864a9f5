#ifndef ATTUNE_TESTS_CHECKPOINT_TEST_UTIL_H_
#define ATTUNE_TESTS_CHECKPOINT_TEST_UTIL_H_

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/types/span.h"
#include "checkpoint/store.h"
#include "gtest/gtest.h"

namespace attune::testing {

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on
// destruction.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr && *base ? base : "/tmp") +
                        "/attune_ckpt_XXXXXX";
    std::vector<char> buf(templ.begin(), templ.end());
    buf.push_back('\0');
    const char* made = mkdtemp(buf.data());
    EXPECT_NE(made, nullptr) << std::strerror(errno);
    path_ = made != nullptr ? made : "/tmp";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path_, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::string File(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

template <typename T>
absl::Span<const uint8_t> Bytes(const std::vector<T>& v) {
  return {reinterpret_cast<const uint8_t*>(v.data()), v.size() * sizeof(T)};
}

// A checkpoint of one float32 tensor "w" holding `data`.
inline CheckpointToWrite OneTensor(const std::vector<float>& data) {
  CheckpointToWrite c;
  c.fingerprint = "test";
  c.tensors.push_back(
      {"w", DType::kFloat32, {static_cast<int64_t>(data.size())}, Bytes(data)});
  return c;
}

}  // namespace attune::testing

#endif  // ATTUNE_TESTS_CHECKPOINT_TEST_UTIL_H_
