// Pairing frames of DeviceSession: rendezvous codes and the relay of the
// clients' pairing handshake.
#include <spdlog/spdlog.h>

#include "mend/common/ids.h"
#include "mend/common/wall_clock.h"
#include "relay/device_session.h"
#include "relay/outbound.h"
#include "relay/server_state.h"

namespace mend::server {

void DeviceSession::handle_request_code(uint32_t rid, bool replace_partner) {
  if (replace_partner && pair_id_.empty()) {
    fail(rid, v1::ERROR_CODE_NOT_PAIRED,
         "only a paired device can ask for a code to replace its partner's device");
    return;
  }
  if (!replace_partner && !pair_id_.empty()) {
    fail(rid, v1::ERROR_CODE_ALREADY_PAIRED,
         "this device is already paired; unpair before pairing again");
    return;
  }
  if (!state_.pairing_attempt_allowed(out_->remote_ip())) {
    state_.metrics().reject(Rejection::pairing_rate_limited);
    fail(rid, v1::ERROR_CODE_RATE_LIMITED, "too many pairing attempts; wait a minute and retry");
    return;
  }
  Rendezvous& rv = state_.rendezvous();
  if (rv.size() > 1000) rv.prune();
  std::optional<Rendezvous::Replacement> replacement;
  if (replace_partner) replacement = Rendezvous::Replacement{pair_id_, partner_id_};
  const auto issued = rv.issue(device_id_, public_key_, Rendezvous::Clock::now(), replacement);
  v1::ServerFrame f = server_frame(rid);
  f.mutable_pairing_code()->set_code(issued.code);
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      issued.expires_at - std::chrono::steady_clock::now());
  f.mutable_pairing_code()->set_expires_at_ms(unix_ms() + static_cast<uint64_t>(left.count()));
  send(f);
}

void DeviceSession::handle_redeem(uint32_t rid, const std::string& code) {
  if (!state_.pairing_attempt_allowed(out_->remote_ip())) {
    state_.metrics().reject(Rejection::pairing_rate_limited);
    fail(rid, v1::ERROR_CODE_RATE_LIMITED, "too many pairing attempts; wait a minute and retry");
    return;
  }
  const auto r = state_.rendezvous().redeem(code, device_id_);
  using O = Rendezvous::Outcome;
  switch (r.outcome) {
    case O::not_found:
      fail(rid, v1::ERROR_CODE_CODE_NOT_FOUND,
           "no such pairing code; check the spelling with your partner");
      return;
    case O::expired:
      fail(rid, v1::ERROR_CODE_CODE_EXPIRED,
           "this pairing code has expired; ask your partner for a new one");
      return;
    case O::used:
      fail(rid, v1::ERROR_CODE_CODE_USED,
           "this pairing code was already used: a pair has exactly two devices");
      return;
    case O::own_code:
      fail(rid, v1::ERROR_CODE_OWN_CODE,
           "this is this device's own code; enter it on your partner's device");
      return;
    case O::ok: break;
  }
  if (!pair_id_.empty()) {
    // A paired device redeems only a code that replaces itself in its own pair: its
    // partner verifies it again after a replacement whose verification failed.
    if (r.replacement && r.replacement->pair_id == pair_id_ &&
        r.replacement->old_device_id == device_id_ && r.initiator_device_id == partner_id_) {
      reverify_with(rid, r, code);
      return;
    }
    state_.rendezvous().release(code);
    fail(rid, v1::ERROR_CODE_ALREADY_PAIRED,
         "this device is already paired; unpair before pairing again");
    return;
  }
  if (r.replacement) {
    replace_partner_of(rid, r, code);
    return;
  }

  const std::string pair_id = random_bytes(kPairIdBytes);
  const PairMember initiator{r.initiator_device_id, r.initiator_public_key};
  const PairMember redeemer{device_id_, public_key_};
  auto status = std::make_shared<CreatePairStatus>(CreatePairStatus::ok);
  state_.storage().write(
      [=](Storage& s) { *status = s.create_pair(pair_id, initiator, redeemer, unix_ms()); },
      [self = shared_from_this(), rid, status, pair_id, initiator, code](bool ok) {
        ServerState& st = self->state_;
        if (!ok || *status != CreatePairStatus::ok) {
          st.rendezvous().release(code);
          if (!ok)
            self->fail(rid, v1::ERROR_CODE_INTERNAL, "storage is unavailable; try again shortly");
          else
            self->fail(rid, v1::ERROR_CODE_ALREADY_PAIRED,
                       "one of the two devices is already paired");
          return;
        }
        st.metrics().pairings.fetch_add(1, std::memory_order_relaxed);
        st.rendezvous().withdraw(self->device_id_);  // a code it asked for earlier
        if (DeviceSession* other = st.online(initiator.device_id))
          other->paired(pair_id, self->device_id_, self->public_key_, true, code);
        if (!self->gone()) {
          self->paired(pair_id, initiator.device_id, initiator.public_key, false, code, rid);
          if (st.online(initiator.device_id)) st.metrics().pairs_online.fetch_add(1);
        }
      });
}

