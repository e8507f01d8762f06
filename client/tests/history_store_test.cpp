// The local history store: per-sender-device chains, and the upgrade of a version-1
// file (one chain per direction) to version 2 without losing a message.
#include "mend/client/history_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "mend/client/error.h"
#include "mend/common/ids.h"
#include "mend/v1/wire.pb.h"
#include "temp_dir.h"

namespace mend::client {
namespace {

std::string header_from(const std::string& pair_id, const std::string& sender, uint64_t counter) {
  v1::EnvelopeHeader h;
  h.set_pair_id(pair_id);
  h.set_sender_device_id(sender);
  h.set_sender_counter(counter);
  return h.SerializeAsString();
}

class HistoryStoreTest : public ::testing::Test {
 protected:
  test::TempDir dir;
  SecretBytes key = SecretBytes::random(32);
  std::string pair_id = random_bytes(16);
  std::string me = random_bytes(16), partner = random_bytes(16), old_partner = random_bytes(16);

  WireEnvelope envelope(const std::string& sender, uint64_t counter) {
    return WireEnvelope{random_bytes(16), header_from(pair_id, sender, counter), "ciphertext"};
  }
};

TEST_F(HistoryStoreTest, EachSenderDeviceHasItsOwnChain) {
  HistoryStore s(dir.path / "h.sqlite3", key, pair_id);
  s.add_incoming({1, 1, old_partner, false, 1}, envelope(old_partner, 1), "h1", "old 1");
  s.add_incoming({2, 2, old_partner, false, 2}, envelope(old_partner, 2), "h2", "old 2");
  s.add_incoming({3, 3, partner, false, 1}, envelope(partner, 1), "n1", "new 1");
  s.add_outgoing(me, 1, envelope(me, 1), "m1", "mine");
  EXPECT_EQ(s.chain_head(old_partner).counter, 2u);
  EXPECT_EQ(s.chain_head(old_partner).hash, "h2");
  EXPECT_EQ(s.chain_head(partner).counter, 1u);
  EXPECT_EQ(s.chain_head(me).counter, 1u);
  EXPECT_EQ(s.hash_at(partner, 1), "n1");
  EXPECT_EQ(s.hash_at(partner, 2), std::nullopt);
  EXPECT_EQ(s.messages().size(), 4u);
}

TEST_F(HistoryStoreTest, AVersionOneFileIsUpgradedWithEveryMessage) {
  const auto path = dir.path / "v1.sqlite3";
  {
    // The version-1 layout, as an earlier mend wrote it.
    HistoryStore fresh(path, key, pair_id);
    fresh.add_incoming({1, 10, partner, false, 1}, envelope(partner, 1), "p1", "from partner");
    fresh.add_incoming({2, 11, partner, false, 2}, envelope(partner, 2), "p2", "deleted later");
    fresh.mark_deleted(2);
    fresh.add_outgoing(me, 1, envelope(me, 1), "m1", "from me");  // never acknowledged
  }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  // The literal version-1 schema (mend before device replacement), filled with the rows.
  const char* downgrade = R"(
    CREATE TABLE v1 (
      pair_id BLOB NOT NULL,
      sequence INTEGER,
      from_me INTEGER NOT NULL,
      sender_counter INTEGER NOT NULL,
      client_message_id BLOB NOT NULL,
      stored_at_ms INTEGER NOT NULL DEFAULT 0,
      created_at_ms INTEGER NOT NULL,
      header BLOB NOT NULL,
      ciphertext BLOB NOT NULL,
      envelope_hash BLOB NOT NULL,
      text BLOB,
      state INTEGER NOT NULL,
      kind INTEGER NOT NULL DEFAULT 0,
      UNIQUE (pair_id, from_me, client_message_id),
      UNIQUE (pair_id, from_me, sender_counter)
    );
    INSERT INTO v1 SELECT pair_id, sequence, from_me, sender_counter, client_message_id,
      stored_at_ms, created_at_ms, header, ciphertext, envelope_hash, text, state, kind
      FROM messages;
    DROP TABLE messages;
    ALTER TABLE v1 RENAME TO messages;
    CREATE UNIQUE INDEX messages_by_sequence ON messages (pair_id, sequence);
    PRAGMA user_version = 1;)";
  ASSERT_EQ(sqlite3_exec(db, downgrade, nullptr, nullptr, nullptr), SQLITE_OK)
      << sqlite3_errmsg(db);
  sqlite3_close(db);

  HistoryStore upgraded(path, key, pair_id);
  const auto msgs = upgraded.messages();
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0].text, "from partner");
  EXPECT_EQ(msgs[1].state, StoredMessage::State::kDeleted);
  EXPECT_EQ(msgs[1].text, "");
  EXPECT_EQ(msgs[2].text, "from me");
  EXPECT_TRUE(msgs[2].from_me);
  EXPECT_EQ(upgraded.chain_head(partner).counter, 2u);
  EXPECT_EQ(upgraded.chain_head(me).hash, "m1");
  EXPECT_EQ(upgraded.pending_outgoing().size(), 1u);
}

TEST_F(HistoryStoreTest, AFileFromANewerMendIsRefused) {
  const auto path = dir.path / "future.sqlite3";
  { HistoryStore fresh(path, key, pair_id); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  sqlite3_exec(db, "PRAGMA user_version = 99", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  try {
    HistoryStore s(path, key, pair_id);
    FAIL() << "opened a newer file";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Errc::kLocalStore);
    EXPECT_NE(std::string(e.what()).find("newer version"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace mend::client
