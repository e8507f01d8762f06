#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "mend/client/keystore.h"
#include "mend/client/recovery_code.h"
#include "mend/common/secret_bytes.h"

namespace mend::client {

// The key backup (docs/PROTOCOL.md part II, "Key backup"): the pair's history keys,
// sealed under a key derived from the recovery code and stored on the relay under
// backup_id with PutBackup. A new device fetches it with FetchBackup.
//
//   M           = Argon2id(out 32, password = entropy (16 bytes),
//                          salt = BLAKE2b-128(key = entropy, "mend recovery v1"),
//                          opslimit 3, memlimit 256 MiB)            [crypto_pwhash]
//   backup_id   = crypto_kdf(M, id 1, "mendbkup", 32)
//   wrapping key = crypto_kdf(M, id 2, "mendbkup", 32)
//   blob        = 0x01 || nonce (24) || XChaCha20-Poly1305(wrapping key,
//                   serialized BackupContents, AD = "mend backup v1" || backup_id)
//
// Both outputs come from the one Argon2id call, so testing a guessed code against
// the backup_id the relay indexes costs as much as testing it against the blob.
inline constexpr size_t kBackupIdBytes = 32;
inline constexpr uint8_t kBackupVersion = 1;
inline constexpr size_t kBackupNonceBytes = 24;
inline constexpr size_t kBackupOverheadBytes = 1 + kBackupNonceBytes + 16;
inline constexpr std::string_view kBackupAdLabel = "mend backup v1";
inline constexpr std::string_view kRecoverySaltLabel = "mend recovery v1";
// crypto_pwhash_OPSLIMIT_MODERATE / MEMLIMIT_MODERATE, fixed by the format: the new
// device knows nothing but the code, so the cost cannot be a per-backup choice.
inline constexpr uint64_t kBackupOpsLimit = 3;
inline constexpr uint64_t kBackupMemLimit = 268435456;

struct BackupKeys {
  std::string backup_id;     // 32 bytes, what the relay indexes (not secret)
  SecretBytes wrapping_key;  // 32 bytes
};

// Runs Argon2id: about a second and 256 MiB.
BackupKeys derive_backup_keys(const RecoveryCode& code);

struct BackupContents {
  std::string pair_id;               // 16 bytes
  std::string device_id;             // 16 bytes: the device that made the backup
  std::string partner_device_id;     // 16 bytes
  std::string partner_identity_key;  // 32 bytes
  SecretBytes pair_root_key;         // 32 bytes
  std::map<uint32_t, SecretBytes> epoch_keys;
  uint32_t current_epoch = 0;
  std::string server_id;  // 16 bytes
  uint64_t created_at_ms = 0;
  std::vector<FormerDevice> former_devices;  // the pair's earlier replacements
};

// The blob for PutBackup, with a fresh random nonce.
std::string seal_backup(const BackupContents& contents, const BackupKeys& keys);

// Checks and decrypts a blob from FetchBackup. Throws Error(kBackupRefused) if the
// blob is not a version-1 backup, was altered, or was sealed under another code.
BackupContents open_backup(std::string_view blob, const BackupKeys& keys);

// The contents as the keystore keeps them after a restore (the plaintext of a blob),
// and back. parse throws Error(kKeystoreDamaged) if the bytes do not parse.
SecretBytes serialize_backup_contents(const BackupContents& contents);
BackupContents parse_backup_contents(std::string_view bytes);

namespace detail {
// seal_backup with a given nonce, for the known-answer vector only.
std::string seal_backup_with_nonce(const BackupContents& contents, const BackupKeys& keys,
                                   std::string_view nonce);
}  // namespace detail

}  // namespace mend::client
