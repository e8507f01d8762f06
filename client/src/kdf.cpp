#include "mend/client/kdf.h"

#include <sodium.h>

#include <stdexcept>

#include "mend/common/sodium_init.h"

namespace mend::client {

static_assert(kKdfKeyBytes == crypto_kdf_KEYBYTES);
static_assert(kKdfContextBytes == crypto_kdf_CONTEXTBYTES);
static_assert(kKdfSubkeyMinBytes == crypto_kdf_BYTES_MIN);
static_assert(kKdfSubkeyMaxBytes == crypto_kdf_BYTES_MAX);

SecretBytes derive_subkey(std::string_view key, uint64_t subkey_id, std::string_view context,
                          size_t out_len) {
  ensure_sodium();
  if (key.size() != kKdfKeyBytes)
    throw std::invalid_argument("derive_subkey: key must be 32 bytes");
  // crypto_kdf reads exactly 8 context bytes; a shorter string would read past its end.
  if (context.size() != kKdfContextBytes)
    throw std::invalid_argument("derive_subkey: context must be exactly 8 bytes");
  if (out_len < kKdfSubkeyMinBytes || out_len > kKdfSubkeyMaxBytes)
    throw std::invalid_argument("derive_subkey: subkey length must be 16..64 bytes");
  SecretBytes out(out_len);
  if (crypto_kdf_derive_from_key(out.data(), out.size(), subkey_id, context.data(),
                                 reinterpret_cast<const unsigned char*>(key.data())) != 0)
    throw std::invalid_argument("derive_subkey: crypto_kdf_derive_from_key refused its input");
  return out;
}

}  // namespace mend::client
