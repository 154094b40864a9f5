#include "checkpoint/store.h"

#include <algorithm>
#include <functional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "checkpoint/sqlite_util.h"
#include "checkpoint/wal_folder.h"
#include "checkpoint/writeback_vfs.h"
#include "engine/status_macros.h"
#include "sqlite3.h"

#define XXH_INLINE_ALL  // header-only use of libxxhash-dev
#include "xxhash.h"

namespace attune {
namespace {

using sqlite::Statement;
using sqlite::Transaction;

// Page size of new databases: large pages keep multi-megabyte tensor blobs
// in few overflow pages (FORMAT.md, "Pages").
constexpr int kPageSize = 65536;

// The saving connection's autocheckpoint size while a background folder
// runs (pages; SQLite's default is 1000).
constexpr int kWalAutocheckpointPagesWithFolder = 4096;

// Property type codes stored in properties.type (FORMAT.md).
constexpr int kPropertyInt64 = 0;
constexpr int kPropertyDouble = 1;
constexpr int kPropertyString = 2;

// Schema version 1 (FORMAT.md is the reference; keep them in sync).
constexpr char kSchemaV1[] = R"sql(
CREATE TABLE checkpoints (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  created_us  INTEGER NOT NULL,
  step        INTEGER NOT NULL,
  tag         TEXT UNIQUE,
  fingerprint TEXT NOT NULL,
  nominal     INTEGER NOT NULL
);
CREATE TABLE properties (
  checkpoint_id INTEGER NOT NULL,
  name          TEXT NOT NULL,
  type          INTEGER NOT NULL,
  value         ANY,
  PRIMARY KEY (checkpoint_id, name)
);
CREATE TABLE tensors (
  checkpoint_id INTEGER NOT NULL,
  position      INTEGER NOT NULL,
  name          TEXT NOT NULL,
  dtype         TEXT NOT NULL,
  shape         TEXT NOT NULL,
  byte_size     INTEGER NOT NULL,
  checksum      INTEGER NOT NULL,
  data          BLOB,
  PRIMARY KEY (checkpoint_id, name)
);
)sql";

// Migrations: kMigrations[v] upgrades a database from user_version v to v+1.
constexpr const char* kMigrations[] = {kSchemaV1};
static_assert(sizeof(kMigrations) / sizeof(kMigrations[0]) ==
                  kCheckpointSchemaVersion,
              "one migration per schema version");

std::string ShapeText(absl::Span<const int64_t> shape) {
  return absl::StrJoin(shape, ",");
}

absl::StatusOr<Shape> ParseShapeText(absl::string_view text) {
  Shape shape;
  if (text.empty()) return shape;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    int64_t dim = 0;
    if (!absl::SimpleAtoi(part, &dim) || dim < 0) {
      return absl::DataLossError(absl::StrCat("bad shape \"", text, "\""));
    }
    shape.push_back(dim);
  }
  if (shape.size() > static_cast<size_t>(kMaxRank)) {
    return absl::DataLossError(absl::StrCat("bad shape \"", text, "\""));
  }
  return shape;
}

bool IsReservedTag(absl::string_view tag) {
  if (tag == "latest") return true;
  return !tag.empty() && std::all_of(tag.begin(), tag.end(), [](char c) {
    return absl::ascii_isdigit(c);
  });
}

absl::Status CheckTag(absl::string_view tag) {
  if (IsReservedTag(tag)) {
    return absl::InvalidArgumentError(
        absl::StrCat("checkpoint tag \"", tag,
                     "\" is reserved (\"latest\" and numbers select by id)"));
  }
  return absl::OkStatus();
}

// Expected byte size of a tensor, or InvalidArgument.
absl::StatusOr<int64_t> ExpectedBytes(absl::string_view name, DType dtype,
                                      absl::Span<const int64_t> shape) {
  if (DTypeSize(dtype) == 0) {
    return absl::UnimplementedError(absl::StrCat("tensor \"", name,
                                                 "\": dtype ", DTypeName(dtype),
                                                 " cannot be checkpointed"));
  }
  absl::StatusOr<int64_t> n = CheckedNumElements(shape);
  if (!n.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("tensor \"", name, "\": ", n.status().message()));
  }
  return *n * static_cast<int64_t>(DTypeSize(dtype));
}

}  // namespace

absl::string_view PropertyTypeName(const PropertyValue& value) {
  switch (value.index()) {
    case 0:
      return "int64";
    case 1:
      return "double";
    default:
      return "string";
  }
}

std::string PropertyToString(const PropertyValue& value) {
  if (const auto* i = std::get_if<int64_t>(&value)) return absl::StrCat(*i);
  if (const auto* d = std::get_if<double>(&value)) {
    return absl::StrFormat("%.17g", *d);
  }
  return std::get<std::string>(value);
}

