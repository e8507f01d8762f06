#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>

#include "mend/client/history_store.h"
#include "mend/client/keystore.h"
#include "mend/client/pairing.h"
#include "mend/client/session.h"
#include "mend/common/secret_bytes.h"

namespace mend::client {

// What the app shows and asks during pairing.
struct PairingCallbacks {
  // Initiator: the rendezvous code to give to the partner.
  std::function<void(const std::string& code, uint64_t expires_at_ms)> on_code;
  // Both: the words and digits, once both sides revealed. Return true only if the user
  // confirms that they match the partner's screen. Not called in person (the secret
  // from the link takes the place of the comparison).
  std::function<bool(const PairingOutcome&)> confirm_sas;
};

struct PairingOptions {
  // How long to wait for the partner to join, reveal and confirm.
  std::chrono::milliseconds partner_timeout{std::chrono::minutes(10)};
  // While waiting, this side's latest pairing message is sent again this often (the
  // relay does not store pairing messages, so a partner who was offline missed it).
  std::chrono::milliseconds resend_interval{std::chrono::seconds(1)};
  // Initiator only (`mend pair --replace`): this paired device moves the pair from
  // the partner's lost device to whichever device redeems the code, keeping the
  // pair's history (docs/PROTOCOL.md part II, "Replacing a device").
  bool replace_partner = false;
  // In-person pairing: the 32-byte secret of the link (pairing_link.h). The initiator
  // makes it (SecretBytes::random) and shows the link; the joiner passes what it read.
  // Empty: the partners compare words.
  SecretBytes in_person_secret{};
  // Initiator of a replacement: the chain of the partner device that leaves the pair,
  // as this device's history holds it (HistoryStore::chain_head). It closes that chain
  // on both devices. Absent: the chain stays open (docs/PROTOCOL.md part II).
  std::optional<ChainHead> former_chain{};
};

// `mend pair` (initiator, asks the relay for a code) and `mend join CODE` (joiner).
// The commit-then-reveal exchange of docs/PROTOCOL.md part II runs over PairingMessage
// frames; the PairingState is saved in the keystore after every step, so running the
// same command again after a crash resumes with the same keys and the same words.
//
// On success the keystore holds the verified pair (pair id, partner identity key,
// pair root key, epoch 1 key, the relay's server id) and is saved. Errors:
//   kAlreadyPaired      the keystore (or the relay) already has a pair
//   kSasMismatch        the user said the words differ, or the partner's confirmation
//                       does not verify; the pair is ended on the relay
//   kPairingAborted     the partner stopped; the pair is ended on the relay
//   kBadPeerKey / kCommitmentMismatch  interference; the pair is ended on the relay
//   kTimeout, kConnectionLost  the state is kept: run the command again to resume
//
// Replacement pairings (options.replace_partner on the remaining partner's device; on
// the new device, a code whose Paired frame names a replaced device) need the new
// device to hold a restored backup of that pair (`mend restore`). They end with a
// fresh epoch whose key both derive from the new pair root key, which the lost device
// never had. A failed replacement never ends the pair on the relay (that would delete
// its history): the remaining partner asks for a new code instead.
void pair_as_initiator(Session& session, Keystore& keystore, const PairingCallbacks& callbacks,
                       const PairingOptions& options = {});
void pair_as_joiner(Session& session, Keystore& keystore, std::string_view code,
                    const PairingCallbacks& callbacks, const PairingOptions& options = {});

}  // namespace mend::client
