#include "storage/sqlite_storage.h"

#include <sqlite3.h>

#include <array>
#include <unordered_map>

#include "mend/common/ids.h"
#include "storage/data_dir_lock.h"
#include "storage/sqlite_checkpointer.h"
#include "storage/sqlite_statements.h"
#include "storage/sqlite_writer.h"

namespace mend::server {

namespace {

using sqlite::Statement;
using sqlite::Statements;

class SqliteStorage final : public Storage {
 public:
  SqliteStorage(const std::filesystem::path& file, Durability durability)
      : db_(sqlite::open_writer(file, durability)) {
    try {
      prepare();
      checkpointer_ = std::make_unique<sqlite::Checkpointer>(file);
      checkpointer_->watch(db_);
    } catch (...) {
      statements_.reset();
      sqlite3_close_v2(db_);
      throw;
    }
  }

  void keep(std::unique_ptr<DataDirLock> lock) { lock_ = std::move(lock); }

  ~SqliteStorage() override {
    checkpointer_.reset();
    statements_.reset();
    // Leave a compact database behind: copy the WAL back and truncate it.
    sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    sqlite3_close_v2(db_);
  }

  Bytes server_id() override {
    auto& s = *statements_;
    s.get_meta.reset().bind(1, std::string_view("server_id"));
    if (s.get_meta.step()) {
      Bytes id = s.get_meta.blob(0);
      s.reset_all();
      return id;
    }
    Bytes id = random_bytes(kServerIdBytes);
    s.put_meta.reset().bind(1, std::string_view("server_id")).bind(2, id).step();
    s.reset_all();
    return id;
  }

  void begin_batch() override { sqlite::exec(db_, "BEGIN IMMEDIATE"); }
  void commit_batch() override {
    statements_->reset_all();
    sqlite::exec(db_, "COMMIT");
  }
  void after_batch() override { checkpointer_->restart_if_due(db_); }
  void rollback_batch() override {
    // Sequence numbers handed out in the failed batch were never stored.
    next_sequence_.clear();
    members_.clear();
    statements_->reset_all();
    sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
  }

  AppendResult append(const AppendRequest& req) override {
    auto& s = *statements_;
    AppendResult result;
    auto next = next_sequence_for(req.pair_id);
    if (!next || !is_member(req.pair_id, req.sender_device_id)) {
      result.status = AppendStatus::no_pair;
      return result;
    }
    s.insert_event.reset()
        .bind(1, req.pair_id)
        .bind(2, *next)
        .bind(3, req.sender_device_id)
        .bind(4, req.client_message_id)
        .bind(5, req.header)
        .bind(6, req.ciphertext)
        .bind(7, req.now_ms);
    s.insert_event.step();
    if (sqlite3_changes(db_) == 1) {
      next_sequence_[req.pair_id] = *next + 1;
      result.sequence = *next;
      result.stored_at_ms = req.now_ms;
      return result;
    }
    // The unique index on (pair, sender, client message id) refused it: a resend.
    s.find_by_client_id.reset()
        .bind(1, req.pair_id)
        .bind(2, req.sender_device_id)
        .bind(3, req.client_message_id);
    if (!s.find_by_client_id.step()) throw std::runtime_error("append: conflict without a row");
    result.status = AppendStatus::duplicate;
    result.sequence = static_cast<uint64_t>(s.find_by_client_id.int64(0));
    result.stored_at_ms = static_cast<uint64_t>(s.find_by_client_id.int64(1));
    s.find_by_client_id.reset();
    return result;
  }

  TombstoneResult tombstone(const Bytes& pair_id, const Bytes& requester, uint64_t sequence,
                            uint64_t now_ms) override {
    auto& s = *statements_;
    TombstoneResult result;
    if (!is_member(pair_id, requester)) {
      result.status = TombstoneStatus::no_pair;
      return result;
    }
    s.find_event.reset().bind(1, pair_id).bind(2, sequence);
    if (!s.find_event.step()) {
      result.status = TombstoneStatus::not_found;
      return result;
    }
    const bool is_tombstone = !s.find_event.is_null(2);
    const bool is_author = s.find_event.blob(0) == requester;
    const bool was_deleted = s.find_event.int64(1) != 0;
    s.find_event.reset();
    if (is_tombstone || !is_author) {
      result.status = TombstoneStatus::forbidden;
      return result;
    }
    if (was_deleted) {
      result.status = TombstoneStatus::already_deleted;
      return result;
    }
    auto next = next_sequence_for(pair_id);
    if (!next) {
      result.status = TombstoneStatus::not_found;
      return result;
    }
    s.mark_deleted.reset().bind(1, pair_id).bind(2, sequence).step();
    s.insert_tombstone.reset()
        .bind(1, pair_id)
        .bind(2, *next)
        .bind(3, requester)
        .bind(4, sequence)
        .bind(5, now_ms)
        .step();
    next_sequence_[pair_id] = *next + 1;
    result.tombstone_sequence = *next;
    result.stored_at_ms = now_ms;
    return result;
  }

