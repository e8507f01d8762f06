#include "storage/sqlite_migrations.h"

#include <gtest/gtest.h>

#include "storage/sqlite_statement.h"
#include "storage/sqlite_storage.h"
#include "temp_dir.h"

namespace mend::server {
namespace {

using mend::test::TempDir;

int64_t query_int(sqlite3* db, const char* sql) {
  sqlite::Statement q(db, sql);
  return q.step() ? q.int64(0) : -1;
}

// A database left by a mendd of schema version 2 (events in the WITHOUT ROWID
// table) is migrated at open, and keeps its events, deletions, tombstones, sequences
// and idempotency.
TEST(SqliteMigrations, Version2EventsSurviveTheMoveToTheRowidTable) {
  TempDir dir;
  const auto file = dir.path / "mendd.sqlite3";
  const Bytes pair(16, 'P'), a(16, 'a'), b(16, 'b');
  {
    sqlite3* raw = nullptr;
    ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
    sqlite::exec(raw, "PRAGMA page_size=1024");
    sqlite::exec(raw, "PRAGMA journal_mode=WAL");
    ASSERT_EQ(sqlite::migrate(raw, 2), 2);
    sqlite::Statement(raw, "INSERT INTO pairs VALUES (?, 1)").bind(1, pair).step();
    for (const Bytes& d : {a, b})
      sqlite::Statement(raw, "INSERT INTO pair_members VALUES (?, ?, ?, 1)")
          .bind(1, d)
          .bind(2, pair)
          .bind(3, Bytes(32, d[0]))
          .step();
    for (int64_t seq = 1; seq <= 3; ++seq)
      sqlite::Statement(raw,
                        "INSERT INTO events(pair_id, sequence, sender_device_id,"
                        " client_message_id, header, ciphertext, stored_at_ms)"
                        " VALUES (?, ?, ?, ?, 'hdr', ?, ?)")
          .bind(1, pair)
          .bind(2, seq)
          .bind(3, seq == 2 ? b : a)
          .bind(4, Bytes("msg") + std::to_string(seq))
          .bind(5, Bytes(600, static_cast<char>('0' + seq)))  // spilled to overflow in v2
          .bind(6, 1000 + seq)
          .step();
    // a deleted message 4 and its tombstone 5, as version 2 kept them
    sqlite::Statement(raw,
                      "INSERT INTO events(pair_id, sequence, sender_device_id, client_message_id,"
                      " header, ciphertext, deleted, stored_at_ms)"
                      " VALUES (?, 4, ?, 'msg4', 'hdr4', x'', 1, 1004)")
        .bind(1, pair)
        .bind(2, a)
        .step();
    sqlite::Statement(raw,
                      "INSERT INTO events(pair_id, sequence, sender_device_id, client_message_id,"
                      " header, ciphertext, tombstone_of, stored_at_ms)"
                      " VALUES (?, 5, ?, 'tomb4', x'', x'', 4, 1005)")
        .bind(1, pair)
        .bind(2, a)
        .step();
    sqlite3_close(raw);
  }

  auto db = open_sqlite_storage(dir.path, Durability::full);
  const auto events = db->events_after(pair, 0, 10);
  ASSERT_EQ(events.size(), 5u);
  EXPECT_TRUE(events[3].deleted);
  EXPECT_FALSE(events[3].is_tombstone);
  EXPECT_TRUE(events[3].ciphertext.empty());
  EXPECT_EQ(events[3].header, "hdr4");
  EXPECT_TRUE(events[4].is_tombstone);
  EXPECT_EQ(events[4].deleted_sequence, 4u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].sequence, i + 1);
    EXPECT_EQ(events[i].ciphertext, Bytes(600, static_cast<char>('1' + i)));
    EXPECT_EQ(events[i].stored_at_ms, 1001 + i);
  }
  EXPECT_EQ(events[1].sender_device_id, b);

  db->begin_batch();
  const auto resent = db->append(AppendRequest{pair, a, "msg3", "hdr", "again", 5000});
  const auto next = db->append(AppendRequest{pair, a, "msg6", "hdr", "new", 5000});
  db->commit_batch();
  EXPECT_EQ(resent.status, AppendStatus::duplicate);
  EXPECT_EQ(resent.sequence, 3u);
  EXPECT_EQ(next.sequence, 6u);
  db.reset();

  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &raw), SQLITE_OK);
  EXPECT_EQ(query_int(raw, "SELECT MAX(version) FROM schema_migrations"), 4);
  EXPECT_EQ(query_int(raw, "SELECT COUNT(*) FROM events"), 6);
  EXPECT_EQ(query_int(raw, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'events_v3'"), 0);
  sqlite3_close(raw);
}

TEST(SqliteMigrations, ADatabaseFromANewerMenddIsRefused) {
  TempDir dir;
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path / "mendd.sqlite3").c_str(), &raw), SQLITE_OK);
  sqlite::migrate(raw);
  sqlite::exec(raw, "INSERT INTO schema_migrations VALUES (999, 1)");
  sqlite3_close(raw);
  try {
    open_sqlite_storage(dir.path, Durability::full);
    FAIL() << "a newer schema must be refused";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("newer than this mendd"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mend::server
