#ifndef ATTUNE_CHECKPOINT_WRITEBACK_VFS_H_
#define ATTUNE_CHECKPOINT_WRITEBACK_VFS_H_

// An SQLite VFS shim that starts the kernel's writeback early. It forwards
// every call to the default VFS; in addition, after each MiB written to a
// database or WAL file it asks the kernel (Linux sync_file_range with
// SYNC_FILE_RANGE_WRITE) to start writing those pages to the device. The
// fsync SQLite issues at commit then finds most of the data already
// written, so a large save overlaps its CPU work (page copies, checksums)
// with the device's I/O instead of doing one after the other. Durability is
// unchanged: SQLite's own syncs are forwarded as they are.
//
// The pages are pushed through a second, read-only descriptor per file
// (SQLite's descriptor is private to its VFS). Closing a descriptor drops
// every POSIX lock the process holds on that file, so the shim keeps one
// descriptor per inode, shared by all its connections, and closes it only
// after the last connection through the shim has closed the file: open
// every connection to a checkpoint database through this VFS (the store
// does), never mix it with the default VFS on the same file in one process.
//
// Elsewhere than Linux the shim is not registered and the default VFS is
// used.

#include <cstdint>

namespace attune {

// The registered VFS name, or nullptr (use SQLite's default) where the
// platform has no sync_file_range or registration failed. Registers on the
// first call; thread-safe.
const char* WritebackVfsName();

// Process-wide counters, for tests and benchmarks.
struct WritebackVfsStats {
  int64_t pushes = 0;         // sync_file_range requests issued
  int64_t pushed_bytes = 0;   // bytes those requests covered
  int64_t open_inodes = 0;    // inodes with a push descriptor open now
};
WritebackVfsStats GetWritebackVfsStats();

}  // namespace attune

#endif  // ATTUNE_CHECKPOINT_WRITEBACK_VFS_H_