absl::Status VerifyReport::status() const {
  if (problems.empty()) return absl::OkStatus();
  return absl::DataLossError(problems.size() == 1
                                 ? problems[0]
                                 : absl::StrCat(problems[0], " (and ",
                                                problems.size() - 1,
                                                " more problems)"));
}

uint64_t TensorChecksum(absl::string_view name, DType dtype,
                        absl::Span<const int64_t> shape,
                        absl::Span<const uint8_t> data) {
  std::string meta(name);
  meta.push_back('\0');
  meta.push_back(static_cast<char>(dtype));
  for (int64_t dim : shape) {
    for (int b = 0; b < 8; ++b) {
      meta.push_back(
          static_cast<char>((static_cast<uint64_t>(dim) >> (8 * b)) & 0xff));
    }
  }
  XXH3_state_t state;
  XXH3_64bits_reset(&state);
  if (!data.empty()) XXH3_64bits_update(&state, data.data(), data.size());
  XXH3_64bits_update(&state, meta.data(), meta.size());
  return XXH3_64bits_digest(&state);
}

absl::StatusOr<std::unique_ptr<CheckpointStore>> CheckpointStore::Open(
    const std::string& path, const StoreOptions& options) {
  const std::string ctx = absl::StrCat("checkpoint database \"", path, "\"");
  sqlite3* db = nullptr;
  const int flags =
      options.read_only
          ? SQLITE_OPEN_READONLY
          : (SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0));
  const int rc =
      sqlite3_open_v2(path.c_str(), &db, flags, WritebackVfsName());
  if (rc != SQLITE_OK) {
    absl::Status status = sqlite::Error(db, rc, absl::StrCat(ctx, ": open"));
    sqlite3_close(db);
    return status;
  }
  // From here the store owns `db` and closes it on every path.
  std::unique_ptr<CheckpointStore> store(
      new CheckpointStore(path, db, options));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, options.busy_timeout_ms);

  // Read the header fields; this is where a file that is not a database or
  // has a corrupt header fails (DataLoss).
  auto pragma_int = [&](const char* sql) -> absl::StatusOr<int64_t> {
    ATTUNE_ASSIGN_OR_RETURN(Statement s, Statement::Prepare(db, sql, ctx));
    ATTUNE_ASSIGN_OR_RETURN(bool row, s.Step());
    return row ? s.Int(0) : 0;
  };
  ATTUNE_ASSIGN_OR_RETURN(int64_t version, pragma_int("PRAGMA user_version"));
  ATTUNE_ASSIGN_OR_RETURN(int64_t app_id, pragma_int("PRAGMA application_id"));
  ATTUNE_ASSIGN_OR_RETURN(
      int64_t num_tables,
      pragma_int("SELECT count(*) FROM sqlite_schema WHERE type = 'table'"));
  if (app_id != kCheckpointApplicationId && (app_id != 0 || num_tables > 0)) {
    return absl::InvalidArgumentError(
        absl::StrCat(ctx,
                     " is an SQLite database of another application "
                     "(application_id ",
                     app_id, "), not an attune checkpoint database"));
  }
  if (version > kCheckpointSchemaVersion) {
    return absl::InvalidArgumentError(absl::StrCat(
        ctx, " has schema version ", version,
        ", newer than this attune supports (", kCheckpointSchemaVersion, ")"));
  }
  if (options.read_only) {
    if (version < kCheckpointSchemaVersion) {
      return absl::InvalidArgumentError(absl::StrCat(
          ctx, " has schema version ", version,
          " and needs a migration, which a read-only open cannot do"));
    }
  } else {
    if (num_tables == 0) {
      // A new database: page size first (fixed once WAL is on), then WAL.
      ATTUNE_RETURN_IF_ERROR(sqlite::Exec(
          db, absl::StrCat("PRAGMA page_size = ", kPageSize).c_str(), ctx));
    }
    ATTUNE_RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA journal_mode = WAL", ctx));
    // Deletes zero the freed pages whatever this SQLite's build default.
    ATTUNE_RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA secure_delete = ON", ctx));
    if (version < kCheckpointSchemaVersion) {
      ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                              Transaction::Begin(db, /*write=*/true, ctx));
      // Re-read under the write lock: another process may have migrated.
      ATTUNE_ASSIGN_OR_RETURN(version, pragma_int("PRAGMA user_version"));
      for (int64_t v = version; v < kCheckpointSchemaVersion; ++v) {
        ATTUNE_RETURN_IF_ERROR(sqlite::Exec(
            db, kMigrations[v], absl::StrCat(ctx, ": migrate to v", v + 1)));
      }
      ATTUNE_RETURN_IF_ERROR(sqlite::Exec(
          db,
          absl::StrCat("PRAGMA application_id = ", kCheckpointApplicationId,
                       "; PRAGMA user_version = ", kCheckpointSchemaVersion)
              .c_str(),
          ctx));
      ATTUNE_RETURN_IF_ERROR(txn.Commit());
    }
  }
  ATTUNE_RETURN_IF_ERROR(sqlite::Exec(db,
                                      options.durability == Durability::kFull
                                          ? "PRAGMA synchronous = FULL"
                                          : "PRAGMA synchronous = NORMAL",
                                      ctx));
  if (options.max_bytes > 0) {
    ATTUNE_ASSIGN_OR_RETURN(int64_t page_size, pragma_int("PRAGMA page_size"));
    const int64_t pages = std::max<int64_t>(1, options.max_bytes / page_size);
    ATTUNE_RETURN_IF_ERROR(sqlite::Exec(
        db, absl::StrCat("PRAGMA max_page_count = ", pages).c_str(), ctx));
  }
  return store;
}

