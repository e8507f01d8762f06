#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace mend::client {

// What the relay sends, decoded from mend.v1.ServerFrame into plain structs. The
// decoding lives in one file (frame_decoder.cpp): if the relay starts batching
// deliveries or acks into one frame, only that file changes, because everything
// above it already handles one event per item.

struct ChallengeEvent {
  std::string server_id;  // 16 bytes
  std::string nonce;      // 32 bytes
  uint32_t max_frame_bytes = 0;
};

struct AuthenticatedEvent {
  uint32_t request_id = 0;
  std::string device_id;
  std::string pair_id;  // empty when not paired
  std::string partner_device_id;
  std::string partner_public_key;
  bool partner_online = false;
  uint64_t last_sequence = 0;
};

struct PairingCodeEvent {
  uint32_t request_id = 0;
  std::string code;
  uint64_t expires_at_ms = 0;
};

struct PairedEvent {
  uint32_t request_id = 0;
  std::string pair_id;
  std::string partner_device_id;
  std::string partner_public_key;
  bool initiator = false;
  std::string code;
  // Set when this pairing replaced a device of an existing pair (PROTOCOL.md 9.6):
  // the partner's previous device, which the new one took over from.
  std::string replaced_device_id;
};

struct PairingPayloadEvent {
  std::string payload;
};

struct AckEvent {
  uint32_t request_id = 0;
  std::string client_message_id;
  uint64_t sequence = 0;
  bool duplicate = false;
  uint64_t stored_at_ms = 0;
};

// One event of the pair's stream: a stored message (sequence >= 1), a tombstone, or an
// ephemeral envelope (sequence 0).
struct DeliveredEvent {
  uint64_t sequence = 0;
  uint64_t stored_at_ms = 0;
  std::string sender_device_id;
  bool deleted = false;
  bool is_tombstone = false;
  uint64_t deleted_sequence = 0;  // tombstones only
  std::string header;             // envelope header bytes, exactly as sent
  std::string ciphertext;
};

struct CaughtUpEvent {
  uint32_t request_id = 0;
  uint64_t last_sequence = 0;
};

struct PresenceEvent {
  bool partner_online = false;
};

struct PairEndedEvent {
  uint32_t request_id = 0;
  std::string pair_id;
  bool by_partner = false;
  bool device_replaced = false;  // the partner moved the pair to another device of ours
};

// Answer to PutBackup.
struct BackupStoredEvent {
  uint32_t request_id = 0;
  uint64_t stored_at_ms = 0;
};

// Answer to FetchBackup.
struct BackupEvent {
  uint32_t request_id = 0;
  std::string blob;
  uint64_t stored_at_ms = 0;
};

struct ServerErrorEvent {
  uint32_t request_id = 0;
  int code = 0;  // mend.v1.ErrorCode
  std::string message;
  bool fatal = false;
};

// Frames this client does not use (HistoryPage, Deleted) or does not know yet.
struct OtherEvent {
  uint32_t request_id = 0;
  int body = 0;  // the ServerFrame body field number
};

using ServerEvent =
    std::variant<ChallengeEvent, AuthenticatedEvent, PairingCodeEvent, PairedEvent,
                 PairingPayloadEvent, AckEvent, DeliveredEvent, CaughtUpEvent, PresenceEvent,
                 PairEndedEvent, ServerErrorEvent, BackupStoredEvent, BackupEvent, OtherEvent>;

// Decodes one WebSocket message from the relay into the events it carries (in order).
// Throws Error(kProtocolViolation) if it does not parse or has the wrong version.
std::vector<ServerEvent> decode_server_frame(std::string_view message);

// Error codes of mend.v1.ErrorCode that the client acts on.
namespace server_error {
inline constexpr int kNotPaired = 7;
inline constexpr int kAlreadyPaired = 8;
inline constexpr int kCodeNotFound = 9;
inline constexpr int kCodeExpired = 10;
inline constexpr int kCodeUsed = 11;
inline constexpr int kOwnCode = 12;
inline constexpr int kRateLimited = 13;
inline constexpr int kPartnerOffline = 14;
inline constexpr int kNotFound = 16;
inline constexpr int kForbidden = 17;
inline constexpr int kInternal = 21;
}  // namespace server_error

}  // namespace mend::client
