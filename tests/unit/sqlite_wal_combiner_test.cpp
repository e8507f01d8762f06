#include "storage/sqlite_wal_combiner.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>

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
  exec(writer, "BEGIN");
  exec(writer, "INSERT INTO t(k, v) SELECT k || 'x', randomblob(2000) FROM t");
  exec(writer, "ROLLBACK");
  insert(writer, 3, 100);
  EXPECT_EQ(number(reader, "SELECT count(*) FROM t"), 13);
  EXPECT_EQ(text(reader, "PRAGMA integrity_check"), "ok");
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
