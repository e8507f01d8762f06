#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>

namespace mend::client::detail {

// `groups` groups of 5 decimal digits separated by spaces, group g from bytes
// [5g, 5g+5) read as a big-endian 40-bit number mod 100000 (as Signal renders safety
// numbers). 2^40 is not a multiple of 10^5, so the digits are biased by under 1e-7
// per group: irrelevant next to the bits they carry.
inline std::string digit_groups(std::string_view bytes, size_t groups) {
  if (bytes.size() < groups * 5) throw std::invalid_argument("digit_groups: not enough bytes");
  std::string out;
  for (size_t g = 0; g < groups; ++g) {
    uint64_t v = 0;
    for (size_t i = 0; i < 5; ++i) v = (v << 8) | static_cast<unsigned char>(bytes[5 * g + i]);
    char buf[8];
    std::snprintf(buf, sizeof buf, "%05u", static_cast<unsigned>(v % 100000));
    if (g > 0) out.push_back(' ');
    out.append(buf);
  }
  return out;
}

}  // namespace mend::client::detail
