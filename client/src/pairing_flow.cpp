#include "mend/client/pairing_flow.h"

#include <cctype>
#include <optional>

#include "mend/client/envelope_crypto.h"
#include "mend/client/error.h"
#include "mend/common/wall_clock.h"
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

class Exchange {
 public:
  Exchange(Session& s, Keystore& k, const PairingCallbacks& c, const PairingOptions& o)
      : session_(s), keystore_(k), callbacks_(c), options_(o) {}

  void save(const PairingState& state) {
    keystore_.set_pending_pairing(state.serialize());
    keystore_.save();
  }

  void send(const PairingMessageBody& body) {
    session_.send_pairing_message(detail::encode_pairing_message(body));
  }
  void resend_all() {
    for (const auto& m : outbox_) send(m);
  }

  // The next pairing message from the partner. Meanwhile this side's own latest
  // messages are sent again whenever the partner comes online and every
  // resend_interval, since the relay drops pairing messages for an offline partner.
  PairingMessageBody next_message(Clock::time_point deadline) {
    auto next_resend = Clock::now() + options_.resend_interval;
    for (;;) {
      const auto now = Clock::now();
      if (now >= deadline)
        throw Error(Errc::kTimeout,
                    "the partner did not answer; run the same command again to resume");
      if (now >= next_resend) {
        resend_all();
        next_resend = now + options_.resend_interval;
      }
      const auto wait = std::min(deadline, next_resend) - now;
      auto e = session_.next_event(std::chrono::duration_cast<std::chrono::milliseconds>(wait) +
                                   std::chrono::milliseconds(1));
      if (!e) continue;
      if (auto* p = std::get_if<PairingPayloadEvent>(&*e)) {
        PairingMessageBody body = detail::decode_pairing_message(p->payload);
        if (auto* a = std::get_if<AbortMessage>(&body))
          fail(Errc::kPairingAborted, a->reason.empty() ? "no reason given" : a->reason, false);
        return body;
      }
      if (auto* pr = std::get_if<PresenceEvent>(&*e)) {
        if (pr->partner_online) resend_all();
      } else if (auto* err = std::get_if<ServerErrorEvent>(&*e)) {
        // PARTNER_OFFLINE: the message is sent again when the partner is back.
        if (err->fatal || err->code != server_error::kPartnerOffline) throw_server_error(*err);
      } else if (std::holds_alternative<PairEndedEvent>(*e)) {
        keystore_.clear_pending_pairing();
        keystore_.save();
        throw Error(Errc::kPairEnded, "the pair was ended on the server during pairing");
      }
    }
  }

  // Stops the pairing for good: tells the partner (best effort), ends the pair on
  // the relay, forgets the pairing state.
  // A replacement is never ended on the relay: that would delete the pair's history.
  // The remaining partner asks for a new code, which replaces whichever device joined.
  [[noreturn]] void fail(Errc code, const std::string& why, bool tell_partner) {
    try {
      if (tell_partner) send(AbortMessage{why});
      if (!replacement) session_.unpair();
    } catch (const Error&) {
      // Already unpaired, or the connection is gone: the relay pair is cleared by
      // `mend unpair` later; the local state goes now either way.
    }
    keystore_.clear_pending_pairing();
    keystore_.save();
    if (replacement)
      throw Error(code, why + ". The pair and its history are untouched on the server. " +
                            (initiator ? "Run `mend pair --replace` again for a new code."
                                       : "Ask your partner to run `mend pair --replace` again "
                                         "and join with the new code."));
    throw Error(code, why);
  }

