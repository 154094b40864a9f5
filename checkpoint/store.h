#ifndef ATTUNE_CHECKPOINT_STORE_H_
#define ATTUNE_CHECKPOINT_STORE_H_

// The SQLite checkpoint store: one database file holds a history of
// checkpoints (e.g. one per user of a personalization app). Tables, schema
// version, checksum and durability are described in checkpoint/FORMAT.md.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "engine/dtype.h"
#include "engine/shape.h"

struct sqlite3;

namespace attune {
namespace sqlite {
class Transaction;
}  // namespace sqlite
class WalFolder;

// Schema version stored in `PRAGMA user_version` (checkpoint/FORMAT.md).
inline constexpr int kCheckpointSchemaVersion = 1;
// `PRAGMA application_id` of attune checkpoint databases ("ATCK").
inline constexpr int32_t kCheckpointApplicationId = 0x4154434B;

// How hard a committed save is pushed to stable storage (FORMAT.md,
// "Durability").
enum class Durability {
  // synchronous=FULL: a save that returned OK survives a power loss.
  kFull,
  // synchronous=NORMAL: survives a crash of the process; the last saves may
  // be rolled back (never corrupted) by a power loss.
  kNormal,
};

struct StoreOptions {
  Durability durability = Durability::kFull;
  // Open without write access (no schema creation or migration; Write and
  // friends return FailedPrecondition).
  bool read_only = false;
  // Create the file when it does not exist; false: NotFound instead (a
  // restore from a mistyped path leaves no empty database behind).
  bool create = true;
  // How long a call waits for another connection's write lock before it
  // returns Unavailable.
  int busy_timeout_ms = 5000;
  // Cap on the database size in bytes (0: none). A save that would grow the
  // file past it fails with ResourceExhausted and changes nothing.
  int64_t max_bytes = 0;
  // Fold the WAL into the database file on a background thread after each
  // save (wal_folder.h, FORMAT.md "Background folding"), so that a save
  // returns once it is durable in the WAL; the next save waits for that
  // fold, which keeps the WAL one save large. false: the saving thread
  // folds when the WAL passes SQLite's autocheckpoint size, as plain SQLite
  // does. The thread starts at the first save; turn this off in a process
  // that forks children which open databases without exec.
  bool background_fold = true;
};

// A typed checkpoint property ("epoch", "best_accuracy", "note").
using PropertyValue = std::variant<int64_t, double, std::string>;
using Properties = std::map<std::string, PropertyValue, std::less<>>;

// "int64", "double" or "string".
absl::string_view PropertyTypeName(const PropertyValue& value);
// The value as text ("3", "0.25", "hello") for listings.
std::string PropertyToString(const PropertyValue& value);

// One checkpoint's row plus its properties (no tensor data).
struct CheckpointInfo {
  int64_t id = 0;
  int64_t created_unix_us = 0;  // microseconds since the Unix epoch
  int64_t step = 0;
  std::string tag;          // empty: untagged
  std::string fingerprint;  // model fingerprint (checkpoint.h)
  bool nominal = false;     // names, dtypes and shapes only, no data
  int64_t num_tensors = 0;
  int64_t total_bytes = 0;  // sum of the tensors' byte sizes
  Properties properties;
};

// A tensor's row without its data.
struct TensorRecord {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  int64_t byte_size = 0;
  uint64_t checksum = 0;  // TensorChecksum of the data and metadata
  bool has_data = false;  // false in nominal checkpoints
};

// A tensor read back by ReadTensors, checksum verified.
struct TensorData {
  TensorRecord record;
  std::vector<uint8_t> data;  // record.byte_size bytes (empty if nominal)
};

// A tensor to save. `data` is not copied before Write returns; it must hold
// exactly dtype size * elements bytes, or be empty in a nominal checkpoint.
struct TensorToWrite {
  std::string name;
  DType dtype = DType::kFloat32;
  Shape shape;
  absl::Span<const uint8_t> data;
};

struct CheckpointToWrite {
  int64_t step = 0;
  std::string tag;  // empty: untagged; else unique in the database
  std::string fingerprint;
  Properties properties;
  bool nominal = false;
  std::vector<TensorToWrite> tensors;  // distinct names
};

// The outcome of Verify: what is intact and what is not.
struct VerifyReport {
  std::vector<int64_t> intact;        // checkpoint ids whose tensors all check
  std::vector<int64_t> damaged;       // ids with at least one bad tensor
  std::vector<std::string> problems;  // one line each, naming the item
  // OK, or DataLoss with the first problem (and the count).
  absl::Status status() const;
};

// The checksum stored with every tensor: XXH3-64 (libxxhash) over the data
// bytes, then the name, a 0 byte, the dtype code and each dim as
// little-endian int64 (FORMAT.md). Nominal tensors hash no data bytes.
uint64_t TensorChecksum(absl::string_view name, DType dtype,
                        absl::Span<const int64_t> shape,
                        absl::Span<const uint8_t> data);

// One open checkpoint database. Every method is one SQLite transaction, so
// a concurrent reader always sees whole checkpoints, and a process killed
// at any moment loses nothing already committed.
//
// Errors (every method): DataLoss for a corrupt database or a checksum
// mismatch; InvalidArgument for a file that is not an attune checkpoint
// database (or has an unknown schema); Unavailable when another
// connection holds the write lock past busy_timeout_ms; ResourceExhausted
// when the disk or max_bytes is full; PermissionDenied when the file or its
// folder is not writable. Messages name the path and the item.
//
// Owns its SQLite connection (and, once it has saved with background_fold,
// the WAL folder's connection and thread). Not thread-safe (one store per
// thread); any number of stores, in any processes, may open the same file.
class CheckpointStore {
 public:
  // Opens (creating it unless read_only) the database at `path`, sets WAL
  // mode and durability, creates or migrates the schema.
  static absl::StatusOr<std::unique_ptr<CheckpointStore>> Open(
      const std::string& path, const StoreOptions& options = {});
  ~CheckpointStore();
  CheckpointStore(const CheckpointStore&) = delete;
  CheckpointStore& operator=(const CheckpointStore&) = delete;

