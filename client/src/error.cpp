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
    case Errc::kSasMismatch: return "the words do not match: pairing stopped";
    case Errc::kPairingAborted: return "the partner stopped the pairing";
    case Errc::kPairingCodeRefused: return "pairing code refused";
    case Errc::kServerUnreachable: return "cannot reach the server";
    case Errc::kConnectionLost: return "connection to the server lost";
    case Errc::kTimeout: return "timed out";
    case Errc::kServerRefused: return "the server refused the request";
    case Errc::kProtocolViolation: return "the server broke the protocol";
    case Errc::kServerChanged: return "this is not the server the pair lives on";
    case Errc::kNotPaired: return "not paired";
    case Errc::kAlreadyPaired: return "already paired";
    case Errc::kPartnerKeyChanged: return "WARNING: the partner's identity key changed";
    case Errc::kPairEnded: return "the pair has ended";
    case Errc::kMessageRejected: return "a received message was rejected";
    case Errc::kLocalStore: return "local history store error";
    case Errc::kBadRecoveryCode: return "that is not a valid recovery code";
    case Errc::kBackupRefused: return "the key backup cannot be opened";
    case Errc::kNoBackup: return "no key backup found for this recovery code";
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
    : std::runtime_error(compose(code, detail)), code_(code), detail_(detail) {}

}  // namespace mend::client
