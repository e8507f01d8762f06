#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mend {

// Sizes fixed by the protocol (docs/PROTOCOL.md, "Identifiers").
inline constexpr size_t kDeviceIdBytes = 16;
inline constexpr size_t kPairIdBytes = 16;
inline constexpr size_t kServerIdBytes = 16;
inline constexpr size_t kClientMessageIdBytes = 16;
inline constexpr size_t kChallengeNonceBytes = 32;
inline constexpr size_t kSigningPublicKeyBytes = 32;
inline constexpr size_t kSignatureBytes = 64;

// Device id = BLAKE2b-128 (unkeyed) of the device's Ed25519 public key.
std::string device_id_for(std::string_view signing_public_key);

// `n` bytes from the OS CSPRNG (randombytes_buf).
std::string random_bytes(size_t n);

}  // namespace mend
