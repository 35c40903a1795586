#include "storage/sqlite/sqlite_wal_buffer.h"

#include <sqlite3.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <new>
#include <string>

#include "storage/sqlite/sqlite_internal.h"

namespace dothi::storage::sqlite {
namespace {

constexpr const char* kVfsName = "dothi-wal-buffer";
// Buffered bytes beyond this are written at once (a large transaction, a cache spill).
constexpr std::size_t kMaxBuffered = std::size_t{4} << 20;
// The default unix VFS writes at most 128 KiB - 1 bytes per call (it masks the length), so
// a flush goes out in pieces of this size.
constexpr std::size_t kMaxWrite = std::size_t{64} << 10;

sqlite3_vfs* base_vfs = nullptr;  // the default VFS, set at registration
sqlite3_vfs wal_buffer_vfs;
sqlite3_io_methods wal_methods;

// The file object SQLite allocates for us (szOsFile bytes): our header, then the default
// VFS's own file object. A file that is not a WAL is opened in place at the start instead
// and keeps the default methods, so it costs nothing.
struct WalFile {
  sqlite3_file base;   // pMethods = &wal_methods
  sqlite3_file* real;  // the default VFS's file, inside this allocation
  std::string* pending;  // bytes written by SQLite and not yet by us
  sqlite3_int64 pending_offset;
};

std::size_t RealOffset() {
  return (sizeof(WalFile) + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) *
         alignof(std::max_align_t);
}

WalFile* Of(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }

int Flush(WalFile* f) {
  const std::string& p = *f->pending;
  int rc = SQLITE_OK;
  for (std::size_t done = 0; done < p.size() && rc == SQLITE_OK; done += kMaxWrite) {
    const std::size_t n = std::min(kMaxWrite, p.size() - done);
    rc = f->real->pMethods->xWrite(f->real, p.data() + done, static_cast<int>(n),
                                   f->pending_offset + static_cast<sqlite3_int64>(done));
  }
  f->pending->clear();
  return rc;
}

int Close(sqlite3_file* file) {
  WalFile* f = Of(file);
  int rc = Flush(f);
  int rc2 = f->real->pMethods != nullptr ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
  delete f->pending;
  f->pending = nullptr;
  return rc != SQLITE_OK ? rc : rc2;
}

// Calls the default VFS's method (a member of sqlite3_io_methods) on the real file.
template <auto kMethod, typename... Args>
auto Forward(sqlite3_file* file, Args... args) {
  sqlite3_file* real = Of(file)->real;
  return (real->pMethods->*kMethod)(real, args...);
}

// The same, after writing out what is buffered: for every call that reads, sizes, syncs,
// truncates or otherwise depends on the file's bytes.
template <auto kMethod, typename... Args>
int FlushThenForward(sqlite3_file* file, Args... args) {
  int rc = Flush(Of(file));
  if (rc != SQLITE_OK) return rc;
  return Forward<kMethod>(file, args...);
}

int Read(sqlite3_file* file, void* out, int n, sqlite3_int64 offset) {
  return FlushThenForward<&sqlite3_io_methods::xRead>(file, out, n, offset);
}

int Write(sqlite3_file* file, const void* data, int n, sqlite3_int64 offset) {
  WalFile* f = Of(file);
  std::string& p = *f->pending;
  if (!p.empty() && offset != f->pending_offset + static_cast<sqlite3_int64>(p.size())) {
    int rc = Flush(f);  // not an append to what is buffered
    if (rc != SQLITE_OK) return rc;
  }
  if (p.empty()) f->pending_offset = offset;
  try {
    p.append(static_cast<const char*>(data), static_cast<std::size_t>(n));
  } catch (const std::bad_alloc&) {
    int rc = Flush(f);
    if (rc != SQLITE_OK) return rc;
    return f->real->pMethods->xWrite(f->real, data, n, offset);
  }
  if (p.size() >= kMaxBuffered) return Flush(f);
  return SQLITE_OK;
}

int Truncate(sqlite3_file* file, sqlite3_int64 size) {
  return FlushThenForward<&sqlite3_io_methods::xTruncate>(file, size);
}
int Sync(sqlite3_file* file, int flags) {
  return FlushThenForward<&sqlite3_io_methods::xSync>(file, flags);
}
int FileSize(sqlite3_file* file, sqlite3_int64* size) {
  return FlushThenForward<&sqlite3_io_methods::xFileSize>(file, size);
}
int Lock(sqlite3_file* file, int level) { return Forward<&sqlite3_io_methods::xLock>(file, level); }
int Unlock(sqlite3_file* file, int level) {
  return FlushThenForward<&sqlite3_io_methods::xUnlock>(file, level);
}
int CheckReservedLock(sqlite3_file* file, int* out) {
  return Forward<&sqlite3_io_methods::xCheckReservedLock>(file, out);
}
int FileControl(sqlite3_file* file, int op, void* arg) {
  return FlushThenForward<&sqlite3_io_methods::xFileControl>(file, op, arg);
}
int SectorSize(sqlite3_file* file) { return Forward<&sqlite3_io_methods::xSectorSize>(file); }
int DeviceCharacteristics(sqlite3_file* file) {
  return Forward<&sqlite3_io_methods::xDeviceCharacteristics>(file);
}

// A WAL file has no shared memory or memory map of its own; the methods are there for
// completeness and forward when the default VFS has them.
int ShmMap(sqlite3_file* file, int region, int size, int extend, void volatile** out) {
  return Forward<&sqlite3_io_methods::xShmMap>(file, region, size, extend, out);
}
int ShmLock(sqlite3_file* file, int offset, int n, int flags) {
  return Forward<&sqlite3_io_methods::xShmLock>(file, offset, n, flags);
}
void ShmBarrier(sqlite3_file* file) { Forward<&sqlite3_io_methods::xShmBarrier>(file); }
int ShmUnmap(sqlite3_file* file, int delete_flag) {
  return Forward<&sqlite3_io_methods::xShmUnmap>(file, delete_flag);
}
int Fetch(sqlite3_file* file, sqlite3_int64 offset, int n, void** out) {
  return FlushThenForward<&sqlite3_io_methods::xFetch>(file, offset, n, out);
}
int Unfetch(sqlite3_file* file, sqlite3_int64 offset, void* p) {
  return Forward<&sqlite3_io_methods::xUnfetch>(file, offset, p);
}

int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
  if ((flags & SQLITE_OPEN_WAL) == 0) {
    // Not a WAL: the default VFS's file object, in place, with its own methods.
    return base_vfs->xOpen(base_vfs, name, file, flags, out_flags);
  }
  WalFile* f = Of(file);
  std::memset(f, 0, sizeof(WalFile));
  f->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(file) + RealOffset());
  f->pending = new (std::nothrow) std::string;
  if (f->pending == nullptr) return SQLITE_NOMEM;
  int rc = base_vfs->xOpen(base_vfs, name, f->real, flags, out_flags);
  if (rc != SQLITE_OK) {
    // SQLite calls xClose only when pMethods is set; the default VFS leaves it null on
    // failure, so nothing of ours is left to clean up after this.
    delete f->pending;
    f->pending = nullptr;
    return rc;
  }
  f->base.pMethods = &wal_methods;
  return SQLITE_OK;
}