CheckpointStore::CheckpointStore(std::string path, sqlite3* db,
                                 const StoreOptions& options)
    : path_(std::move(path)), db_(db), options_(options) {}

CheckpointStore::~CheckpointStore() {
  folder_.reset();  // joins the thread before the last connection closes
  sqlite3_close(db_);
}

void CheckpointStore::RequestFold() {
  if (!options_.background_fold) return;
  if (folder_ == nullptr) {
    absl::StatusOr<std::unique_ptr<WalFolder>> folder =
        WalFolder::Start(path_, options_.durability);
    if (!folder.ok()) {
      options_.background_fold = false;  // autocheckpoint folds instead
      return;
    }
    folder_ = *std::move(folder);
    // The folder folds each save and the next save waits for it, so the
    // saving thread folds only a single save of over 256 MiB (4096 pages of
    // 64 KiB), or a WAL that readers kept from being folded.
    sqlite3_wal_autocheckpoint(db_, kWalAutocheckpointPagesWithFolder);
  }
  folder_->Request();
}

namespace {

absl::Status InsertProperty(sqlite3* db, const std::string& ctx, int64_t id,
                            const std::string& name,
                            const PropertyValue& value) {
  if (name.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(ctx, ": empty property name"));
  }
  ATTUNE_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(db,
                         "INSERT OR REPLACE INTO properties "
                         "(checkpoint_id, name, type, value) VALUES (?,?,?,?)",
                         ctx));
  ATTUNE_RETURN_IF_ERROR(s.BindInt(1, id));
  ATTUNE_RETURN_IF_ERROR(s.BindText(2, name));
  if (const auto* i = std::get_if<int64_t>(&value)) {
    ATTUNE_RETURN_IF_ERROR(s.BindInt(3, kPropertyInt64));
    ATTUNE_RETURN_IF_ERROR(s.BindInt(4, *i));
  } else if (const auto* d = std::get_if<double>(&value)) {
    ATTUNE_RETURN_IF_ERROR(s.BindInt(3, kPropertyDouble));
    ATTUNE_RETURN_IF_ERROR(s.BindDouble(4, *d));
  } else {
    ATTUNE_RETURN_IF_ERROR(s.BindInt(3, kPropertyString));
    ATTUNE_RETURN_IF_ERROR(s.BindText(4, std::get<std::string>(value)));
  }
  return s.Run();
}

absl::StatusOr<PropertyValue> ReadPropertyValue(const Statement& s,
                                                int type_col, int value_col,
                                                absl::string_view name) {
  switch (s.Int(type_col)) {
    case kPropertyInt64:
      return PropertyValue(s.Int(value_col));
    case kPropertyDouble:
      return PropertyValue(s.Double(value_col));
    case kPropertyString:
      return PropertyValue(s.Text(value_col));
    default:
      return absl::DataLossError(absl::StrCat(
          "property \"", name, "\" has unknown type ", s.Int(type_col)));
  }
}

absl::Status CheckExists(sqlite3* db, const std::string& ctx, int64_t id) {
  ATTUNE_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(db, "SELECT 1 FROM checkpoints WHERE id = ?", ctx));
  ATTUNE_RETURN_IF_ERROR(s.BindInt(1, id));
  ATTUNE_ASSIGN_OR_RETURN(bool row, s.Step());
  if (!row) {
    return absl::NotFoundError(
        absl::StrCat(ctx, ": no checkpoint with id ", id));
  }
  return absl::OkStatus();
}

