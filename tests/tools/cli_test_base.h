#ifndef ATTUNE_TESTS_TOOLS_CLI_TEST_BASE_H_
#define ATTUNE_TESTS_TOOLS_CLI_TEST_BASE_H_

// The fixture the CLI tests share: a fresh temporary working directory per
// test (removed afterwards) and a runner for the real `attune` binary
// (ATTUNE_CLI_PATH, set by tests/CMakeLists.txt).

#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace attune {

// Exit code, stdout and stderr of one `attune` run.
struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};

// The whole file as bytes ("" when it cannot be read).
inline std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class CliTestBase : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* base = std::getenv("TEST_TMPDIR");
    dir_ = std::string(base ? base : "/tmp") + "/attune_cli_test_XXXXXX";
    ASSERT_NE(mkdtemp(dir_.data()), nullptr);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  // Runs `attune ARGS` (shell words) with the temp dir as working directory.
  CliResult Attune(const std::string& args) {
    const std::string cmd =
        absl::StrCat("cd '", dir_, "' && '", ATTUNE_CLI_PATH, "' ", args,
                     " >stdout.txt 2>stderr.txt");
    const int status = std::system(cmd.c_str());
    CliResult r;
    r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    r.out = Slurp(Path("stdout.txt"));
    r.err = Slurp(Path("stderr.txt"));
    return r;
  }

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  void Write(const std::string& name, const std::string& text) {
    std::ofstream(Path(name), std::ios::binary) << text;
  }

  std::string dir_;
};

}  // namespace attune

#endif  // ATTUNE_TESTS_TOOLS_CLI_TEST_BASE_H_
