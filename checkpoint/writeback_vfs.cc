#include "checkpoint/writeback_vfs.h"

#include <sqlite3.h>

#if defined(__linux__)
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <utility>
#include <vector>

#include "absl/base/call_once.h"
#include "absl/synchronization/mutex.h"
#endif

namespace attune {

#if defined(__linux__)
namespace {

// Writeback is started once this many bytes have been written since the
// last push or sync (the figure RocksDB uses for bytes_per_sync).
constexpr int64_t kPushBytes = int64_t{1} << 20;

std::atomic<int64_t> g_pushes{0};
std::atomic<int64_t> g_pushed_bytes{0};

// The push descriptors of every inode opened through the shim. A
// descriptor is closed only when no shim connection has the inode open any
// more, so closing it cannot drop a POSIX lock SQLite still relies on.
class PushDescriptors {
 public:
  using Key = std::pair<dev_t, ino_t>;

  // Opens a read-only descriptor on `path` and registers it under its
  // inode; -1 when the file cannot be opened (pushing is then skipped).
  int Acquire(const char* path, Key* key) {
    const int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (fstat(fd, &st) != 0) {
      // Not closed: that could drop SQLite's locks on the file. fstat on a
      // descriptor just opened does not fail in practice.
      return -1;
    }
    *key = {st.st_dev, st.st_ino};
    absl::MutexLock lock(&mu_);
    Inode& inode = inodes_[*key];
    ++inode.users;
    inode.fds.push_back(fd);
    return fd;
  }

  void Release(const Key& key) {
    absl::MutexLock lock(&mu_);
    auto it = inodes_.find(key);
    if (it == inodes_.end() || --it->second.users > 0) return;
    for (int fd : it->second.fds) close(fd);
    inodes_.erase(it);
  }

  int64_t open_inodes() {
    absl::MutexLock lock(&mu_);
    return static_cast<int64_t>(inodes_.size());
  }

 private:
  struct Inode {
    int users = 0;
    std::vector<int> fds;
  };
  absl::Mutex mu_;
  std::map<Key, Inode> inodes_;
};

PushDescriptors& Descriptors() {
  static PushDescriptors* descriptors = new PushDescriptors;
  return *descriptors;
}

sqlite3_vfs* g_base = nullptr;  // the default VFS, set at registration

// The shim's file: SQLite allocates szOsFile bytes, this header followed by
// the default VFS's file.
struct alignas(8) ShimFile {
  sqlite3_file base;            // must be first: SQLite sees this
  sqlite3_io_methods methods;   // kForward with the real file's iVersion
  sqlite3_file* real;           // the default VFS's file, after this header
  int push_fd;                  // -1: no pushing for this file
  PushDescriptors::Key key;
  int64_t pending_lo;           // byte range written since the last push
  int64_t pending_hi;
  int64_t pending_bytes;

