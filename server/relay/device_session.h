#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "mend/v1/wire.pb.h"
#include "ops/token_bucket.h"
#include "pairing/rendezvous.h"
#include "relay/frame_codec.h"

namespace mend::server {

class Outbound;
class ServerState;

// One device's side of the protocol on one connection: challenge-response,
// pairing, relay, resume and history. It knows frames, not sockets; the
// transport feeds it whole messages and gives it an Outbound to answer on.
class DeviceSession : public std::enable_shared_from_this<DeviceSession> {
 public:
  DeviceSession(ServerState& state, Outbound& out);
  ~DeviceSession();

  // Sends the challenge. Called once the WebSocket handshake is done.
  void start();
  void on_frame(std::string_view bytes);
  // The outbound queue fell below its low watermark.
  void on_drained();
  // The auth deadline passed: closes the connection unless authenticated.
  void on_auth_deadline();
  // The connection is gone; nothing may be sent any more.
  void on_closed();
  // Another connection of the same device took over.
  void replaced();

  const std::string& device_id() const { return device_id_; }
  bool authenticated() const { return phase_ == Phase::authenticated; }

  // -- called by the partner's session and by storage completions --
  // A stored event of this device's pair was committed (offered in sequence order).
  void offer(uint64_t sequence, const std::string& sender, const std::string& deliver_frame);
  void deliver_ephemeral(const std::string& frame);
  void relay_pairing(std::string frame);
  void partner_presence(bool online);
  void paired(const std::string& pair_id, const std::string& partner_id,
              const std::string& partner_key, bool initiator, const std::string& code,
              uint32_t request_id = 0, const std::string& replaced_device_id = {});
  // request_id: set on the device whose Unpair this answers.
  void pair_ended(v1::PairEndReason reason, uint32_t request_id = 0);

 private:
  enum class Phase { challenged, verifying, authenticated, closed };
  enum class Stream { off, catching_up, lagging, live };

  void send(const v1::ServerFrame& frame);
  void fail(uint32_t request_id, v1::ErrorCode code, std::string_view message);
  void fatal(uint32_t request_id, v1::ErrorCode code, std::string_view message,
             uint16_t close_code);
  bool require_pair(uint32_t request_id);
  bool gone() const { return phase_ == Phase::closed; }

  // device_session.cpp
  void handle_authenticate(uint32_t request_id, const v1::Authenticate& auth);
  void finish_authentication(uint32_t request_id, bool ok, std::shared_ptr<void> record);
  void dispatch(const ParsedFrame& parsed);

  // session_pairing.cpp
  void handle_request_code(uint32_t request_id, bool replace_partner);
  void handle_redeem(uint32_t request_id, const std::string& code);
  void replace_partner_of(uint32_t request_id, const Rendezvous::Redemption& redemption,
                          const std::string& code);
  void reverify_with(uint32_t request_id, const Rendezvous::Redemption& redemption,
                     const std::string& code);
  void handle_pairing_message(uint32_t request_id, const std::string& payload);

  // session_relay.cpp
  void handle_send(uint32_t request_id, const v1::Envelope& envelope,
                   const v1::EnvelopeHeader& header);
  void handle_subscribe(uint32_t request_id, uint64_t after);
  void handle_history(uint32_t request_id, const v1::FetchHistory& fetch);
  void handle_delete(uint32_t request_id, uint64_t sequence);
  void handle_unpair(uint32_t request_id);

  // session_backup.cpp
  void handle_put_backup(uint32_t request_id, const v1::PutBackup& put);
  void handle_fetch_backup(uint32_t request_id, const std::string& backup_id);
  void catch_up();
  void clear_pair();

  ServerState& state_;
  Outbound* out_;
  Phase phase_ = Phase::challenged;
  std::string nonce_;
  std::chrono::steady_clock::time_point challenge_expires_;

  std::string device_id_;
  std::string public_key_;
  std::string pair_id_;
  std::string partner_id_;

  Stream stream_ = Stream::off;
  uint64_t delivered_upto_ = 0;  // highest sequence delivered or skipped (own)
  uint32_t stream_generation_ = 0;
  bool read_in_flight_ = false;
  bool dirty_ = false;  // events were offered while a catch-up read was running
  bool announce_caught_up_ = false;
  bool accepts_batches_ = false;  // Authenticate.accept_batches
  uint32_t subscribe_request_id_ = 0;
  uint32_t history_in_flight_ = 0;
};

}  // namespace mend::server
