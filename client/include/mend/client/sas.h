#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace mend::client {

// How a short authentication string (SAS) is shown. Both renderings come from the
// same 32-byte SAS subkey; comparing either one gives at least 40 bits.
inline constexpr size_t kSasWordCount = 5;    // 5 words x 8 bits = 40 bits
inline constexpr size_t kSasDigitGroups = 3;  // 3 groups of 5 digits, ~49.8 bits
inline constexpr size_t kSasMinimumInputBytes = 15;

// The 256 SAS words; word i stands for byte value i.
const std::array<std::string_view, 256>& sas_word_list();

// Words for bytes 0..4 of `sas_key`, one word per byte.
std::vector<std::string> sas_words(std::string_view sas_key);

// "ddddd ddddd ddddd": bytes 0..14 of `sas_key` as three 5-byte big-endian numbers,
// each reduced mod 100000 and zero-padded to 5 digits.
std::string sas_digits(std::string_view sas_key);

// The words joined by single spaces, as the `mend` app shows and accepts them.
std::string join_words(const std::vector<std::string>& words);

}  // namespace mend::client
