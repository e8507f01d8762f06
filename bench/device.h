#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "load_client.h"
#include "mend/common/throwaway_identity.h"
#include "mend/v1/wire.pb.h"

// The mend protocol as the benchmark speaks it: identities, Send frames, and a
// device that authenticates, pairs, subscribes and then sends and receives
// stored envelopes on one Connection. Like a real client it answers the
// challenge with its own Ed25519 key; unlike one it does not encrypt (the server
// never looks inside the ciphertext, so its cost is the same).
namespace mend::bench {

using Identity = ThrowawayIdentity;

// Builds serialized ClientFrame{send{envelope}} frames of a fixed ciphertext
// size whose first 8 bytes carry a steady_clock timestamp. Reuses its protobuf
// objects so that building a frame costs a serialization, not allocations.
class SendFrameBuilder {
 public:
  SendFrameBuilder(size_t payload_bytes, std::string pair_id, std::string sender_id);
  std::string build(uint32_t request_id, int64_t stamp_ns);

 private:
  v1::EnvelopeHeader header_;
  v1::ClientFrame frame_;
  std::string header_bytes_;
  std::string payload_;
  std::string message_id_;  // 8 random bytes, then an 8-byte counter: unique without a syscall
  uint64_t counter_ = 0;
};

// The timestamp SendFrameBuilder put into a ciphertext (0 if it is too short).
int64_t stamp_of(std::string_view ciphertext);

class Device;

// What a phase hears from its devices.
class DeviceListener {
 public:
  virtual ~DeviceListener() = default;
  // Authenticated (idle role) or subscribed and caught up (paired roles).
  virtual void on_ready(Device&) {}
  virtual void on_pairing_code(Device&, const std::string& code) {}
  virtual void on_ack(Device&) {}
  virtual void on_delivery(Device&, int64_t stamp_ns) {}
  virtual void on_failure(Device&, const std::string& why) {}
};

class Device final : public Connection::Handler {
 public:
  enum class Role { idle, initiator, redeemer };
  enum class State { connecting, authenticating, pairing, subscribing, ready, failed };

  Device(Loop& loop, DeviceListener& listener, Role role, size_t payload_bytes, int index);

  void open(uint16_t port) { conn_.open(port, "/v1"); }
  // Redeemer: the initiator's code (kept until this device is authenticated).
  void redeem(const std::string& code);
  // Sends one stored envelope stamped `stamp_ns`; the window grows until its ack.
  void send_stored(int64_t stamp_ns);

  State state() const { return state_; }
  int index() const { return index_; }
  uint32_t unacked() const { return unacked_; }
  uint64_t sent() const { return sent_; }
  uint64_t delivered() const { return delivered_; }
  const std::string& failure() const { return failure_; }

  // Connection::Handler
  void on_open() override {}
  void on_message(std::string_view bytes) override;
  void on_closed(const std::string& why) override;

 private:
  void on_frame(const v1::ServerFrame& f);
  void fail(const std::string& why);
  v1::ClientFrame frame();
  void send(const v1::ClientFrame& f) { conn_.send(f.SerializeAsString()); }

  DeviceListener& listener_;
  Role role_;
  int index_;
  size_t payload_bytes_;
  Identity id_;
  State state_ = State::connecting;
  std::string pending_code_;
  std::string pair_id_, partner_id_;
  uint32_t next_request_ = 1;
  uint32_t unacked_ = 0;
  uint64_t sent_ = 0;
  uint64_t delivered_ = 0;
  std::string failure_;
  v1::ServerFrame incoming_;                   // reused: parsing then reuses its buffers
  std::unique_ptr<SendFrameBuilder> builder_;  // once paired
  Connection conn_;  // last: destroyed first, so no callback reaches a half-destroyed device
};

}  // namespace mend::bench
