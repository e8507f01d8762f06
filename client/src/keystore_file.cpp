#include "keystore_file.h"

#include <sodium.h>

#include "bytes.h"
#include "mend/client/error.h"
#include "mend/client/kdf.h"
#include "mend/common/sodium_init.h"

namespace mend::client::detail {

static_assert(kKeystoreSaltBytes == crypto_pwhash_SALTBYTES);
static_assert(kKeystoreNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kPwhashArgon2id13 == crypto_pwhash_ALG_ARGON2ID13);
static_assert(kKeystoreHeaderBytes == 6 + 1 + 1 + 8 + 8 + kKeystoreSaltBytes + kKeystoreNonceBytes +
                                          kPassphraseCheckBytes + 4);

namespace {

// A hostile or corrupted file must not make us spend minutes or gigabytes in
// Argon2id before we can say "wrong passphrase": anything above SENSITIVE is refused.
constexpr uint64_t kMaxOpslimit = crypto_pwhash_OPSLIMIT_SENSITIVE;
constexpr uint64_t kMaxMemlimit = crypto_pwhash_MEMLIMIT_SENSITIVE;

[[noreturn]] void damaged(const std::string& why) { throw Error(Errc::kKeystoreDamaged, why); }

}  // namespace

PassphraseKeys derive_passphrase_keys(std::string_view passphrase, std::string_view salt,
                                      const PwhashLimits& limits) {
  ensure_sodium();
  if (salt.size() != kKeystoreSaltBytes) throw std::invalid_argument("keystore salt size");
  SecretBytes master(32);
  if (crypto_pwhash(master.data(), master.size(), passphrase.data(), passphrase.size(), u8(salt),
                    limits.opslimit, static_cast<size_t>(limits.memlimit),
                    crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("Argon2id failed (not enough memory for the passphrase hash?)");
  PassphraseKeys k;
  k.file_key = derive_subkey(master.view(), 1, kdf_context::kKeystore, 32);
  k.passphrase_check =
      derive_subkey(master.view(), 2, kdf_context::kKeystore, kPassphraseCheckBytes)
          .insecure_copy();
  return k;
}

std::string encode_keystore_header(const KeystoreHeader& h) {
  std::string out;
  out.reserve(kKeystoreHeaderBytes);
  out.append(kKeystoreMagic);
  out.push_back(static_cast<char>(kKeystoreVersion));
  out.push_back(static_cast<char>(kPwhashArgon2id13));
  append_le64(out, h.opslimit);
  append_le64(out, h.memlimit);
  out.append(h.salt).append(h.nonce).append(h.passphrase_check);
  append_le32(out, h.ciphertext_size);
  if (out.size() != kKeystoreHeaderBytes) throw std::logic_error("keystore header size");
  return out;
}

std::string assemble_keystore_file(std::string_view header_bytes, std::string_view ciphertext) {
  std::string out;
  out.reserve(header_bytes.size() + ciphertext.size() + kKeystoreChecksumBytes);
  out.append(header_bytes).append(ciphertext);
  out.append(blake2b(out, kKeystoreChecksumBytes));
  return out;
}

KeystoreFileParts parse_keystore_file(std::string_view file) {
  if (file.size() < kKeystoreMagic.size() ||
      file.substr(0, kKeystoreMagic.size()) != kKeystoreMagic)
    damaged("not a Mend keystore (no MENDKS signature)");
  if (file.size() < kKeystoreMagic.size() + 1) damaged("truncated");
  const auto version = static_cast<uint8_t>(file[6]);
  if (version == 0) damaged("format version 0");
  if (version > kKeystoreVersion)
    throw Error(Errc::kKeystoreUnsupported,
                "format version " + std::to_string(version) + " is newer than this mend knows (" +
                    std::to_string(kKeystoreVersion) + "); upgrade mend");
  if (file.size() < kKeystoreHeaderBytes + kPassphraseCheckBytes + kKeystoreChecksumBytes)
    damaged("truncated");

  KeystoreFileParts parts;
  KeystoreHeader& h = parts.header;
  h.ciphertext_size = read_le32(file, 80);
  const size_t expected = kKeystoreHeaderBytes + size_t{h.ciphertext_size} + kKeystoreChecksumBytes;
  if (file.size() < expected) damaged("truncated");
  if (file.size() > expected) damaged("unexpected bytes after the end");
  const std::string_view body = file.substr(0, expected - kKeystoreChecksumBytes);
  const std::string sum = blake2b(body, kKeystoreChecksumBytes);
  if (sodium_memcmp(sum.data(), file.data() + body.size(), kKeystoreChecksumBytes) != 0)
    damaged("checksum mismatch (the file was corrupted or partly overwritten)");

  if (static_cast<uint8_t>(file[7]) != kPwhashArgon2id13) damaged("unknown passphrase hash");
  h.opslimit = read_le64(file, 8);
  h.memlimit = read_le64(file, 16);
  if (h.opslimit < crypto_pwhash_OPSLIMIT_MIN || h.opslimit > kMaxOpslimit ||
      h.memlimit < crypto_pwhash_MEMLIMIT_MIN || h.memlimit > kMaxMemlimit)
    damaged("passphrase hash parameters out of range");
  h.salt = std::string(file.substr(24, kKeystoreSaltBytes));
  h.nonce = std::string(file.substr(40, kKeystoreNonceBytes));
  h.passphrase_check = std::string(file.substr(64, kPassphraseCheckBytes));
  if (h.ciphertext_size < crypto_aead_xchacha20poly1305_ietf_ABYTES) damaged("empty ciphertext");
  parts.header_bytes = file.substr(0, kKeystoreHeaderBytes);
  parts.ciphertext = file.substr(kKeystoreHeaderBytes, h.ciphertext_size);
  return parts;
}

}  // namespace mend::client::detail
