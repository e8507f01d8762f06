#pragma once

// The keystore side of replacing a device (docs/CLIENT-CRYPTO.md, "Replacing a
// device"): what each of the two devices keeps once a replacement pairing verified.
// Private to the library.

#include <cstdint>
#include <string>

#include "mend/client/keystore.h"
#include "mend/client/pairing.h"

namespace mend::client::detail {

// The relay's view of the pair being verified.
struct RelayPair {
  std::string pair_id;
  std::string partner_device_id;
  std::string partner_public_key;
  std::string replaced_device_id;  // set on a replacement (may be lost on a resume)
};

// The remaining partner's choice of the first epoch after the replacement: the next
// epoch it owns with the new device, above every epoch it holds.
uint32_t replacement_epoch(const Keystore& keystore, const std::string& new_partner_device_id);

// Remaining partner: the verified pair moves to the new device. The old partner device
// joins former_devices; the pair root key is the new pairing's; `epoch` (derived from
// that root) becomes the sending epoch. Saves nothing.
void move_pair_to_new_partner(Keystore& keystore, const RelayPair& relay,
                              const PairingOutcome& outcome, uint32_t epoch);

// New device: the pair record from the restored backup, checked against the relay and
// the verified partner. Throws Error(kBackupRefused) if the backup belongs to another
// pair or another partner, or already holds `epoch`. Saves nothing.
PairRecord pair_from_restored_backup(const Keystore& keystore, const RelayPair& relay,
                                     const PairingOutcome& outcome, uint32_t epoch,
                                     const std::string& server_id);

// Whether the keystore holds a restored backup of `pair_id`.
bool holds_backup_of(const Keystore& keystore, const std::string& pair_id);

}  // namespace mend::client::detail
