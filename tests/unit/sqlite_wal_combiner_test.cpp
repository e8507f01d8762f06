#include "storage/sqlite_wal_combiner.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cerrno>
#include <string>

#include "storage/sqlite_storage.h"
#include "temp_dir.h"

namespace mend::server::sqlite {
namespace {

using mend::test::TempDir;

sqlite3* open(const std::filesystem::path& file, const char* vfs) {
  sqlite3* db = nullptr;
  EXPECT_EQ(sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, vfs),
            SQLITE_OK);
  return db;
}

void exec(sqlite3* db, const std::string& sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  EXPECT_EQ(rc, SQLITE_OK) << sql << ": " << (err ? err : "") << " (extended code "
                           << sqlite3_extended_errcode(db) << ")";
  sqlite3_free(err);
}

int64_t number(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  int64_t v = -1;
  if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

std::string text(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* st = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr), SQLITE_OK) << sql;
  std::string v;
  if (sqlite3_step(st) == SQLITE_ROW) v = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return v;
}

// Appends `rows` rows of `bytes` random bytes each in one transaction.
void insert(sqlite3* db, int rows, int bytes) {
  exec(db, "BEGIN");
  exec(db, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < " +
               std::to_string(rows) + ") INSERT INTO t(k, v) SELECT hex(randomblob(8)), " +
               "randomblob(" + std::to_string(bytes) + ") FROM n");
  exec(db, "COMMIT");
}

struct WalCombinerTest : ::testing::Test {
  TempDir dir;
  std::filesystem::path file = dir.path / "test.sqlite3";
  const char* vfs = wal_combining_vfs();
  sqlite3* writer = nullptr;
  sqlite3* reader = nullptr;

  void SetUp() override {
    ASSERT_NE(vfs, nullptr);
    writer = open(file, vfs);
    exec(writer,
         "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
         "PRAGMA wal_autocheckpoint=0; PRAGMA cache_size=-1024;"
         "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, v BLOB);"
         "CREATE INDEX t_by_k ON t(k)");
    reader = open(file, nullptr);  // the default VFS, like the checkpoint connection
  }
  void TearDown() override {
    sqlite3_close_v2(reader);
    sqlite3_close_v2(writer);
  }
};

TEST_F(WalCombinerTest, OtherConnectionsSeeEveryCommit) {
  int64_t rows = 0;
  // Small commits, commits bigger than the buffer and than the page cache
  // (pages spilled to the WAL and read back mid-transaction), and checkpoints
  // by the other connection that let the writer restart the WAL from its start.
  const int plan[][2] = {{1, 10}, {50, 300}, {3000, 700}, {5, 5000}, {200, 100}, {1, 1}};
  for (int round = 0; round < 3; ++round) {
    for (const auto& [n, bytes] : plan) {
      insert(writer, n, bytes);
      rows += n;
      ASSERT_EQ(number(reader, "SELECT count(*) FROM t"), rows) << "after " << n << " rows";
    }
    exec(reader, "PRAGMA wal_checkpoint(PASSIVE)");
  }
  EXPECT_EQ(text(writer, "PRAGMA integrity_check"), "ok");
  exec(writer, "PRAGMA wal_checkpoint(TRUNCATE)");
  sqlite3_close_v2(writer);
  writer = open(file, vfs);
  EXPECT_EQ(number(writer, "SELECT count(*) FROM t"), rows);
  EXPECT_EQ(text(writer, "PRAGMA integrity_check"), "ok");
}

TEST_F(WalCombinerTest, ACommitsFramesGoOutInFewWrites) {
  const WalCombinerCounts before = wal_combiner_counts();
  // Group commits the size of mendd's: ~100 KiB each, within the page cache.
  for (int i = 0; i < 20; ++i) insert(writer, 200, 300);
  const WalCombinerCounts after = wal_combiner_counts();
  const uint64_t requested = after.requested - before.requested;
  const uint64_t written = after.written - before.written;
  EXPECT_GT(requested, 20u * 200);
  EXPECT_LT(written * 20, requested) << written << " writes for " << requested << " requested";
  EXPECT_EQ(number(reader, "SELECT count(*) FROM t"), 20 * 200);
}

TEST_F(WalCombinerTest, ARolledBackTransactionLeavesNoTrace) {
  insert(writer, 10, 100);
  // Bigger than the page cache: SQLite spills pages to the WAL (through the
  // buffer) and reads some back before the rollback.
  exec(writer, "PRAGMA cache_size=-64");
  const WalCombinerCounts before = wal_combiner_counts();
  exec(writer, "BEGIN");
  exec(writer,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
       "INSERT INTO t(k, v) SELECT hex(randomblob(8)), randomblob(1500) FROM n");
  EXPECT_GT(wal_combiner_counts().requested, before.requested + 100) << "the transaction spilled";
  exec(writer, "ROLLBACK");
  insert(writer, 3, 100);
  EXPECT_EQ(number(reader, "SELECT count(*) FROM t"), 13);
  // Let the writer start the WAL over the rolled-back frames.
  exec(reader, "PRAGMA wal_checkpoint(PASSIVE)");
  insert(writer, 300, 300);
  EXPECT_EQ(number(reader, "SELECT count(*) FROM t"), 313);
  EXPECT_EQ(text(reader, "PRAGMA integrity_check"), "ok");
  EXPECT_EQ(text(writer, "PRAGMA integrity_check"), "ok");
}

// Stands in for the unix VFS's pwrite64 and pwrite: ENOSPC while `fail` is set.
struct FailingPwrite {
  using Pwrite = ssize_t (*)(int, const void*, size_t, off_t);
  static inline bool fail = false;
  static inline int failed = 0;
  sqlite3_syscall_ptr real = nullptr;
  sqlite3_syscall_ptr replacement = nullptr;

