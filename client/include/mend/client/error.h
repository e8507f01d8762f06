#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace mend::client {

// Every failure a caller may need to tell apart. Numbers are stable: the `mend` app
// maps them to exit codes and --json output.
enum class Errc {
  kWrongPassphrase = 1,      // the keystore is intact but the passphrase does not open it
  kKeystoreDamaged = 2,      // truncated, corrupted or tampered keystore file
  kKeystoreExists = 3,       // refusing to overwrite an existing keystore
  kKeystoreNotFound = 4,     // no keystore at the path
  kKeystoreUnsupported = 5,  // written by a newer format version
  kNoKeystorePath = 6,       // neither MEND_KEYSTORE, XDG_DATA_HOME nor HOME is usable
  kIo = 7,                   // the operating system refused a read or write
  kAuthenticationFailed =
      20,                    // AEAD tag did not verify: altered header/ciphertext/nonce, wrong key
  kBadPadding = 21,          // authentic, but the padding is invalid (a broken or hostile sender)
  kMalformedEnvelope = 22,   // the ciphertext cannot be an envelope (impossible length)
  kCommitmentMismatch = 30,  // the revealed pairing key does not match the commitment
  kBadPeerKey = 31,          // low-order / all-zero X25519 result, or a reflected key
  kPairingOutOfOrder = 32,   // a pairing step taken before the one it depends on
  kMalformedPairing = 33,    // a pairing message or saved pairing state that does not parse
  kSasMismatch = 34,         // the partners' words differ (or a confirmation did not verify)
  kPairingAborted = 35,      // the partner stopped the pairing
  kPairingCodeRefused = 36,  // the relay refused the rendezvous code (unknown, used, expired, own)
  kServerUnreachable = 40,   // no TCP/TLS/WebSocket connection to the relay
  kConnectionLost = 41,      // the relay closed the connection or it broke
  kTimeout = 42,             // the relay or the partner did not answer in time
  kServerRefused = 43,       // the relay answered a request with an error frame
  kProtocolViolation = 44,   // the relay sent something the protocol does not allow
  kServerChanged = 45,       // the relay's server id is not the one the pair lives on
  kNotPaired = 50,           // no verified partner on this device
  kAlreadyPaired = 51,       // this device already has a partner
  kPartnerKeyChanged = 52,   // the relay announces a partner key other than the verified one
  kPairEnded = 53,           // the pair was ended (by the partner, or on the relay)
  kMessageRejected =
      60,            // a received envelope failed a check (docs/PROTOCOL.md part II, "Receiving")
  kLocalStore = 61,  // the local history store could not be read or written
  kBadRecoveryCode = 70,  // the recovery code has an unknown word, a wrong length or checksum
  kBackupRefused = 71,    // the backup does not open with this code, or was altered
  kNoBackup = 72,         // the relay holds no backup for this recovery code
};

// The fixed human summary of a code, e.g. "wrong passphrase", "keystore is damaged".
std::string_view summary(Errc code);

// what() is the summary, followed by ": detail" when there is one.
class Error : public std::runtime_error {
 public:
  explicit Error(Errc code, const std::string& detail = {});
  Errc code() const { return code_; }
  // The detail alone, without the summary (to pass the error on under the same code).
  const std::string& detail() const { return detail_; }

 private:
  Errc code_;
  std::string detail_;
};

// A value or the Error that prevented it. Used where a failure is an expected
// verdict on untrusted input (an envelope from the relay), so that callers handle it
// per message instead of unwinding; everything else throws Error.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // The value, or throws the Error.
  T& value() & {
    if (!ok()) throw std::get<1>(v_);
    return std::get<0>(v_);
  }
  T&& value() && {
    if (!ok()) throw std::get<1>(v_);
    return std::get<0>(std::move(v_));
  }
  // Precondition: !ok().
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace mend::client
