#pragma once

#include <string>
#include <string_view>

#include "mend/common/secret_bytes.h"

namespace mend::client {

inline constexpr size_t kSigningSeedBytes = 32;
inline constexpr size_t kKxSecretKeyBytes = 32;
inline constexpr size_t kPublicKeyBytes = 32;

// A device's long-term keys: Ed25519 (crypto_sign) for authentication to the relay
// and for signing pairing transcripts, X25519 (crypto_kx) for key agreement. The
// device id is BLAKE2b-128 of the Ed25519 public key (common/ids.h).
//
// Only the two 32-byte seeds are stored; everything else is derived from them, so a
// keystore cannot hold a secret key that disagrees with its public key.
class DeviceIdentity {
 public:
  // Fresh keys from the OS CSPRNG.
  static DeviceIdentity generate();
  // Rebuilds the keys from their seeds (as stored in the keystore). Throws
  // std::invalid_argument on wrong sizes.
  static DeviceIdentity from_seeds(SecretBytes signing_seed, SecretBytes kx_secret_key);

  // The 64-byte libsodium Ed25519 secret key (seed || public key), read-only memory.
  const SecretBytes& signing_secret_key() const { return signing_secret_key_; }
  const SecretBytes& signing_seed() const { return signing_seed_; }
  const std::string& signing_public_key() const { return signing_public_key_; }
  const SecretBytes& kx_secret_key() const { return kx_secret_key_; }
  const std::string& kx_public_key() const { return kx_public_key_; }
  // 16 bytes, BLAKE2b-128 of signing_public_key().
  const std::string& device_id() const { return device_id_; }

  // Detached Ed25519 signature of `message`.
  std::string sign(std::string_view message) const;

 private:
  DeviceIdentity() = default;

  SecretBytes signing_seed_;
  SecretBytes signing_secret_key_;
  std::string signing_public_key_;
  SecretBytes kx_secret_key_;
  std::string kx_public_key_;
  std::string device_id_;
};

}  // namespace mend::client