// Everything else about files and the system is the default VFS's.
int Delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return base_vfs->xDelete(base_vfs, name, sync_dir);
}
int Access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return base_vfs->xAccess(base_vfs, name, flags, out);
}
int FullPathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return base_vfs->xFullPathname(base_vfs, name, n, out);
}
void* DlOpen(sqlite3_vfs*, const char* name) { return base_vfs->xDlOpen(base_vfs, name); }
void DlError(sqlite3_vfs*, int n, char* out) { base_vfs->xDlError(base_vfs, n, out); }
void (*DlSym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return base_vfs->xDlSym(base_vfs, handle, symbol);
}
void DlClose(sqlite3_vfs*, void* handle) { base_vfs->xDlClose(base_vfs, handle); }
int Randomness(sqlite3_vfs*, int n, char* out) { return base_vfs->xRandomness(base_vfs, n, out); }
int Sleep(sqlite3_vfs*, int micros) { return base_vfs->xSleep(base_vfs, micros); }
int CurrentTime(sqlite3_vfs*, double* out) { return base_vfs->xCurrentTime(base_vfs, out); }
int GetLastError(sqlite3_vfs*, int n, char* out) {
  return base_vfs->xGetLastError != nullptr ? base_vfs->xGetLastError(base_vfs, n, out) : 0;
}
int CurrentTimeInt64(sqlite3_vfs*, sqlite3_int64* out) {
  return base_vfs->xCurrentTimeInt64(base_vfs, out);
}

