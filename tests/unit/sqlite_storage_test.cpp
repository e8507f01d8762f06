#include "storage/sqlite_storage.h"

#include <gtest/gtest.h>

#include <thread>

#include "storage/sqlite_checkpointer.h"
#include "temp_dir.h"

namespace mend::server {
namespace {

using mend::test::TempDir;

struct SqliteStorageTest : ::testing::Test {
  TempDir dir;
  std::unique_ptr<Storage> db = open_sqlite_storage(dir.path, Durability::full);
  const Bytes pair = Bytes(16, 'P');
  const PairMember a{Bytes(16, 'a'), Bytes(32, 'A')};
  const PairMember b{Bytes(16, 'b'), Bytes(32, 'B')};

  void SetUp() override {
    db->begin_batch();
    ASSERT_EQ(db->create_pair(pair, a, b, 1000), CreatePairStatus::ok);
    db->commit_batch();
  }

  AppendResult append(const Bytes& sender, const Bytes& cmid, const Bytes& body) {
    db->begin_batch();
    auto r = db->append(AppendRequest{pair, sender, cmid, "hdr", body, 2000});
    db->commit_batch();
    return r;
  }
};

TEST_F(SqliteStorageTest, SequencesIncreaseAndResendsAreDuplicates) {
  EXPECT_EQ(append(a.device_id, "m1", "x").sequence, 1u);
  EXPECT_EQ(append(b.device_id, "m1", "y").sequence, 2u) << "ids are per sender";
  const auto dup = append(a.device_id, "m1", "x");
  EXPECT_EQ(dup.status, AppendStatus::duplicate);
  EXPECT_EQ(dup.sequence, 1u);
  EXPECT_EQ(append(a.device_id, "m2", "z").sequence, 3u) << "a duplicate uses no sequence";
}

TEST_F(SqliteStorageTest, SequencesContinueAfterReopen) {
  append(a.device_id, "m1", "x");
  append(a.device_id, "m2", "x");
  db.reset();
  db = open_sqlite_storage(dir.path, Durability::full);
  EXPECT_EQ(append(a.device_id, "m3", "x").sequence, 3u);
  const auto rec = db->find_pair_of(b.device_id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->pair_id, pair);
  EXPECT_EQ(rec->last_sequence, 3u);
}

TEST_F(SqliteStorageTest, ServerIdIsStable) {
  const Bytes id = db->server_id();
  EXPECT_EQ(id.size(), 16u);
  db.reset();
  db = open_sqlite_storage(dir.path, Durability::normal);
  EXPECT_EQ(db->server_id(), id);
}

TEST_F(SqliteStorageTest, RolledBackBatchLeavesNoTraceAndNoSequenceHole) {
  db->begin_batch();
  db->append(AppendRequest{pair, a.device_id, "m1", "h", "gone", 1});
  db->rollback_batch();
  EXPECT_TRUE(db->events_after(pair, 0, 10).empty());
  EXPECT_EQ(append(a.device_id, "m2", "kept").sequence, 1u);
}

TEST_F(SqliteStorageTest, TombstoneRules) {
  append(a.device_id, "m1", "secret");
  db->begin_batch();
  EXPECT_EQ(db->tombstone(pair, b.device_id, 1, 5).status, TombstoneStatus::forbidden);
  EXPECT_EQ(db->tombstone(pair, a.device_id, 9, 5).status, TombstoneStatus::not_found);
  const auto t = db->tombstone(pair, a.device_id, 1, 5);
  EXPECT_EQ(t.status, TombstoneStatus::ok);
  EXPECT_EQ(t.tombstone_sequence, 2u);
  EXPECT_EQ(db->tombstone(pair, a.device_id, 1, 6).status, TombstoneStatus::already_deleted);
  EXPECT_EQ(db->tombstone(pair, a.device_id, 2, 6).status, TombstoneStatus::forbidden)
      << "a tombstone cannot be deleted";
  db->commit_batch();
  const auto events = db->events_after(pair, 0, 10);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].deleted);
  EXPECT_TRUE(events[0].ciphertext.empty());
  EXPECT_EQ(events[0].header, "hdr");
  EXPECT_TRUE(events[1].is_tombstone);
  EXPECT_EQ(events[1].deleted_sequence, 1u);
}