  CreatePairStatus create_pair(const Bytes& pair_id, const PairMember& a, const PairMember& b,
                               uint64_t now_ms) override {
    auto& s = *statements_;
    for (const PairMember* m : {&a, &b}) {
      s.find_member.reset().bind(1, m->device_id);
      if (s.find_member.step()) {
        s.find_member.reset();
        return CreatePairStatus::already_paired;
      }
    }
    s.insert_pair.reset().bind(1, pair_id).bind(2, now_ms).step();
    for (const PairMember* m : {&a, &b})
      s.insert_member.reset()
          .bind(1, m->device_id)
          .bind(2, pair_id)
          .bind(3, m->public_key)
          .bind(4, now_ms)
          .step();
    next_sequence_[pair_id] = 1;
    members_[pair_id] = {a.device_id, b.device_id};
    return CreatePairStatus::ok;
  }

  void delete_pair(const Bytes& pair_id) override {
    auto& s = *statements_;
    s.delete_backups.reset().bind(1, pair_id).step();
    s.delete_events.reset().bind(1, pair_id).step();
    s.delete_members.reset().bind(1, pair_id).step();
    s.delete_pair.reset().bind(1, pair_id).step();
    next_sequence_.erase(pair_id);
    members_.erase(pair_id);
  }

  ReplaceStatus replace_member(const Bytes& pair_id, const Bytes& staying_device_id,
                               const Bytes& old_device_id, const PairMember& replacement,
                               uint64_t now_ms) override {
    if (pair_of(replacement.device_id)) return ReplaceStatus::already_paired;
    if (staying_device_id == old_device_id || !is_member(pair_id, staying_device_id) ||
        !is_member(pair_id, old_device_id))
      return ReplaceStatus::no_member;
    auto& s = *statements_;
    s.delete_member.reset().bind(1, old_device_id).step();
    s.insert_member.reset()
        .bind(1, replacement.device_id)
        .bind(2, pair_id)
        .bind(3, replacement.public_key)
        .bind(4, now_ms)
        .step();
    s.move_backup.reset().bind(1, old_device_id).bind(2, replacement.device_id).step();
    s.reset_all();
    members_[pair_id] = {staying_device_id, replacement.device_id};
    return ReplaceStatus::ok;
  }

  bool put_backup(const Bytes& backup_id, const Bytes& pair_id, const Bytes& device_id,
                  const Bytes& blob, uint64_t now_ms) override {
    if (!is_member(pair_id, device_id)) return false;
    auto& s = *statements_;
    // Refuse an id another device's backup uses before touching this device's one.
    s.backup_owner.reset().bind(1, backup_id);
    const bool taken = s.backup_owner.step() && s.backup_owner.blob(0) != device_id;
    s.backup_owner.reset();
    if (taken) return false;
    s.delete_backup_of.reset().bind(1, device_id).step();
    s.put_backup.reset()
        .bind(1, backup_id)
        .bind(2, pair_id)
        .bind(3, device_id)
        .bind(4, blob)
        .bind(5, now_ms)
        .step();
    const bool stored = sqlite3_changes(db_) == 1;
    s.reset_all();
    return stored;
  }

  std::optional<BackupRecord> fetch_backup(const Bytes& backup_id) override {
    auto& q = statements_->fetch_backup;
    q.reset().bind(1, backup_id);
    std::optional<BackupRecord> out;
    if (q.step()) out = BackupRecord{q.blob(0), static_cast<uint64_t>(q.int64(1))};
    q.reset();
    return out;
  }

  std::optional<PairRecord> find_pair_of(const Bytes& device_id) override {
    auto& s = *statements_;
    s.find_member.reset().bind(1, device_id);
    if (!s.find_member.step()) {
      s.reset_all();
      return std::nullopt;
    }
    PairRecord rec;
    rec.pair_id = s.find_member.blob(0);
    s.members_of.reset().bind(1, rec.pair_id);
    int i = 0;
    while (s.members_of.step() && i < 2) {
      rec.members[i].device_id = s.members_of.blob(0);
      rec.members[i].public_key = s.members_of.blob(1);
      ++i;
    }
    s.max_sequence.reset().bind(1, rec.pair_id);
    if (s.max_sequence.step()) rec.last_sequence = static_cast<uint64_t>(s.max_sequence.int64(0));
    s.reset_all();
    return rec;
  }