bool Register() {
  // sqlite3_vfs_find initializes SQLite, after which the page cache can no longer be set.
  ConfigureSqliteOnce();
  base_vfs = sqlite3_vfs_find(nullptr);
  if (base_vfs == nullptr || base_vfs->iVersion < 2 || base_vfs->xCurrentTimeInt64 == nullptr) {
    return false;
  }
  wal_methods = sqlite3_io_methods{};
  wal_methods.iVersion = 3;
  wal_methods.xClose = Close;
  wal_methods.xRead = Read;
  wal_methods.xWrite = Write;
  wal_methods.xTruncate = Truncate;
  wal_methods.xSync = Sync;
  wal_methods.xFileSize = FileSize;
  wal_methods.xLock = Lock;
  wal_methods.xUnlock = Unlock;
  wal_methods.xCheckReservedLock = CheckReservedLock;
  wal_methods.xFileControl = FileControl;
  wal_methods.xSectorSize = SectorSize;
  wal_methods.xDeviceCharacteristics = DeviceCharacteristics;
  wal_methods.xShmMap = ShmMap;
  wal_methods.xShmLock = ShmLock;
  wal_methods.xShmBarrier = ShmBarrier;
  wal_methods.xShmUnmap = ShmUnmap;
  wal_methods.xFetch = Fetch;
  wal_methods.xUnfetch = Unfetch;

  wal_buffer_vfs = sqlite3_vfs{};
  wal_buffer_vfs.iVersion = 2;
  wal_buffer_vfs.szOsFile = static_cast<int>(RealOffset()) + base_vfs->szOsFile;
  wal_buffer_vfs.mxPathname = base_vfs->mxPathname;
  wal_buffer_vfs.zName = kVfsName;
  wal_buffer_vfs.xOpen = Open;
  wal_buffer_vfs.xDelete = Delete;
  wal_buffer_vfs.xAccess = Access;
  wal_buffer_vfs.xFullPathname = FullPathname;
  wal_buffer_vfs.xDlOpen = DlOpen;
  wal_buffer_vfs.xDlError = DlError;
  wal_buffer_vfs.xDlSym = DlSym;
  wal_buffer_vfs.xDlClose = DlClose;
  wal_buffer_vfs.xRandomness = Randomness;
  wal_buffer_vfs.xSleep = Sleep;
  wal_buffer_vfs.xCurrentTime = CurrentTime;
  wal_buffer_vfs.xGetLastError = GetLastError;
  wal_buffer_vfs.xCurrentTimeInt64 = CurrentTimeInt64;
  return sqlite3_vfs_register(&wal_buffer_vfs, /*makeDflt=*/0) == SQLITE_OK;
}

}  // namespace

const char* WalBufferVfs() {
  static const bool registered = Register();
  return registered ? kVfsName : nullptr;
}

}  // namespace dothi::storage::sqlite
