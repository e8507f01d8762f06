#include "mend/client/sas.h"

#include <stdexcept>

#include "digit_groups.h"

namespace mend::client {

std::vector<std::string> sas_words(std::string_view sas_key) {
  if (sas_key.size() < kSasMinimumInputBytes)
    throw std::invalid_argument("sas_words: SAS key too short");
  std::vector<std::string> words;
  words.reserve(kSasWordCount);
  for (size_t i = 0; i < kSasWordCount; ++i)
    words.emplace_back(sas_word_list()[static_cast<unsigned char>(sas_key[i])]);
  return words;
}

std::string sas_digits(std::string_view sas_key) {
  if (sas_key.size() < kSasMinimumInputBytes)
    throw std::invalid_argument("sas_digits: SAS key too short");
  return detail::digit_groups(sas_key, kSasDigitGroups);
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out.push_back(' ');
    out += w;
  }
  return out;
}

}  // namespace mend::client
