// Crash, corruption and environment faults of the checkpoint store: real
// child processes killed with SIGKILL mid-save, truncated and bit-flipped
// files, read-only folders (as root: in a child that drops to nobody).

#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "checkpoint/checkpoint.h"
#include "checkpoint/store.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/checkpoint/save_loop_values.h"
#include "tests/checkpoint/test_models.h"
#include "tests/checkpoint/test_util.h"

namespace attune {
namespace {

using ::attune::testing::Bytes;
using ::attune::testing::SaveLoopValue;
using ::attune::testing::TempDir;
using ::testing::HasSubstr;

constexpr int64_t kElements = 65536;  // 256 KiB per save
constexpr int kKeepLast = 3;

// Checks that `tensors` (read from checkpoint `info`) hold exactly what the
// save loop wrote at its step.
void ExpectSaveLoopTensors(const CheckpointInfo& info,
                           const std::vector<TensorData>* tensors) {
  ASSERT_EQ(tensors->size(), 2u);
  const TensorData& a = (*tensors)[0];
  ASSERT_EQ(a.record.name, "a");
  ASSERT_EQ(a.data.size(), kElements * sizeof(float));
  std::vector<float> want(kElements);
  for (int64_t i = 0; i < kElements; ++i) want[i] = SaveLoopValue(info.step, i);
  EXPECT_EQ(std::memcmp(a.data.data(), want.data(), a.data.size()), 0)
      << "checkpoint " << info.id << " step " << info.step;
  const TensorData& b = (*tensors)[1];
  ASSERT_EQ(b.data.size(), 2 * sizeof(int64_t));
  int64_t bv[2];
  std::memcpy(bv, b.data.data(), sizeof(bv));
  EXPECT_EQ(bv[0], info.step);
  EXPECT_EQ(bv[1], info.step + 1);
  EXPECT_EQ(std::get<int64_t>(info.properties.at("epoch")), info.step);
}

void ExpectSaveLoopCheckpoint(CheckpointStore& store,
                              const CheckpointInfo& info) {
  auto tensors = store.ReadTensors(info.id);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ExpectSaveLoopTensors(info, &*tensors);
}

int KillCount() {
  const char* env = std::getenv("ATTUNE_CKPT_KILLS");
  return env != nullptr ? std::atoi(env) : 40;
}

// A child saves in a loop; the parent reads concurrently for a random time,
// kills the child with SIGKILL, and checks that the latest checkpoint is the
// last one the child reported committed (or the one in flight, if its
// commit landed), bit-exact, and that the file verifies. Repeats on the same
// database, so every child also recovers the previous one's hot WAL.
TEST(CheckpointFaultsTest, SigkillDuringSaveLoopLosesNothingCommitted) {
  TempDir dir;
  const std::string db = dir.File("loop.db");
  { ASSERT_TRUE(CheckpointStore::Open(db).ok()); }
  std::mt19937 rng(12345);
  std::uniform_int_distribution<int> delay_us(0, 40000);
  int64_t last_committed = 0;
  int saves_committed = 0;
  const int kills = KillCount();
  for (int round = 0; round < kills; ++round) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const std::string elements = std::to_string(kElements);
    const std::string keep = std::to_string(kKeepLast);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      dup2(fds[1], STDOUT_FILENO);
      close(fds[0]);
      close(fds[1]);
      execl(ATTUNE_CKPT_HELPER_PATH, ATTUNE_CKPT_HELPER_PATH, db.c_str(),
            elements.c_str(), keep.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);

    // Read while the child writes: every checkpoint seen must be whole.
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::microseconds(delay_us(rng));
    {
      auto reader = CheckpointStore::Open(db);
      ASSERT_TRUE(reader.ok()) << reader.status();
      while (std::chrono::steady_clock::now() < deadline) {
        auto latest = (*reader)->Find("latest");
        if (!latest.ok()) {
          ASSERT_EQ(latest.status().code(), absl::StatusCode::kNotFound)
              << latest.status();
          continue;
        }
        auto tensors = (*reader)->ReadTensors(latest->id);
        if (!tensors.ok()) {  // pruned between the two calls
          ASSERT_EQ(tensors.status().code(), absl::StatusCode::kNotFound)
              << tensors.status();
          continue;
        }
        ExpectSaveLoopTensors(*latest, &*tensors);
        if (HasFailure()) break;
      }
    }
    ASSERT_EQ(kill(pid, SIGKILL), 0);
    int wstatus = 0;
    ASSERT_EQ(waitpid(pid, &wstatus, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(wstatus))
        << "save loop exited by itself with " << WEXITSTATUS(wstatus);
    int64_t step = 0;
    int64_t reported = 0;
    while (read(fds[0], &step, sizeof(step)) == sizeof(step)) {
      reported = step;
      ++saves_committed;
    }
    close(fds[0]);
    if (reported > 0) last_committed = reported;

    auto store = CheckpointStore::Open(db);
    ASSERT_TRUE(store.ok()) << store.status();
    auto latest = (*store)->Find("latest");
    if (!latest.ok()) {  // no save ever committed
      ASSERT_EQ(latest.status().code(), absl::StatusCode::kNotFound);
      ASSERT_EQ(last_committed, 0) << latest.status();
      continue;
    }
    // Committed steps survive; at most the one in flight may also have.
    ASSERT_GE(latest->step, last_committed) << "round " << round;
    ASSERT_LE(latest->step, last_committed + 1) << "round " << round;
    last_committed = latest->step;
    ExpectSaveLoopCheckpoint(**store, *latest);
    auto list = (*store)->List();
    ASSERT_TRUE(list.ok());
    EXPECT_LE(list->size(), static_cast<size_t>(kKeepLast));
    if (HasFailure()) return;
  }
  auto store = CheckpointStore::Open(db);
  ASSERT_TRUE(store.ok());
  auto report = (*store)->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->status().ok()) << report->status();
  EXPECT_GT(last_committed, 0) << "no child ever committed a save";
  RecordProperty("saves_committed", static_cast<int>(saves_committed));
}

// Writes three checkpoints of 64 KiB each (distinct values), closes the
// database (which folds the WAL into it) and returns their ids.
std::vector<int64_t> WriteThree(const std::string& db) {
  auto store = CheckpointStore::Open(db);
  EXPECT_TRUE(store.ok()) << store.status();
  std::vector<int64_t> ids;
  for (int k = 1; k <= 3; ++k) {
    std::vector<float> a(16384);
    for (size_t i = 0; i < a.size(); ++i) a[i] = SaveLoopValue(k, i);
    CheckpointToWrite c;
    c.step = k;
    c.tensors = {{"a", DType::kFloat32, {16384}, Bytes(a)}};
    auto id = (*store)->Write(c);
    EXPECT_TRUE(id.ok()) << id.status();
    ids.push_back(*id);
  }
  return ids;
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

TEST(CheckpointFaultsTest, BitFlipInLatestIsDataLossPreviousRestorable) {
  TempDir dir;
  const std::string db = dir.File("flip.db");
  const std::vector<int64_t> ids = WriteThree(db);
  ASSERT_FALSE(std::filesystem::exists(db + "-wal"));
  std::string bytes = ReadFile(db);
  // Find the data of checkpoint 3 by its first values and flip one bit in
  // the middle of it.
  const float first = SaveLoopValue(3, 0);
  const size_t at = bytes.find(
      std::string(reinterpret_cast<const char*>(&first), sizeof(first)));
  ASSERT_NE(at, std::string::npos);
  bytes[at + 4000] ^= 0x10;
  WriteFile(db, bytes);

  auto store = CheckpointStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status();
  absl::Status status = (*store)->ReadTensors(ids[2]).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("\"a\""));
  EXPECT_THAT(status.message(), HasSubstr("checksum mismatch"));
  EXPECT_TRUE((*store)->ReadTensors(ids[1]).ok());
  auto report = (*store)->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(report->damaged, ::testing::ElementsAre(ids[2]));
  EXPECT_THAT(report->intact, ::testing::ElementsAre(ids[0], ids[1]));
}

TEST(CheckpointFaultsTest, TruncatedFileIsDetected) {
  TempDir dir;
  const std::string db = dir.File("cut.db");
  const std::vector<int64_t> ids = WriteThree(db);
  const auto size = std::filesystem::file_size(db);
  std::filesystem::resize_file(db, size - 40000);
  auto store = CheckpointStore::Open(db);
  ASSERT_TRUE(store.ok()) << store.status();
  EXPECT_EQ((*store)->ReadTensors(ids[2]).status().code(),
            absl::StatusCode::kDataLoss);
  auto report = (*store)->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->status().code(), absl::StatusCode::kDataLoss);
  // The earlier checkpoints lie in pages before the cut.
  EXPECT_TRUE((*store)->ReadTensors(ids[0]).ok());

