#pragma once

#include <string>
#include <string_view>

namespace mend {

// The bytes a device signs to answer a server challenge:
//   "mend-auth-v1" 0x00 || server_id (16) || nonce (32)
// Binding the server id stops a proof made for one server from being used on another.
std::string auth_message(std::string_view server_id, std::string_view nonce);

// Ed25519 detached signature of auth_message(); `secret_key` is the 64-byte libsodium form.
std::string sign_auth(std::string_view secret_key, std::string_view server_id,
                      std::string_view nonce);

// True only if every size is right and the signature verifies.
bool verify_auth(std::string_view public_key, std::string_view signature,
                 std::string_view server_id, std::string_view nonce);

}  // namespace mend
