#pragma once

// Deterministic pairing states for known-answer tests only: production pairings
// always draw a fresh ephemeral key and nonce in PairingState::begin().

#include <string>
#include <string_view>

#include "mend/client/pairing.h"

namespace mend::client {

struct PairingStateAccess {
  static PairingState from_parts(PairingRole role, std::string_view code,
                                 std::string_view own_identity_key, SecretBytes ephemeral_secret,
                                 std::string nonce) {
    return PairingState::from_parts(role, code, own_identity_key, std::move(ephemeral_secret),
                                    std::move(nonce));
  }
};

namespace detail {
// The fixed byte layout hashed into T (docs/PROTOCOL.md part II); exposed for vectors.
inline constexpr std::string_view kTranscriptLabel = "mend-pair-transcript-v1";
inline constexpr std::string_view kCommitLabel = "mend-pair-commit";
}  // namespace detail

}  // namespace mend::client