  std::vector<StoredEvent> events_after(const Bytes& pair_id, uint64_t after, uint32_t limit,
                                        size_t max_bytes) override {
    auto& q = statements_->events_after;
    q.reset().bind(1, pair_id).bind(2, after).bind(3, static_cast<int64_t>(limit));
    return collect(q, max_bytes);
  }

  std::vector<StoredEvent> events_before(const Bytes& pair_id, uint64_t before, uint32_t limit,
                                         size_t max_bytes) override {
    auto& q = statements_->events_before;
    const uint64_t bound = before == 0 ? static_cast<uint64_t>(INT64_MAX) : before;
    q.reset().bind(1, pair_id).bind(2, bound).bind(3, static_cast<int64_t>(limit));
    return collect(q, max_bytes);
  }

 private:
  void prepare() { statements_ = std::make_unique<Statements>(db_); }

  bool is_member(const Bytes& pair_id, const Bytes& device_id) override {
    auto it = members_.find(pair_id);
    if (it == members_.end()) {
      auto& q = statements_->members_of;
      q.reset().bind(1, pair_id);
      std::array<Bytes, 2> found;
      for (size_t i = 0; i < 2 && q.step(); ++i) found[i] = q.blob(0);
      q.reset();
      if (found[0].empty()) return false;  // no such pair
      it = members_.emplace(pair_id, std::move(found)).first;
    }
    return !device_id.empty() && (it->second[0] == device_id || it->second[1] == device_id);
  }

  // The pair a device belongs to, if any.
  std::optional<Bytes> pair_of(const Bytes& device_id) {
    auto& q = statements_->find_member;
    q.reset().bind(1, device_id);
    std::optional<Bytes> out;
    if (q.step()) out = q.blob(0);
    q.reset();
    return out;
  }

  // The next free sequence of a pair, or nullopt if the pair does not exist (any more).
  std::optional<uint64_t> next_sequence_for(const Bytes& pair_id) {
    if (auto it = next_sequence_.find(pair_id); it != next_sequence_.end()) return it->second;
    auto& s = *statements_;
    s.pair_exists.reset().bind(1, pair_id);
    const bool exists = s.pair_exists.step();
    s.pair_exists.reset();
    if (!exists) return std::nullopt;
    s.max_sequence.reset().bind(1, pair_id);
    uint64_t last = s.max_sequence.step() ? static_cast<uint64_t>(s.max_sequence.int64(0)) : 0;
    s.max_sequence.reset();
    next_sequence_[pair_id] = last + 1;
    return last + 1;
  }

  static std::vector<StoredEvent> collect(Statement& q, size_t max_bytes) {
    std::vector<StoredEvent> out;
    size_t bytes = 0;
    while (bytes <= max_bytes && q.step()) {
      StoredEvent e;
      e.sequence = static_cast<uint64_t>(q.int64(0));
      e.stored_at_ms = static_cast<uint64_t>(q.int64(1));
      e.sender_device_id = q.blob(2);
      if (!q.is_null(3)) {
        e.is_tombstone = true;
        e.deleted_sequence = static_cast<uint64_t>(q.int64(3));
      } else {
        e.deleted = q.int64(4) != 0;
        e.header = q.blob(5);
        e.ciphertext = q.blob(6);
      }
      bytes += e.header.size() + e.ciphertext.size();
      out.push_back(std::move(e));
    }
    q.reset();
    return out;
  }

  sqlite3* db_ = nullptr;
  std::unique_ptr<Statements> statements_;
  std::unique_ptr<sqlite::Checkpointer> checkpointer_;
  std::unique_ptr<DataDirLock> lock_;  // released last, after the database is closed
  std::unordered_map<Bytes, uint64_t> next_sequence_;
  std::unordered_map<Bytes, std::array<Bytes, 2>> members_;  // the storage thread's view
};

}  // namespace

std::unique_ptr<Storage> open_sqlite_storage(const std::filesystem::path& data_dir,
                                             Durability durability) {
  std::error_code ec;
  std::filesystem::create_directories(data_dir, ec);
  if (ec)
    throw std::runtime_error("cannot create data directory " + data_dir.string() + ": " +
                             ec.message());
  auto lock = std::make_unique<DataDirLock>(data_dir);
  // Absolute, so that SQLite never reads a path beginning with "file:" as a URI
  // (whose parameters could change how it syncs).
  auto storage = std::make_unique<SqliteStorage>(
      std::filesystem::absolute(data_dir / "mendd.sqlite3"), durability);
  storage->keep(std::move(lock));
  return storage;
}

}  // namespace mend::server
