#pragma once

// The keystore side of replacing a device (docs/PROTOCOL.md part II, "Replacing a
// device"): what each of the two devices keeps once a replacement pairing verified.
// Private to the library.

#include <cstdint>
#include <optional>
#include <string>

#include "mend/client/keystore.h"
#include "mend/client/pairing.h"
#include "pairing_messages.h"

namespace mend::client::detail {

// The relay's view of the pair being verified.
struct RelayPair {
  std::string pair_id;
  std::string partner_device_id;
  std::string partner_public_key;
  std::string replaced_device_id;  // set on a replacement
};

// The remaining partner's choice of the first epoch after the replacement: the next
// epoch it owns with the new device, above every epoch it holds.
uint32_t replacement_epoch(const Keystore& keystore, const std::string& new_partner_device_id);

// Remaining partner: the verified pair moves to the new device. The old partner device
// joins former_devices (its chain closed as the notice says); the pair root key is the
// new pairing's; the notice's epoch (derived from that root) becomes the sending epoch.
// Saves nothing.
void move_pair_to_new_partner(Keystore& keystore, const RelayPair& relay,
                              const PairingOutcome& outcome, const EpochNotice& notice);

// New device: why the restored backup cannot serve this replacement (another pair, a
// partner identity key other than the one revealed, another server), or nullopt.
// Checked before the words are shown, so that a refusal never follows the partner's
// commit.
std::optional<std::string> backup_refusal(const Keystore& keystore, const RelayPair& relay,
                                          const std::string& peer_identity_key,
                                          const std::string& server_id);

// New device: the pair record from the restored backup, checked as above (throws
// Error(kBackupRefused)), with `epoch` derived from the new pair root key. Saves nothing.
PairRecord pair_from_restored_backup(const Keystore& keystore, const RelayPair& relay,
                                     const PairingOutcome& outcome, const EpochNotice& notice,
                                     const std::string& server_id);

// Whether the keystore holds a restored backup of `pair_id`.
bool holds_backup_of(const Keystore& keystore, const std::string& pair_id);

}  // namespace mend::client::detail
