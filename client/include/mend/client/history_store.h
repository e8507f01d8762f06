#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mend/common/secret_bytes.h"

struct sqlite3;

namespace mend::client {

// One message of the pair as this device holds it.
struct StoredMessage {
  enum class State { kPending = 0, kStored = 1, kDeleted = 2 };
  enum class Kind { kText = 0, kKeyUpdate = 1 };  // a key update's text is a note for people
  uint64_t sequence = 0;                          // 0 while an outgoing message waits for its Ack
  bool from_me = false;
  uint64_t sender_counter = 0;
  std::string client_message_id;  // 16 bytes
  uint64_t stored_at_ms = 0;      // the relay's time; 0 while pending
  uint64_t created_at_ms = 0;     // this device's time of sending or receiving
  std::string text;               // decrypted (from the local store's encryption)
  State state = State::kPending;
  Kind kind = Kind::kText;
};

// An envelope exactly as it went, or will go, on the wire.
struct WireEnvelope {
  std::string client_message_id;
  std::string header;
  std::string ciphertext;
};

// The newest link of one sender's hash chain.
struct ChainHead {
  uint64_t counter = 0;  // 0: nothing yet
  std::string hash;      // envelope_hash of that envelope; empty if none (or unknown)
};

// Something received that failed a check (docs/PROTOCOL.md part II, "Receiving").
struct Problem {
  uint64_t at_ms = 0;
  uint64_t sequence = 0;
  std::string kind;  // "authentication", "replay", "fork", "gap", "wrong-sender", ...
  std::string detail;
};

// The local history of the pair: an SQLite file beside the keystore. Every message
// text is encrypted at rest (XChaCha20-Poly1305 under a key derived from the
// keystore's local store key); envelopes are kept as they travelled (already
// end-to-end encrypted) so that outgoing ones can be resent unchanged and incoming
// ones extend the partner's hash chain. Rows are scoped by pair id.
//
// Errors: Error(kLocalStore).
class HistoryStore {
 public:
  // `<keystore path>.history.sqlite3`.
  static std::filesystem::path path_beside(const std::filesystem::path& keystore_path);

  HistoryStore(const std::filesystem::path& path, const SecretBytes& local_store_key,
               std::string pair_id);
  ~HistoryStore();
  HistoryStore(const HistoryStore&) = delete;
  HistoryStore& operator=(const HistoryStore&) = delete;

  // The newest link of one sender device's chain (this device's own, the partner's,
  // or a replaced device's).
  ChainHead chain_head(std::string_view sender_device_id);
  // That sender's envelope hash at `counter`, if held.
  std::optional<std::string> hash_at(std::string_view sender_device_id, uint64_t counter);

  // -- sending --
  // Records an outgoing stored envelope before it is sent (state kPending).
  void add_outgoing(std::string_view own_device_id, uint64_t counter, const WireEnvelope& env,
                    std::string_view hash, std::string_view text,
                    StoredMessage::Kind kind = StoredMessage::Kind::kText);
  std::vector<WireEnvelope> pending_outgoing();
  void mark_acknowledged(std::string_view client_message_id, uint64_t sequence,
                         uint64_t stored_at_ms);

  // -- receiving --
  // The header and ciphertext held at `sequence`, if any.
  std::optional<WireEnvelope> envelope_at(uint64_t sequence);
  struct IncomingRow {
    uint64_t sequence = 0;
    uint64_t stored_at_ms = 0;
    std::string sender_device_id;  // 16 bytes
    bool from_me = false;          // written on one of this person's earlier devices
    uint64_t counter = 0;
  };
  void add_incoming(const IncomingRow& row, const WireEnvelope& env, std::string_view hash,
                    std::string_view text, StoredMessage::Kind kind = StoredMessage::Kind::kText);
  // The author deleted the message at `sequence`: its text is dropped.
  void mark_deleted(uint64_t sequence);
  // Where the delivery stream resumes (the highest sequence it has passed).
  uint64_t stream_position();
  void set_stream_position(uint64_t sequence);

  void add_problem(const Problem& p);
  std::vector<Problem> problems();

  // Oldest first by sequence; pending outgoing ones last.
  std::vector<StoredMessage> messages();

  // Deletes every row of this pair.
  void wipe_pair();

 private:
  std::string seal_text(std::string_view client_message_id, std::string_view text) const;
  std::string open_text(std::string_view client_message_id, std::string_view sealed) const;

  sqlite3* db_ = nullptr;
  SecretBytes content_key_;
  std::string pair_id_;
};

}  // namespace mend::client
