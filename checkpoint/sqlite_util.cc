#include "checkpoint/sqlite_util.h"

#include <cerrno>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sqlite3.h"

namespace attune::sqlite {

absl::Status Error(sqlite3* db, int rc, absl::string_view context) {
  const char* detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const int os_errno = db != nullptr ? sqlite3_system_errno(db) : 0;
  std::string message = absl::StrCat(context, ": ", detail);
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return absl::DataLossError(message);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return absl::UnavailableError(
          absl::StrCat(message, " (another connection holds the lock)"));
    case SQLITE_FULL:
    case SQLITE_NOMEM:
    case SQLITE_TOOBIG:
      return absl::ResourceExhaustedError(message);
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_AUTH:
      return absl::PermissionDeniedError(message);
    case SQLITE_CONSTRAINT:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
      return absl::InvalidArgumentError(message);
    case SQLITE_CANTOPEN:
    case SQLITE_IOERR:
      if (os_errno == ENOSPC) return absl::ResourceExhaustedError(message);
      if (os_errno == EACCES || os_errno == EROFS || os_errno == EPERM) {
        return absl::PermissionDeniedError(message);
      }
      if ((rc & 0xff) == SQLITE_CANTOPEN && os_errno == ENOENT) {
        return absl::NotFoundError(message);
      }
      return absl::UnavailableError(message);
    default:
      return absl::InternalError(message);
  }
}

absl::Status Exec(sqlite3* db, const char* sql, absl::string_view context) {
  const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(db, rc, context);
  return absl::OkStatus();
}

absl::StatusOr<Statement> Statement::Prepare(sqlite3* db, absl::string_view sql,
                                             std::string context) {
  sqlite3_stmt* stmt = nullptr;
  const int rc = sqlite3_prepare_v2(
      db, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(db, rc, context);
  }
  return Statement(db, stmt, std::move(context));
}

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_), stmt_(other.stmt_), context_(std::move(other.context_)) {
  other.stmt_ = nullptr;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

namespace {
absl::Status BindResult(sqlite3* db, int rc, const std::string& context) {
  if (rc != SQLITE_OK) return Error(db, rc, context);
  return absl::OkStatus();
}
}  // namespace

absl::Status Statement::BindInt(int index, int64_t value) {
  return BindResult(db_, sqlite3_bind_int64(stmt_, index, value), context_);
}
absl::Status Statement::BindDouble(int index, double value) {
  return BindResult(db_, sqlite3_bind_double(stmt_, index, value), context_);
}
absl::Status Statement::BindText(int index, absl::string_view value) {
  return BindResult(
      db_,
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(),
                          SQLITE_STATIC, SQLITE_UTF8),
      context_);
}
absl::Status Statement::BindBlob(int index, absl::Span<const uint8_t> value) {
  // A non-null pointer even for empty data: SQLite binds NULL for nullptr.
  static const uint8_t kEmpty = 0;
  const void* data = value.empty() ? &kEmpty : value.data();
  return BindResult(
      db_, sqlite3_bind_blob64(stmt_, index, data, value.size(), SQLITE_STATIC),
      context_);
}
absl::Status Statement::BindNull(int index) {
  return BindResult(db_, sqlite3_bind_null(stmt_, index), context_);
}

absl::StatusOr<bool> Statement::Step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Error(db_, rc, context_);
}

absl::Status Statement::Run() {
  absl::StatusOr<bool> row = Step();
  if (!row.ok()) return row.status();
  if (*row) {
    return absl::InternalError(absl::StrCat(context_, ": unexpected row"));
  }
  return absl::OkStatus();
}

absl::Status Statement::Reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  return absl::OkStatus();
}

int Statement::ColumnType(int index) const {
  return sqlite3_column_type(stmt_, index);
}
bool Statement::IsNull(int index) const {
  return ColumnType(index) == SQLITE_NULL;
}
int64_t Statement::Int(int index) const {
  return sqlite3_column_int64(stmt_, index);
}
double Statement::Double(int index) const {
  return sqlite3_column_double(stmt_, index);
}
std::string Statement::Text(int index) const {
  const unsigned char* text = sqlite3_column_text(stmt_, index);
  if (text == nullptr) return "";
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, index)));
}

absl::StatusOr<Transaction> Transaction::Begin(sqlite3* db, bool write,
                                               absl::string_view context) {
  if (!sqlite3_get_autocommit(db)) {
    if (write) {
      return absl::FailedPreconditionError(absl::StrCat(
          context, ": a read snapshot of this connection is open"));
    }
    return Transaction(nullptr, std::string(context));
  }
  const absl::Status status =
      Exec(db, write ? "BEGIN IMMEDIATE" : "BEGIN", context);
  if (!status.ok()) return status;
  return Transaction(db, std::string(context));
}

Transaction::~Transaction() {
  if (db_ != nullptr) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

absl::Status Transaction::Commit() {
  sqlite3* db = db_;
  if (db == nullptr) return absl::OkStatus();
  const int rc = sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(db, rc, context_);  // destructor rolls back
  db_ = nullptr;
  return absl::OkStatus();
}

}  // namespace attune::sqlite
