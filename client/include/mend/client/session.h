#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "mend/client/identity.h"
#include "mend/client/server_event.h"
#include "mend/client/transport.h"

namespace mend::client {

// One authenticated connection to the relay (docs/PROTOCOL.md), blocking with
// deadlines. Requests wait for their own answer (matched by request id); everything
// else the relay sends meanwhile (deliveries, presence, pairing payloads, Paired,
// PairEnded) waits in order for next_event().
//
// Errors are mend::client::Error: kServerUnreachable, kConnectionLost, kTimeout,
// kProtocolViolation, and for refused requests kNotPaired, kAlreadyPaired,
// kPairingCodeRefused or kServerRefused (the relay's message in the detail).
class Session {
 public:
  // Reads the Challenge, answers it with `identity`'s key (section 5) and waits for
  // Authenticated.
  static std::unique_ptr<Session> open(std::unique_ptr<Transport> transport,
                                       const DeviceIdentity& identity,
                                       std::chrono::milliseconds timeout);
  // connect_websocket(url) then open().
  static std::unique_ptr<Session> connect(const ServerUrl& url, const DeviceIdentity& identity,
                                          const TransportOptions& options = {});
  ~Session();

  const std::string& server_id() const { return server_id_; }
  const AuthenticatedEvent& authenticated() const { return authenticated_; }
  uint32_t max_frame_bytes() const { return max_frame_bytes_; }
  bool partner_online() const { return partner_online_; }

  // How long a request waits for its answer.
  void set_request_timeout(std::chrono::milliseconds t) { request_timeout_ = t; }

  // With `replace_partner`, a paired device asks for a code that moves the pair from
  // the partner's current (lost) device to the device that redeems it (9.6).
  PairingCodeEvent request_pairing_code(bool replace_partner = false);
  PairedEvent redeem_pairing_code(std::string_view code);
  // No answer on success; a refusal (PARTNER_OFFLINE...) arrives later as a
  // ServerErrorEvent with the returned request id.
  uint32_t send_pairing_message(std::string_view payload);
  // A stored envelope; waits for its Ack (a duplicate Ack counts as success).
  AckEvent send_stored(std::string_view header, std::string_view ciphertext);
  // An ephemeral envelope: no answer on success.
  uint32_t send_ephemeral(std::string_view header, std::string_view ciphertext);
  // Starts the delivery stream after `after_sequence`; returns the request id that
  // the CaughtUpEvent will carry.
  uint32_t subscribe(uint64_t after_sequence);
  PairEndedEvent unpair();
  // Stores this device's key backup (section 14a), replacing its previous one.
  // Refusals: kNotPaired; kServerRefused (an id another device uses, a blob too big).
  BackupStoredEvent put_backup(std::string_view backup_id, std::string_view blob);
  // Reads a backup by its id. Throws Error(kNoBackup) if the relay has none.
  BackupEvent fetch_backup(std::string_view backup_id);

  // The next unsolicited event, or nullopt after `timeout`. A fatal ServerErrorEvent
  // is returned like any other; the connection is gone after it.
  std::optional<ServerEvent> next_event(std::chrono::milliseconds timeout);

  void close();

 private:
  explicit Session(std::unique_ptr<Transport> transport);
  // Reads until an event answers `request_id` (or a fatal error comes, or an event
  // that `also` accepts); queues the rest.
  ServerEvent await_answer(uint32_t request_id,
                           const std::function<bool(const ServerEvent&)>& also = {});
  void receive_into_queue(std::chrono::milliseconds timeout);
  void note(const ServerEvent& e);

  std::unique_ptr<Transport> transport_;
  std::deque<ServerEvent> queue_;
  std::string server_id_;
  uint32_t max_frame_bytes_ = 0;
  AuthenticatedEvent authenticated_;
  bool partner_online_ = false;
  uint32_t next_request_ = 1;
  std::chrono::milliseconds request_timeout_{15000};
};

// Maps a relay error answering a request to a client Error (see Session).
[[noreturn]] void throw_server_error(const ServerErrorEvent& e);

}  // namespace mend::client
