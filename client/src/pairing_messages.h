#pragma once

// PairingMessage.payload encoding (proto/mend/v1/pairing.proto) and the sealed
// signature of the confirmation step. Private to the library.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "mend/client/identity.h"
#include "mend/client/pairing.h"
#include "mend/common/secret_bytes.h"

namespace mend::client::detail {

struct CommitmentMessage {
  std::string commitment;
};
struct ConfirmationMessage {
  std::string sealed_signature;
};
struct AbortMessage {
  std::string reason;
};
struct EpochNoticeMessage {
  std::string sealed_epoch;
};
using PairingMessageBody = std::variant<CommitmentMessage, PairingReveal, ConfirmationMessage,
                                        AbortMessage, EpochNoticeMessage>;

std::string encode_pairing_message(const PairingMessageBody& body);
// Throws Error(kMalformedPairing) if the payload is not a version-1 PairingPayload.
PairingMessageBody decode_pairing_message(std::string_view payload);

// nonce (24) || XChaCha20-Poly1305-IETF(key = confirmation key, AD = "mend-pair-confirm-v1",
//   message = Ed25519(IK secret, "mend-pair-confirm-v1" || T)).
std::string seal_confirmation(const DeviceIdentity& identity, const PairingOutcome& outcome);
// True only if it decrypts under this side's confirmation key (so both derived the
// same K) and the signature verifies under the partner's revealed identity key.
bool open_confirmation(std::string_view sealed, const PairingOutcome& outcome);

// Replacement pairings: the epoch the initiator opens under the new pair root key.
// nonce (24) || XChaCha20-Poly1305-IETF(key = confirmation key,
//   AD = "mend-pair-epoch-v1", message = epoch as 4 bytes big-endian).
std::string seal_epoch_notice(uint32_t epoch, const PairingOutcome& outcome);
// The epoch, or nullopt if it does not open under this side's confirmation key.
std::optional<uint32_t> open_epoch_notice(std::string_view sealed, const PairingOutcome& outcome);

}  // namespace mend::client::detail
