#pragma once

#include <string>

namespace mend {

// A device identity whose keys live in ordinary memory: for tests and load
// generators only. Real devices use the client keystore (secrets in
// sodium_malloc'd memory, encrypted at rest).
struct ThrowawayIdentity {
  std::string public_key;  // 32 bytes, Ed25519
  std::string secret_key;  // 64 bytes (libsodium form)
  std::string device_id;   // 16 bytes, device_id_for(public_key)
  static ThrowawayIdentity generate();
};

}  // namespace mend
