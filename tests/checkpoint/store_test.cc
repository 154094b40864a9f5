#include "checkpoint/store.h"

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sqlite3.h"
#include "tests/checkpoint/test_util.h"

namespace attune {
namespace {

using ::attune::testing::Bytes;
using ::attune::testing::TempDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<CheckpointStore> OpenOrDie(const std::string& path,
                                           const StoreOptions& options = {}) {
  auto store = CheckpointStore::Open(path, options);
  EXPECT_TRUE(store.ok()) << store.status();
  return store.ok() ? *std::move(store) : nullptr;
}

std::vector<CheckpointInfo> ListOrDie(CheckpointStore& store) {
  auto list = store.List();
  EXPECT_TRUE(list.ok()) << list.status();
  return list.ok() ? *std::move(list) : std::vector<CheckpointInfo>{};
}

// A checkpoint with two tensors whose values derive from `seed`.
struct Sample {
  std::vector<float> w;
  std::vector<int64_t> step;
  CheckpointToWrite ToWrite(int64_t step_value, const std::string& tag = "") {
    CheckpointToWrite c;
    c.step = step_value;
    c.tag = tag;
    c.fingerprint = "fp";
    c.tensors = {{"dense/kernel", DType::kFloat32, {2, 3}, Bytes(w)},
                 {"optimizer/step", DType::kInt64, {}, Bytes(step)}};
    return c;
  }
};

Sample MakeSample(float seed) {
  Sample s;
  for (int i = 0; i < 6; ++i) s.w.push_back(seed + 0.5f * i);
  s.step = {static_cast<int64_t>(seed)};
  return s;
}

// Runs SQL on the database with a separate raw connection.
void RawExec(const std::string& path, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(CheckpointStoreTest, WriteReadRoundTripWithProperties) {
  TempDir dir;
  auto store = OpenOrDie(dir.File("a.db"));
  ASSERT_NE(store, nullptr);
  Sample s = MakeSample(3);
  CheckpointToWrite c = s.ToWrite(42, "best");
  c.properties = {{"epoch", int64_t{7}},
                  {"accuracy", 0.875},
                  {"note", std::string("user 12")}};
  auto id = store->Write(c);
  ASSERT_TRUE(id.ok()) << id.status();

  auto info = store->Find("best");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->id, *id);
  EXPECT_EQ(info->step, 42);
  EXPECT_EQ(info->tag, "best");
  EXPECT_EQ(info->fingerprint, "fp");
  EXPECT_FALSE(info->nominal);
  EXPECT_EQ(info->num_tensors, 2);
  EXPECT_EQ(info->total_bytes, 6 * 4 + 8);
  EXPECT_GT(info->created_unix_us, 0);
  EXPECT_EQ(std::get<int64_t>(info->properties.at("epoch")), 7);
  EXPECT_DOUBLE_EQ(std::get<double>(info->properties.at("accuracy")), 0.875);
  EXPECT_EQ(std::get<std::string>(info->properties.at("note")), "user 12");

  auto tensors = store->ReadTensors(*id);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  ASSERT_EQ(tensors->size(), 2u);
  EXPECT_EQ((*tensors)[0].record.name, "dense/kernel");
  EXPECT_EQ((*tensors)[0].record.dtype, DType::kFloat32);
  EXPECT_THAT((*tensors)[0].record.shape, ElementsAre(2, 3));
  EXPECT_EQ((*tensors)[0].data,
            std::vector<uint8_t>(Bytes(s.w).begin(), Bytes(s.w).end()));
  EXPECT_EQ((*tensors)[1].record.name, "optimizer/step");
  EXPECT_TRUE((*tensors)[1].record.shape.empty());

  // Subset by name, in the order asked.
  auto subset = store->ReadTensors(*id, {"optimizer/step"});
  ASSERT_TRUE(subset.ok()) << subset.status();
  ASSERT_EQ(subset->size(), 1u);
  EXPECT_EQ((*subset)[0].record.name, "optimizer/step");
  EXPECT_EQ(store->ReadTensors(*id, {"nope"}).status().code(),
            absl::StatusCode::kNotFound);
}

TEST(CheckpointStoreTest, SelectorsAndIdsAreNeverReused) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  auto store = OpenOrDie(path);
  Sample s = MakeSample(1);
  auto a = store->Write(s.ToWrite(1));
  auto b = store->Write(s.ToWrite(2, "keep"));
  auto c = store->Write(s.ToWrite(3));
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_LT(*a, *b);
  EXPECT_LT(*b, *c);
  EXPECT_EQ(store->Find("latest")->id, *c);
  EXPECT_EQ(store->Find(std::to_string(*a))->step, 1);
  EXPECT_EQ(store->Find("keep")->id, *b);
  EXPECT_EQ(store->Find("missing").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->Find("999").status().code(), absl::StatusCode::kNotFound);

