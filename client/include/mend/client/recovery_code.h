#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mend/common/secret_bytes.h"

namespace mend::client {

// The recovery code `mend backup` shows once: 16 random bytes (128 bits) and a
// 2-byte checksum, written as 18 words of the SAS word list (one word per byte;
// docs/PROTOCOL.md part II, "Recovery code"). That list has 256 words with distinct
// three-letter prefixes, so a typed prefix of three letters is enough.
inline constexpr size_t kRecoveryEntropyBytes = 16;
inline constexpr size_t kRecoveryChecksumBytes = 2;
inline constexpr size_t kRecoveryWordCount = kRecoveryEntropyBytes + kRecoveryChecksumBytes;

class RecoveryCode {
 public:
  // A fresh code from the OS CSPRNG.
  static RecoveryCode generate();
  // From exactly 16 entropy bytes (tests and the known-answer vector).
  static RecoveryCode from_entropy(std::string_view entropy);
  // Parses words separated by spaces, hyphens or commas, in any case; each word may be
  // given whole or by its first three (or more) letters. Throws Error(kBadRecoveryCode)
  // on an unknown word, a wrong word count or a checksum mismatch (a typo), before
  // anything is sent anywhere.
  static RecoveryCode parse(std::string_view text);

  // The 16 secret bytes.
  const SecretBytes& entropy() const { return entropy_; }
  // The 18 words, entropy then checksum.
  std::vector<std::string> words() const;
  // The words joined by single spaces.
  std::string text() const;

 private:
  explicit RecoveryCode(SecretBytes entropy) : entropy_(std::move(entropy)) {}
  SecretBytes entropy_;
};

// The 2 checksum bytes of 16 entropy bytes: BLAKE2b-256(entropy)[0..2].
std::string recovery_checksum(std::string_view entropy);

}  // namespace mend::client
