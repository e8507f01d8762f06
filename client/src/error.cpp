#include "mend/client/error.h"

namespace mend::client {

std::string_view summary(Errc code) {
  switch (code) {
    case Errc::kWrongPassphrase: return "wrong passphrase";
    case Errc::kKeystoreDamaged: return "keystore is damaged";
    case Errc::kKeystoreExists: return "a keystore already exists";
    case Errc::kKeystoreNotFound: return "no keystore found";
    case Errc::kKeystoreUnsupported: return "keystore format not supported";
    case Errc::kNoKeystorePath: return "cannot locate the keystore";
    case Errc::kIo: return "input/output error";
    case Errc::kAuthenticationFailed: return "message failed authentication";
    case Errc::kBadPadding: return "message has invalid padding";
    case Errc::kMalformedEnvelope: return "malformed envelope";
    case Errc::kCommitmentMismatch: return "pairing commitment mismatch";
    case Errc::kBadPeerKey: return "unacceptable pairing key";
    case Errc::kPairingOutOfOrder: return "pairing step out of order";
    case Errc::kMalformedPairing: return "malformed pairing data";
  }
  return "unknown error";
}

namespace {
std::string compose(Errc code, const std::string& detail) {
  std::string s(summary(code));
  if (!detail.empty()) s.append(": ").append(detail);
  return s;
}
}  // namespace

Error::Error(Errc code, const std::string& detail)
    : std::runtime_error(compose(code, detail)), code_(code) {}

}  // namespace mend::client