TEST_F(SqliteStorageTest, ReadsPageBothWays) {
  for (int i = 1; i <= 7; ++i)
    append(a.device_id, "m" + std::to_string(i), "b" + std::to_string(i));
  auto fwd = db->events_after(pair, 2, 3);
  ASSERT_EQ(fwd.size(), 3u);
  EXPECT_EQ(fwd[0].sequence, 3u);
  EXPECT_EQ(fwd[2].ciphertext, "b5");
  auto back = db->events_before(pair, 0, 3);
  ASSERT_EQ(back.size(), 3u);
  EXPECT_EQ(back[0].sequence, 7u);
  EXPECT_EQ(back[2].sequence, 5u);
  back = db->events_before(pair, 3, 10);
  ASSERT_EQ(back.size(), 2u);
  EXPECT_EQ(back[1].sequence, 1u);
}

TEST_F(SqliteStorageTest, ReadsStopAtTheByteBudget) {
  const std::string big(1000, 'x');
  for (int i = 1; i <= 10; ++i) append(a.device_id, "m" + std::to_string(i), big);
  // Each event is 3 + 1000 bytes; the read stops after the one that passes 2500.
  EXPECT_EQ(db->events_after(pair, 0, 100, 2500).size(), 3u);
  EXPECT_EQ(db->events_before(pair, 0, 100, 2500).size(), 3u);
  EXPECT_EQ(db->events_after(pair, 0, 100, 10).size(), 1u) << "always at least one";
  EXPECT_EQ(db->events_after(pair, 0, 100).size(), 10u);
}