  ASSERT_TRUE(store->Delete(*c).ok());
  EXPECT_EQ(store->Delete(*c).code(), absl::StatusCode::kNotFound);
  auto d = store->Write(s.ToWrite(4));
  ASSERT_TRUE(d.ok());
  EXPECT_GT(*d, *c);
  EXPECT_EQ(store->List()->size(), 3u);

  // Reopening finds the same history.
  store.reset();
  store = OpenOrDie(path);
  auto list = store->List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 3u);
  EXPECT_EQ((*list)[0].id, *a);
  EXPECT_EQ((*list)[2].id, *d);
}

TEST(CheckpointStoreTest, Tags) {
  TempDir dir;
  auto store = OpenOrDie(dir.File("a.db"));
  Sample s = MakeSample(1);
  auto a = store->Write(s.ToWrite(1, "v1"));
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(store->Write(s.ToWrite(2, "v1")).status().code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(store->Write(s.ToWrite(2, "latest")).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(store->Write(s.ToWrite(2, "12")).status().code(),
            absl::StatusCode::kInvalidArgument);
  auto b = store->Write(s.ToWrite(2));
  ASSERT_TRUE(b.ok());
  // Moving a tag takes it off the other checkpoint.
  ASSERT_TRUE(store->SetTag(*b, "v1").ok());
  EXPECT_EQ(store->Find("v1")->id, *b);
  EXPECT_EQ(store->Find(std::to_string(*a))->tag, "");
  ASSERT_TRUE(store->SetTag(*b, "").ok());
  EXPECT_EQ(store->Find("v1").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(store->SetTag(999, "x").code(), absl::StatusCode::kNotFound);
}

TEST(CheckpointStoreTest, PropertiesGetSetDelete) {
  TempDir dir;
  auto store = OpenOrDie(dir.File("a.db"));
  Sample s = MakeSample(1);
  auto id = store->Write(s.ToWrite(1));
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(store->SetProperty(*id, "loss", 0.5).ok());
  ASSERT_TRUE(store->SetProperty(*id, "loss", int64_t{3}).ok());  // replaces
  ASSERT_TRUE(store->SetProperty(*id, "who", std::string("me")).ok());
  auto props = store->GetProperties(*id);
  ASSERT_TRUE(props.ok());
  ASSERT_EQ(props->size(), 2u);
  EXPECT_EQ(std::get<int64_t>(props->at("loss")), 3);
  EXPECT_EQ(PropertyToString(props->at("who")), "me");
  EXPECT_EQ(PropertyTypeName(props->at("loss")), "int64");
  ASSERT_TRUE(store->DeleteProperty(*id, "loss").ok());
  EXPECT_EQ(store->DeleteProperty(*id, "loss").code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(store->GetProperties(*id)->size(), 1u);
  EXPECT_EQ(store->SetProperty(999, "x", 1.0).code(),
            absl::StatusCode::kNotFound);
}

TEST(CheckpointStoreTest, PruneKeepsLastNAndTagged) {
  TempDir dir;
  auto store = OpenOrDie(dir.File("a.db"));
  Sample s = MakeSample(1);
  std::vector<int64_t> ids;
  for (int i = 0; i < 6; ++i) {
    auto id = store->Write(s.ToWrite(i, i == 1 ? "first" : ""));
    ASSERT_TRUE(id.ok());
    ids.push_back(*id);
  }
  auto deleted = store->Prune(2);
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_THAT(*deleted, ElementsAre(ids[0], ids[2], ids[3]));
  std::vector<int64_t> left;
  for (const CheckpointInfo& info : ListOrDie(*store)) left.push_back(info.id);
  EXPECT_THAT(left, ElementsAre(ids[1], ids[4], ids[5]));
  EXPECT_EQ(store->Prune(0).status().code(),
            absl::StatusCode::kInvalidArgument);
  // Retention in the same transaction as a save.
  auto id = store->Write(s.ToWrite(9), /*keep_last=*/1);
  ASSERT_TRUE(id.ok());
  left.clear();
  for (const CheckpointInfo& info : ListOrDie(*store)) left.push_back(info.id);
  EXPECT_THAT(left, ElementsAre(ids[1], *id));
  // Deleted tensors are gone too.
  EXPECT_EQ(store->ReadTensors(ids[0]).status().code(),
            absl::StatusCode::kNotFound);
}

// 256 KiB (four 64 KiB overflow pages) of a byte pattern found nowhere else.
std::vector<uint8_t> Marked(char mark) {
  const std::string unit = std::string("attune-deleted-") + mark + "!";
  std::vector<uint8_t> bytes;
  while (bytes.size() < (256u << 10)) {
    bytes.insert(bytes.end(), unit.begin(), unit.end());
  }
  return bytes;
}

CheckpointToWrite MarkedCheckpoint(const std::vector<uint8_t>& bytes) {
  CheckpointToWrite c;
  c.fingerprint = "fp";
  c.tensors = {{"blob", DType::kUint8,
                {static_cast<int64_t>(bytes.size())}, Bytes(bytes)}};
  return c;
}

bool FileContains(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ifstream in(path, std::ios::binary);
  const std::string file((std::istreambuf_iterator<char>(in)),
                         std::istreambuf_iterator<char>());
  return file.find(std::string(bytes.begin(), bytes.begin() + 64)) !=
         std::string::npos;
}

// Delete and Prune zero what they free: once the store has closed (and
// folded the WAL) no page of the deleted tensors is left in the file, while
// the kept one still is.
TEST(CheckpointStoreTest, DeleteAndPruneZeroTheFreedPages) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  const std::vector<uint8_t> deleted = Marked('d'), pruned = Marked('p'),
                             kept = Marked('k');
  {
    auto store = OpenOrDie(path);
    auto id = store->Write(MarkedCheckpoint(deleted));
    ASSERT_TRUE(id.ok()) << id.status();
    ASSERT_TRUE(store->Write(MarkedCheckpoint(pruned)).ok());
    ASSERT_TRUE(store->Write(MarkedCheckpoint(kept)).ok());
    ASSERT_TRUE(store->Delete(*id).ok());
    ASSERT_TRUE(store->Prune(1).ok());
  }
  EXPECT_FALSE(FileContains(path, deleted));
  EXPECT_FALSE(FileContains(path, pruned));
  EXPECT_TRUE(FileContains(path, kept));
}

// A reader's Find + ReadTensors inside one snapshot survive a writer that
// prunes the found checkpoint in between; without the snapshot the
// second call sees the checkpoint gone.
TEST(CheckpointStoreTest, ReadSnapshotSeesOneState) {
  TempDir dir;
  auto writer = OpenOrDie(dir.File("a.db"));
  auto reader = OpenOrDie(dir.File("a.db"));
  ASSERT_NE(writer, nullptr);
  ASSERT_NE(reader, nullptr);
  Sample one = MakeSample(1), two = MakeSample(2), three = MakeSample(3);
  ASSERT_TRUE(writer->Write(one.ToWrite(1)).ok());
  {
    auto snapshot = reader->BeginRead();
    ASSERT_TRUE(snapshot.ok()) << snapshot.status();
    auto latest = reader->Find("latest");
    ASSERT_TRUE(latest.ok());
    EXPECT_EQ(latest->id, 1);
    // The writer saves checkpoint 2 and prunes checkpoint 1.
    ASSERT_TRUE(writer->Write(two.ToWrite(2), /*keep_last=*/1).ok());
    EXPECT_EQ(reader->Find("latest")->id, 1);
    auto tensors = reader->ReadTensors(latest->id);
    ASSERT_TRUE(tensors.ok()) << tensors.status();
    EXPECT_EQ((*tensors)[0].data.size(), one.w.size() * sizeof(float));
    EXPECT_EQ(0, std::memcmp((*tensors)[0].data.data(), one.w.data(),
                             (*tensors)[0].data.size()));
    // No writes through the reading store; a nested snapshot joins.
    EXPECT_EQ(reader->Write(three.ToWrite(3)).status().code(),
              absl::StatusCode::kFailedPrecondition);
    {
      auto nested = reader->BeginRead();
      ASSERT_TRUE(nested.ok()) << nested.status();
      EXPECT_EQ(reader->Find("latest")->id, 1);
    }
    EXPECT_EQ(reader->Find("latest")->id, 1);
  }
  // After the snapshot: the current state.
  EXPECT_EQ(reader->Find("latest")->id, 2);
  EXPECT_EQ(reader->ReadTensors(1).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(reader->Write(three.ToWrite(3)).ok());
}

TEST(CheckpointStoreTest, RejectsBadTensorsWithoutWriting) {
  TempDir dir;
  auto store = OpenOrDie(dir.File("a.db"));
  std::vector<float> w(5);
  CheckpointToWrite c;
  c.tensors = {{"w", DType::kFloat32, {2, 3}, Bytes(w)}};
  absl::Status status = store->Write(c).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("\"w\""));
  EXPECT_THAT(status.message(), HasSubstr("needs 24 bytes"));
  std::vector<float> w6(6);
  c.tensors = {{"w", DType::kFloat32, {2, 3}, Bytes(w6)},
               {"w", DType::kFloat32, {2, 3}, Bytes(w6)}};
  EXPECT_THAT(store->Write(c).status().message(), HasSubstr("appears twice"));
  c.tensors = {{"s", DType::kString, {1}, {}}};
  EXPECT_EQ(store->Write(c).status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_TRUE(store->List()->empty());
}

TEST(CheckpointStoreTest, NominalCheckpointHasShapesButNoData) {
  TempDir dir;
  auto store = OpenOrDie(dir.File("a.db"));
  CheckpointToWrite c;
  c.nominal = true;
  c.fingerprint = "fp";
  c.tensors = {{"dense/kernel", DType::kFloat32, {784, 128}, {}}};
  auto id = store->Write(c);
  ASSERT_TRUE(id.ok()) << id.status();
  auto info = store->Find("latest");
  ASSERT_TRUE(info.ok());
  EXPECT_TRUE(info->nominal);
  EXPECT_EQ(info->total_bytes, 784 * 128 * 4);
  auto tensors = store->ReadTensors(*id);
  ASSERT_TRUE(tensors.ok()) << tensors.status();
  EXPECT_FALSE((*tensors)[0].record.has_data);
  EXPECT_TRUE((*tensors)[0].data.empty());
  auto verify = store->Verify();
  ASSERT_TRUE(verify.ok());
  EXPECT_TRUE(verify->status().ok()) << verify->status();
  std::vector<float> data(4);
  c.tensors = {{"x", DType::kFloat32, {4}, Bytes(data)}};
  EXPECT_EQ(store->Write(c).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(CheckpointStoreTest, ChecksumMismatchIsDataLossNamingTheTensor) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  Sample s = MakeSample(1);
  int64_t good = 0, bad = 0;
  {
    auto store = OpenOrDie(path);
    good = *store->Write(s.ToWrite(1));
    bad = *store->Write(s.ToWrite(2));
  }
  // Same size, one byte different: only the checksum can tell.
  RawExec(path,
          "UPDATE tensors SET data = zeroblob(24) WHERE checkpoint_id = " +
              std::to_string(bad) + " AND name = 'dense/kernel'");
  auto store = OpenOrDie(path);
  absl::Status status = store->ReadTensors(bad).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr("\"dense/kernel\""));
  EXPECT_THAT(status.message(), HasSubstr("checksum mismatch"));
  EXPECT_TRUE(store->ReadTensors(good).ok());
  auto report = store->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_THAT(report->intact, ElementsAre(good));
  EXPECT_THAT(report->damaged, ElementsAre(bad));
  EXPECT_EQ(report->status().code(), absl::StatusCode::kDataLoss);

  // A shape edited behind our back is caught too.
  RawExec(path, "UPDATE tensors SET shape = '3,2' WHERE checkpoint_id = " +
                    std::to_string(good) + " AND name = 'dense/kernel'");
  EXPECT_EQ(store->ReadTensors(good).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(CheckpointStoreTest, NotADatabase) {
  TempDir dir;
  const std::string path = dir.File("model.attune");
  {
    std::ofstream f(path, std::ios::binary);
    f << std::string(8192, 'x');
  }
  absl::Status status = CheckpointStore::Open(path).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(status.message(), HasSubstr(path));

  const std::string other = dir.File("other.db");
  RawExec(other, "CREATE TABLE t (x); INSERT INTO t VALUES (1);");
  status = CheckpointStore::Open(other).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("another application"));

  const std::string newer = dir.File("newer.db");
  { OpenOrDie(newer); }
  RawExec(newer, "PRAGMA user_version = 99");
  status = CheckpointStore::Open(newer).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(status.message(), HasSubstr("schema version 99"));

  status = CheckpointStore::Open(dir.File("no/such/dir/a.db")).status();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.message(), HasSubstr("no/such/dir/a.db"));
}

TEST(CheckpointStoreTest, ReadOnlyOpen) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  StoreOptions options;
  options.read_only = true;
  EXPECT_EQ(CheckpointStore::Open(path, options).status().code(),
            absl::StatusCode::kNotFound);
  Sample s = MakeSample(1);
  { ASSERT_TRUE(OpenOrDie(path)->Write(s.ToWrite(1)).ok()); }
  auto store = OpenOrDie(path, options);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->List()->size(), 1u);
  EXPECT_EQ(store->Write(s.ToWrite(2)).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(store->Delete(1).code(), absl::StatusCode::kFailedPrecondition);
}

TEST(CheckpointStoreTest, FullDiskFailsCleanlyAndKeepsEarlierSaves) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  StoreOptions options;
  options.max_bytes = 1 << 20;  // 16 pages of 64 KiB
  auto store = OpenOrDie(path, options);
  Sample s = MakeSample(1);
  auto first = store->Write(s.ToWrite(1));
  ASSERT_TRUE(first.ok()) << first.status();
  std::vector<float> big(2 << 20, 1.0f);  // 8 MiB
  CheckpointToWrite c;
  c.tensors = {
      {"big", DType::kFloat32, {static_cast<int64_t>(big.size())}, Bytes(big)}};
  absl::Status status = store->Write(c).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted) << status;
  EXPECT_THAT(status.message(), HasSubstr("\"big\""));
  // Nothing half-written; the store still works.
  EXPECT_EQ(store->List()->size(), 1u);
  EXPECT_TRUE(store->ReadTensors(*first).ok());
  EXPECT_TRUE(store->Write(s.ToWrite(2)).ok());
  EXPECT_TRUE(store->Verify()->status().ok());
}

TEST(CheckpointStoreTest, LockedByAnotherWriterIsUnavailable) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  StoreOptions options;
  options.busy_timeout_ms = 20;
  auto store = OpenOrDie(path, options);
  Sample s = MakeSample(1);
  ASSERT_TRUE(store->Write(s.ToWrite(1)).ok());
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr),
            SQLITE_OK);
  absl::Status status = store->Write(s.ToWrite(2)).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
  EXPECT_THAT(status.message(), HasSubstr("lock"));
  // Readers are not blocked by the writer (WAL).
  EXPECT_TRUE(store->ReadTensors(1).ok());
  sqlite3_exec(other, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  EXPECT_TRUE(store->Write(s.ToWrite(2)).ok());
  EXPECT_EQ(store->List()->size(), 2u);
}

