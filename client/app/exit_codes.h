#pragma once

// The exit codes `mend` documents for scripts (README.md, "Using mend"). Stable.

#include <string_view>

#include "mend/client/error.h"

namespace mend::app {

enum Exit : int {
  kOk = 0,
  kFailure = 1,  // anything unexpected
  kUsage = 2,    // bad command line, or no way to get a passphrase/confirmation
  kWrongPassphrase = 3,
  kKeystoreProblem = 4,  // missing, damaged, already exists, unsupported, unwritable
  kServerProblem = 5,    // unreachable, connection lost, refused, broke the protocol
  kPairState = 6,        // not paired, already paired, pair ended by the partner
  kPairingFailed = 7,    // words differ, partner stopped, code refused, interference
  kSecurityAlert = 8,    // partner key changed, or another server than the pair's
  kTampering = 9,        // received messages were rejected (reported, not accepted)
  kTimeout = 10,         // the partner or the server did not answer in time
  kBackupProblem = 11,   // recovery code mistyped, no backup for it, or it does not open
};

int exit_code_for(client::Errc code);
// A stable lower-case name for --json output, e.g. "wrong-passphrase".
std::string_view error_name(client::Errc code);

}  // namespace mend::app
