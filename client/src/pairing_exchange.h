#pragma once

// One commit-then-reveal pairing exchange over the relay's PairingMessage frames:
// sending and resending this side's messages, waiting for the partner's, the verdict
// on the words, the signed confirmations, and what the keystore keeps at the end
// (docs/PROTOCOL.md part II, "Pairing" and "Replacing a device"). Used by pairing_flow.cpp
// only; private to the library.

#include <chrono>
#include <string>
#include <variant>
#include <vector>

#include "mend/client/envelope_crypto.h"
#include "mend/client/error.h"
#include "mend/client/keystore.h"
#include "mend/client/pairing.h"
#include "mend/client/pairing_flow.h"
#include "mend/client/session.h"
#include "mend/common/wall_clock.h"
#include "pairing_messages.h"
#include "pairing_replacement.h"

namespace mend::client::detail {

class Exchange {
 public:
  using Clock = std::chrono::steady_clock;
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
    detail::EpochNotice notice;  // a replacement's first epoch under the new root key
    if (replacement && initiator) {
      notice.epoch = detail::replacement_epoch(keystore_, relay.partner_device_id);
      const std::string& leaving = keystore_.pair()->partner_device_id;
      if (options_.former_chain && leaving != relay.partner_device_id) {
        notice.former_device_id = leaving;
        notice.final_counter = options_.former_chain->counter;
        notice.final_hash = options_.former_chain->hash;
      }
      outbox_.push_back(EpochNoticeMessage{detail::seal_epoch_notice(notice, outcome)});
    }
    resend_all();
    const auto deadline = Clock::now() + options_.partner_timeout;
    bool confirmed = false;
    while (!confirmed || (replacement && notice.epoch == 0)) {
      PairingMessageBody m = next_message(deadline);
      if (auto* n = std::get_if<EpochNoticeMessage>(&m); n && replacement && !initiator) {
        const auto e = detail::open_epoch_notice(n->sealed_epoch, outcome);
        if (!e)
          fail(Errc::kSasMismatch,
               "the partner's device computed different keys (its epoch notice does not open)",
               true);
        notice = *e;
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
        detail::move_pair_to_new_partner(keystore_, relay, outcome, notice);
      } else {
        PairRecord pair;
        try {
          pair = detail::pair_from_restored_backup(keystore_, relay, outcome, notice,
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

}  // namespace mend::client::detail