  template <int Slot>
  static ssize_t call(int fd, const void* data, size_t n, off_t offset) {
    if (fail) {
      ++failed;
      errno = ENOSPC;
      return -1;
    }
    return reinterpret_cast<Pwrite>(slots()[Slot].real)(fd, data, n, offset);
  }
  static FailingPwrite* slots() {
    static FailingPwrite s[2] = {{nullptr, reinterpret_cast<sqlite3_syscall_ptr>(&call<0>)},
                                 {nullptr, reinterpret_cast<sqlite3_syscall_ptr>(&call<1>)}};
    return s;
  }
  static FailingPwrite& slot(const std::string& name) {
    return slots()[name == "pwrite64" ? 0 : 1];
  }
};

// A write the disk refuses (here: ENOSPC from pwrite) while the buffer is
// flushed before a read must roll back the whole transaction, not just the
// statement, or a later COMMIT would publish frames that never reached the file.
TEST_F(WalCombinerTest, AFailedFlushRollsBackTheWholeTransaction) {
  sqlite3_vfs* unix_vfs = sqlite3_vfs_find(nullptr);
  for (const char* name : {"pwrite64", "pwrite"}) {
    FailingPwrite& f = FailingPwrite::slot(name);
    f.real = unix_vfs->xGetSystemCall(unix_vfs, name);
    if (f.real) unix_vfs->xSetSystemCall(unix_vfs, name, f.replacement);
  }
  ASSERT_TRUE(FailingPwrite::slot("pwrite64").real || FailingPwrite::slot("pwrite").real);

  insert(writer, 20, 100);
  exec(writer, "PRAGMA cache_size=-200");
  exec(writer, "BEGIN");
  exec(writer,
       "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) "
       "INSERT INTO t(k, v) SELECT hex(randomblob(8)), randomblob(300) FROM n");
  FailingPwrite::fail = true;
  char* err = nullptr;
  const int rc = sqlite3_exec(writer, "INSERT INTO t(k, v) SELECT k || 'y', v FROM t WHERE id < 50",
                              nullptr, nullptr, &err);
  sqlite3_free(err);
  FailingPwrite::fail = false;
  unix_vfs->xSetSystemCall(unix_vfs, nullptr, nullptr);  // every system call back to the real one

  EXPECT_GT(FailingPwrite::failed, 0) << "the fault was not hit";
  EXPECT_NE(rc, SQLITE_OK);
  EXPECT_NE(rc, SQLITE_FULL) << "a statement-only rollback would keep the transaction open";
  EXPECT_EQ(sqlite3_get_autocommit(writer), 1) << "the transaction must be rolled back";
  EXPECT_EQ(number(reader, "SELECT count(*) FROM t"), 20);
  insert(writer, 5, 100);
  EXPECT_EQ(number(reader, "SELECT count(*) FROM t"), 25);
  EXPECT_EQ(text(reader, "PRAGMA integrity_check"), "ok");
}

TEST_F(WalCombinerTest, SafeOnlyWithFullSyncAndPowersafeOverwrite) {
  EXPECT_TRUE(wal_combiner_safe_for(writer));
  exec(writer, "PRAGMA synchronous=NORMAL");
  EXPECT_FALSE(wal_combiner_safe_for(writer));
  exec(writer, "PRAGMA synchronous=EXTRA");
  EXPECT_TRUE(wal_combiner_safe_for(writer));
  // Without powersafe overwrite SQLite syncs in the middle of a commit's last
  // frame and writes the rest afterwards.
  sqlite3* no_psow = nullptr;
  const std::string uri = "file:" + file.string() + "?psow=0";
  ASSERT_EQ(sqlite3_open_v2(uri.c_str(), &no_psow, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, vfs),
            SQLITE_OK);
  exec(no_psow, "PRAGMA synchronous=FULL");
  EXPECT_FALSE(wal_combiner_safe_for(no_psow));
  sqlite3_close_v2(no_psow);
}

TEST(WalCombinerStorage, UsedWithFullDurabilityOnly) {
  for (const Durability d : {Durability::full, Durability::normal, Durability::off}) {
    TempDir dir;
    const WalCombinerCounts before = wal_combiner_counts();
    auto db = open_sqlite_storage(dir.path, d);
    db->begin_batch();
    ASSERT_EQ(db->create_pair(Bytes(16, 'P'), PairMember{Bytes(16, 'a'), Bytes(32, 'A')},
                              PairMember{Bytes(16, 'b'), Bytes(32, 'B')}, 1000),
              CreatePairStatus::ok);
    db->append(AppendRequest{Bytes(16, 'P'), Bytes(16, 'a'), "m1", "hdr", "body", 2000});
    db->commit_batch();
    const bool used = wal_combiner_counts().requested > before.requested;
    EXPECT_EQ(used, d == Durability::full) << static_cast<int>(d);
  }
}

TEST_F(WalCombinerTest, AFileReopenedWithoutTheVfsReadsTheSameData) {
  insert(writer, 500, 200);
  const int64_t sum = number(writer, "SELECT sum(length(v)) + count(*) FROM t");
  sqlite3_close_v2(writer);
  writer = nullptr;
  sqlite3_close_v2(reader);
  reader = open(file, nullptr);
  EXPECT_EQ(number(reader, "SELECT sum(length(v)) + count(*) FROM t"), sum);
  EXPECT_EQ(text(reader, "PRAGMA integrity_check"), "ok");
}

}  // namespace
}  // namespace mend::server::sqlite
