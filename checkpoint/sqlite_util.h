#ifndef ATTUNE_CHECKPOINT_SQLITE_UTIL_H_
#define ATTUNE_CHECKPOINT_SQLITE_UTIL_H_

// Thin RAII helpers over the SQLite C API for the checkpoint store.
// Internal to checkpoint/.

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

struct sqlite3;
struct sqlite3_stmt;

namespace attune::sqlite {

// Maps an SQLite result code (and, for I/O errors, the OS errno) to a
// status: CORRUPT/NOTADB -> DataLoss, BUSY/LOCKED -> Unavailable,
// FULL/NOMEM/TOOBIG -> ResourceExhausted, READONLY/PERM/EACCES ->
// PermissionDenied, CONSTRAINT -> InvalidArgument. The message is
// "<context>: <sqlite message>".
absl::Status Error(sqlite3* db, int rc, absl::string_view context);

// Runs SQL that returns no rows (several statements allowed).
absl::Status Exec(sqlite3* db, const char* sql, absl::string_view context);

// A prepared statement, finalized on destruction. `context` prefixes errors.
class Statement {
 public:
  static absl::StatusOr<Statement> Prepare(sqlite3* db, absl::string_view sql,
                                           std::string context);
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&&) = delete;
  ~Statement();

  // Parameters are 1-based as in SQLite. Blobs and text are not copied:
  // they must outlive the next Step/Reset.
  absl::Status BindInt(int index, int64_t value);
  absl::Status BindDouble(int index, double value);
  absl::Status BindText(int index, absl::string_view value);
  absl::Status BindBlob(int index, absl::Span<const uint8_t> value);
  absl::Status BindNull(int index);

  // True when a row is available, false when done.
  absl::StatusOr<bool> Step();
  // Steps to completion, expecting no row.
  absl::Status Run();
  absl::Status Reset();

  int ColumnType(int index) const;  // SQLITE_INTEGER, ...
  bool IsNull(int index) const;
  int64_t Int(int index) const;
  double Double(int index) const;
  std::string Text(int index) const;

 private:
  Statement(sqlite3* db, sqlite3_stmt* stmt, std::string context)
      : db_(db), stmt_(stmt), context_(std::move(context)) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
  std::string context_;
};

// BEGIN (IMMEDIATE for writers) ... COMMIT; rolls back on destruction unless
// committed. A read transaction begun while the connection already has one
// open joins it (its Commit and destructor do nothing); a write transaction
// begun then is FailedPrecondition.
class Transaction {
 public:
  static absl::StatusOr<Transaction> Begin(sqlite3* db, bool write,
                                           absl::string_view context);
  Transaction(Transaction&& other) noexcept
      : db_(other.db_), context_(std::move(other.context_)) {
    other.db_ = nullptr;
  }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  absl::Status Commit();

 private:
  Transaction(sqlite3* db, std::string context)
      : db_(db), context_(std::move(context)) {}
  sqlite3* db_;  // nullptr: committed, moved from, or joined
  std::string context_;
};

}  // namespace attune::sqlite

#endif  // ATTUNE_CHECKPOINT_SQLITE_UTIL_H_
