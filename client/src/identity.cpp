#include "mend/client/identity.h"

#include <sodium.h>

#include <stdexcept>

#include "bytes.h"
#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"

namespace mend::client {

static_assert(kSigningSeedBytes == crypto_sign_SEEDBYTES);
static_assert(kKxSecretKeyBytes == crypto_kx_SECRETKEYBYTES);
static_assert(kPublicKeyBytes == crypto_sign_PUBLICKEYBYTES);
static_assert(kPublicKeyBytes == crypto_kx_PUBLICKEYBYTES);

using detail::u8;

DeviceIdentity DeviceIdentity::generate() {
  ensure_sodium();
  return from_seeds(SecretBytes::random(kSigningSeedBytes), SecretBytes::random(kKxSecretKeyBytes));
}

DeviceIdentity DeviceIdentity::from_seeds(SecretBytes signing_seed, SecretBytes kx_secret_key) {
  ensure_sodium();
  if (signing_seed.size() != kSigningSeedBytes || kx_secret_key.size() != kKxSecretKeyBytes)
    throw std::invalid_argument("DeviceIdentity: seeds must be 32 bytes each");
  DeviceIdentity id;
  id.signing_public_key_.assign(kPublicKeyBytes, '\0');
  id.signing_secret_key_ = SecretBytes(crypto_sign_SECRETKEYBYTES);
  crypto_sign_seed_keypair(u8(id.signing_public_key_), id.signing_secret_key_.data(),
                           signing_seed.data());
  // crypto_kx secret keys are X25519 scalars; the public key is scalar * base point,
  // exactly what crypto_kx_keypair would have produced.
  id.kx_public_key_.assign(kPublicKeyBytes, '\0');
  crypto_scalarmult_base(u8(id.kx_public_key_), kx_secret_key.data());
  id.device_id_ = device_id_for(id.signing_public_key_);

  id.signing_seed_ = std::move(signing_seed);
  id.kx_secret_key_ = std::move(kx_secret_key);
  // Identity keys live as long as the process; nothing writes to them after this.
  id.signing_seed_.make_readonly();
  id.signing_secret_key_.make_readonly();
  id.kx_secret_key_.make_readonly();
  return id;
}

std::string DeviceIdentity::sign(std::string_view message) const {
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(u8(sig), nullptr, u8(message), message.size(), signing_secret_key_.data());
  return sig;
}

}  // namespace mend::client