// The redeemed code came from a paired device whose partner lost its device:
// this device takes the lost one's place in the pair, with the pair's history.
void DeviceSession::replace_partner_of(uint32_t rid, const Rendezvous::Redemption& r,
                                       const std::string& code) {
  const std::string pair_id = r.replacement->pair_id;
  const std::string old_id = r.replacement->old_device_id;
  const PairMember initiator{r.initiator_device_id, r.initiator_public_key};
  const PairMember redeemer{device_id_, public_key_};
  auto status = std::make_shared<ReplaceStatus>(ReplaceStatus::ok);
  state_.storage().write(
      [=](Storage& s) {
        *status = s.replace_member(pair_id, initiator.device_id, old_id, redeemer, unix_ms());
      },
      [self = shared_from_this(), rid, status, pair_id, old_id, initiator, code](bool ok) {
        ServerState& st = self->state_;
        if (!ok || *status != ReplaceStatus::ok) {
          if (!ok || *status == ReplaceStatus::already_paired) st.rendezvous().release(code);
          if (!ok)
            self->fail(rid, v1::ERROR_CODE_INTERNAL, "storage is unavailable; try again shortly");
          else if (*status == ReplaceStatus::already_paired)
            self->fail(rid, v1::ERROR_CODE_ALREADY_PAIRED,
                       "this device is already paired; unpair before pairing again");
          else
            self->fail(rid, v1::ERROR_CODE_CODE_EXPIRED,
                       "this code is no longer valid: the pair changed since it was issued; ask "
                       "your partner for a new one");
          return;
        }
        st.metrics().pairings.fetch_add(1, std::memory_order_relaxed);
        st.rendezvous().withdraw(initiator.device_id);
        st.rendezvous().withdraw(old_id);
        st.rendezvous().withdraw(self->device_id_);
        DeviceSession* other = st.online(initiator.device_id);
        DeviceSession* lost = st.online(old_id);
        if (other && other->pair_id_ != pair_id) other = nullptr;
        if (lost && lost->pair_id_ != pair_id) lost = nullptr;
        const bool was_online = other && lost;
        if (lost) lost->pair_ended(v1::PAIR_END_REASON_DEVICE_REPLACED);
        if (other)
          other->paired(pair_id, self->device_id_, self->public_key_, true, code, 0, old_id);
        if (!self->gone())
          self->paired(pair_id, initiator.device_id, initiator.public_key, false, code, rid,
                       old_id);
        const bool now_online = other && !self->gone();
        if (now_online && !was_online) st.metrics().pairs_online.fetch_add(1);
        if (!now_online && was_online) st.metrics().pairs_online.fetch_sub(1);
      });
}

// Nothing changes in storage: both devices get Paired again, so that they can run the
// pairing handshake once more (docs/PROTOCOL.md, section 9.6).
void DeviceSession::reverify_with(uint32_t rid, const Rendezvous::Redemption& r,
                                  const std::string& code) {
  state_.rendezvous().withdraw(r.initiator_device_id);
  if (DeviceSession* other = state_.online(r.initiator_device_id))
    other->paired(pair_id_, device_id_, public_key_, true, code, 0, device_id_);
  paired(pair_id_, r.initiator_device_id, r.initiator_public_key, false, code, rid, device_id_);
}

void DeviceSession::paired(const std::string& pair_id, const std::string& partner_id,
                           const std::string& partner_key, bool initiator, const std::string& code,
                           uint32_t request_id, const std::string& replaced_device_id) {
  if (gone()) return;
  pair_id_ = pair_id;
  partner_id_ = partner_id;
  v1::ServerFrame f = server_frame(request_id);
  auto* p = f.mutable_paired();
  p->set_pair_id(pair_id);
  p->set_partner_device_id(partner_id);
  p->set_partner_public_key(partner_key);
  p->set_initiator(initiator);
  p->set_code(Rendezvous::normalise(code));
  if (!replaced_device_id.empty()) p->set_replaced_device_id(replaced_device_id);
  send(f);
  v1::ServerFrame presence = server_frame();
  presence.mutable_presence()->set_partner_online(state_.online(partner_id) != nullptr);
  send(presence);
}

void DeviceSession::handle_pairing_message(uint32_t rid, const std::string& payload) {
  if (!require_pair(rid)) return;
  if (!state_.send_allowed(device_id_)) {
    state_.metrics().reject(Rejection::rate_limited);
    fail(rid, v1::ERROR_CODE_RATE_LIMITED, "sending too fast; slow down and retry");
    return;
  }
  DeviceSession* partner = state_.online(partner_id_);
  if (!partner) {
    fail(rid, v1::ERROR_CODE_PARTNER_OFFLINE,
         "your partner's device is not connected; retry when it is");
    return;
  }
  v1::ServerFrame f = server_frame();
  f.mutable_pairing_message()->set_payload(payload);
  partner->relay_pairing(serialize(f));
}

void DeviceSession::relay_pairing(std::string frame) {
  if (!gone() && out_) out_->push(std::move(frame));
}

}  // namespace mend::server
