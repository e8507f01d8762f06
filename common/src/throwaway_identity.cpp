#include "mend/common/throwaway_identity.h"

#include <sodium.h>

#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"

namespace mend {

ThrowawayIdentity ThrowawayIdentity::generate() {
  ensure_sodium();
  ThrowawayIdentity id;
  id.public_key.resize(crypto_sign_PUBLICKEYBYTES);
  id.secret_key.resize(crypto_sign_SECRETKEYBYTES);
  crypto_sign_keypair(reinterpret_cast<unsigned char*>(id.public_key.data()),
                      reinterpret_cast<unsigned char*>(id.secret_key.data()));
  id.device_id = device_id_for(id.public_key);
  return id;
}

}  // namespace mend
