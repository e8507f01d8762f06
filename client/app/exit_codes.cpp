#include "exit_codes.h"

namespace mend::app {

using client::Errc;

int exit_code_for(Errc code) {
  switch (code) {
    case Errc::kWrongPassphrase: return kWrongPassphrase;
    case Errc::kKeystoreDamaged:
    case Errc::kKeystoreExists:
    case Errc::kKeystoreNotFound:
    case Errc::kKeystoreUnsupported:
    case Errc::kNoKeystorePath:
    case Errc::kIo:
    case Errc::kLocalStore: return kKeystoreProblem;
    case Errc::kServerUnreachable:
    case Errc::kConnectionLost:
    case Errc::kServerRefused:
    case Errc::kProtocolViolation: return kServerProblem;
    case Errc::kTimeout: return kTimeout;
    case Errc::kNotPaired:
    case Errc::kAlreadyPaired:
    case Errc::kPairEnded: return kPairState;
    case Errc::kSasMismatch:
    case Errc::kPairingAborted:
    case Errc::kPairingCodeRefused:
    case Errc::kCommitmentMismatch:
    case Errc::kBadPeerKey:
    case Errc::kPairingOutOfOrder:
    case Errc::kMalformedPairing: return kPairingFailed;
    case Errc::kPartnerKeyChanged:
    case Errc::kServerChanged: return kSecurityAlert;
    case Errc::kAuthenticationFailed:
    case Errc::kBadPadding:
    case Errc::kMalformedEnvelope:
    case Errc::kMessageRejected: return kTampering;
    case Errc::kBadRecoveryCode:
    case Errc::kBackupRefused:
    case Errc::kNoBackup: return kBackupProblem;
  }
  return kFailure;
}

std::string_view error_name(Errc code) {
  switch (code) {
    case Errc::kWrongPassphrase: return "wrong-passphrase";
    case Errc::kKeystoreDamaged: return "keystore-damaged";
    case Errc::kKeystoreExists: return "keystore-exists";
    case Errc::kKeystoreNotFound: return "keystore-not-found";
    case Errc::kKeystoreUnsupported: return "keystore-unsupported";
    case Errc::kNoKeystorePath: return "no-keystore-path";
    case Errc::kIo: return "io";
    case Errc::kLocalStore: return "local-store";
    case Errc::kServerUnreachable: return "server-unreachable";
    case Errc::kConnectionLost: return "connection-lost";
    case Errc::kServerRefused: return "server-refused";
    case Errc::kProtocolViolation: return "protocol-violation";
    case Errc::kTimeout: return "timeout";
    case Errc::kNotPaired: return "not-paired";
    case Errc::kAlreadyPaired: return "already-paired";
    case Errc::kPairEnded: return "pair-ended";
    case Errc::kSasMismatch: return "sas-mismatch";
    case Errc::kPairingAborted: return "pairing-aborted";
    case Errc::kPairingCodeRefused: return "code-refused";
    case Errc::kCommitmentMismatch: return "commitment-mismatch";
    case Errc::kBadPeerKey: return "bad-peer-key";
    case Errc::kPairingOutOfOrder: return "pairing-out-of-order";
    case Errc::kMalformedPairing: return "malformed-pairing";
    case Errc::kPartnerKeyChanged: return "partner-key-changed";
    case Errc::kServerChanged: return "server-changed";
    case Errc::kAuthenticationFailed: return "authentication-failed";
    case Errc::kBadPadding: return "bad-padding";
    case Errc::kMalformedEnvelope: return "malformed-envelope";
    case Errc::kMessageRejected: return "message-rejected";
    case Errc::kBadRecoveryCode: return "bad-recovery-code";
    case Errc::kBackupRefused: return "backup-refused";
    case Errc::kNoBackup: return "no-backup";
  }
  return "failure";
}

}  // namespace mend::app
