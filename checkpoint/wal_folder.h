#ifndef ATTUNE_CHECKPOINT_WAL_FOLDER_H_
#define ATTUNE_CHECKPOINT_WAL_FOLDER_H_

// Folds a checkpoint database's WAL into the database file on a background
// thread, so that a save returns once its frames are durable in the WAL
// instead of also copying them into the database (FORMAT.md, "Background
// folding").
//
// The folder owns a second connection to the file and one thread. After
// each commit the store calls Request(); the thread then runs a PASSIVE
// checkpoint (SQLite's own, crash-safe copy of committed WAL frames into
// the database, fsynced per the durability): it never blocks readers or
// writers, and gives up on frames they still need; the next request or the
// writer's own autocheckpoint picks those up. A failed fold loses nothing:
// the frames stay in the WAL, where every reader already finds them.
//
// The destructor waits for a fold in progress and joins the thread.
//
// Fork: while a folder exists its thread may hold SQLite's or the writeback
// shim's mutexes, so a child forked meanwhile must exec before it opens a
// database.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "checkpoint/store.h"

struct sqlite3;

namespace attune {

class WalFolder {
 public:
  // Opens the second connection to the existing database at `path` (through
  // the same VFS as the store) and starts the thread. Errors from opening
  // the connection; the caller may then go on without one.
  static absl::StatusOr<std::unique_ptr<WalFolder>> Start(
      const std::string& path, Durability durability);
  ~WalFolder();
  WalFolder(const WalFolder&) = delete;
  WalFolder& operator=(const WalFolder&) = delete;

  // Asks for a fold of everything committed so far. Returns at once; a
  // request made while a fold runs starts another after it.
  void Request();

  // Blocks until no fold runs or is asked for. The store calls it before a
  // save: SQLite restarts the WAL from its start only when everything in it
  // has been folded, so a save that began during a fold would append and
  // grow the WAL instead (without bound in a loop of saves).
  void WaitUntilIdle();

 private:
  explicit WalFolder(sqlite3* db) : db_(db) {}
  void Run();

  sqlite3* db_;
  std::mutex mutex_;
  std::condition_variable wake_;  // a request or the stop
  std::condition_variable idle_;  // a fold finished
  bool requested_ = false;        // guarded by mutex_
  bool folding_ = false;          // guarded by mutex_
  bool stopping_ = false;         // guarded by mutex_
  std::thread thread_;
};

}  // namespace attune

#endif  // ATTUNE_CHECKPOINT_WAL_FOLDER_H_