  void NoteWrite(int64_t offset, int amount) {
    if (pending_bytes == 0) {
      pending_lo = offset;
      pending_hi = offset + amount;
    } else {
      pending_lo = std::min(pending_lo, offset);
      pending_hi = std::max(pending_hi, offset + amount);
    }
    pending_bytes += amount;
    if (pending_bytes < kPushBytes) return;
    if (sync_file_range(push_fd, pending_lo, pending_hi - pending_lo,
                        SYNC_FILE_RANGE_WRITE) == 0) {
      g_pushes.fetch_add(1, std::memory_order_relaxed);
      g_pushed_bytes.fetch_add(pending_hi - pending_lo,
                               std::memory_order_relaxed);
    }
    pending_bytes = 0;
  }
};

sqlite3_file* Real(sqlite3_file* file) {
  return reinterpret_cast<ShimFile*>(file)->real;
}

int Close(sqlite3_file* file) {
  ShimFile* f = reinterpret_cast<ShimFile*>(file);
  const int rc = f->real->pMethods->xClose(f->real);
  if (f->push_fd >= 0) Descriptors().Release(f->key);
  f->push_fd = -1;
  return rc;
}
int Read(sqlite3_file* file, void* buf, int amount, sqlite3_int64 offset) {
  return Real(file)->pMethods->xRead(Real(file), buf, amount, offset);
}
int Write(sqlite3_file* file, const void* buf, int amount,
          sqlite3_int64 offset) {
  ShimFile* f = reinterpret_cast<ShimFile*>(file);
  const int rc = f->real->pMethods->xWrite(f->real, buf, amount, offset);
  if (rc == SQLITE_OK && f->push_fd >= 0) f->NoteWrite(offset, amount);
  return rc;
}
int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  return Real(file)->pMethods->xTruncate(Real(file), size);
}
int Sync(sqlite3_file* file, int flags) {
  ShimFile* f = reinterpret_cast<ShimFile*>(file);
  f->pending_bytes = 0;  // the sync covers whatever was pending
  return f->real->pMethods->xSync(f->real, flags);
}
int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  return Real(file)->pMethods->xFileSize(Real(file), size);
}
int Lock(sqlite3_file* file, int level) {
  return Real(file)->pMethods->xLock(Real(file), level);
}
int Unlock(sqlite3_file* file, int level) {
  return Real(file)->pMethods->xUnlock(Real(file), level);
}
int CheckReservedLock(sqlite3_file* file, int* out) {
  return Real(file)->pMethods->xCheckReservedLock(Real(file), out);
}
int FileControl(sqlite3_file* file, int op, void* arg) {
  return Real(file)->pMethods->xFileControl(Real(file), op, arg);
}
int SectorSize(sqlite3_file* file) {
  return Real(file)->pMethods->xSectorSize(Real(file));
}
int DeviceCharacteristics(sqlite3_file* file) {
  return Real(file)->pMethods->xDeviceCharacteristics(Real(file));
}
int ShmMap(sqlite3_file* file, int page, int page_size, int extend,
           void volatile** out) {
  return Real(file)->pMethods->xShmMap(Real(file), page, page_size, extend,
                                       out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return Real(file)->pMethods->xShmLock(Real(file), offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) {
  Real(file)->pMethods->xShmBarrier(Real(file));
}
int ShmUnmap(sqlite3_file* file, int delete_flag) {
  return Real(file)->pMethods->xShmUnmap(Real(file), delete_flag);
}
int Fetch(sqlite3_file* file, sqlite3_int64 offset, int amount, void** out) {
  return Real(file)->pMethods->xFetch(Real(file), offset, amount, out);
}
int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  return Real(file)->pMethods->xUnfetch(Real(file), offset, p);
}

constexpr sqlite3_io_methods kForward = {
    3,        Close,     Read,          Write,    Truncate,
    Sync,     FileSize,  Lock,          Unlock,   CheckReservedLock,
    FileControl, SectorSize, DeviceCharacteristics, ShmMap, ShmLock,
    ShmBarrier, ShmUnmap, Fetch,        Unfetch};

int Open(sqlite3_vfs*, const char* name, sqlite3_file* file, int flags,
         int* out_flags) {
  ShimFile* f = reinterpret_cast<ShimFile*>(file);
  f->base.pMethods = nullptr;
  f->real = reinterpret_cast<sqlite3_file*>(f + 1);
  f->push_fd = -1;
  f->pending_bytes = 0;
  const int rc = g_base->xOpen(g_base, name, f->real, flags, out_flags);
  if (f->real->pMethods == nullptr) return rc;  // nothing to close
  f->methods = kForward;
  f->methods.iVersion = std::min(kForward.iVersion, f->real->pMethods->iVersion);
  f->base.pMethods = &f->methods;
  const bool pushed_kind = (flags & (SQLITE_OPEN_MAIN_DB | SQLITE_OPEN_WAL)) &&
                           (flags & SQLITE_OPEN_READWRITE);
  if (rc == SQLITE_OK && pushed_kind && name != nullptr) {
    f->push_fd = Descriptors().Acquire(name, &f->key);
  }
  return rc;
}

// Everything but xOpen goes straight to the default VFS.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) {
  return g_base->xDlOpen(g_base, name);
}
void DlError(sqlite3_vfs*, int n, char* out) {
  g_base->xDlError(g_base, n, out);
}
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_base->xDlSym(g_base, handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { g_base->xDlClose(g_base, handle); }
int Randomness(sqlite3_vfs*, int n, char* out) {
  return g_base->xRandomness(g_base, n, out);
}
int Sleep(sqlite3_vfs*, int microseconds) {
  return g_base->xSleep(g_base, microseconds);
}
int CurrentTime(sqlite3_vfs*, double* out) {
  return g_base->xCurrentTime(g_base, out);
}
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError(g_base, n, out);
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return g_base->xCurrentTimeInt64(g_base, out);
}

const char* Register() {
  g_base = sqlite3_vfs_find(nullptr);
  // xCurrentTimeInt64 is the newest method forwarded unconditionally.
  if (g_base == nullptr || g_base->iVersion < 2) return nullptr;
  static sqlite3_vfs shim;
  shim.iVersion = 2;
  shim.szOsFile = static_cast<int>(sizeof(ShimFile)) + g_base->szOsFile;
  shim.mxPathname = g_base->mxPathname;
  shim.zName = "attune-writeback";
  shim.xOpen = Open;
  shim.xDelete = Delete;
  shim.xAccess = Access;
  shim.xFullPathname = FullPathname;
  shim.xDlOpen = DlOpen;
  shim.xDlError = DlError;
  shim.xDlSym = DlSym;
  shim.xDlClose = DlClose;
  shim.xRandomness = Randomness;
  shim.xSleep = Sleep;
  shim.xCurrentTime = CurrentTime;
  shim.xGetLastError = GetLastError;
  shim.xCurrentTimeInt64 = CurrentTimeInt64;
  if (sqlite3_vfs_register(&shim, /*makeDflt=*/0) != SQLITE_OK) return nullptr;
  return shim.zName;
}

}  // namespace

const char* WritebackVfsName() {
  static absl::once_flag once;
  static const char* name = nullptr;
  absl::call_once(once, [] { name = Register(); });
  return name;
}

WritebackVfsStats GetWritebackVfsStats() {
  WritebackVfsStats stats;
  stats.pushes = g_pushes.load(std::memory_order_relaxed);
  stats.pushed_bytes = g_pushed_bytes.load(std::memory_order_relaxed);
  stats.open_inodes = Descriptors().open_inodes();
  return stats;
}

#else  // !__linux__

const char* WritebackVfsName() { return nullptr; }
WritebackVfsStats GetWritebackVfsStats() { return {}; }

#endif

}  // namespace attune