absl::Status DeleteRows(sqlite3* db, const std::string& ctx, int64_t id) {
  for (const char* sql : {"DELETE FROM tensors WHERE checkpoint_id = ?",
                          "DELETE FROM properties WHERE checkpoint_id = ?",
                          "DELETE FROM checkpoints WHERE id = ?"}) {
    ATTUNE_ASSIGN_OR_RETURN(Statement s, Statement::Prepare(db, sql, ctx));
    ATTUNE_RETURN_IF_ERROR(s.BindInt(1, id));
    ATTUNE_RETURN_IF_ERROR(s.Run());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int64_t>> PruneRows(sqlite3* db,
                                               const std::string& ctx,
                                               int keep_last) {
  std::vector<int64_t> doomed;
  {
    ATTUNE_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Prepare(db,
                           "SELECT id FROM checkpoints WHERE tag IS NULL "
                           "ORDER BY id DESC LIMIT -1 OFFSET ?",
                           ctx));
    ATTUNE_RETURN_IF_ERROR(s.BindInt(1, keep_last));
    while (true) {
      ATTUNE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      doomed.push_back(s.Int(0));
    }
  }
  std::reverse(doomed.begin(), doomed.end());
  for (int64_t id : doomed) ATTUNE_RETURN_IF_ERROR(DeleteRows(db, ctx, id));
  return doomed;
}

// Rows of `checkpoints` with tensor counts; `where` filters (may be empty).
absl::StatusOr<std::vector<CheckpointInfo>> QueryInfos(
    sqlite3* db, const std::string& ctx, absl::string_view where,
    const std::function<absl::Status(Statement&)>& bind) {
  std::vector<CheckpointInfo> infos;
  absl::flat_hash_map<int64_t, size_t> by_id;
  {
    ATTUNE_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Prepare(
            db,
            absl::StrCat(
                "SELECT c.id, c.created_us, c.step, c.tag, c.fingerprint, "
                "c.nominal, (SELECT count(*) FROM tensors t WHERE "
                "t.checkpoint_id = c.id), (SELECT coalesce(sum(byte_size), 0) "
                "FROM tensors t WHERE t.checkpoint_id = c.id) "
                "FROM checkpoints c ",
                where, " ORDER BY c.id"),
            ctx));
    ATTUNE_RETURN_IF_ERROR(bind(s));
    while (true) {
      ATTUNE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      CheckpointInfo info;
      info.id = s.Int(0);
      info.created_unix_us = s.Int(1);
      info.step = s.Int(2);
      info.tag = s.Text(3);
      info.fingerprint = s.Text(4);
      info.nominal = s.Int(5) != 0;
      info.num_tensors = s.Int(6);
      info.total_bytes = s.Int(7);
      by_id[info.id] = infos.size();
      infos.push_back(std::move(info));
    }
  }
  if (infos.empty()) return infos;
  ATTUNE_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(db,
                         "SELECT checkpoint_id, name, type, value FROM "
                         "properties ORDER BY checkpoint_id, name",
                         ctx));
  while (true) {
    ATTUNE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    auto it = by_id.find(s.Int(0));
    if (it == by_id.end()) continue;
    const std::string name = s.Text(1);
    absl::StatusOr<PropertyValue> value = ReadPropertyValue(s, 2, 3, name);
    if (!value.ok()) {
      return absl::DataLossError(absl::StrCat(ctx, ": checkpoint ", s.Int(0),
                                              ": ", value.status().message()));
    }
    infos[it->second].properties[name] = *std::move(value);
  }
  return infos;
}

absl::Status NoBind(Statement&) { return absl::OkStatus(); }

}  // namespace