  // Cut into the schema pages: nothing is readable, and it says so.
  store->reset();
  std::filesystem::resize_file(db, 1000);
  auto again = CheckpointStore::Open(db);
  absl::Status status = again.ok() ? (*again)->List().status() : again.status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
}

TEST(CheckpointFaultsTest, CorruptHeaderIsDataLoss) {
  TempDir dir;
  const std::string db = dir.File("header.db");
  WriteThree(db);
  std::string bytes = ReadFile(db);
  bytes[3] = 'X';  // "SQLite format 3\0" magic
  WriteFile(db, bytes);
  absl::Status status = CheckpointStore::Open(db).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss) << status;
  EXPECT_THAT(status.message(), HasSubstr(db));
}

TEST(CheckpointFaultsTest, RestoreFromDamagedLatestLeavesVariables) {
  TempDir dir;
  const std::string db = dir.File("user.db");
  auto interpreter = attune::testing::SmallInterpreter();
  ASSERT_TRUE(interpreter.ok()) << interpreter.status();
  VariableStore& vars = (*interpreter)->variables();
  attune::testing::FillVariables(vars, 1.0f);
  ASSERT_TRUE(Save(**interpreter, db).ok());
  const auto good = attune::testing::Snapshot(vars);
  attune::testing::FillVariables(vars, 2.0f);
  ASSERT_TRUE(Save(**interpreter, db).ok());
  // Flip a bit in the last saved value of the second checkpoint's first
  // variable (its float pattern is unique to step 2).
  const Tensor& kernel = vars.tensor(vars.Find("dense_1/kernel"));
  std::string bytes = ReadFile(db);
  const std::string needle(static_cast<const char*>(kernel.data), 64);
  const size_t at = bytes.find(needle);
  ASSERT_NE(at, std::string::npos);
  bytes[at + 10] ^= 1;
  WriteFile(db, bytes);
  attune::testing::FillVariables(vars, 3.0f);
  const auto before = attune::testing::Snapshot(vars);
  absl::Status status = Restore(**interpreter, db).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("dense_1/kernel"));
  EXPECT_EQ(attune::testing::Snapshot(vars), before);
  ASSERT_TRUE(Restore(**interpreter, db, "1").ok());
  EXPECT_EQ(attune::testing::Snapshot(vars), good);
}

