// Background folding: after a save the store's folder thread copies the WAL
// into the database file; the store's close waits for it; nothing is lost
// or torn whichever of them runs first.

#include <algorithm>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "checkpoint/store.h"
#include "gtest/gtest.h"
#include "tests/checkpoint/test_util.h"

namespace attune {
namespace {

using ::attune::testing::OneTensor;
using ::attune::testing::TempDir;

constexpr int64_t kMiB = 1 << 20;

std::vector<float> Values(int64_t count, float offset) {
  std::vector<float> data(count);
  for (int64_t i = 0; i < count; ++i) data[i] = offset + 0.25f * (i % 4099);
  return data;
}

// Waits up to 10 s for the database file itself to reach `bytes`.
bool DatabaseReaches(const std::string& path, int64_t bytes) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline) {
    if (static_cast<int64_t>(std::filesystem::file_size(path)) >= bytes) {
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void ExpectReadsBack(const std::string& path, int64_t id,
                     const std::vector<float>& data) {
  auto store = CheckpointStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  auto tensors = (*store)->ReadTensors(id);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ASSERT_EQ((*tensors)[0].data.size(), data.size() * sizeof(float));
  EXPECT_EQ(0, std::memcmp((*tensors)[0].data.data(), data.data(),
                           data.size() * sizeof(float)));
}

// A 4 MiB save stays below SQLite's autocheckpoint size (1000 pages of
// 64 KiB), so without the folder it would stay in the WAL until close.
TEST(WalFolder, FoldsASaveIntoTheDatabaseWhileTheStoreIsOpen) {
  TempDir dir;
  const std::vector<float> data = Values(kMiB, 1.0f);
  for (const bool background : {true, false}) {
    SCOPED_TRACE(background ? "background_fold" : "no background_fold");
    const std::string path = dir.File(background ? "on.db" : "off.db");
    StoreOptions options;
    options.background_fold = background;
    auto store = CheckpointStore::Open(path, options);
    ASSERT_TRUE(store.ok()) << store.status();
    auto id = (*store)->Write(OneTensor(data));
    ASSERT_TRUE(id.ok()) << id.status();
    if (background) {
      EXPECT_TRUE(DatabaseReaches(path, 4 * kMiB))
          << "database file stays at " << std::filesystem::file_size(path);
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      EXPECT_LT(static_cast<int64_t>(std::filesystem::file_size(path)), kMiB);
    }
    // Another connection reads it either way (from the WAL or the file).
    ExpectReadsBack(path, *id, data);
  }
}

// Closing right after a large save waits for a fold in progress; the last
// close folds the rest and removes the WAL. Every save reads back whole.
TEST(WalFolder, CloseDuringAFoldLosesNothing) {
  TempDir dir;
  const std::string path = dir.File("close.db");
  for (int round = 0; round < 4; ++round) {
    SCOPED_TRACE(round);
    const std::vector<float> data = Values(2 * kMiB, static_cast<float>(round));
    int64_t id = 0;
    {
      auto store = CheckpointStore::Open(path);
      ASSERT_TRUE(store.ok()) << store.status();
      auto written = (*store)->Write(OneTensor(data), /*keep_last=*/2);
      ASSERT_TRUE(written.ok()) << written.status();
      id = *written;
    }
    EXPECT_FALSE(std::filesystem::exists(path + "-wal"));
    ExpectReadsBack(path, id, data);
  }
}

// Saves back to back: each waits for the previous fold, so SQLite restarts
// the WAL every time and it stays one save large (it would grow towards the
// 62.5 MiB autocheckpoint size if a save could begin while a fold runs).
TEST(WalFolder, WalStaysOneSaveLargeInALoopOfSaves) {
  TempDir dir;
  const std::string path = dir.File("loop.db");
  const std::vector<float> data = Values(2 * kMiB, 3.0f);  // 8 MiB
  auto store = CheckpointStore::Open(path);
  ASSERT_TRUE(store.ok()) << store.status();
  int64_t largest_wal = 0;
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE((*store)->Write(OneTensor(data), /*keep_last=*/2).ok());
    largest_wal = std::max<int64_t>(
        largest_wal, std::filesystem::file_size(path + "-wal"));
  }
  EXPECT_LT(largest_wal, 12 * kMiB);
}

// Linux: the threads of this process.
int ThreadCount() {
  int count = 0;
  for ([[maybe_unused]] const auto& entry :
       std::filesystem::directory_iterator("/proc/self/task")) {
    ++count;
  }
  return count;
}

// The thread starts with the first save and ends with the store; stores
// that only read never start one.
TEST(WalFolder, ThreadLivesFromTheFirstSaveToTheClose) {
  if (!std::filesystem::exists("/proc/self/task")) GTEST_SKIP() << "no /proc";
  TempDir dir;
  const std::string path = dir.File("threads.db");
  const int base = ThreadCount();
  const std::vector<float> data = Values(1024, 2.0f);
  {
    auto store = CheckpointStore::Open(path);
    ASSERT_TRUE(store.ok()) << store.status();
    EXPECT_EQ(ThreadCount(), base);
    ASSERT_TRUE((*store)->Write(OneTensor(data)).ok());
    EXPECT_EQ(ThreadCount(), base + 1);
    ASSERT_TRUE((*store)->Write(OneTensor(data)).ok());
    EXPECT_EQ(ThreadCount(), base + 1);
  }
  EXPECT_EQ(ThreadCount(), base);
  {
    StoreOptions options;
    options.read_only = true;
    auto reader = CheckpointStore::Open(path, options);
    ASSERT_TRUE(reader.ok()) << reader.status();
    ASSERT_TRUE((*reader)->ReadTensors(2).ok());
    EXPECT_EQ(ThreadCount(), base);
  }
  {
    StoreOptions options;
    options.background_fold = false;
    auto store = CheckpointStore::Open(path, options);
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Write(OneTensor(data)).ok());
    EXPECT_EQ(ThreadCount(), base);
  }
}

// Saves back to back (the folder lags behind the writer) while a second
// store reads: each reader snapshot sees whole checkpoints.
TEST(WalFolder, ReaderSeesWholeCheckpointsWhileFoldsRun) {
  TempDir dir;
  const std::string path = dir.File("race.db");
  auto writer = CheckpointStore::Open(path);
  ASSERT_TRUE(writer.ok()) << writer.status();
  auto reader = CheckpointStore::Open(path);
  ASSERT_TRUE(reader.ok()) << reader.status();
  for (int step = 1; step <= 12; ++step) {
    const std::vector<float> data =
        Values(256 * 1024, static_cast<float>(step));
    CheckpointToWrite c = OneTensor(data);
    c.step = step;
    ASSERT_TRUE((*writer)->Write(c, /*keep_last=*/2).ok());
    auto snapshot = (*reader)->BeginRead();
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    auto latest = (*reader)->Find("latest");
    ASSERT_TRUE(latest.ok()) << latest.status();
    EXPECT_EQ(latest->step, step);
    auto tensors = (*reader)->ReadTensors(latest->id);
    ASSERT_TRUE(tensors.ok()) << tensors.status();
    EXPECT_EQ(0, std::memcmp((*tensors)[0].data.data(), data.data(),
                             data.size() * sizeof(float)));
  }
}

}  // namespace
}  // namespace attune