TEST_F(SqliteStorageTest, WalIsCheckpointedAndKeptBounded) {
  // Regression: the checkpoint thread's connection did nothing (it had not
  // learned the database was in WAL mode), and the WAL grew without limit.
  // Then: ~180 MB of appends, as the storage thread runs them (after_batch()
  // between batches), must restart the WAL rather than grow it past the point
  // where the writer forces a restart (1 KiB pages, 24-byte frame headers).
  const std::string body(900, 'w');
  uint64_t n = 0;
  for (int batch = 0; batch < 1000; ++batch) {
    db->begin_batch();
    for (int i = 0; i < 200; ++i, ++n)
      db->append(AppendRequest{pair, a.device_id, "id" + std::to_string(n), "hdr", body, 1});
    db->commit_batch();
    db->after_batch();
    if (batch % 10 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto file = dir.path / "mendd.sqlite3";
  EXPECT_GT(std::filesystem::file_size(file), 150u << 20) << "the database received checkpoints";
  // The restart waits for the end of a batch (200 rows here, a few hundred frames).
  const uint64_t bound = (sqlite::Checkpointer::kForceFrames + 8192ull) * (1024 + 24);
  EXPECT_LT(std::filesystem::file_size(file.string() + "-wal"), bound)
      << "the WAL restarts instead of growing with every commit";
}

TEST_F(SqliteStorageTest, ADeviceBelongsToOnePair) {
  db->begin_batch();
  EXPECT_EQ(db->create_pair(Bytes(16, 'Q'), a, PairMember{Bytes(16, 'c'), Bytes(32, 'C')}, 1),
            CreatePairStatus::already_paired);
  db->commit_batch();
  EXPECT_FALSE(db->find_pair_of(Bytes(16, 'c')));
}

TEST_F(SqliteStorageTest, DeletePairRemovesEverything) {
  append(a.device_id, "m1", "x");
  db->begin_batch();
  db->delete_pair(pair);
  const auto after = db->append(AppendRequest{pair, a.device_id, "m2", "h", "late", 1});
  db->commit_batch();
  EXPECT_EQ(after.status, AppendStatus::no_pair);
  EXPECT_TRUE(db->events_after(pair, 0, 10).empty());
  EXPECT_FALSE(db->find_pair_of(a.device_id));
  EXPECT_FALSE(db->find_pair_of(b.device_id));
}

TEST_F(SqliteStorageTest, ReplacingAMemberKeepsThePairItsEventsAndTheBackup) {
  append(b.device_id, "m1", "from b");
  db->begin_batch();
  ASSERT_TRUE(db->put_backup(Bytes(32, 'k'), pair, b.device_id, "blob", 3000));
  const PairMember n{Bytes(16, 'n'), Bytes(32, 'N')};
  EXPECT_EQ(db->replace_member(pair, a.device_id, b.device_id, n, 4000), ReplaceStatus::ok);
  // Replacing again, or with a paired device, or by a device no longer in the pair, is refused.
  const PairMember x{Bytes(16, 'x'), Bytes(32, 'X')};
  EXPECT_EQ(db->replace_member(pair, a.device_id, b.device_id, x, 1), ReplaceStatus::no_member);
  EXPECT_EQ(db->replace_member(pair, n.device_id, a.device_id, n, 1),
            ReplaceStatus::already_paired);
  EXPECT_EQ(db->replace_member(pair, b.device_id, a.device_id, x, 1), ReplaceStatus::no_member);
  EXPECT_EQ(db->replace_member(pair, a.device_id, a.device_id, x, 1), ReplaceStatus::no_member);
  // The replaced device can no longer write to the pair, even in the same batch.
  EXPECT_EQ(db->append(AppendRequest{pair, b.device_id, "m2", "h", "late", 1}).status,
            AppendStatus::no_pair);
  EXPECT_EQ(db->tombstone(pair, b.device_id, 1, 1).status, TombstoneStatus::no_pair);
  EXPECT_FALSE(db->is_member(pair, b.device_id));
  EXPECT_TRUE(db->is_member(pair, n.device_id));
  db->commit_batch();
  EXPECT_FALSE(db->find_pair_of(b.device_id));
  const auto rec = db->find_pair_of(n.device_id);
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->pair_id, pair);
  EXPECT_EQ(rec->last_sequence, 1u);
  EXPECT_EQ(db->events_after(pair, 0, 10).at(0).sender_device_id, b.device_id);
  EXPECT_EQ(db->fetch_backup(Bytes(32, 'k'))->blob, "blob");
  // The backup now belongs to n: n's next backup replaces it.
  db->begin_batch();
  EXPECT_TRUE(db->put_backup(Bytes(32, 'l'), pair, n.device_id, "newer", 5000));
  db->commit_batch();
  EXPECT_FALSE(db->fetch_backup(Bytes(32, 'k')));
}

TEST_F(SqliteStorageTest, BackupsNeedMembershipAndAFreeIdAndGoWithThePair) {
  db->begin_batch();
  EXPECT_TRUE(db->put_backup(Bytes(32, '1'), pair, a.device_id, "a", 1));
  EXPECT_TRUE(db->put_backup(Bytes(32, '5'), pair, b.device_id, "b's", 1));
  EXPECT_FALSE(db->put_backup(Bytes(32, '1'), pair, b.device_id, "b", 1)) << "id taken";
  EXPECT_EQ(db->fetch_backup(Bytes(32, '5'))->blob, "b's") << "a refused put keeps the old one";
  EXPECT_FALSE(db->put_backup(Bytes(32, '2'), pair, Bytes(16, 'z'), "z", 1)) << "not a member";
  EXPECT_FALSE(db->put_backup(Bytes(32, '3'), Bytes(16, 'Q'), a.device_id, "a", 1))
      << "member of another pair";
  EXPECT_TRUE(db->put_backup(Bytes(32, '4'), pair, b.device_id, "b", 1));
  db->commit_batch();
  EXPECT_EQ(db->fetch_backup(Bytes(32, '1'))->stored_at_ms, 1u);
  db->begin_batch();
  db->delete_pair(pair);
  db->commit_batch();
  EXPECT_FALSE(db->fetch_backup(Bytes(32, '1')));
  EXPECT_FALSE(db->fetch_backup(Bytes(32, '4')));
}

}  // namespace
}  // namespace mend::server