  const std::string& path() const { return path_; }

  // Writes a checkpoint in one transaction and returns its id (ids grow and
  // are never reused). With keep_last > 0, prunes in the same transaction
  // (see Prune), but leaves the pruned bytes in free pages for the next
  // saves to overwrite instead of zeroing them (FORMAT.md, "Deleting"). InvalidArgument for a bad tag, duplicate tensor names or a
  // data size that does not match dtype and shape; AlreadyExists when the
  // tag is taken.
  absl::StatusOr<int64_t> Write(const CheckpointToWrite& checkpoint,
                                int keep_last = 0);

  // Every checkpoint, oldest first.
  absl::StatusOr<std::vector<CheckpointInfo>> List();

  // Resolves a selector: "latest" (highest id), a decimal id, or a tag.
  // NotFound naming the selector when nothing matches.
  absl::StatusOr<CheckpointInfo> Find(absl::string_view selector);

  // The tensor rows of checkpoint `id`, in save order. NotFound for `id`.
  absl::StatusOr<std::vector<TensorRecord>> ListTensors(int64_t id);

  // Reads tensors of checkpoint `id` (all when `names` is empty, else those
  // named, in that order) and checks each one's size and checksum. NotFound
  // for `id` or a missing name; DataLoss naming the tensor and the reason.
  absl::StatusOr<std::vector<TensorData>> ReadTensors(
      int64_t id, absl::Span<const std::string> names = {});

  // Deletes checkpoint `id` and its tensors, zeroing the pages they held
  // (FORMAT.md, "Deleting"). NotFound for `id`.
  absl::Status Delete(int64_t id);

  // Sets (moves, when another checkpoint has it) or clears (empty) the tag
  // of checkpoint `id`. InvalidArgument for a tag that is all digits or
  // "latest" (they would be ambiguous selectors).
  absl::Status SetTag(int64_t id, const std::string& tag);

  // Properties of checkpoint `id`; setting replaces a same-named one.
  absl::StatusOr<Properties> GetProperties(int64_t id);
  absl::Status SetProperty(int64_t id, const std::string& name,
                           const PropertyValue& value);
  absl::Status DeleteProperty(int64_t id, const std::string& name);

  // Deletes every untagged checkpoint except the `keep_last` most recent
  // (tagged ones are always kept and do not count), zeroing their pages.
  // Returns the ids deleted. InvalidArgument for keep_last < 1.
  absl::StatusOr<std::vector<int64_t>> Prune(int keep_last);

  // Runs SQLite's integrity_check, then reads every tensor of every
  // checkpoint and checks its size and checksum. Returns an error status
  // only when the database cannot be read at all; damage is in the report.
  absl::StatusOr<VerifyReport> Verify();

  // A read snapshot: while it lives, every read of this store (List, Find,
  // ListTensors, ReadTensors, GetProperties) sees the database as it was
  // when BeginRead returned, whatever other connections commit meanwhile;
  // so a Find followed by ReadTensors cannot see the checkpoint pruned in
  // between. Writes through this store fail with FailedPrecondition until
  // the snapshot ends. A snapshot begun inside another one joins it (ends
  // nothing when it ends). Must not outlive the store.
  class ReadSnapshot {
   public:
    ReadSnapshot(ReadSnapshot&&) noexcept;
    ~ReadSnapshot();

   private:
    friend class CheckpointStore;
    explicit ReadSnapshot(std::unique_ptr<sqlite::Transaction> txn);
    std::unique_ptr<sqlite::Transaction> txn_;
  };
  absl::StatusOr<ReadSnapshot> BeginRead();

 private:
  CheckpointStore(std::string path, sqlite3* db, const StoreOptions& options);

  // The error context of a writing `operation` ("checkpoint database \"P\":
  // save"), or FailedPrecondition when the store is read-only.
  absl::StatusOr<std::string> WriteContext(absl::string_view operation) const;
  // After a committed save: hands the WAL to the background folder,
  // starting it on first use (saving still works if it cannot start).
  void RequestFold();

  std::string path_;
  sqlite3* db_;
  StoreOptions options_;
  std::unique_ptr<WalFolder> folder_;  // null until the first save
};

}  // namespace attune

#endif  // ATTUNE_CHECKPOINT_STORE_H_
