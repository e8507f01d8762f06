#include "pairing_replacement.h"

#include <algorithm>
#include <optional>

#include "mend/client/backup.h"
#include "mend/client/envelope_crypto.h"
#include "mend/client/error.h"
#include "mend/common/wall_clock.h"

namespace mend::client::detail {

namespace {
void add_former(std::vector<FormerDevice>& list, const std::string& device_id, bool own,
                uint32_t until_epoch) {
  if (device_id.empty()) return;
  for (const FormerDevice& f : list)
    if (f.device_id == device_id) return;
  list.push_back(FormerDevice{device_id, own, until_epoch});
}
// The leaving device's chain, as the remaining partner's device held it.
void close_chain(std::vector<FormerDevice>& list, const EpochNotice& notice) {
  if (notice.former_device_id.empty()) return;
  for (FormerDevice& f : list) {
    if (f.device_id != notice.former_device_id) continue;
    f.closed = true;
    f.final_counter = notice.final_counter;
    f.final_hash = notice.final_hash;
  }
}

}  // namespace

uint32_t replacement_epoch(const Keystore& keystore, const std::string& new_partner_device_id) {
  const PairRecord& pair = *keystore.pair();
  const uint32_t newest = pair.epoch_keys.empty() ? 0 : pair.epoch_keys.rbegin()->first;
  return next_owned_epoch(std::max(newest, pair.current_epoch), keystore.identity().device_id(),
                          new_partner_device_id);
}

void move_pair_to_new_partner(Keystore& keystore, const RelayPair& relay,
                              const PairingOutcome& outcome, const EpochNotice& notice) {
  const uint32_t epoch = notice.epoch;
  PairRecord& pair = *keystore.mutable_pair();
  // Re-verifying the same device (after a failed attempt) changes no partner.
  if (pair.partner_device_id != relay.partner_device_id)
    add_former(pair.former_devices, pair.partner_device_id, false, epoch);
  close_chain(pair.former_devices, notice);
  pair.partner_device_id = relay.partner_device_id;
  pair.partner_identity_key = outcome.peer_identity_key;
  pair.pair_root_key = outcome.pair_root_key.clone();
  pair.epoch_keys.insert_or_assign(epoch, epoch_key_from_root(outcome.pair_root_key, epoch));
  pair.current_epoch = epoch;
  pair.paired_at_ms = unix_ms();
  // The new device never wrote before: nothing of it under an older key is genuine.
  pair.replacement_epoch = epoch;
  pair.partner_min_epoch = epoch;
}

bool holds_backup_of(const Keystore& keystore, const std::string& pair_id) {
  if (keystore.restored_backup().empty()) return false;
  return parse_backup_contents(keystore.restored_backup().view()).pair_id == pair_id;
}

namespace {
std::optional<std::string> refusal_of(const BackupContents& b, const RelayPair& relay,
                                      const std::string& peer_identity_key,
                                      const std::string& server_id) {
  if (b.pair_id != relay.pair_id) return "the restored backup belongs to another pair";
  if (!b.partner_identity_key.empty() && b.partner_identity_key != peer_identity_key)
    return "the device you are pairing with is not the partner named in your backup (its "
           "identity key differs); if your partner also changed devices since the backup was "
           "made, this backup cannot be used";
  if (!b.server_id.empty() && b.server_id != server_id)
    return "the restored backup is of a pair on another server";
  return std::nullopt;
}
}  // namespace

std::optional<std::string> backup_refusal(const Keystore& keystore, const RelayPair& relay,
                                          const std::string& peer_identity_key,
                                          const std::string& server_id) {
  return refusal_of(parse_backup_contents(keystore.restored_backup().view()), relay,
                    peer_identity_key, server_id);
}

PairRecord pair_from_restored_backup(const Keystore& keystore, const RelayPair& relay,
                                     const PairingOutcome& outcome, const EpochNotice& notice,
                                     const std::string& server_id) {
  const uint32_t epoch = notice.epoch;
  BackupContents b = parse_backup_contents(keystore.restored_backup().view());
  if (auto why = refusal_of(b, relay, outcome.peer_identity_key, server_id))
    throw Error(Errc::kBackupRefused, *why);
  if (epoch < 2) throw Error(Errc::kBackupRefused, "the partner opened an impossible epoch");
  PairRecord r;
  r.pair_id = relay.pair_id;
  r.partner_device_id = relay.partner_device_id;
  r.partner_identity_key = outcome.peer_identity_key;
  r.pair_root_key = outcome.pair_root_key.clone();
  r.epoch_keys = std::move(b.epoch_keys);
  // The partner chose `epoch` above every epoch of the pair's history; a key the
  // backup holds for it was never announced there, so the new one takes its place.
  r.epoch_keys.insert_or_assign(epoch, epoch_key_from_root(outcome.pair_root_key, epoch));
  r.current_epoch = epoch;
  r.paired_at_ms = unix_ms();
  r.server_id = server_id;
  r.former_devices = std::move(b.former_devices);
  // The device that made the backup, and the one the relay replaced (usually the
  // same), were this person's.
  add_former(r.former_devices, b.device_id, true, epoch);
  add_former(r.former_devices, relay.replaced_device_id, true, epoch);
  // The partner's earlier messages come with the history; its newer ones use `epoch`
  // or later (partner_min_epoch rises once the history has been read).
  r.replacement_epoch = epoch;
  close_chain(r.former_devices, notice);
  std::erase_if(r.former_devices, [&](const FormerDevice& f) {
    return f.device_id == keystore.identity().device_id() || f.device_id == r.partner_device_id;
  });
  return r;
}

}  // namespace mend::client::detail
