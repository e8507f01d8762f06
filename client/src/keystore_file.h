#pragma once

// The keystore file's binary layout (docs/PROTOCOL.md part II, "Keystore file"):
//
//   off  len  field
//     0    6  magic "MENDKS"
//     6    1  format version = 1
//     7    1  pwhash algorithm = 2 (crypto_pwhash_ALG_ARGON2ID13)
//     8    8  opslimit, LE64
//    16    8  memlimit in bytes, LE64
//    24   16  salt
//    40   24  nonce
//    64   16  passphrase check = kdf(master, 2, "mendkeys", 16)
//    80    4  ciphertext length n, LE32
//    84    n  XChaCha20-Poly1305-IETF(key = kdf(master, 1, "mendkeys"), nonce,
//                                     AD = bytes 0..83, keystore.Contents)
//  84+n   32  checksum = BLAKE2b-256(bytes 0 .. 84+n-1), unkeyed
//
// The checksum tells damage (truncation, flipped bits) from a wrong passphrase
// without running Argon2id; the passphrase check tells a wrong passphrase from a
// ciphertext altered with a recomputed checksum.

#include <cstdint>
#include <string>
#include <string_view>

#include "mend/client/keystore.h"
#include "mend/common/secret_bytes.h"

namespace mend::client::detail {

inline constexpr std::string_view kKeystoreMagic = "MENDKS";
inline constexpr uint8_t kKeystoreVersion = 1;
inline constexpr uint8_t kPwhashArgon2id13 = 2;
inline constexpr size_t kKeystoreSaltBytes = 16;
inline constexpr size_t kKeystoreNonceBytes = 24;
inline constexpr size_t kPassphraseCheckBytes = 16;
inline constexpr size_t kKeystoreHeaderBytes = 84;
inline constexpr size_t kKeystoreChecksumBytes = 32;
// Far above any real keystore (a few hundred bytes); refuses to read a huge file.
inline constexpr size_t kKeystoreMaxBytes = 1 << 20;

struct KeystoreHeader {
  uint64_t opslimit = 0;
  uint64_t memlimit = 0;
  std::string salt;              // 16
  std::string nonce;             // 24
  std::string passphrase_check;  // 16
  uint32_t ciphertext_size = 0;
};

// The 84 header bytes (the AEAD associated data).
std::string encode_keystore_header(const KeystoreHeader& h);

// header || ciphertext || checksum.
std::string assemble_keystore_file(std::string_view header_bytes, std::string_view ciphertext);

struct KeystoreFileParts {
  KeystoreHeader header;
  std::string_view header_bytes;  // views into the parsed file
  std::string_view ciphertext;
};

struct PassphraseKeys {
  SecretBytes file_key;          // kdf(master, 1, "mendkeys", 32)
  std::string passphrase_check;  // kdf(master, 2, "mendkeys", 16)
};

// master = crypto_pwhash(32 bytes, passphrase, salt, limits, Argon2id v1.3). The file
// key and the check are independent subkeys, so storing the check reveals nothing
// about the key; it only lets a wrong passphrase be told apart from damage.
PassphraseKeys derive_passphrase_keys(std::string_view passphrase, std::string_view salt,
                                      const PwhashLimits& limits);

// Checks magic, version, sizes, checksum and Argon2id parameter bounds. Throws
// Error(kKeystoreDamaged) or Error(kKeystoreUnsupported); never touches key material.
KeystoreFileParts parse_keystore_file(std::string_view file);

}  // namespace mend::client::detail