absl::StatusOr<int64_t> CheckpointStore::Write(
    const CheckpointToWrite& checkpoint, int keep_last) {
  ATTUNE_ASSIGN_OR_RETURN(const std::string ctx, WriteContext("save"));
  if (keep_last < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(ctx, ": keep_last ", keep_last, " < 0"));
  }
  ATTUNE_RETURN_IF_ERROR(CheckTag(checkpoint.tag));
  // Validate and checksum everything before taking the write lock.
  std::vector<uint64_t> checksums;
  std::vector<int64_t> sizes;
  absl::flat_hash_set<absl::string_view> names;
  for (const TensorToWrite& t : checkpoint.tensors) {
    if (t.name.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(ctx, ": a tensor has an empty name"));
    }
    if (!names.insert(t.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(ctx, ": tensor \"", t.name, "\" appears twice"));
    }
    absl::StatusOr<int64_t> bytes = ExpectedBytes(t.name, t.dtype, t.shape);
    if (!bytes.ok()) {
      return absl::Status(bytes.status().code(),
                          absl::StrCat(ctx, ": ", bytes.status().message()));
    }
    const int64_t have = static_cast<int64_t>(t.data.size());
    if (checkpoint.nominal ? have != 0 : have != *bytes) {
      return absl::InvalidArgumentError(
          absl::StrCat(ctx, ": tensor \"", t.name, "\" ", DTypeName(t.dtype),
                       ShapeToString(t.shape), " needs ",
                       checkpoint.nominal ? 0 : *bytes, " bytes of data",
                       checkpoint.nominal ? " (nominal)" : "", ", got ", have));
    }
    sizes.push_back(*bytes);
    checksums.push_back(TensorChecksum(t.name, t.dtype, t.shape, t.data));
  }

  // Let the previous save's fold finish, so this one restarts the WAL.
  if (folder_ != nullptr) folder_->WaitUntilIdle();
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/true, ctx));
  if (!checkpoint.tag.empty()) {
    ATTUNE_ASSIGN_OR_RETURN(
        Statement s, Statement::Prepare(
                         db_, "SELECT id FROM checkpoints WHERE tag = ?", ctx));
    ATTUNE_RETURN_IF_ERROR(s.BindText(1, checkpoint.tag));
    ATTUNE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (row) {
      return absl::AlreadyExistsError(
          absl::StrCat(ctx, ": tag \"", checkpoint.tag,
                       "\" is already on checkpoint ", s.Int(0)));
    }
  }
  int64_t id = 0;
  {
    ATTUNE_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Prepare(db_,
                           "INSERT INTO checkpoints (created_us, step, tag, "
                           "fingerprint, nominal) VALUES (?,?,?,?,?)",
                           ctx));
    ATTUNE_RETURN_IF_ERROR(s.BindInt(1, absl::ToUnixMicros(absl::Now())));
    ATTUNE_RETURN_IF_ERROR(s.BindInt(2, checkpoint.step));
    if (checkpoint.tag.empty()) {
      ATTUNE_RETURN_IF_ERROR(s.BindNull(3));
    } else {
      ATTUNE_RETURN_IF_ERROR(s.BindText(3, checkpoint.tag));
    }
    ATTUNE_RETURN_IF_ERROR(s.BindText(4, checkpoint.fingerprint));
    ATTUNE_RETURN_IF_ERROR(s.BindInt(5, checkpoint.nominal ? 1 : 0));
    ATTUNE_RETURN_IF_ERROR(s.Run());
    id = sqlite3_last_insert_rowid(db_);
  }
  for (const auto& [name, value] : checkpoint.properties) {
    ATTUNE_RETURN_IF_ERROR(InsertProperty(db_, ctx, id, name, value));
  }
  {
    ATTUNE_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Prepare(db_,
                           "INSERT INTO tensors (checkpoint_id, position, "
                           "name, dtype, shape, byte_size, checksum, data) "
                           "VALUES (?,?,?,?,?,?,?,?)",
                           ctx));
    for (size_t i = 0; i < checkpoint.tensors.size(); ++i) {
      const TensorToWrite& t = checkpoint.tensors[i];
      const std::string shape = ShapeText(t.shape);
      ATTUNE_RETURN_IF_ERROR(s.Reset());
      ATTUNE_RETURN_IF_ERROR(s.BindInt(1, id));
      ATTUNE_RETURN_IF_ERROR(s.BindInt(2, static_cast<int64_t>(i)));
      ATTUNE_RETURN_IF_ERROR(s.BindText(3, t.name));
      ATTUNE_RETURN_IF_ERROR(s.BindText(4, DTypeName(t.dtype)));
      ATTUNE_RETURN_IF_ERROR(s.BindText(5, shape));
      ATTUNE_RETURN_IF_ERROR(s.BindInt(6, sizes[i]));
      // The INTEGER column holds the 64 bits as a signed value.
      ATTUNE_RETURN_IF_ERROR(
          s.BindInt(7, static_cast<int64_t>(checksums[i])));
      if (checkpoint.nominal) {
        ATTUNE_RETURN_IF_ERROR(s.BindNull(8));
      } else {
        ATTUNE_RETURN_IF_ERROR(s.BindBlob(8, t.data));
      }
      absl::Status status = s.Run();
      if (!status.ok()) {
        return absl::Status(
            status.code(),
            absl::StrCat("tensor \"", t.name, "\": ", status.message()));
      }
    }
  }
  if (keep_last > 0) {
    // Zeroing the pruned checkpoints' pages would write their size again,
    // doubling a save that prunes one (FORMAT.md, "Deleting"): the next
    // saves overwrite those pages instead.
    ATTUNE_RETURN_IF_ERROR(
        sqlite::Exec(db_, "PRAGMA secure_delete = FAST", ctx));
    absl::Status pruned = PruneRows(db_, ctx, keep_last).status();
    ATTUNE_RETURN_IF_ERROR(
        sqlite::Exec(db_, "PRAGMA secure_delete = ON", ctx));
    ATTUNE_RETURN_IF_ERROR(pruned);
  }
  ATTUNE_RETURN_IF_ERROR(txn.Commit());
  RequestFold();
  return id;
}

CheckpointStore::ReadSnapshot::ReadSnapshot(
    std::unique_ptr<sqlite::Transaction> txn)
    : txn_(std::move(txn)) {}
CheckpointStore::ReadSnapshot::ReadSnapshot(ReadSnapshot&&) noexcept = default;
CheckpointStore::ReadSnapshot::~ReadSnapshot() = default;

