#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mend/client/identity.h"
#include "mend/common/secret_bytes.h"

namespace mend::client {

// Argon2id cost of turning the passphrase into the file key.
struct PwhashLimits {
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;  // bytes

  // crypto_pwhash_OPSLIMIT_MODERATE / MEMLIMIT_MODERATE (3 passes, 256 MiB): the
  // default, about a second per unlock on a laptop.
  static PwhashLimits moderate();
  // crypto_pwhash_OPSLIMIT_INTERACTIVE / MEMLIMIT_INTERACTIVE (2 passes, 64 MiB): for
  // tests, which unlock keystores many times.
  static PwhashLimits interactive();
};

// A device that left the pair when it was replaced (docs/PROTOCOL.md part II, "Replacing
// a device"). Its messages stay in the history, each sender on its own chain.
struct FormerDevice {
  std::string device_id;     // 16 bytes
  bool own = false;          // one of this person's earlier devices (else the partner's)
  uint32_t until_epoch = 0;  // the epoch opened when it was replaced (0: unknown)
  // Its chain at the replacement, as the remaining partner's device held it (when
  // `closed`): its last counter (0: none) and that message's envelope hash.
  bool closed = false;
  uint64_t final_counter = 0;
  std::string final_hash{};

  bool operator==(const FormerDevice&) const = default;
};

// The verified partner and the pair's keys, held once pairing completed.
struct PairRecord {
  std::string pair_id;                         // 16 bytes
  std::string partner_device_id;               // 16 bytes
  std::string partner_identity_key;            // 32 bytes, Ed25519, verified by the SAS
  SecretBytes pair_root_key;                   // 32 bytes
  std::map<uint32_t, SecretBytes> epoch_keys;  // epoch -> 32-byte history key
  uint32_t current_epoch = 0;
  uint64_t paired_at_ms = 0;
  std::string server_id;                     // 16 bytes: the relay the pair lives on
  std::vector<FormerDevice> former_devices;  // oldest first
  uint32_t replacement_epoch = 0;            // the epoch the latest replacement opened (0: none)
  // The current partner device may not write under an older epoch: the new device, at
  // once (on the remaining device); the remaining device, once the new one has read the
  // history written before the replacement.
  uint32_t partner_min_epoch = 0;
};

// The device's encrypted keystore file: identity keys, pair state and a pairing in
// progress, under a key derived from the passphrase (docs/PROTOCOL.md part II).
//
// Errors (all mend::client::Error):
//   kWrongPassphrase      the file is intact and the passphrase does not open it
//   kKeystoreDamaged      truncated, corrupted or altered: restore from a backup
//   kKeystoreUnsupported  written by a newer format
//   kKeystoreNotFound     nothing at the path
//   kKeystoreExists       create() would overwrite a keystore
//   kIo                   the OS refused a read or write
// Opening never writes; a failed save leaves the previous file as it was.
class Keystore {
 public:
  enum class IfExists { kRefuse, kReplace };

  // A new identity, written to `path`. Refuses to replace an existing file unless
  // `if_exists` is kReplace (which destroys the old identity for good).
  static Keystore create(const std::filesystem::path& path, std::string_view passphrase,
                         const PwhashLimits& limits = PwhashLimits::moderate(),
                         IfExists if_exists = IfExists::kRefuse);
  static Keystore open(const std::filesystem::path& path, std::string_view passphrase);

  Keystore(Keystore&&) noexcept = default;
  Keystore& operator=(Keystore&&) noexcept = default;

  // Writes the current contents back (atomically, fresh nonce, same passphrase).
  void save();
  // Re-encrypts under a new passphrase (new salt) and saves.
  void change_passphrase(std::string_view new_passphrase,
                         const PwhashLimits& limits = PwhashLimits::moderate());

  const std::filesystem::path& path() const { return path_; }
  const DeviceIdentity& identity() const { return *identity_; }
  const PwhashLimits& limits() const { return limits_; }
  uint64_t created_at_ms() const { return created_at_ms_; }

  // Changes below take effect on disk at the next save().
  const std::optional<PairRecord>& pair() const { return pair_; }
  PairRecord* mutable_pair() { return pair_ ? &*pair_ : nullptr; }
  void set_pair(PairRecord pair) { pair_ = std::move(pair); }
  void clear_pair() { pair_.reset(); }

  // A serialized PairingState (PairingState::serialize()) while pairing is under way.
  const SecretBytes& pending_pairing() const { return pending_pairing_; }
  void set_pending_pairing(SecretBytes state) { pending_pairing_ = std::move(state); }
  void clear_pending_pairing() { pending_pairing_ = SecretBytes(); }

  // A serialized BackupContents (serialize_backup_contents) that `mend restore`
  // fetched, waiting for the partner to re-pair with this device.
  const SecretBytes& restored_backup() const { return restored_backup_; }
  void set_restored_backup(SecretBytes contents) { restored_backup_ = std::move(contents); }
  void clear_restored_backup() { restored_backup_ = SecretBytes(); }

  // The 32-byte key of the local history store; made (randomly) on first use, so
  // call save() afterwards if it was empty.
  const SecretBytes& local_store_key();
  bool has_local_store_key() const { return !local_store_key_.empty(); }

  // The relay URL last used successfully (empty if none yet).
  const std::string& server_url() const { return server_url_; }
  void set_server_url(std::string url) { server_url_ = std::move(url); }

 private:
  Keystore() = default;
  void write(IfExists if_exists);

  std::filesystem::path path_;
  std::optional<DeviceIdentity> identity_;
  uint64_t created_at_ms_ = 0;
  std::optional<PairRecord> pair_;
  SecretBytes pending_pairing_;
  SecretBytes local_store_key_;
  SecretBytes restored_backup_;
  std::string server_url_;
  PwhashLimits limits_;
  std::string salt_;
  SecretBytes file_key_;          // kdf(master, 1, "mendkeys"); kept so save() needs no passphrase
  std::string passphrase_check_;  // kdf(master, 2, "mendkeys", 16)
};

}  // namespace mend::client
