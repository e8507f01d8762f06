#include "mend/client/pairing_flow.h"

#include <cctype>
#include <optional>

#include "mend/client/envelope_crypto.h"
#include "mend/client/error.h"
#include "mend/common/wall_clock.h"
#include "pairing_exchange.h"
#include "pairing_messages.h"
#include "pairing_replacement.h"

namespace mend::client {

namespace {

using Clock = std::chrono::steady_clock;
using detail::AbortMessage;
using detail::CommitmentMessage;
using detail::ConfirmationMessage;
using detail::EpochNoticeMessage;
using detail::PairingMessageBody;
using detail::RelayPair;

using detail::Exchange;

std::optional<PairingState> pending_state(const Keystore& keystore, PairingRole role) {
  if (keystore.pending_pairing().empty()) return std::nullopt;
  PairingState s = PairingState::parse(keystore.pending_pairing().view());
  if (s.role() != role) return std::nullopt;
  return s;
}

// A pair the relay knows but this device never verified can only be resumed with
// the saved state of the same role (`saved`, from pending_state()).
PairingState resume_or_refuse(Session& session, std::optional<PairingState> s, RelayPair& relay) {
  if (!s)
    throw Error(Errc::kAlreadyPaired,
                "the server has a pair for this device that was never verified here; run "
                "`mend unpair` to end it, then pair again");
  const AuthenticatedEvent& a = session.authenticated();
  relay = RelayPair{a.pair_id, a.partner_device_id, a.partner_public_key, {}};
  return std::move(*s);
}

// As the relay compares codes: lower case, no white space.
std::string normalise_code(std::string_view code) {
  std::string out;
  for (char c : code)
    if (!std::isspace(static_cast<unsigned char>(c)))
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  return out;
}

void refuse_if_paired(const Keystore& keystore) {
  if (keystore.pair())
    throw Error(Errc::kAlreadyPaired, "this device already has a partner; `mend unpair` first");
}

// Asks for a code and waits until the partner's device redeems it.
PairingState await_redemption(Session& session, Keystore& keystore,
                              const PairingCallbacks& callbacks, const PairingOptions& options,
                              RelayPair& relay) {
  const PairingCodeEvent code = session.request_pairing_code(options.replace_partner);
  PairingState state = PairingState::begin(PairingRole::kInitiator, code.code,
                                           keystore.identity().signing_public_key());
  state.set_replacement(options.replace_partner);
  if (!options.in_person_secret.empty())
    state.set_in_person_secret(options.in_person_secret.clone());
  keystore.set_pending_pairing(state.serialize());
  keystore.save();
  if (callbacks.on_code) callbacks.on_code(code.code, code.expires_at_ms);
  const auto deadline = Clock::now() + options.partner_timeout;
  for (;;) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      keystore.clear_pending_pairing();
      keystore.save();
      throw Error(Errc::kTimeout, "nobody joined with the code in time");
    }
    auto e = session.next_event(left);
    if (!e) continue;
    if (auto* p = std::get_if<PairedEvent>(&*e)) {
      if (p->code != state.code())
        throw Error(Errc::kProtocolViolation, "the server paired us through another code");
      if (options.replace_partner &&
          (p->pair_id != keystore.pair()->pair_id || p->replaced_device_id.empty()))
        throw Error(Errc::kProtocolViolation,
                    "the server answered a replacement code with an ordinary pairing");
      relay =
          RelayPair{p->pair_id, p->partner_device_id, p->partner_public_key, p->replaced_device_id};
      return state;
    }
    if (auto* err = std::get_if<ServerErrorEvent>(&*e)) throw_server_error(*err);
  }
}

}  // namespace

