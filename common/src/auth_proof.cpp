#include "mend/common/auth_proof.h"

#include <sodium.h>

#include <stdexcept>

#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"

namespace mend {

namespace {
constexpr std::string_view kContext{"mend-auth-v1\0", 13};

const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
}  // namespace

std::string auth_message(std::string_view server_id, std::string_view nonce) {
  std::string m;
  m.reserve(kContext.size() + server_id.size() + nonce.size());
  m.append(kContext).append(server_id).append(nonce);
  return m;
}

std::string sign_auth(std::string_view secret_key, std::string_view server_id,
                      std::string_view nonce) {
  ensure_sodium();
  if (secret_key.size() != crypto_sign_SECRETKEYBYTES)
    throw std::invalid_argument("sign_auth: secret key must be 64 bytes");
  const std::string m = auth_message(server_id, nonce);
  std::string sig(crypto_sign_BYTES, '\0');
  crypto_sign_detached(reinterpret_cast<unsigned char*>(sig.data()), nullptr, u8(m), m.size(),
                       u8(secret_key));
  return sig;
}

bool verify_auth(std::string_view public_key, std::string_view signature,
                 std::string_view server_id, std::string_view nonce) {
  ensure_sodium();
  if (public_key.size() != kSigningPublicKeyBytes || signature.size() != kSignatureBytes ||
      server_id.size() != kServerIdBytes || nonce.size() != kChallengeNonceBytes)
    return false;
  const std::string m = auth_message(server_id, nonce);
  return crypto_sign_verify_detached(u8(signature), u8(m), m.size(), u8(public_key)) == 0;
}

}  // namespace mend