// The uid and gid of "nobody" on Debian.
constexpr uid_t kNobody = 65534;

// Runs `body` in a child process and returns its exit code (-1 if it did
// not exit normally). As root the child first becomes nobody, so that
// folder permissions apply to it; 77 means it could not.
int RunUnprivileged(const std::function<int()>& body) {
  const pid_t pid = fork();
  if (pid == 0) {
    if (geteuid() == 0 &&
        (setgroups(0, nullptr) != 0 || setgid(kNobody) != 0 ||
         setuid(kNobody) != 0)) {
      _exit(77);
    }
    _exit(body());
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(CheckpointFaultsTest, ReadOnlyFolder) {
  TempDir dir;
  const std::string folder = dir.File("ro");
  ASSERT_TRUE(std::filesystem::create_directory(folder));
  const std::string db = folder + "/user.db";
  WriteThree(db);
  if (geteuid() == 0) {
    // The unprivileged child owns the folder and the file, and may enter
    // the temporary directory above them.
    ASSERT_EQ(chmod(dir.path().c_str(), 0755), 0);
    ASSERT_EQ(chown(folder.c_str(), kNobody, kNobody), 0);
    ASSERT_EQ(chown(db.c_str(), kNobody, kNobody), 0);
  }
  ASSERT_EQ(chmod(folder.c_str(), 0555), 0);
  // Exit code bits: 1 a new database was created, 2 its error does not
  // name it, 4 the existing one did not open, 8 a save into it succeeded,
  // 16 the save's error is not PermissionDenied or does not name the file.
  const int result = RunUnprivileged([&] {
    int bits = 0;
    absl::Status status = CheckpointStore::Open(folder + "/new.db").status();
    if (status.ok()) bits |= 1;
    if (!absl::StrContains(status.message(), "new.db")) bits |= 2;
    auto store = CheckpointStore::Open(db);
    if (!store.ok()) {
      // Opening may already fail (no room for the WAL): that must be the
      // permission error too.
      status = store.status();
    } else {
      std::vector<float> a(4);
      CheckpointToWrite c;
      c.tensors = {{"a", DType::kFloat32, {4}, Bytes(a)}};
      status = (*store)->Write(c).status();
      if (status.ok()) bits |= 8;
    }
    if (status.code() != absl::StatusCode::kPermissionDenied ||
        !absl::StrContains(status.message(), "user.db")) {
      bits |= 16;
    }
    return bits;
  });
  if (result == 77) GTEST_SKIP() << "cannot drop root privileges here";
  EXPECT_EQ(result, 0) << "see the bit meanings above";
  ASSERT_EQ(chmod(folder.c_str(), 0755), 0);
  auto reopened = CheckpointStore::Open(db);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->List()->size(), 3u);
  EXPECT_FALSE(std::filesystem::exists(folder + "/new.db"));
}

TEST(CheckpointFaultsTest, FolderIsAFile) {
  TempDir dir;
  const std::string file = dir.File("plain");
  WriteFile(file, "x");
  absl::Status status = CheckpointStore::Open(file + "/user.db").status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("plain/user.db"));
  EXPECT_THAT(status.message(), HasSubstr("unable to open"));
}

}  // namespace
}  // namespace attune
