// The writeback VFS shim: saves start the kernel's writeback as they go,
// and its extra descriptors live exactly as long as the shim's last
// connection to a file (closing one earlier could drop SQLite's locks).

#include "checkpoint/writeback_vfs.h"

#include <cstring>
#include <string>
#include <vector>

#include "checkpoint/store.h"
#include "gtest/gtest.h"
#include "tests/checkpoint/test_util.h"

namespace attune {
namespace {

using ::attune::testing::OneTensor;
using ::attune::testing::TempDir;

TEST(WritebackVfs, LargeSavePushesWritebackAndReadsBack) {
  if (WritebackVfsName() == nullptr) GTEST_SKIP() << "no sync_file_range";
  TempDir dir;
  std::vector<float> data(1 << 20);
  for (size_t i = 0; i < data.size(); ++i) data[i] = 0.5f * i;
  const WritebackVfsStats before = GetWritebackVfsStats();
  {
    auto store = CheckpointStore::Open(dir.File("a.db"));
    ASSERT_TRUE(store.ok()) << store.status();
    ASSERT_TRUE((*store)->Write(OneTensor(data)).ok());
  }
  const WritebackVfsStats after = GetWritebackVfsStats();
  // 4 MiB reach the WAL (and, when SQLite checkpoints at close, the
  // database): at least three 1 MiB pushes.
  EXPECT_GE(after.pushes - before.pushes, 3);
  EXPECT_GE(after.pushed_bytes - before.pushed_bytes, 3 << 20);
  // The data is intact through a fresh connection.
  auto store = CheckpointStore::Open(dir.File("a.db"));
  ASSERT_TRUE(store.ok());
  auto tensors = (*store)->ReadTensors(1);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ASSERT_EQ((*tensors)[0].data.size(), data.size() * sizeof(float));
  EXPECT_EQ(0, std::memcmp((*tensors)[0].data.data(), data.data(),
                           data.size() * sizeof(float)));
}

TEST(WritebackVfs, DescriptorsCloseWithTheLastConnection) {
  if (WritebackVfsName() == nullptr) GTEST_SKIP() << "no sync_file_range";
  TempDir dir;
  const int64_t base = GetWritebackVfsStats().open_inodes;
  std::vector<float> data(1024, 1.0f);
  auto first = CheckpointStore::Open(dir.File("b.db"));
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE((*first)->Write(OneTensor(data)).ok());
  // The database file and its WAL.
  EXPECT_EQ(GetWritebackVfsStats().open_inodes, base + 2);
  {
    auto second = CheckpointStore::Open(dir.File("b.db"));
    ASSERT_TRUE(second.ok());
    ASSERT_TRUE((*second)->Write(OneTensor(data)).ok());
    EXPECT_EQ(GetWritebackVfsStats().open_inodes, base + 2);
  }
  // The second connection closed; the first still uses both inodes, so
  // their descriptors (and SQLite's locks) stay.
  EXPECT_EQ(GetWritebackVfsStats().open_inodes, base + 2);
  ASSERT_TRUE((*first)->Write(OneTensor(data)).ok());
  EXPECT_EQ((*first)->List()->size(), 3u);
  first->reset();
  EXPECT_EQ(GetWritebackVfsStats().open_inodes, base);
}

// (SQLite may still open the WAL read-write for a read-only connection.)
TEST(WritebackVfs, ReadOnlyStoresReleaseTheirDescriptors) {
  if (WritebackVfsName() == nullptr) GTEST_SKIP() << "no sync_file_range";
  TempDir dir;
  std::vector<float> data(16, 2.0f);
  {
    auto store = CheckpointStore::Open(dir.File("c.db"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Write(OneTensor(data)).ok());
  }
  const int64_t base = GetWritebackVfsStats().open_inodes;
  StoreOptions options;
  options.read_only = true;
  auto reader = CheckpointStore::Open(dir.File("c.db"), options);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_EQ((*reader)->List()->size(), 1u);
  reader->reset();
  EXPECT_EQ(GetWritebackVfsStats().open_inodes, base);
}

}  // namespace
}  // namespace attune
