#pragma once

// Byte helpers shared by the client's unit tests.

#include <cstddef>
#include <string>

namespace mend::client::test {

// `n` bytes first, first+1, ... (mod 256): the inputs of the known-answer vectors.
inline std::string seq(unsigned char first, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>(first + i);
  return s;
}

}  // namespace mend::client::test
