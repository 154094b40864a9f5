#include "checkpoint/wal_folder.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "checkpoint/sqlite_util.h"
#include "checkpoint/writeback_vfs.h"
#include "engine/status_macros.h"
#include "sqlite3.h"

namespace attune {

absl::StatusOr<std::unique_ptr<WalFolder>> WalFolder::Start(
    const std::string& path, Durability durability) {
  const std::string ctx =
      absl::StrCat("checkpoint database \"", path, "\": WAL folder");
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE,
                                 WritebackVfsName());
  if (rc != SQLITE_OK) {
    absl::Status status = sqlite::Error(db, rc, ctx);
    sqlite3_close(db);
    return status;
  }
  // From here the folder owns `db`.
  std::unique_ptr<WalFolder> folder(new WalFolder(db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, 100);  // for the first read only
  // The fold fsyncs the WAL, then the database, as the writer's durability
  // asks. A first read opens the WAL; a checkpoint on a connection that has
  // never read does nothing.
  ATTUNE_RETURN_IF_ERROR(sqlite::Exec(db,
                                      durability == Durability::kFull
                                          ? "PRAGMA synchronous = FULL"
                                          : "PRAGMA synchronous = NORMAL",
                                      ctx));
  ATTUNE_RETURN_IF_ERROR(sqlite::Exec(db, "PRAGMA user_version", ctx));
  folder->thread_ = std::thread(&WalFolder::Run, folder.get());
  return folder;
}

WalFolder::~WalFolder() {
  if (thread_.joinable()) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    thread_.join();
  }
  sqlite3_close(db_);
}

void WalFolder::Request() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    requested_ = true;
  }
  wake_.notify_one();
}

void WalFolder::WaitUntilIdle() {
  std::unique_lock<std::mutex> lock(mutex_);
  idle_.wait(lock, [this] { return !requested_ && !folding_; });
}

void WalFolder::Run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return requested_ || stopping_; });
    if (stopping_) break;
    requested_ = false;
    folding_ = true;
    lock.unlock();
    // PASSIVE: copies what no reader still needs, waits for nobody. BUSY
    // (another connection is folding) and I/O errors leave the frames in
    // the WAL, which stays authoritative; the next fold retries.
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE,
                              nullptr, nullptr);
    lock.lock();
    folding_ = false;
    if (!requested_) idle_.notify_all();
  }
  // Nothing runs any more; a waiter (none should remain) must not hang.
  requested_ = false;
  idle_.notify_all();
}

}  // namespace attune
