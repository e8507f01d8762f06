#include "storage/sqlite_writer.h"

#include <spdlog/spdlog.h>

#include <stdexcept>
#include <string>

#include "storage/sqlite_migrations.h"
#include "storage/sqlite_statement.h"
#include "storage/sqlite_wal_combiner.h"

namespace mend::server::sqlite {

namespace {

void configure(sqlite3* db, Durability durability) {
  // Small pages for a new database: a group commit touches a page or two per
  // active pair, scattered, and the WAL rewrites whole pages, so a commit
  // costs pages x page size. 1 KiB pages cut that to a quarter of 4 KiB ones.
  // (No effect on an existing database.)
  exec(db, "PRAGMA page_size=1024");
  exec(db, "PRAGMA journal_mode=WAL");
  exec(db, "PRAGMA foreign_keys=ON");
  switch (durability) {
    case Durability::full: exec(db, "PRAGMA synchronous=FULL"); break;
    case Durability::normal: exec(db, "PRAGMA synchronous=NORMAL"); break;
    case Durability::off: exec(db, "PRAGMA synchronous=OFF"); break;
  }
  // 8 MiB of page cache (4x the default): room for the hot end of every
  // online pair's history and indexes. Not more: SQLite scans its whole page
  // cache at the end of each write transaction, and with 64 MiB of 1 KiB
  // pages that scan cost ~1 ms per group commit (measured with mend-bench).
  exec(db, "PRAGMA cache_size=-8192");
  exec(db, "PRAGMA wal_autocheckpoint=0");
  migrate(db);
}

sqlite3* open_with(const std::filesystem::path& file, Durability durability, const char* vfs) {
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(file.c_str(), &db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      vfs) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw std::runtime_error("cannot open database " + file.string() + ": " + msg);
  }
  sqlite3_busy_timeout(db, 5000);
  try {
    configure(db, durability);
  } catch (...) {
    // A refused or broken database must not leak the connection.
    sqlite3_close_v2(db);
    throw;
  }
  return db;
}

}  // namespace

sqlite3* open_writer(const std::filesystem::path& file, Durability durability) {
  // With full durability SQLite syncs the WAL at every commit, which is what
  // the combining VFS needs; the other levels use the default VFS, and so does
  // a SQLite that does not sync that way.
  const char* vfs = durability == Durability::full ? wal_combining_vfs() : nullptr;
  sqlite3* db = open_with(file, durability, vfs);
  if (vfs && !wal_combiner_safe_for(db)) {
    spdlog::warn(
        "storage: this SQLite does not sync the WAL at the end of every commit; writing it "
        "without the write combiner");
    sqlite3_close_v2(db);
    db = open_with(file, durability, nullptr);
  }
  return db;
}

}  // namespace mend::server::sqlite
