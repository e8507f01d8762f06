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

// Replacement pairings, initiator -> joiner: the epoch it opens under the new pair
// root key, and the chain of the device that leaves the pair as it held it.
struct EpochNotice {
  uint32_t epoch = 0;
  std::string former_device_id{};  // 16 bytes; empty: the chain is not closed
  uint64_t final_counter = 0;      // 0: that device wrote nothing
  std::string final_hash{};        // 32 bytes, or empty if unknown (or nothing written)
};
// nonce (24) || XChaCha20-Poly1305-IETF(key = confirmation key, AD = "mend-pair-epoch-v1",
//   message = epoch (4, BE) || former device id (16; zeros: not closed)
//             || final counter (8, BE) || final hash (32; zeros: none)).
std::string seal_epoch_notice(const EpochNotice& notice, const PairingOutcome& outcome);
// nullopt if it does not open under this side's confirmation key.
std::optional<EpochNotice> open_epoch_notice(std::string_view sealed,
                                             const PairingOutcome& outcome);

}  // namespace mend::client::detail
