#include "mend/client/keystore.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "atomic_file.h"
#include "bytes.h"
#include "former_device_proto.h"
#include "keystore_file.h"
#include "mend/client/error.h"
#include "mend/client/kdf.h"
#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"
#include "mend/common/wall_clock.h"
#include "mend/v1/keystore.pb.h"

namespace mend::client {

namespace fs = std::filesystem;
namespace pb = mend::v1::keystore;
using detail::u8;

PwhashLimits PwhashLimits::moderate() {
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}
PwhashLimits PwhashLimits::interactive() {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

namespace {

constexpr uint32_t kContentsVersion = 1;
constexpr size_t kKeyBytes = 32;

[[noreturn]] void damaged(const std::string& why) { throw Error(Errc::kKeystoreDamaged, why); }

std::string read_keystore_file(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) throw Error(Errc::kKeystoreNotFound, path.string());
    throw Error(Errc::kIo, "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw Error(Errc::kIo, "cannot read " + path.string() + ": " + std::strerror(err));
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > detail::kKeystoreMaxBytes) {
      ::close(fd);
      damaged("implausibly large for a keystore");
    }
  }
  ::close(fd);
  return out;
}

// protobuf keeps ordinary-string copies of every secret it serializes or parses.
void wipe_secrets(pb::Contents& c) {
  wipe(*c.mutable_identity()->mutable_signing_seed());
  wipe(*c.mutable_identity()->mutable_kx_secret_key());
  wipe(*c.mutable_pair()->mutable_pair_root_key());
  for (auto& e : *c.mutable_pair()->mutable_epoch_keys()) wipe(*e.mutable_key());
  wipe(*c.mutable_pending_pairing());
  wipe(*c.mutable_local_store_key());
  wipe(*c.mutable_restored_backup());
}

PairRecord pair_from_proto(const pb::Pair& p) {
  if (p.pair_id().size() != kPairIdBytes || p.partner_device_id().size() != kDeviceIdBytes ||
      p.partner_identity_key().size() != kPublicKeyBytes || p.pair_root_key().size() != kKeyBytes)
    damaged("pair record has wrong sizes");
  PairRecord r;
  r.pair_id = p.pair_id();
  r.partner_device_id = p.partner_device_id();
  r.partner_identity_key = p.partner_identity_key();
  r.pair_root_key = SecretBytes::copy_of(p.pair_root_key());
  for (const auto& e : p.epoch_keys()) {
    if (e.key().size() != kKeyBytes) damaged("epoch key has the wrong size");
    if (!r.epoch_keys.emplace(e.epoch(), SecretBytes::copy_of(e.key())).second)
      damaged("epoch " + std::to_string(e.epoch()) + " appears twice");
  }
  r.current_epoch = p.current_epoch();
  r.paired_at_ms = p.paired_at_ms();
  if (!p.server_id().empty() && p.server_id().size() != kServerIdBytes)
    damaged("pair record has a server id of the wrong size");
  r.server_id = p.server_id();
  for (const auto& f : p.former_devices()) {
    if (f.device_id().size() != kDeviceIdBytes) damaged("a former device id has the wrong size");
    r.former_devices.push_back(detail::former_from_proto(f));
  }
  r.replacement_epoch = p.replacement_epoch();
  r.partner_min_epoch = p.partner_min_epoch();
  return r;
}

void pair_to_proto(const PairRecord& r, pb::Pair& p) {
  p.set_pair_id(r.pair_id);
  p.set_partner_device_id(r.partner_device_id);
  p.set_partner_identity_key(r.partner_identity_key);
  p.set_pair_root_key(r.pair_root_key.data(), r.pair_root_key.size());
  for (const auto& [epoch, key] : r.epoch_keys) {
    pb::EpochKey* e = p.add_epoch_keys();
    e->set_epoch(epoch);
    e->set_key(key.data(), key.size());
  }
  p.set_current_epoch(r.current_epoch);
  p.set_paired_at_ms(r.paired_at_ms);
  p.set_server_id(r.server_id);
  for (const FormerDevice& f : r.former_devices) detail::former_to_proto(f, p.add_former_devices());
  p.set_replacement_epoch(r.replacement_epoch);
  p.set_partner_min_epoch(r.partner_min_epoch);
}

}  // namespace

Keystore Keystore::create(const fs::path& path, std::string_view passphrase,
                          const PwhashLimits& limits, IfExists if_exists) {
  ensure_sodium();
  // Fail before spending a second in Argon2id; the final no-replace rename in
  // write() still guards against a file appearing in between.
  std::error_code ec;
  if (if_exists == IfExists::kRefuse && fs::exists(fs::symlink_status(path, ec)))
    throw Error(Errc::kKeystoreExists, path.string());

  Keystore ks;
  ks.path_ = path;
  ks.identity_.emplace(DeviceIdentity::generate());
  ks.created_at_ms_ = unix_ms();
  ks.limits_ = limits;
  ks.salt_ = random_bytes(detail::kKeystoreSaltBytes);
  detail::PassphraseKeys keys = detail::derive_passphrase_keys(passphrase, ks.salt_, limits);
  ks.file_key_ = std::move(keys.file_key);
  ks.passphrase_check_ = std::move(keys.passphrase_check);
  ks.write(if_exists);
  return ks;
}

