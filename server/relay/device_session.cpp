#include "relay/device_session.h"

#include <spdlog/spdlog.h>

#include "mend/common/auth_proof.h"
#include "mend/common/hex.h"
#include "mend/common/ids.h"
#include "mend/common/wall_clock.h"
#include "relay/outbound.h"
#include "relay/server_state.h"

namespace mend::server {

DeviceSession::DeviceSession(ServerState& state, Outbound& out) : state_(state), out_(&out) {}

DeviceSession::~DeviceSession() = default;

void DeviceSession::start() {
  nonce_ = random_bytes(kChallengeNonceBytes);
  const auto timeout = std::chrono::milliseconds(state_.config().auth_timeout_ms);
  challenge_expires_ = std::chrono::steady_clock::now() + timeout;
  v1::ServerFrame f = server_frame();
  auto* c = f.mutable_challenge();
  c->set_server_id(state_.server_id());
  c->set_nonce(nonce_);
  c->set_expires_at_ms(unix_ms() + static_cast<uint64_t>(timeout.count()));
  c->set_max_frame_bytes(state_.config().max_frame_bytes);
  send(f);
}

void DeviceSession::send(const v1::ServerFrame& frame) {
  if (out_ && !out_->closing()) out_->push(serialize(frame));
}

void DeviceSession::fail(uint32_t request_id, v1::ErrorCode code, std::string_view message) {
  if (out_ && !out_->closing()) out_->push(error_frame(request_id, code, message, false));
}

void DeviceSession::fatal(uint32_t request_id, v1::ErrorCode code, std::string_view message,
                          uint16_t close_code) {
  if (!out_ || out_->closing()) return;
  out_->push(error_frame(request_id, code, message, true));
  out_->close(close_code, message.substr(0, 120));
}

void DeviceSession::on_frame(std::string_view bytes) {
  if (gone()) return;
  Metrics& m = state_.metrics();
  ParsedFrame parsed;
  if (FrameError err = parse_client_frame(bytes, parsed)) {
    m.reject(err.code == v1::ERROR_CODE_UNSUPPORTED_VERSION ? Rejection::unsupported_version
                                                            : Rejection::malformed_frame);
    fatal(parsed.frame.request_id(), err.code, err.message, close_code::protocol_error);
    return;
  }
  const auto& f = parsed.frame;
  switch (phase_) {
    case Phase::challenged:
      if (f.body_case() != v1::ClientFrame::kAuthenticate) {
        m.reject(Rejection::not_authenticated);
        fatal(f.request_id(), v1::ERROR_CODE_NOT_AUTHENTICATED,
              "authenticate first: answer the challenge before any other frame",
              close_code::not_authenticated);
        return;
      }
      handle_authenticate(f.request_id(), f.authenticate());
      return;
    case Phase::verifying:
      m.reject(Rejection::unexpected_frame);
      fail(f.request_id(), v1::ERROR_CODE_UNEXPECTED_FRAME,
           "authentication is still being checked; wait for Authenticated");
      return;
    case Phase::authenticated: dispatch(parsed); return;
    case Phase::closed: return;
  }
}

void DeviceSession::handle_authenticate(uint32_t request_id, const v1::Authenticate& auth) {
  Metrics& m = state_.metrics();
  // The nonce is single use: whatever happens next, it cannot be answered again.
  const std::string nonce = std::exchange(nonce_, std::string());
  if (std::chrono::steady_clock::now() >= challenge_expires_) {
    m.reject(Rejection::auth_timeout);
    fatal(request_id, v1::ERROR_CODE_CHALLENGE_EXPIRED,
          "the challenge expired; reconnect and answer within the time limit",
          close_code::auth_timeout);
    return;
  }
  if (!verify_auth(auth.public_key(), auth.signature(), state_.server_id(), nonce)) {
    m.reject(Rejection::auth_failed);
    fatal(request_id, v1::ERROR_CODE_AUTH_FAILED,
          "the signature does not verify for this key, server and challenge",
          close_code::auth_failed);
    return;
  }
  public_key_ = auth.public_key();
  device_id_ = device_id_for(public_key_);
  accepts_batches_ = auth.accept_batches();
  phase_ = Phase::verifying;
  auto record = std::make_shared<std::optional<PairRecord>>();
  state_.storage().read([record, id = device_id_](Storage& s) { *record = s.find_pair_of(id); },
                        [self = shared_from_this(), request_id, record](bool ok) {
                          self->finish_authentication(request_id, ok, record);
                        });
}

void DeviceSession::finish_authentication(uint32_t request_id, bool ok,
                                          std::shared_ptr<void> erased) {
  if (gone()) return;
  if (!ok) {
    fatal(request_id, v1::ERROR_CODE_INTERNAL, "storage is unavailable; try again shortly",
          close_code::internal_error);
    return;
  }
  const auto& record = *std::static_pointer_cast<std::optional<PairRecord>>(erased);
  phase_ = Phase::authenticated;
  state_.attach(*this);
  if (accepts_batches_ && out_) out_->enable_batches();

  v1::ServerFrame f = server_frame(request_id);
  auto* a = f.mutable_authenticated();
  a->set_device_id(device_id_);
  if (record) {
    pair_id_ = record->pair_id;
    for (const auto& member : record->members)
      if (member.device_id != device_id_ && !member.device_id.empty()) {
        partner_id_ = member.device_id;
        a->set_partner_public_key(member.public_key);
      }
    a->set_pair_id(pair_id_);
    a->set_partner_device_id(partner_id_);
    a->set_last_sequence(record->last_sequence);
    if (DeviceSession* partner = state_.online(partner_id_)) {
      a->set_partner_online(true);
      state_.metrics().pairs_online.fetch_add(1, std::memory_order_relaxed);
      partner->partner_presence(true);
    }
  }
  send(f);
  spdlog::debug("device {} authenticated from {}", to_hex(device_id_).substr(0, 8),
                out_ ? out_->remote_ip() : "?");
}

void DeviceSession::dispatch(const ParsedFrame& parsed) {
  const auto& f = parsed.frame;
  const uint32_t rid = f.request_id();
  switch (f.body_case()) {
    case v1::ClientFrame::kAuthenticate:
      state_.metrics().reject(Rejection::unexpected_frame);
      fail(rid, v1::ERROR_CODE_ALREADY_AUTHENTICATED, "this connection is already authenticated");
      return;
    case v1::ClientFrame::kRequestPairingCode:
      handle_request_code(rid, f.request_pairing_code().replace_partner());
      return;
    case v1::ClientFrame::kRedeemPairingCode:
      handle_redeem(rid, f.redeem_pairing_code().code());
      return;
    case v1::ClientFrame::kPairingMessage:
      handle_pairing_message(rid, f.pairing_message().payload());
      return;
    case v1::ClientFrame::kSend: handle_send(rid, f.send().envelope(), parsed.header); return;
    case v1::ClientFrame::kSubscribe: handle_subscribe(rid, f.subscribe().after_sequence()); return;
    case v1::ClientFrame::kFetchHistory: handle_history(rid, f.fetch_history()); return;
    case v1::ClientFrame::kDeleteMessage: handle_delete(rid, f.delete_message().sequence()); return;
    case v1::ClientFrame::kUnpair: handle_unpair(rid); return;
    case v1::ClientFrame::kPutBackup: handle_put_backup(rid, f.put_backup()); return;
    case v1::ClientFrame::kFetchBackup: handle_fetch_backup(rid, f.fetch_backup().backup_id()); return;
    case v1::ClientFrame::BODY_NOT_SET: return;  // parse_client_frame refused it already
  }
}

bool DeviceSession::require_pair(uint32_t request_id) {
  if (!pair_id_.empty()) return true;
  fail(request_id, v1::ERROR_CODE_NOT_PAIRED, "this device is not paired; pair it first");
  return false;
}

void DeviceSession::on_auth_deadline() {
  if (phase_ != Phase::challenged) return;
  state_.metrics().reject(Rejection::auth_timeout);
  fatal(0, v1::ERROR_CODE_CHALLENGE_EXPIRED, "no answer to the challenge in time",
        close_code::auth_timeout);
}

void DeviceSession::replaced() {
  // Detached by attach() already; the new session announces itself to the partner.
  if (!partner_id_.empty() && state_.online(partner_id_))
    state_.metrics().pairs_online.fetch_sub(1, std::memory_order_relaxed);
  fatal(0, v1::ERROR_CODE_REPLACED,
        "another connection of this device took over; this one is closed", close_code::replaced);
  device_id_.clear();
  clear_pair();
  phase_ = Phase::closed;
}

void DeviceSession::on_closed() {
  if (phase_ == Phase::authenticated && state_.online(device_id_) == this) {
    if (!partner_id_.empty())
      if (DeviceSession* partner = state_.online(partner_id_)) {
        state_.metrics().pairs_online.fetch_sub(1, std::memory_order_relaxed);
        partner->partner_presence(false);
      }
    state_.detach(*this);
  }
  phase_ = Phase::closed;
  out_ = nullptr;
}

void DeviceSession::partner_presence(bool online) {
  if (gone()) return;
  v1::ServerFrame f = server_frame();
  f.mutable_presence()->set_partner_online(online);
  send(f);
}

}  // namespace mend::server
