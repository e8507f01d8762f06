#include "pairing_replacement.h"

#include <algorithm>

#include "mend/client/backup.h"
#include "mend/client/envelope_crypto.h"
#include "mend/client/error.h"
#include "mend/common/wall_clock.h"

namespace mend::client::detail {

namespace {
void add_former(std::vector<FormerDevice>& list, const std::string& device_id, bool own) {
  if (device_id.empty()) return;
  for (const FormerDevice& f : list)
    if (f.device_id == device_id) return;
  list.push_back(FormerDevice{device_id, own});
}
}  // namespace

uint32_t replacement_epoch(const Keystore& keystore, const std::string& new_partner_device_id) {
  const PairRecord& pair = *keystore.pair();
  const uint32_t newest = pair.epoch_keys.empty() ? 0 : pair.epoch_keys.rbegin()->first;
  return next_owned_epoch(std::max(newest, pair.current_epoch), keystore.identity().device_id(),
                          new_partner_device_id);
}

void move_pair_to_new_partner(Keystore& keystore, const RelayPair& relay,
                              const PairingOutcome& outcome, uint32_t epoch) {
  PairRecord& pair = *keystore.mutable_pair();
  // Re-verifying the same device (after a failed attempt) changes no partner.
  if (pair.partner_device_id != relay.partner_device_id)
    add_former(pair.former_devices, pair.partner_device_id, false);
  pair.partner_device_id = relay.partner_device_id;
  pair.partner_identity_key = outcome.peer_identity_key;
  pair.pair_root_key = outcome.pair_root_key.clone();
  pair.epoch_keys.insert_or_assign(epoch, epoch_key_from_root(outcome.pair_root_key, epoch));
  pair.current_epoch = epoch;
  pair.paired_at_ms = unix_ms();
}

bool holds_backup_of(const Keystore& keystore, const std::string& pair_id) {
  if (keystore.restored_backup().empty()) return false;
  return parse_backup_contents(keystore.restored_backup().view()).pair_id == pair_id;
}

PairRecord pair_from_restored_backup(const Keystore& keystore, const RelayPair& relay,
                                     const PairingOutcome& outcome, uint32_t epoch,
                                     const std::string& server_id) {
  BackupContents b = parse_backup_contents(keystore.restored_backup().view());
  if (b.pair_id != relay.pair_id)
    throw Error(Errc::kBackupRefused, "the restored backup belongs to another pair");
  if (!b.partner_identity_key.empty() && b.partner_identity_key != outcome.peer_identity_key)
    throw Error(Errc::kBackupRefused,
                "the device you paired with is not the partner named in your backup (its "
                "identity key differs). If your partner also changed devices since the backup "
                "was made, this backup cannot be used");
  if (!b.server_id.empty() && b.server_id != server_id)
    throw Error(Errc::kBackupRefused, "the restored backup is of a pair on another server");
  if (epoch < 2 || b.epoch_keys.contains(epoch))
    throw Error(Errc::kBackupRefused,
                "the partner's device opened epoch " + std::to_string(epoch) +
                    ", which the backup already holds: it has keys this device was never told "
                    "about; ask your partner to sync (`mend log`) and run `mend pair --replace` "
                    "again");
  PairRecord r;
  r.pair_id = relay.pair_id;
  r.partner_device_id = relay.partner_device_id;
  r.partner_identity_key = outcome.peer_identity_key;
  r.pair_root_key = outcome.pair_root_key.clone();
  r.epoch_keys = std::move(b.epoch_keys);
  r.epoch_keys.emplace(epoch, epoch_key_from_root(outcome.pair_root_key, epoch));
  r.current_epoch = epoch;
  r.paired_at_ms = unix_ms();
  r.server_id = server_id;
  r.former_devices = std::move(b.former_devices);
  // The device that made the backup, and the one the relay replaced (usually the
  // same), were this person's.
  add_former(r.former_devices, b.device_id, true);
  add_former(r.former_devices, relay.replaced_device_id, true);
  std::erase_if(r.former_devices, [&](const FormerDevice& f) {
    return f.device_id == keystore.identity().device_id() || f.device_id == r.partner_device_id;
  });
  return r;
}

}  // namespace mend::client::detail
