#include "mend/client/recovery_code.h"

#include <sodium.h>

#include <algorithm>
#include <cctype>
#include <stdexcept>

#include "mend/client/error.h"
#include "mend/client/sas.h"
#include "mend/common/sodium_init.h"

namespace mend::client {

std::string recovery_checksum(std::string_view entropy) {
  ensure_sodium();
  unsigned char digest[32];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(entropy.data()),
                     entropy.size(), nullptr, 0);
  return std::string(reinterpret_cast<const char*>(digest), kRecoveryChecksumBytes);
}

RecoveryCode RecoveryCode::generate() {
  return RecoveryCode(SecretBytes::random(kRecoveryEntropyBytes));
}

RecoveryCode RecoveryCode::from_entropy(std::string_view entropy) {
  if (entropy.size() != kRecoveryEntropyBytes)
    throw std::invalid_argument("RecoveryCode: entropy must be 16 bytes");
  return RecoveryCode(SecretBytes::copy_of(entropy));
}

std::vector<std::string> RecoveryCode::words() const {
  const auto& list = sas_word_list();
  std::vector<std::string> out;
  out.reserve(kRecoveryWordCount);
  for (unsigned char b : entropy_.view()) out.emplace_back(list[b]);
  for (unsigned char b : recovery_checksum(entropy_.view())) out.emplace_back(list[b]);
  return out;
}

std::string RecoveryCode::text() const { return join_words(words()); }

namespace {

// The byte a typed word stands for: the whole word, or a prefix of 3+ letters that
// only one list word starts with. -1 if none.
int word_value(const std::string& typed) {
  if (typed.size() < 3) return -1;
  const auto& list = sas_word_list();
  int found = -1;
  for (size_t i = 0; i < list.size(); ++i) {
    if (list[i] == typed) return static_cast<int>(i);
    if (list[i].substr(0, typed.size()) == typed) {
      if (found >= 0) return -1;
      found = static_cast<int>(i);
    }
  }
  return found;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  for (char c : text) {
    if (std::isalpha(static_cast<unsigned char>(c))) {
      current.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    } else if (c == ' ' || c == '-' || c == ',' || c == '\t' || c == '\n' || c == '\r') {
      if (!current.empty()) words.push_back(std::move(current));
      current.clear();
    } else {
      throw Error(Errc::kBadRecoveryCode, "unexpected character in the recovery code");
    }
  }
  if (!current.empty()) words.push_back(std::move(current));
  return words;
}

}  // namespace

RecoveryCode RecoveryCode::parse(std::string_view text) {
  std::vector<std::string> words = split_words(text);
  if (words.size() != kRecoveryWordCount)
    throw Error(Errc::kBadRecoveryCode, "a recovery code has " +
                                            std::to_string(kRecoveryWordCount) + " words, not " +
                                            std::to_string(words.size()));
  SecretBytes bytes(kRecoveryWordCount);
  for (size_t i = 0; i < words.size(); ++i) {
    const int v = word_value(words[i]);
    if (v < 0) {
      sodium_memzero(bytes.data(), bytes.size());
      throw Error(Errc::kBadRecoveryCode, "word " + std::to_string(i + 1) + " (\"" + words[i] +
                                              "\") is not a recovery word");
    }
    bytes.data()[i] = static_cast<unsigned char>(v);
  }
  for (auto& w : words) wipe(w);
  SecretBytes entropy = SecretBytes::copy_of(bytes.view().substr(0, kRecoveryEntropyBytes));
  const std::string expected = recovery_checksum(entropy.view());
  if (sodium_memcmp(expected.data(), bytes.data() + kRecoveryEntropyBytes,
                    kRecoveryChecksumBytes) != 0)
    throw Error(Errc::kBadRecoveryCode,
                "the checksum words do not match: a word is mistyped or missing");
  return RecoveryCode(std::move(entropy));
}

}  // namespace mend::client
