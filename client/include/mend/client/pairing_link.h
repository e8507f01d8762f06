#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "mend/common/secret_bytes.h"

namespace mend::client {

// The in-person pairing link (docs/PROTOCOL.md part II, "In-person pairing"), shown by
// `mend pair --in-person` as text and as a QR code:
//
//   mend-pair:<rendezvous code>/<in-person secret, 64 lower-case hex digits>
//
// Whoever reads it can pair with the initiator's device: show it only to your partner.
struct PairingLink {
  std::string code;
  SecretBytes secret;  // 32 bytes
};

inline constexpr std::string_view kPairingLinkScheme = "mend-pair:";

std::string pairing_link(std::string_view code, const SecretBytes& secret);
// nullopt if `text` is not a link at all (a plain code); Error(kPairingCodeRefused)
// if it starts like one but is damaged.
std::optional<PairingLink> parse_pairing_link(std::string_view text);

}  // namespace mend::client
