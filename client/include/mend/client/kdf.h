#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "mend/common/secret_bytes.h"

namespace mend::client {

inline constexpr size_t kKdfKeyBytes = 32;
inline constexpr size_t kKdfContextBytes = 8;
inline constexpr size_t kKdfSubkeyMinBytes = 16;
inline constexpr size_t kKdfSubkeyMaxBytes = 64;

// Every KDF context Mend uses, in one place so that docs/PROTOCOL.md part II and the
// code cannot drift apart. Each is exactly 8 bytes (libsodium's crypto_kdf context).
namespace kdf_context {
inline constexpr std::string_view kSas = "mendSAS_";       // id 1: short authentication string
inline constexpr std::string_view kConfirm = "mendconf";   // id 2: pairing confirmation key
inline constexpr std::string_view kPairRoot = "mendroot";  // id 3: pair root key
inline constexpr std::string_view kMessage = "mendmsg_";   // id = sender counter: message key
inline constexpr std::string_view kKeystore = "mendkeys";  // id 1: file key, id 2: passphrase check
inline constexpr std::string_view kEpoch =
    "mendepch";  // id = epoch: history key from the pair root
inline constexpr std::string_view kLocal = "mendlocl";  // id 1: local history store content key
inline constexpr std::string_view kBackup =
    "mendbkup";  // from the recovery code's Argon2id output: id 1 backup_id, id 2 wrapping key
}  // namespace kdf_context

// crypto_kdf_derive_from_key(out_len, subkey_id, context, key). libsodium 1.0.18 has
// no HKDF; this is the one subkey derivation Mend uses. It equals
//   BLAKE2b(message = "", key = key, outlen = out_len,
//           salt = LE64(subkey_id) || 8 zero bytes,
//           personal = context || 8 zero bytes)
// which is how implementations without a crypto_kdf binding (PyNaCl) reproduce it.
// Throws std::invalid_argument unless key is 32 bytes, context 8 bytes and
// 16 <= out_len <= 64.
SecretBytes derive_subkey(std::string_view key, uint64_t subkey_id, std::string_view context,
                          size_t out_len);

}  // namespace mend::client
