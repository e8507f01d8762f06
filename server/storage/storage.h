#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

// The storage interface: what mendd needs to keep, in the product's words.
// Implementations (sqlite_storage, later postgres_storage) are used from one
// thread at a time, the storage worker (commit_queue.h); nothing here knows a
// database type. Writes happen between begin_batch() and commit_batch(): that
// is the group commit.
namespace mend::server {

using Bytes = std::string;

struct PairMember {
  Bytes device_id;
  Bytes public_key;
};

struct PairRecord {
  Bytes pair_id;
  PairMember members[2];
  uint64_t last_sequence = 0;
};

// One entry of a pair's sequenced history.
struct StoredEvent {
  uint64_t sequence = 0;
  uint64_t stored_at_ms = 0;
  Bytes sender_device_id;
  bool is_tombstone = false;
  uint64_t deleted_sequence = 0;  // tombstones only
  bool deleted = false;           // messages only: tombstoned, ciphertext dropped
  Bytes header;                   // messages only
  Bytes ciphertext;               // messages only, empty once deleted
};

struct AppendRequest {
  Bytes pair_id;
  Bytes sender_device_id;
  Bytes client_message_id;
  Bytes header;
  Bytes ciphertext;
  uint64_t now_ms = 0;
};

enum class AppendStatus { stored, duplicate, no_pair };

struct AppendResult {
  AppendStatus status = AppendStatus::stored;
  uint64_t sequence = 0;
  uint64_t stored_at_ms = 0;
};

enum class TombstoneStatus { ok, not_found, forbidden, already_deleted, no_pair };

struct TombstoneResult {
  TombstoneStatus status = TombstoneStatus::ok;
  uint64_t tombstone_sequence = 0;
  uint64_t stored_at_ms = 0;
};

enum class CreatePairStatus { ok, already_paired };

// replace_member: `no_member` if the pair no longer has the device to replace.
enum class ReplaceStatus { ok, no_member, already_paired };

// A device's key backup: opaque to the server.
struct BackupRecord {
  Bytes blob;
  uint64_t stored_at_ms = 0;
};

enum class Durability { full, normal, off };

class Storage {
 public:
  virtual ~Storage() = default;

  // Stable random id of this data directory, created on first start.
  virtual Bytes server_id() = 0;

  virtual void begin_batch() = 0;
  virtual void commit_batch() = 0;
  virtual void rollback_batch() = 0;
  // Housekeeping that may take a while (SQLite: restarting the WAL), run by the
  // storage thread after a batch's completions have been handed back, so that
  // it delays no acknowledgement of that batch.
  virtual void after_batch() {}

  // Writes: only between begin_batch() and commit_batch().
  // no_pair also when the sender is no longer a member of the pair.
  virtual AppendResult append(const AppendRequest& req) = 0;
  virtual TombstoneResult tombstone(const Bytes& pair_id, const Bytes& requester, uint64_t sequence,
                                    uint64_t now_ms) = 0;
  virtual CreatePairStatus create_pair(const Bytes& pair_id, const PairMember& a,
                                       const PairMember& b, uint64_t now_ms) = 0;
  // Deletes the pair, its members, every event and every backup of it.
  virtual void delete_pair(const Bytes& pair_id) = 0;
  // Puts `replacement` in the place of member `old_device_id`, keeping the pair
  // id and its events; the old device's backup now belongs to the replacement.
  // Refused (no_member) unless both `staying_device_id` and `old_device_id` are
  // still the pair's members.
  virtual ReplaceStatus replace_member(const Bytes& pair_id, const Bytes& staying_device_id,
                                       const Bytes& old_device_id, const PairMember& replacement,
                                       uint64_t now_ms) = 0;
  // Whether the device is a member of the pair right now (also inside a batch,
  // where it sees the batch's own changes). append() and tombstone() check it
  // themselves: a device the network thread still believes paired may have been
  // replaced or unpaired by an earlier write of the same batch.
  virtual bool is_member(const Bytes& pair_id, const Bytes& device_id) = 0;
  // Stores the device's backup under `backup_id`, replacing its previous one.
  // false if the device is not a member of `pair_id` (any more), or the id is
  // taken by another device's backup.
  virtual bool put_backup(const Bytes& backup_id, const Bytes& pair_id, const Bytes& device_id,
                          const Bytes& blob, uint64_t now_ms) = 0;

  // Reads: outside a batch.
  virtual std::optional<PairRecord> find_pair_of(const Bytes& device_id) = 0;
  // Events with sequence > after, oldest first. Reading stops after `limit`
  // events, or after the event that takes the header and ciphertext bytes read
  // past `max_bytes` (so a page of large envelopes never sits whole in memory).
  virtual std::vector<StoredEvent> events_after(const Bytes& pair_id, uint64_t after,
                                                uint32_t limit, size_t max_bytes = SIZE_MAX) = 0;
  virtual std::optional<BackupRecord> fetch_backup(const Bytes& backup_id) = 0;
  // Events with sequence < before (0 = no bound), newest first; limits as above.
  virtual std::vector<StoredEvent> events_before(const Bytes& pair_id, uint64_t before,
                                                 uint32_t limit, size_t max_bytes = SIZE_MAX) = 0;
};

}  // namespace mend::server
