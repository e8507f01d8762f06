#include "mend/client/pairing_link.h"

#include "mend/client/error.h"
#include "mend/client/pairing.h"
#include "mend/common/hex.h"

namespace mend::client {

std::string pairing_link(std::string_view code, const SecretBytes& secret) {
  std::string link(kPairingLinkScheme);
  link.append(code).append("/").append(to_hex(secret.view()));
  return link;
}

std::optional<PairingLink> parse_pairing_link(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\n')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\n')) text.remove_suffix(1);
  if (!text.starts_with(kPairingLinkScheme)) return std::nullopt;
  text.remove_prefix(kPairingLinkScheme.size());
  const size_t slash = text.rfind('/');
  const auto damaged = [] {
    return Error(Errc::kPairingCodeRefused,
                 "the pairing link is damaged: copy it again from your partner's screen, or "
                 "scan its QR code");
  };
  if (slash == std::string_view::npos || slash == 0 ||
      text.size() - slash - 1 != 2 * kInPersonSecretBytes)
    throw damaged();
  std::optional<std::string> secret = from_hex(text.substr(slash + 1));
  if (!secret) throw damaged();
  PairingLink link{std::string(text.substr(0, slash)), SecretBytes::copy_of(*secret)};
  wipe(*secret);
  return link;
}

}  // namespace mend::client