void pair_as_initiator(Session& session, Keystore& keystore, const PairingCallbacks& callbacks,
                       const PairingOptions& options) {
  if (options.replace_partner) {
    if (!keystore.pair())
      throw Error(Errc::kNotPaired,
                  "only a paired device can replace its partner's device; pair first");
  } else {
    refuse_if_paired(keystore);
  }
  Exchange x(session, keystore, callbacks, options);
  x.initiator = true;
  x.replacement = options.replace_partner;
  RelayPair relay;
  std::optional<PairingState> state;
  const AuthenticatedEvent& a = session.authenticated();
  if (options.replace_partner) {
    // Resumed only once the code was redeemed: the relay then names another partner
    // device than the verified one. Before that, a new code replaces the old.
    std::optional<PairingState> saved = pending_state(keystore, PairingRole::kInitiator);
    if (saved && saved->replacement() && a.pair_id == keystore.pair()->pair_id &&
        a.partner_device_id != keystore.pair()->partner_device_id) {
      relay = RelayPair{a.pair_id, a.partner_device_id, a.partner_public_key, {}};
      state.emplace(std::move(*saved));
    }
  } else if (!a.pair_id.empty()) {
    state.emplace(
        resume_or_refuse(session, pending_state(keystore, PairingRole::kInitiator), relay));
  }
  if (!state) state.emplace(await_redemption(session, keystore, callbacks, options, relay));

  x.guarded([&] {
    const auto deadline = Clock::now() + options.partner_timeout;
    while (!state->has_commitment()) {
      auto m = x.next_message(deadline);
      if (auto* c = std::get_if<CommitmentMessage>(&m)) {
        state->accept_commitment(c->commitment);
        x.save(*state);
      }
    }
    x.outbox_.push_back(state->own_reveal());
    x.resend_all();
    while (!state->has_peer_reveal()) {
      auto m = x.next_message(deadline);
      if (auto* r = std::get_if<PairingReveal>(&m)) {
        state->accept_reveal(*r);
        x.save(*state);
      } else if (auto* c = std::get_if<CommitmentMessage>(&m)) {
        state->accept_commitment(c->commitment);  // the same again, or refused
      }
    }
    x.finish(*state, relay);
  });
}

void pair_as_joiner(Session& session, Keystore& keystore, std::string_view code,
                    const PairingCallbacks& callbacks, const PairingOptions& options) {
  refuse_if_paired(keystore);
  Exchange x(session, keystore, callbacks, options);
  RelayPair relay;
  std::optional<PairingState> state;
  const AuthenticatedEvent& a = session.authenticated();
  // A replacement that stopped half-way is not resumed with another code: the partner
  // asked for a new one, which starts a new attempt.
  std::optional<PairingState> saved = pending_state(keystore, PairingRole::kJoiner);
  if (saved && saved->replacement() && normalise_code(code) != saved->code()) {
    keystore.clear_pending_pairing();
    keystore.save();
    saved.reset();
  }
  // A device restored from a backup may still be in the pair on the relay after a
  // replacement that failed: it redeems the partner's new code again.
  const bool retrying_replacement =
      !a.pair_id.empty() && !saved && detail::holds_backup_of(keystore, a.pair_id);
  if (!a.pair_id.empty() && !retrying_replacement) {
    state.emplace(resume_or_refuse(session, std::move(saved), relay));
    relay.replaced_device_id = state->replaced_device_id();
  } else {
    const PairedEvent p = session.redeem_pairing_code(code);
    relay = RelayPair{p.pair_id, p.partner_device_id, p.partner_public_key, p.replaced_device_id};
    state.emplace(PairingState::begin(PairingRole::kJoiner, p.code,
                                      keystore.identity().signing_public_key()));
    state->set_replacement(!p.replaced_device_id.empty());
    state->set_replaced_device_id(p.replaced_device_id);
    if (!options.in_person_secret.empty())
      state->set_in_person_secret(options.in_person_secret.clone());
    x.save(*state);
  }
  x.replacement = state->replacement();
  if (x.replacement && !detail::holds_backup_of(keystore, relay.pair_id))
    x.fail(Errc::kNoBackup,
           "this code replaces a lost device in your partner's pair, but this device has not "
           "restored that pair's backup: run `mend restore` with your recovery code first",
           true);

  x.guarded([&] {
    x.outbox_.push_back(CommitmentMessage{state->commitment()});
    x.resend_all();
    const auto deadline = Clock::now() + options.partner_timeout;
    while (!state->has_peer_reveal()) {
      auto m = x.next_message(deadline);
      if (auto* r = std::get_if<PairingReveal>(&m)) {
        state->accept_reveal(*r);
        x.save(*state);
      }
    }
    x.outbox_.push_back(state->own_reveal());
    x.resend_all();
    x.finish(*state, relay);
  });
}

}  // namespace mend::client
