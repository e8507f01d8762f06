#include "storage/sqlite_wal_combiner.h"

#include <sqlite3.h>

#include <atomic>
#include <cstddef>
#include <cstring>
#include <mutex>

namespace mend::server::sqlite {

namespace {

// The default unix VFS writes at most 128 KiB - 1 bytes per call (it masks
// the length to 17 bits: SQLite itself never writes more than a 64 KiB page),
// so the buffer stays at 64 KiB. That still turns about 120 calls into one.
constexpr size_t kBufferBytes = 64 * 1024;
constexpr char kName[] = "mend-wal-combiner";

std::atomic<uint64_t> g_requested{0};
std::atomic<uint64_t> g_written{0};
sqlite3_vfs* g_base = nullptr;  // the default VFS, which does the real work
sqlite3_vfs g_vfs{};

// Our object for a WAL file; the default VFS's object follows it in the same
// allocation (szOsFile covers both). Plain C data: SQLite allocates and frees
// the memory, so there is no constructor or destructor to run.
struct WalFile {
  sqlite3_file base;  // first: SQLite sees this
  sqlite3_file* real;
  char* buffer;          // kBufferBytes from sqlite3_malloc64, on the first write
  sqlite3_int64 offset;  // where buffer[0] goes in the file
  size_t used;           // bytes waiting in the buffer
};
// The default VFS's object starts here (SQLite itself only promises 8-byte
// alignment for file objects; rounding up to max_align_t is more than enough).
constexpr size_t kRealOffset = (sizeof(WalFile) + alignof(std::max_align_t) - 1) /
                               alignof(std::max_align_t) * alignof(std::max_align_t);

WalFile* wal(sqlite3_file* f) { return reinterpret_cast<WalFile*>(f); }
sqlite3_file* real(sqlite3_file* f) { return wal(f)->real; }

int write_through(WalFile* w, const void* data, int n, sqlite3_int64 offset) {
  g_written.fetch_add(1, std::memory_order_relaxed);
  return w->real->pMethods->xWrite(w->real, data, n, offset);
}

// Writes the buffer out; the buffer is empty afterwards, even on failure.
// Any failure is reported as an I/O error: SQLite answers SQLITE_FULL (what the
// default VFS says for ENOSPC) on some statements with a statement rollback
// only, which would keep a transaction open whose earlier frames, written
// through the buffer, never reached the file. An I/O error rolls back the
// whole transaction.
int flush(WalFile* w) {
  if (w->used == 0) return SQLITE_OK;
  const int rc = write_through(w, w->buffer, static_cast<int>(w->used), w->offset);
  w->used = 0;
  if (rc == SQLITE_OK || (rc & 0xff) == SQLITE_IOERR) return rc;
  return SQLITE_IOERR_WRITE;
}

int wal_write(sqlite3_file* f, const void* data, int n, sqlite3_int64 offset) {
  WalFile* w = wal(f);
  g_requested.fetch_add(1, std::memory_order_relaxed);
  const auto len = static_cast<size_t>(n);
  // Only a write that starts exactly where the buffer ends joins it; anything
  // else (a rewritten frame, the header of a restarted WAL) first pushes the
  // buffer out, so the file sees every byte in the order SQLite wrote it.
  if (w->used > 0 && offset == w->offset + static_cast<sqlite3_int64>(w->used) &&
      w->used + len <= kBufferBytes) {
    std::memcpy(w->buffer + w->used, data, len);
    w->used += len;
    return SQLITE_OK;
  }
  if (const int rc = flush(w); rc != SQLITE_OK) return rc;
  // A write that goes straight through and fails keeps the default VFS's error
  // code: it is the write SQLite asked for, and everything before it is out.
  if (len > kBufferBytes) return write_through(w, data, n, offset);
  if (!w->buffer) {
    w->buffer = static_cast<char*>(sqlite3_malloc64(kBufferBytes));
    if (!w->buffer) return write_through(w, data, n, offset);
  }
  std::memcpy(w->buffer, data, len);
  w->offset = offset;
  w->used = len;
  return SQLITE_OK;
}

int wal_close(sqlite3_file* f) {
  WalFile* w = wal(f);
  const int flushed = flush(w);
  sqlite3_free(w->buffer);
  w->buffer = nullptr;
  const int rc = w->real->pMethods->xClose(w->real);
  return flushed != SQLITE_OK ? flushed : rc;
}

int wal_read(sqlite3_file* f, void* data, int n, sqlite3_int64 offset) {
  if (const int rc = flush(wal(f)); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xRead(real(f), data, n, offset);
}

int wal_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (const int rc = flush(wal(f)); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xTruncate(real(f), size);
}

int wal_sync(sqlite3_file* f, int flags) {
  if (const int rc = flush(wal(f)); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xSync(real(f), flags);
}

int wal_file_size(sqlite3_file* f, sqlite3_int64* size) {
  if (const int rc = flush(wal(f)); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xFileSize(real(f), size);
}

int wal_file_control(sqlite3_file* f, int op, void* arg) {
  if (const int rc = flush(wal(f)); rc != SQLITE_OK) return rc;
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}

int wal_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
int wal_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
int wal_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
int wal_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
int wal_device_characteristics(sqlite3_file* f) {
  return real(f)->pMethods->xDeviceCharacteristics(real(f));
}

// Version 1: SQLite maps shared memory and pages only through the database
// file, never through its WAL.
const sqlite3_io_methods kWalMethods = {1,
                                        wal_close,
                                        wal_read,
                                        wal_write,
                                        wal_truncate,
                                        wal_sync,
                                        wal_file_size,
                                        wal_lock,
                                        wal_unlock,
                                        wal_check_reserved,
                                        wal_file_control,
                                        wal_sector_size,
                                        wal_device_characteristics,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr,
                                        nullptr};

int vfs_open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* f, int flags, int* out_flags) {
  // Everything but a WAL is the default VFS's own object, in place.
  if (!(flags & SQLITE_OPEN_WAL)) return g_base->xOpen(g_base, name, f, flags, out_flags);
  WalFile* w = wal(f);
  w->real = reinterpret_cast<sqlite3_file*>(reinterpret_cast<char*>(w) + kRealOffset);
  w->buffer = nullptr;
  w->offset = 0;
  w->used = 0;
  const int rc = g_base->xOpen(g_base, name, w->real, flags, out_flags);
  // Without methods SQLite will not call xClose on a file that did not open.
  w->base.pMethods = rc == SQLITE_OK ? &kWalMethods : nullptr;
  return rc;
}

// The rest of the VFS is the default one's.
int vfs_delete(sqlite3_vfs*, const char* name, int sync_dir) {
  return g_base->xDelete(g_base, name, sync_dir);
}
int vfs_access(sqlite3_vfs*, const char* name, int flags, int* out) {
  return g_base->xAccess(g_base, name, flags, out);
}
int vfs_full_pathname(sqlite3_vfs*, const char* name, int n, char* out) {
  return g_base->xFullPathname(g_base, name, n, out);
}
void* vfs_dl_open(sqlite3_vfs*, const char* name) { return g_base->xDlOpen(g_base, name); }
void vfs_dl_error(sqlite3_vfs*, int n, char* out) { g_base->xDlError(g_base, n, out); }
void (*vfs_dl_sym(sqlite3_vfs*, void* handle, const char* symbol))(void) {
  return g_base->xDlSym(g_base, handle, symbol);
}
void vfs_dl_close(sqlite3_vfs*, void* handle) { g_base->xDlClose(g_base, handle); }
int vfs_randomness(sqlite3_vfs*, int n, char* out) { return g_base->xRandomness(g_base, n, out); }
int vfs_sleep(sqlite3_vfs*, int micros) { return g_base->xSleep(g_base, micros); }
int vfs_current_time(sqlite3_vfs*, double* out) { return g_base->xCurrentTime(g_base, out); }
int vfs_get_last_error(sqlite3_vfs*, int n, char* out) {
  return g_base->xGetLastError ? g_base->xGetLastError(g_base, n, out) : 0;
}
int vfs_current_time_int64(sqlite3_vfs*, sqlite3_int64* out) {
  if (g_base->iVersion >= 2 && g_base->xCurrentTimeInt64)
    return g_base->xCurrentTimeInt64(g_base, out);
  double days = 0;
  const int rc = g_base->xCurrentTime(g_base, &days);
  *out = static_cast<sqlite3_int64>(days * 86400000.0);
  return rc;
}

}  // namespace

const char* wal_combining_vfs() {
  static std::once_flag once;
  std::call_once(once, [] {
    g_base = sqlite3_vfs_find(nullptr);
    if (!g_base) return;
    g_vfs.iVersion = 2;
    g_vfs.szOsFile = static_cast<int>(kRealOffset) + g_base->szOsFile;
    g_vfs.mxPathname = g_base->mxPathname;
    g_vfs.zName = kName;
    g_vfs.xOpen = vfs_open;
    g_vfs.xDelete = vfs_delete;
    g_vfs.xAccess = vfs_access;
    g_vfs.xFullPathname = vfs_full_pathname;
    g_vfs.xDlOpen = vfs_dl_open;
    g_vfs.xDlError = vfs_dl_error;
    g_vfs.xDlSym = vfs_dl_sym;
    g_vfs.xDlClose = vfs_dl_close;
    g_vfs.xRandomness = vfs_randomness;
    g_vfs.xSleep = vfs_sleep;
    g_vfs.xCurrentTime = vfs_current_time;
    g_vfs.xGetLastError = vfs_get_last_error;
    g_vfs.xCurrentTimeInt64 = vfs_current_time_int64;
    if (sqlite3_vfs_register(&g_vfs, 0) != SQLITE_OK) g_base = nullptr;
  });
  return g_base ? kName : nullptr;
}

bool wal_combiner_safe_for(sqlite3* db) {
  // padToSectorBoundary (no powersafe overwrite) syncs the WAL in the middle
  // of the commit's last frame and writes the rest after the sync.
  int powersafe = -1;
  if (sqlite3_file_control(db, "main", SQLITE_FCNTL_POWERSAFE_OVERWRITE, &powersafe) != SQLITE_OK ||
      powersafe != 1)
    return false;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA synchronous", -1, &st, nullptr) != SQLITE_OK) return false;
  const bool full = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) >= 2;
  sqlite3_finalize(st);
  return full;
}

WalCombinerCounts wal_combiner_counts() {
  return {g_requested.load(std::memory_order_relaxed), g_written.load(std::memory_order_relaxed)};
}

}  // namespace mend::server::sqlite
