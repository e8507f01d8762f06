#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mend::client {

inline constexpr size_t kSafetyNumberGroups = 12;  // 12 groups of 5 digits = 60 digits
inline constexpr unsigned kSafetyNumberIterations = 5200;

// The couple safety number: a fingerprint of both partners' Ed25519 identity keys
// that both devices compute identically and `mend verify` shows at any time.
//
//   lo, hi = the two 32-byte public keys, sorted bytewise (memcmp order)
//   H_1    = BLAKE2b-512("mend-safety-number-v1" || lo || hi)
//   H_i    = BLAKE2b-512(H_{i-1} || lo || hi)          for i = 2..5200
//   digits = 12 groups of 5: group g is bytes [5g, 5g+5) of H_5200 read big-endian,
//            mod 100000, zero-padded; groups separated by one space.
//
// Iterating (as Signal does) multiplies the cost of grinding a key whose number
// resembles a target's. Throws std::invalid_argument on wrong sizes or equal keys.
std::string couple_safety_number(std::string_view identity_key_a, std::string_view identity_key_b);

}  // namespace mend::client
