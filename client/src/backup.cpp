#include "mend/client/backup.h"

#include <sodium.h>

#include <stdexcept>

#include "bytes.h"
#include "former_device_proto.h"
#include "mend/client/error.h"
#include "mend/client/kdf.h"
#include "mend/common/sodium_init.h"
#include "mend/v1/keystore.pb.h"

namespace mend::client {

static_assert(kBackupNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kBackupOpsLimit == crypto_pwhash_OPSLIMIT_MODERATE);
static_assert(kBackupMemLimit == crypto_pwhash_MEMLIMIT_MODERATE);

using detail::u8;

BackupKeys derive_backup_keys(const RecoveryCode& code) {
  ensure_sodium();
  const SecretBytes& entropy = code.entropy();
  static_assert(crypto_pwhash_SALTBYTES == 16);
  const std::string salt =
      detail::blake2b(kRecoverySaltLabel, crypto_pwhash_SALTBYTES, entropy.view());
  SecretBytes master(kKdfKeyBytes);
  if (crypto_pwhash(master.data(), master.size(), reinterpret_cast<const char*>(entropy.data()),
                    entropy.size(), u8(salt), kBackupOpsLimit, kBackupMemLimit,
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw Error(Errc::kIo, "Argon2id could not get 256 MiB of memory");
  BackupKeys keys;
  keys.backup_id =
      derive_subkey(master.view(), 1, kdf_context::kBackup, kBackupIdBytes).insecure_copy();
  keys.wrapping_key = derive_subkey(master.view(), 2, kdf_context::kBackup, kKdfKeyBytes);
  return keys;
}

namespace {

void wipe_contents(mend::v1::keystore::BackupContents& m) {
  wipe(*m.mutable_pair_root_key());
  for (auto& e : *m.mutable_epoch_keys()) wipe(*e.mutable_key());
}

std::string associated_data(const BackupKeys& keys) {
  std::string ad(kBackupAdLabel);
  ad += keys.backup_id;
  return ad;
}

std::string serialize(const BackupContents& c) {
  mend::v1::keystore::BackupContents m;
  m.set_version(1);
  m.set_pair_id(c.pair_id);
  m.set_device_id(c.device_id);
  m.set_partner_device_id(c.partner_device_id);
  m.set_partner_identity_key(c.partner_identity_key);
  m.set_pair_root_key(c.pair_root_key.insecure_copy());
  for (const auto& [epoch, key] : c.epoch_keys) {
    auto* e = m.add_epoch_keys();
    e->set_epoch(epoch);
    e->set_key(key.insecure_copy());
  }
  m.set_current_epoch(c.current_epoch);
  m.set_server_id(c.server_id);
  m.set_created_at_ms(c.created_at_ms);
  for (const FormerDevice& f : c.former_devices) detail::former_to_proto(f, m.add_former_devices());
  std::string out = m.SerializeAsString();
  wipe_contents(m);
  return out;
}

BackupContents parse_contents(std::string_view bytes, Errc on_error) {
  mend::v1::keystore::BackupContents m;
  auto check = [on_error](const std::string& s, size_t n, const char* what) {
    if (s.size() != n) throw Error(on_error, std::string("backup holds a bad ") + what);
  };
  try {
    if (!m.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) || m.version() != 1)
      throw Error(on_error, "the backup's contents do not parse");
    check(m.pair_id(), 16, "pair id");
    check(m.device_id(), 16, "device id");
    check(m.pair_root_key(), 32, "pair root key");
    BackupContents c;
    c.pair_id = m.pair_id();
    c.device_id = m.device_id();
    c.partner_device_id = m.partner_device_id();
    c.partner_identity_key = m.partner_identity_key();
    c.pair_root_key = SecretBytes::copy_of(m.pair_root_key());
    for (const auto& e : m.epoch_keys()) {
      check(e.key(), 32, "epoch key");
      c.epoch_keys.emplace(e.epoch(), SecretBytes::copy_of(e.key()));
    }
    c.current_epoch = m.current_epoch();
    c.server_id = m.server_id();
    c.created_at_ms = m.created_at_ms();
    for (const auto& f : m.former_devices()) {
      check(f.device_id(), 16, "former device id");
      c.former_devices.push_back(detail::former_from_proto(f));
    }
    wipe_contents(m);
    return c;
  } catch (...) {
    wipe_contents(m);
    throw;
  }
}

}  // namespace

namespace detail {

std::string seal_backup_with_nonce(const BackupContents& contents, const BackupKeys& keys,
                                   std::string_view nonce) {
  ensure_sodium();
  if (nonce.size() != kBackupNonceBytes || keys.wrapping_key.size() != kKdfKeyBytes ||
      keys.backup_id.size() != kBackupIdBytes)
    throw std::invalid_argument("seal_backup: bad nonce or key length");
  const SecretBytes plaintext = serialize_backup_contents(contents);
  const std::string ad = associated_data(keys);
  std::string blob;
  blob.push_back(static_cast<char>(kBackupVersion));
  blob += nonce;
  const size_t header = blob.size();
  blob.resize(header + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(u8(blob) + header, &written, plaintext.data(),
                                             plaintext.size(), u8(ad), ad.size(), nullptr,
                                             u8(nonce), keys.wrapping_key.data());
  blob.resize(header + written);
  return blob;
}

}  // namespace detail

std::string seal_backup(const BackupContents& contents, const BackupKeys& keys) {
  std::string nonce(kBackupNonceBytes, '\0');
  randombytes_buf(nonce.data(), nonce.size());
  return detail::seal_backup_with_nonce(contents, keys, nonce);
}

BackupContents open_backup(std::string_view blob, const BackupKeys& keys) {
  ensure_sodium();
  if (blob.size() < kBackupOverheadBytes)
    throw Error(Errc::kBackupRefused, "the backup is too short");
  if (static_cast<uint8_t>(blob[0]) != kBackupVersion)
    throw Error(Errc::kBackupRefused, "unknown backup version");
  const std::string_view nonce = blob.substr(1, kBackupNonceBytes);
  const std::string_view ciphertext = blob.substr(1 + kBackupNonceBytes);
  const std::string ad = associated_data(keys);
  SecretBytes plaintext(ciphertext.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long plain_len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plaintext.data(), &plain_len, nullptr, u8(ciphertext), ciphertext.size(), u8(ad),
          ad.size(), u8(nonce), keys.wrapping_key.data()) != 0)
    throw Error(Errc::kBackupRefused,
                "it does not open with this recovery code (wrong code, or altered)");
  plaintext.shrink(plain_len);
  return parse_contents(plaintext.view(), Errc::kBackupRefused);
}

SecretBytes serialize_backup_contents(const BackupContents& contents) {
  std::string s = serialize(contents);
  SecretBytes out = SecretBytes::copy_of(s);
  wipe(s);
  return out;
}

BackupContents parse_backup_contents(std::string_view bytes) {
  return parse_contents(bytes, Errc::kKeystoreDamaged);
}

}  // namespace mend::client