absl::StatusOr<CheckpointStore::ReadSnapshot> CheckpointStore::BeginRead() {
  const std::string ctx =
      absl::StrCat("checkpoint database \"", path_, "\": read snapshot");
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/false, ctx));
  // BEGIN is deferred: the first read fixes the snapshot, so read now.
  ATTUNE_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(db_, "SELECT count(*) FROM checkpoints", ctx));
  ATTUNE_RETURN_IF_ERROR(s.Step().status());
  return ReadSnapshot(std::make_unique<Transaction>(std::move(txn)));
}

absl::StatusOr<std::vector<CheckpointInfo>> CheckpointStore::List() {
  const std::string ctx =
      absl::StrCat("checkpoint database \"", path_, "\": list");
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/false, ctx));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<CheckpointInfo> infos,
                          QueryInfos(db_, ctx, "", NoBind));
  ATTUNE_RETURN_IF_ERROR(txn.Commit());
  return infos;
}

absl::StatusOr<CheckpointInfo> CheckpointStore::Find(
    absl::string_view selector) {
  const std::string ctx = absl::StrCat("checkpoint database \"", path_,
                                       "\": find \"", selector, "\"");
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/false, ctx));
  std::vector<CheckpointInfo> infos;
  int64_t id = 0;
  if (selector == "latest") {
    ATTUNE_ASSIGN_OR_RETURN(
        infos,
        QueryInfos(db_, ctx, "WHERE c.id = (SELECT max(id) FROM checkpoints)",
                   NoBind));
  } else if (IsReservedTag(selector)) {
    if (!absl::SimpleAtoi(selector, &id)) {
      return absl::NotFoundError(absl::StrCat(ctx, ": id out of range"));
    }
    ATTUNE_ASSIGN_OR_RETURN(
        infos, QueryInfos(db_, ctx, "WHERE c.id = ?",
                          [id](Statement& s) { return s.BindInt(1, id); }));
  } else {
    const std::string tag(selector);
    ATTUNE_ASSIGN_OR_RETURN(
        infos, QueryInfos(db_, ctx, "WHERE c.tag = ?",
                          [&tag](Statement& s) { return s.BindText(1, tag); }));
  }
  ATTUNE_RETURN_IF_ERROR(txn.Commit());
  if (infos.empty()) {
    return absl::NotFoundError(absl::StrCat(
        ctx, selector == "latest" ? ": the database has no checkpoint"
                                  : ": no checkpoint has this id or tag"));
  }
  return std::move(infos[0]);
}

