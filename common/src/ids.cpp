#include "mend/common/ids.h"

#include <sodium.h>

#include "mend/common/sodium_init.h"

namespace mend {

std::string device_id_for(std::string_view signing_public_key) {
  ensure_sodium();
  std::string id(kDeviceIdBytes, '\0');
  crypto_generichash(reinterpret_cast<unsigned char*>(id.data()), id.size(),
                     reinterpret_cast<const unsigned char*>(signing_public_key.data()),
                     signing_public_key.size(), nullptr, 0);
  return id;
}

std::string random_bytes(size_t n) {
  ensure_sodium();
  std::string out(n, '\0');
  randombytes_buf(out.data(), out.size());
  return out;
}

}  // namespace mend
