#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "mend/client/error.h"
#include "mend/common/secret_bytes.h"

namespace mend::client {

inline constexpr size_t kEpochKeyBytes = 32;
inline constexpr size_t kEnvelopeNonceBytes = 24;  // XChaCha20: random nonces are safe
inline constexpr size_t kEnvelopeTagBytes = 16;    // Poly1305
// Plaintexts are padded (ISO/IEC 7816-4, sodium_pad) to a multiple of this, so the
// relay learns sizes only to within 256 bytes.
inline constexpr size_t kPaddingBucket = 256;
inline constexpr size_t kEnvelopeHashBytes = 32;

// The length of the padded plaintext for a plaintext of `plaintext_size` bytes: the
// next multiple of 256 strictly above it (sodium_pad always adds at least one byte).
// The sender writes it into EnvelopeHeader.padded_length before sealing, because the
// header is the associated data.
size_t padded_length(size_t plaintext_size);

// The padded length that an envelope ciphertext carries (its size minus nonce and
// tag), for checking EnvelopeHeader.padded_length on receipt.
size_t padded_length_of_ciphertext(size_t ciphertext_size);

// The history key of `epoch` for a freshly paired couple:
// crypto_kdf(pair_root_key, id = epoch, context "mendepch"), 32 bytes. Both devices
// derive epoch 1 from the pair root key right after pairing, so no key has to travel.
SecretBytes epoch_key_from_root(const SecretBytes& pair_root_key, uint32_t epoch);

// Epochs after 1 are made by one device each, so that two rotations at the same time
// never pick the same number: the device whose id sorts first (bytewise) owns the even
// epochs, the other the odd ones. This is the parity (0 even, 1 odd) `device_id` owns.
uint32_t epoch_parity(std::string_view device_id, std::string_view partner_device_id);
// The next epoch `device_id` may create above `newest_epoch` (at least 2).
uint32_t next_owned_epoch(uint32_t newest_epoch, std::string_view device_id,
                          std::string_view partner_device_id);

// Per-message key: crypto_kdf(epoch_key, id = sender_counter, context "mendmsg_"), 32 bytes.
SecretBytes message_key(const SecretBytes& epoch_key, uint64_t sender_counter);

// ciphertext = nonce (24, random) || XChaCha20-Poly1305-IETF(
//                 key = message_key(epoch_key, sender_counter),
//                 nonce, AD = header_bytes, message = sodium_pad(plaintext, 256)).
// `header_bytes` are the exact serialized EnvelopeHeader bytes that travel in the
// Envelope; `sender_counter` must equal the header's sender_counter. Throws
// std::invalid_argument on a wrong key size or a plaintext too large for the header's
// 32-bit padded_length.
std::string seal_envelope(std::string_view plaintext, std::string_view header_bytes,
                          const SecretBytes& epoch_key, uint64_t sender_counter);

// The inverse of seal_envelope. Errors (never a partial plaintext):
//   kMalformedEnvelope     the length cannot come from seal_envelope
//   kAuthenticationFailed  header, nonce or ciphertext altered, or wrong key/counter/epoch
//   kBadPadding            authentic but not validly padded: the sender is broken or hostile
Result<SecretBytes> open_envelope(std::string_view ciphertext, std::string_view header_bytes,
                                  const SecretBytes& epoch_key, uint64_t sender_counter);

// The link in a sender's hash chain: BLAKE2b-256(header_bytes || ciphertext), unkeyed.
// The next envelope of the same sender carries it as EnvelopeHeader.previous_hash.
std::string envelope_hash(std::string_view header_bytes, std::string_view ciphertext);

}  // namespace mend::client
