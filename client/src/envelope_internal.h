#pragma once

// Deterministic sealing for known-answer tests only. A nonce must never repeat under
// one message key; production code calls seal_envelope(), which draws it at random.

#include <string>
#include <string_view>

#include "mend/common/secret_bytes.h"

namespace mend::client::detail {

std::string seal_envelope_with_nonce(std::string_view plaintext, std::string_view header_bytes,
                                     const SecretBytes& epoch_key, uint64_t sender_counter,
                                     std::string_view nonce);

}  // namespace mend::client::detail