Keystore Keystore::open(const fs::path& path, std::string_view passphrase) {
  ensure_sodium();
  const std::string file = read_keystore_file(path);
  const detail::KeystoreFileParts parts = detail::parse_keystore_file(file);
  const PwhashLimits limits{parts.header.opslimit, parts.header.memlimit};

  detail::PassphraseKeys keys =
      detail::derive_passphrase_keys(passphrase, parts.header.salt, limits);
  if (sodium_memcmp(keys.passphrase_check.data(), parts.header.passphrase_check.data(),
                    detail::kPassphraseCheckBytes) != 0)
    throw Error(Errc::kWrongPassphrase);

  const size_t plain_size = parts.ciphertext.size() - crypto_aead_xchacha20poly1305_ietf_ABYTES;
  SecretBytes plain(plain_size);
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(plain.data(), &plen, nullptr, u8(parts.ciphertext),
                                                 parts.ciphertext.size(), u8(parts.header_bytes),
                                                 parts.header_bytes.size(), u8(parts.header.nonce),
                                                 keys.file_key.data()) != 0)
    // The passphrase is right and the checksum matches, so this is deliberate.
    damaged("contents fail authentication although the passphrase is right (altered file)");

  pb::Contents contents;
  const bool parsed = contents.ParseFromArray(plain.data(), static_cast<int>(plain.size()));
  Keystore ks;
  try {
    if (!parsed) damaged("contents do not parse");
    if (contents.version() != kContentsVersion) damaged("unknown contents version");
    const pb::Identity& id = contents.identity();
    if (id.signing_seed().size() != kSigningSeedBytes ||
        id.kx_secret_key().size() != kKxSecretKeyBytes)
      damaged("identity keys missing or of the wrong size");
    ks.identity_.emplace(DeviceIdentity::from_seeds(SecretBytes::copy_of(id.signing_seed()),
                                                    SecretBytes::copy_of(id.kx_secret_key())));
    ks.created_at_ms_ = id.created_at_ms();
    if (contents.has_pair()) ks.pair_ = pair_from_proto(contents.pair());
    if (!contents.pending_pairing().empty())
      ks.pending_pairing_ = SecretBytes::copy_of(contents.pending_pairing());
    if (!contents.local_store_key().empty()) {
      if (contents.local_store_key().size() != kKeyBytes)
        damaged("local store key has the wrong size");
      ks.local_store_key_ = SecretBytes::copy_of(contents.local_store_key());
    }
    ks.server_url_ = contents.server_url();
    if (!contents.restored_backup().empty())
      ks.restored_backup_ = SecretBytes::copy_of(contents.restored_backup());
  } catch (...) {
    wipe_secrets(contents);
    throw;
  }
  wipe_secrets(contents);
  ks.path_ = path;
  ks.limits_ = limits;
  ks.salt_ = parts.header.salt;
  ks.file_key_ = std::move(keys.file_key);
  ks.passphrase_check_ = std::move(keys.passphrase_check);
  return ks;
}

void Keystore::save() { write(IfExists::kReplace); }

const SecretBytes& Keystore::local_store_key() {
  if (local_store_key_.empty()) local_store_key_ = SecretBytes::random(kKeyBytes);
  return local_store_key_;
}

void Keystore::change_passphrase(std::string_view new_passphrase, const PwhashLimits& limits) {
  std::string salt = random_bytes(detail::kKeystoreSaltBytes);
  detail::PassphraseKeys keys = detail::derive_passphrase_keys(new_passphrase, salt, limits);
  PwhashLimits new_limits = limits;
  const auto exchange = [&] {
    std::swap(salt_, salt);
    std::swap(file_key_, keys.file_key);
    std::swap(passphrase_check_, keys.passphrase_check);
    std::swap(limits_, new_limits);
  };
  exchange();
  try {
    write(IfExists::kReplace);
  } catch (...) {
    // The file still holds the old passphrase's key, so keep using that one.
    exchange();
    throw;
  }
}

void Keystore::write(IfExists if_exists) {
  pb::Contents contents;
  contents.set_version(kContentsVersion);
  pb::Identity* id = contents.mutable_identity();
  id->set_signing_seed(identity_->signing_seed().data(), identity_->signing_seed().size());
  id->set_kx_secret_key(identity_->kx_secret_key().data(), identity_->kx_secret_key().size());
  id->set_created_at_ms(created_at_ms_);
  if (pair_) pair_to_proto(*pair_, *contents.mutable_pair());
  if (!pending_pairing_.empty())
    contents.set_pending_pairing(pending_pairing_.data(), pending_pairing_.size());
  if (!local_store_key_.empty())
    contents.set_local_store_key(local_store_key_.data(), local_store_key_.size());
  contents.set_server_url(server_url_);
  if (!restored_backup_.empty())
    contents.set_restored_backup(restored_backup_.data(), restored_backup_.size());

  SecretBytes plain(contents.ByteSizeLong());
  const bool ok = contents.SerializeToArray(plain.data(), static_cast<int>(plain.size()));
  wipe_secrets(contents);
  if (!ok) throw std::runtime_error("keystore: could not serialize contents");

  detail::KeystoreHeader h;
  h.opslimit = limits_.opslimit;
  h.memlimit = limits_.memlimit;
  h.salt = salt_;
  h.nonce = random_bytes(detail::kKeystoreNonceBytes);
  h.passphrase_check = passphrase_check_;
  h.ciphertext_size =
      static_cast<uint32_t>(plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  const std::string header = detail::encode_keystore_header(h);

  std::string ciphertext(h.ciphertext_size, '\0');
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(u8(ciphertext), &clen, plain.data(), plain.size(),
                                             u8(header), header.size(), nullptr, u8(h.nonce),
                                             file_key_.data());
  detail::write_file_atomically(
      path_, detail::assemble_keystore_file(header, ciphertext),
      if_exists == IfExists::kReplace ? detail::IfExists::kReplace : detail::IfExists::kRefuse);
}

}  // namespace mend::client
