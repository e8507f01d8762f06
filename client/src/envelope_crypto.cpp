#include "mend/client/envelope_crypto.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include "bytes.h"
#include "envelope_internal.h"
#include "mend/client/kdf.h"
#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"

namespace mend::client {

static_assert(kEnvelopeNonceBytes == crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
static_assert(kEnvelopeTagBytes == crypto_aead_xchacha20poly1305_ietf_ABYTES);
static_assert(kEpochKeyBytes == crypto_aead_xchacha20poly1305_ietf_KEYBYTES);

using detail::u8;

size_t padded_length(size_t plaintext_size) {
  return (plaintext_size / kPaddingBucket + 1) * kPaddingBucket;
}

size_t padded_length_of_ciphertext(size_t ciphertext_size) {
  constexpr size_t kOverhead = kEnvelopeNonceBytes + kEnvelopeTagBytes;
  return ciphertext_size < kOverhead ? 0 : ciphertext_size - kOverhead;
}

SecretBytes message_key(const SecretBytes& epoch_key, uint64_t sender_counter) {
  if (epoch_key.size() != kEpochKeyBytes)
    throw std::invalid_argument("message_key: epoch key must be 32 bytes");
  return derive_subkey(epoch_key.view(), sender_counter, kdf_context::kMessage, kEpochKeyBytes);
}

SecretBytes epoch_key_from_root(const SecretBytes& pair_root_key, uint32_t epoch) {
  if (pair_root_key.size() != kEpochKeyBytes)
    throw std::invalid_argument("epoch_key_from_root: the pair root key must be 32 bytes");
  return derive_subkey(pair_root_key.view(), epoch, kdf_context::kEpoch, kEpochKeyBytes);
}

uint32_t epoch_parity(std::string_view device_id, std::string_view partner_device_id) {
  return device_id < partner_device_id ? 0 : 1;
}

uint32_t next_owned_epoch(uint32_t newest_epoch, std::string_view device_id,
                          std::string_view partner_device_id) {
  uint32_t e = std::max<uint32_t>(newest_epoch + 1, 2);
  if (e % 2 != epoch_parity(device_id, partner_device_id)) ++e;
  return e;
}

namespace detail {

std::string seal_envelope_with_nonce(std::string_view plaintext, std::string_view header_bytes,
                                     const SecretBytes& epoch_key, uint64_t sender_counter,
                                     std::string_view nonce) {
  ensure_sodium();
  if (nonce.size() != kEnvelopeNonceBytes)
    throw std::invalid_argument("seal_envelope: nonce must be 24 bytes");
  const size_t padded = padded_length(plaintext.size());
  if (padded > std::numeric_limits<uint32_t>::max() || padded < plaintext.size())
    throw std::invalid_argument("seal_envelope: plaintext too large");
  const SecretBytes key = message_key(epoch_key, sender_counter);

  // The padded plaintext is still plaintext: keep it in guarded memory.
  SecretBytes buf(padded);
  if (!plaintext.empty()) std::memcpy(buf.data(), plaintext.data(), plaintext.size());
  size_t actual = 0;
  if (sodium_pad(&actual, buf.data(), plaintext.size(), kPaddingBucket, buf.size()) != 0 ||
      actual != padded)
    throw std::logic_error("seal_envelope: sodium_pad disagrees with padded_length");

  std::string out(kEnvelopeNonceBytes + padded + kEnvelopeTagBytes, '\0');
  std::memcpy(out.data(), nonce.data(), kEnvelopeNonceBytes);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(u8(out) + kEnvelopeNonceBytes, &clen, buf.data(),
                                             buf.size(), u8(header_bytes), header_bytes.size(),
                                             nullptr, u8(out), key.data());
  return out;
}

}  // namespace detail

std::string seal_envelope(std::string_view plaintext, std::string_view header_bytes,
                          const SecretBytes& epoch_key, uint64_t sender_counter) {
  // 24 random bytes: with XChaCha20 the chance of a repeat is negligible even across
  // billions of messages, so no nonce state has to survive a crash or a restore.
  return detail::seal_envelope_with_nonce(plaintext, header_bytes, epoch_key, sender_counter,
                                          random_bytes(kEnvelopeNonceBytes));
}

Result<SecretBytes> open_envelope(std::string_view ciphertext, std::string_view header_bytes,
                                  const SecretBytes& epoch_key, uint64_t sender_counter) {
  ensure_sodium();
  // Checked before any crypto so that a truncated envelope says what it is.
  const size_t padded = padded_length_of_ciphertext(ciphertext.size());
  if (ciphertext.size() < kEnvelopeNonceBytes + kEnvelopeTagBytes + kPaddingBucket ||
      padded % kPaddingBucket != 0)
    return Error(Errc::kMalformedEnvelope, "ciphertext of " + std::to_string(ciphertext.size()) +
                                               " bytes is not nonce + tag + a multiple of 256");
  const SecretBytes key = message_key(epoch_key, sender_counter);

  SecretBytes plain(padded);
  unsigned long long plen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          plain.data(), &plen, nullptr, u8(ciphertext) + kEnvelopeNonceBytes,
          ciphertext.size() - kEnvelopeNonceBytes, u8(header_bytes), header_bytes.size(),
          u8(ciphertext), key.data()) != 0)
    return Error(Errc::kAuthenticationFailed,
                 "the header, nonce or ciphertext was altered, or it was sealed under another "
                 "key, epoch or counter");

  size_t unpadded = 0;
  if (sodium_unpad(&unpadded, plain.data(), plain.size(), kPaddingBucket) != 0)
    return Error(Errc::kBadPadding, "the sender's plaintext is not padded to 256-byte buckets");
  plain.shrink(unpadded);
  return plain;
}

std::string envelope_hash(std::string_view header_bytes, std::string_view ciphertext) {
  ensure_sodium();
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, kEnvelopeHashBytes);
  crypto_generichash_update(&st, u8(header_bytes), header_bytes.size());
  crypto_generichash_update(&st, u8(ciphertext), ciphertext.size());
  std::string out(kEnvelopeHashBytes, '\0');
  crypto_generichash_final(&st, u8(out), out.size());
  return out;
}

}  // namespace mend::client