TEST(CheckpointStoreTest, NormalDurabilityAndWalMode) {
  TempDir dir;
  const std::string path = dir.File("a.db");
  StoreOptions options;
  options.durability = Durability::kNormal;
  auto store = OpenOrDie(path, options);
  Sample s = MakeSample(2);
  ASSERT_TRUE(store->Write(s.ToWrite(1)).ok());
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)),
               "wal");
  sqlite3_finalize(stmt);
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr),
            SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_EQ(sqlite3_column_int(stmt, 0), kCheckpointSchemaVersion);
  sqlite3_finalize(stmt);
  sqlite3_close(db);
}

TEST(CheckpointStoreTest, ChecksumCoversMetadata) {
  std::vector<float> v = {1, 2, 3, 4};
  const uint64_t base = TensorChecksum("a", DType::kFloat32, {4}, Bytes(v));
  EXPECT_NE(base, TensorChecksum("b", DType::kFloat32, {4}, Bytes(v)));
  EXPECT_NE(base, TensorChecksum("a", DType::kInt32, {4}, Bytes(v)));
  EXPECT_NE(base, TensorChecksum("a", DType::kFloat32, {2, 2}, Bytes(v)));
  v[3] = 5;
  EXPECT_NE(base, TensorChecksum("a", DType::kFloat32, {4}, Bytes(v)));
}

}  // namespace
}  // namespace attune