namespace {

// Reads the tensor rows of checkpoint `id` (all, or those in `names`), with
// data when `with_data`, checking sizes and checksums. Runs inside the
// caller's transaction.
absl::StatusOr<std::vector<TensorData>> ReadRows(
    sqlite3* db, const std::string& ctx, int64_t id,
    absl::Span<const std::string> names, bool with_data) {
  ATTUNE_RETURN_IF_ERROR(CheckExists(db, ctx, id));
  const std::string columns =
      "SELECT rowid, name, dtype, shape, byte_size, checksum, length(data) "
      "FROM tensors WHERE checkpoint_id = ?";
  ATTUNE_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(db,
                         names.empty()
                             ? absl::StrCat(columns, " ORDER BY position")
                             : absl::StrCat(columns, " AND name = ?"),
                         ctx));
  std::vector<TensorData> out;
  auto read_row = [&]() -> absl::Status {
    TensorData t;
    TensorRecord& r = t.record;
    const int64_t rowid = s.Int(0);
    r.name = s.Text(1);
    const std::string tctx =
        absl::StrCat(ctx, ": checkpoint ", id, " tensor \"", r.name, "\"");
    absl::StatusOr<DType> dtype = ParseDType(s.Text(2));
    if (!dtype.ok()) {
      return absl::DataLossError(
          absl::StrCat(tctx, ": bad dtype \"", s.Text(2), "\""));
    }
    r.dtype = *dtype;
    absl::StatusOr<Shape> shape = ParseShapeText(s.Text(3));
    if (!shape.ok()) {
      return absl::DataLossError(
          absl::StrCat(tctx, ": ", shape.status().message()));
    }
    r.shape = *std::move(shape);
    r.byte_size = s.Int(4);
    r.checksum = static_cast<uint64_t>(s.Int(5));
    r.has_data = !s.IsNull(6);
    absl::StatusOr<int64_t> expected = ExpectedBytes(r.name, r.dtype, r.shape);
    if (!expected.ok() || *expected != r.byte_size) {
      return absl::DataLossError(
          absl::StrCat(tctx, ": byte size ", r.byte_size, " does not match ",
                       DTypeName(r.dtype), ShapeToString(r.shape)));
    }
    if (r.has_data && s.Int(6) != r.byte_size) {
      return absl::DataLossError(absl::StrCat(
          tctx, ": holds ", s.Int(6), " bytes, expected ", r.byte_size));
    }
    if (with_data && r.has_data) {
      t.data.resize(static_cast<size_t>(r.byte_size));
      if (r.byte_size > 0) {
        sqlite3_blob* blob = nullptr;
        int rc =
            sqlite3_blob_open(db, "main", "tensors", "data", rowid, 0, &blob);
        if (rc == SQLITE_OK) {
          rc = sqlite3_blob_read(blob, t.data.data(),
                                 static_cast<int>(r.byte_size), 0);
        }
        const absl::Status status =
            rc == SQLITE_OK ? absl::OkStatus() : sqlite::Error(db, rc, tctx);
        sqlite3_blob_close(blob);
        ATTUNE_RETURN_IF_ERROR(status);
      }
      const uint64_t sum = TensorChecksum(r.name, r.dtype, r.shape, t.data);
      if (sum != r.checksum) {
        return absl::DataLossError(absl::StrFormat(
            "%s: checksum mismatch (stored %016x, data has %016x)", tctx,
            r.checksum, sum));
      }
    }
    out.push_back(std::move(t));
    return absl::OkStatus();
  };
  if (names.empty()) {
    ATTUNE_RETURN_IF_ERROR(s.BindInt(1, id));
    while (true) {
      ATTUNE_ASSIGN_OR_RETURN(bool row, s.Step());
      if (!row) break;
      ATTUNE_RETURN_IF_ERROR(read_row());
    }
    return out;
  }
  for (const std::string& name : names) {
    ATTUNE_RETURN_IF_ERROR(s.Reset());
    ATTUNE_RETURN_IF_ERROR(s.BindInt(1, id));
    ATTUNE_RETURN_IF_ERROR(s.BindText(2, name));
    ATTUNE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) {
      return absl::NotFoundError(absl::StrCat(ctx, ": checkpoint ", id,
                                              " has no tensor \"", name, "\""));
    }
    ATTUNE_RETURN_IF_ERROR(read_row());
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<TensorRecord>> CheckpointStore::ListTensors(
    int64_t id) {
  const std::string ctx = absl::StrCat("checkpoint database \"", path_, "\"");
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/false, ctx));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<TensorData> rows,
                          ReadRows(db_, ctx, id, {}, /*with_data=*/false));
  ATTUNE_RETURN_IF_ERROR(txn.Commit());
  std::vector<TensorRecord> records;
  records.reserve(rows.size());
  for (TensorData& t : rows) records.push_back(std::move(t.record));
  return records;
}

absl::StatusOr<std::vector<TensorData>> CheckpointStore::ReadTensors(
    int64_t id, absl::Span<const std::string> names) {
  const std::string ctx = absl::StrCat("checkpoint database \"", path_, "\"");
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/false, ctx));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<TensorData> rows,
                          ReadRows(db_, ctx, id, names, /*with_data=*/true));
  ATTUNE_RETURN_IF_ERROR(txn.Commit());
  return rows;
}

absl::StatusOr<std::string> CheckpointStore::WriteContext(
    absl::string_view operation) const {
  std::string ctx =
      absl::StrCat("checkpoint database \"", path_, "\": ", operation);
  if (options_.read_only) {
    return absl::FailedPreconditionError(
        absl::StrCat(ctx, ": the store was opened read-only"));
  }
  return ctx;
}

absl::Status CheckpointStore::Delete(int64_t id) {
  ATTUNE_ASSIGN_OR_RETURN(const std::string ctx, WriteContext("delete"));
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/true, ctx));
  ATTUNE_RETURN_IF_ERROR(CheckExists(db_, ctx, id));
  ATTUNE_RETURN_IF_ERROR(DeleteRows(db_, ctx, id));
  return txn.Commit();
}

absl::Status CheckpointStore::SetTag(int64_t id, const std::string& tag) {
  ATTUNE_ASSIGN_OR_RETURN(const std::string ctx, WriteContext("tag"));
  ATTUNE_RETURN_IF_ERROR(CheckTag(tag));
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/true, ctx));
  ATTUNE_RETURN_IF_ERROR(CheckExists(db_, ctx, id));
  if (!tag.empty()) {
    ATTUNE_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Prepare(
            db_, "UPDATE checkpoints SET tag = NULL WHERE tag = ?", ctx));
    ATTUNE_RETURN_IF_ERROR(s.BindText(1, tag));
    ATTUNE_RETURN_IF_ERROR(s.Run());
  }
  ATTUNE_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(db_, "UPDATE checkpoints SET tag = ? WHERE id = ?",
                         ctx));
  if (tag.empty()) {
    ATTUNE_RETURN_IF_ERROR(s.BindNull(1));
  } else {
    ATTUNE_RETURN_IF_ERROR(s.BindText(1, tag));
  }
  ATTUNE_RETURN_IF_ERROR(s.BindInt(2, id));
  ATTUNE_RETURN_IF_ERROR(s.Run());
  return txn.Commit();
}

