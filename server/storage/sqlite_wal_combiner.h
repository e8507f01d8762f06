#pragma once

#include <cstdint>

struct sqlite3;

// A thin SQLite VFS over the default one that turns a commit's many small WAL
// writes into a few large ones.
//
// SQLite appends each WAL frame with two writes (a 24-byte header, then the
// page): with 1 KiB pages a group commit of a few hundred messages makes over
// a thousand pwrite() calls, and they cost the storage thread about a third of
// its time (mend-bench, bench/README.md). This VFS keeps a WAL file's
// contiguous writes in a 64 KiB buffer and writes it out before anything that
// could need them in the file: the WAL's sync, a read, a size query or
// truncation, a file control, or a write elsewhere in the file.
//
// Use it only where wal_combiner_safe_for() holds: PRAGMA synchronous=FULL
// (or EXTRA) and a database file with powersafe overwrite (the default; not
// with the URI parameter psow=0). There SQLite syncs the WAL at every commit
// after the commit's last write and before it publishes the new frames in the
// shared WAL index, so no other connection can look for a frame that is still
// in the buffer. With NORMAL or OFF a commit publishes frames without touching
// the WAL file again; without powersafe overwrite SQLite syncs in the middle of
// the commit's last frame and writes the rest after the sync. Either way the
// buffer could hide frames from other connections.
//
// One writer: frames of a rolled-back transaction can stay in the buffer until
// this connection next reads, writes, syncs or closes the WAL. Another process
// writing the same WAL in between could have them overwritten; mendd's data
// directory lock rules that out.
//
// Every file other than a WAL is the default VFS's own object, untouched.
namespace mend::server::sqlite {

// Registers the VFS (once, thread-safe) and returns its name for
// sqlite3_open_v2(); nullptr if SQLite has no default VFS to wrap.
const char* wal_combining_vfs();

// Whether an open connection may use the VFS: synchronous FULL or EXTRA and
// powersafe overwrite on its main database file.
bool wal_combiner_safe_for(sqlite3* db);

// Process-wide counts, for tests and curiosity: WAL writes SQLite asked for,
// and writes that reached the file system.
struct WalCombinerCounts {
  uint64_t requested = 0;
  uint64_t written = 0;
};
WalCombinerCounts wal_combiner_counts();

}  // namespace mend::server::sqlite