  // Steps after both reveals: words, the user's verdict, signed confirmations.
  void finish(const PairingState& state, const RelayPair& relay) {
    const PairingOutcome outcome = state.outcome();
    if (outcome.peer_identity_key != relay.partner_public_key)
      fail(Errc::kBadPeerKey,
           "the partner revealed an identity key other than the one the server paired us with",
           true);
    if (replacement && !initiator) {
      if (auto why = detail::backup_refusal(keystore_, relay, outcome.peer_identity_key,
                                            session_.server_id()))
        fail(Errc::kBackupRefused, *why, true);
    }
    // In person, the confirmations below prove that both hold the link's secret.
    if (!state.in_person() && (!callbacks_.confirm_sas || !callbacks_.confirm_sas(outcome)))
      fail(Errc::kSasMismatch, "the words did not match on this device", true);

    outbox_.push_back(
        ConfirmationMessage{detail::seal_confirmation(keystore_.identity(), outcome)});
    uint32_t epoch = 0;  // a replacement's first epoch under the new root key
    if (replacement && initiator) {
      epoch = detail::replacement_epoch(keystore_, relay.partner_device_id);
      outbox_.push_back(EpochNoticeMessage{detail::seal_epoch_notice(epoch, outcome)});
    }
    resend_all();
    const auto deadline = Clock::now() + options_.partner_timeout;
    bool confirmed = false;
    while (!confirmed || (replacement && epoch == 0)) {
      PairingMessageBody m = next_message(deadline);
      if (auto* n = std::get_if<EpochNoticeMessage>(&m); n && replacement && !initiator) {
        const auto e = detail::open_epoch_notice(n->sealed_epoch, outcome);
        if (!e)
          fail(Errc::kSasMismatch,
               "the partner's device computed different keys (its epoch notice does not open)",
               true);
        epoch = *e;
      }
      auto* c = std::get_if<ConfirmationMessage>(&m);
      if (c == nullptr) continue;  // a repeated commitment or reveal: our reveal is resent anyway
      if (!detail::open_confirmation(c->sealed_signature, outcome))
        fail(Errc::kSasMismatch,
             state.in_person()
                 ? "the partner's device does not hold the secret of this device's pairing link "
                   "(a wrong link, or someone in the middle); pairing stops here"
                 : "the partner's device computed different keys (its confirmation does not "
                   "verify)",
             true);
      confirmed = true;
    }
    // The partner may have confirmed before ours could reach it: send it once more.
    resend_all();

    if (replacement) {
      if (initiator) {
        detail::move_pair_to_new_partner(keystore_, relay, outcome, epoch);
      } else {
        PairRecord pair;
        try {
          pair = detail::pair_from_restored_backup(keystore_, relay, outcome, epoch,
                                                   session_.server_id());
        } catch (const Error& e) {
          fail(e.code(), e.detail(), true);
        }
        keystore_.set_pair(std::move(pair));
        keystore_.clear_restored_backup();
      }
      keystore_.clear_pending_pairing();
      keystore_.save();
      return;
    }

    PairRecord pair;
    pair.pair_id = relay.pair_id;
    pair.partner_device_id = relay.partner_device_id;
    pair.partner_identity_key = outcome.peer_identity_key;
    pair.pair_root_key = outcome.pair_root_key.clone();
    pair.epoch_keys.emplace(1, epoch_key_from_root(outcome.pair_root_key, 1));
    pair.current_epoch = 1;
    pair.paired_at_ms = unix_ms();
    pair.server_id = session_.server_id();
    keystore_.set_pair(std::move(pair));
    keystore_.clear_pending_pairing();
    keystore_.save();
  }

  // Failures of the exchange itself (not of the connection) end the attempt.
  template <class F>
  void guarded(F&& f) {
    try {
      f();
    } catch (const Error& e) {
      switch (e.code()) {
        case Errc::kCommitmentMismatch:
        case Errc::kBadPeerKey:
        case Errc::kMalformedPairing:
        case Errc::kPairingOutOfOrder: fail(e.code(), e.detail(), true);
        default: throw;
      }
    }
  }

  std::vector<PairingMessageBody> outbox_;
  bool replacement = false;  // this pairing replaces a device of an existing pair
  bool initiator = false;

 private:
  Session& session_;
  Keystore& keystore_;
  const PairingCallbacks& callbacks_;
  const PairingOptions& options_;
};

std::optional<PairingState> pending_state(const Keystore& keystore, PairingRole role) {
  if (keystore.pending_pairing().empty()) return std::nullopt;
  PairingState s = PairingState::parse(keystore.pending_pairing().view());
  if (s.role() != role) return std::nullopt;
  return s;
}

// A pair the relay knows but this device never verified can only be resumed with
// the saved state of the same role.
PairingState resume_or_refuse(Session& session, const Keystore& keystore, PairingRole role,
                              RelayPair& relay) {
  std::optional<PairingState> s = pending_state(keystore, role);
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

}  // namespace

namespace {

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
    state.emplace(resume_or_refuse(session, keystore, PairingRole::kInitiator, relay));
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
  if (std::optional<PairingState> saved = pending_state(keystore, PairingRole::kJoiner);
      saved && saved->replacement() && normalise_code(code) != saved->code()) {
    keystore.clear_pending_pairing();
    keystore.save();
  }
  // A device restored from a backup may still be in the pair on the relay after a
  // replacement that failed: it redeems the partner's new code again.
  const bool retrying_replacement = !a.pair_id.empty() &&
                                    detail::holds_backup_of(keystore, a.pair_id) &&
                                    !pending_state(keystore, PairingRole::kJoiner);
  if (!a.pair_id.empty() && !retrying_replacement) {
    state.emplace(resume_or_refuse(session, keystore, PairingRole::kJoiner, relay));
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
