#pragma once

// Small byte helpers shared by the client's sources (not part of the public API).

#include <sodium.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "mend/common/secret_bytes.h"

namespace mend::client::detail {

inline const unsigned char* u8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}
inline unsigned char* u8(std::string& s) { return reinterpret_cast<unsigned char*>(s.data()); }

inline void append_le32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline void append_le64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
inline uint32_t read_le32(std::string_view in, size_t at) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}
inline uint64_t read_le64(std::string_view in, size_t at) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}

// Unkeyed or keyed BLAKE2b (crypto_generichash) of public data.
inline std::string blake2b(std::string_view in, size_t out_len, std::string_view key = {}) {
  std::string out(out_len, '\0');
  if (crypto_generichash(u8(out), out.size(), u8(in), in.size(), key.empty() ? nullptr : u8(key),
                         key.size()) != 0)
    throw std::invalid_argument("BLAKE2b: bad output or key length");
  return out;
}

// Keyed BLAKE2b whose output is itself secret.
inline SecretBytes blake2b_secret(std::string_view in, size_t out_len, std::string_view key) {
  SecretBytes out(out_len);
  if (crypto_generichash(out.data(), out.size(), u8(in), in.size(), u8(key), key.size()) != 0)
    throw std::invalid_argument("BLAKE2b: bad output or key length");
  return out;
}

}  // namespace mend::client::detail