absl::StatusOr<Properties> CheckpointStore::GetProperties(int64_t id) {
  const std::string ctx =
      absl::StrCat("checkpoint database \"", path_, "\": properties");
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/false, ctx));
  ATTUNE_RETURN_IF_ERROR(CheckExists(db_, ctx, id));
  ATTUNE_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(
          db_,
          "SELECT name, type, value FROM properties WHERE checkpoint_id = ?",
          ctx));
  ATTUNE_RETURN_IF_ERROR(s.BindInt(1, id));
  Properties properties;
  while (true) {
    ATTUNE_ASSIGN_OR_RETURN(bool row, s.Step());
    if (!row) break;
    const std::string name = s.Text(0);
    absl::StatusOr<PropertyValue> value = ReadPropertyValue(s, 1, 2, name);
    if (!value.ok()) {
      return absl::DataLossError(absl::StrCat(ctx, ": checkpoint ", id, ": ",
                                              value.status().message()));
    }
    properties[name] = *std::move(value);
  }
  ATTUNE_RETURN_IF_ERROR(txn.Commit());
  return properties;
}

absl::Status CheckpointStore::SetProperty(int64_t id, const std::string& name,
                                          const PropertyValue& value) {
  ATTUNE_ASSIGN_OR_RETURN(
      const std::string ctx,
      WriteContext(absl::StrCat("set property \"", name, "\"")));
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/true, ctx));
  ATTUNE_RETURN_IF_ERROR(CheckExists(db_, ctx, id));
  ATTUNE_RETURN_IF_ERROR(InsertProperty(db_, ctx, id, name, value));
  return txn.Commit();
}

absl::Status CheckpointStore::DeleteProperty(int64_t id,
                                             const std::string& name) {
  ATTUNE_ASSIGN_OR_RETURN(
      const std::string ctx,
      WriteContext(absl::StrCat("delete property \"", name, "\"")));
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/true, ctx));
  ATTUNE_RETURN_IF_ERROR(CheckExists(db_, ctx, id));
  ATTUNE_ASSIGN_OR_RETURN(
      Statement s,
      Statement::Prepare(
          db_, "DELETE FROM properties WHERE checkpoint_id = ? AND name = ?",
          ctx));
  ATTUNE_RETURN_IF_ERROR(s.BindInt(1, id));
  ATTUNE_RETURN_IF_ERROR(s.BindText(2, name));
  ATTUNE_RETURN_IF_ERROR(s.Run());
  if (sqlite3_changes(db_) == 0) {
    return absl::NotFoundError(
        absl::StrCat(ctx, ": checkpoint ", id, " has no such property"));
  }
  return txn.Commit();
}

absl::StatusOr<std::vector<int64_t>> CheckpointStore::Prune(int keep_last) {
  ATTUNE_ASSIGN_OR_RETURN(const std::string ctx, WriteContext("prune"));
  if (keep_last < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat(ctx, ": keep_last ", keep_last, " < 1"));
  }
  ATTUNE_ASSIGN_OR_RETURN(Transaction txn,
                          Transaction::Begin(db_, /*write=*/true, ctx));
  ATTUNE_ASSIGN_OR_RETURN(std::vector<int64_t> deleted,
                          PruneRows(db_, ctx, keep_last));
  ATTUNE_RETURN_IF_ERROR(txn.Commit());
  return deleted;
}

absl::StatusOr<VerifyReport> CheckpointStore::Verify() {
  const std::string ctx =
      absl::StrCat("checkpoint database \"", path_, "\": verify");
  VerifyReport report;
  {
    ATTUNE_ASSIGN_OR_RETURN(
        Statement s,
        Statement::Prepare(db_, "PRAGMA integrity_check(100)", ctx));
    while (true) {
      absl::StatusOr<bool> row = s.Step();
      if (!row.ok()) {
        report.problems.push_back(std::string(row.status().message()));
        break;
      }
      if (!*row) break;
      const std::string line = s.Text(0);
      if (line != "ok") {
        report.problems.push_back(
            absl::StrCat(ctx, ": integrity_check: ", line));
      }
    }
  }
  ATTUNE_ASSIGN_OR_RETURN(std::vector<CheckpointInfo> infos, List());
  for (const CheckpointInfo& info : infos) {
    // One checkpoint at a time keeps memory at one checkpoint's size.
    absl::StatusOr<std::vector<TensorData>> tensors = ReadTensors(info.id);
    if (tensors.ok()) {
      report.intact.push_back(info.id);
    } else {
      report.damaged.push_back(info.id);
      report.problems.push_back(std::string(tensors.status().message()));
    }
  }
  return report;
}

}  // namespace attune
