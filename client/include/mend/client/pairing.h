#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "mend/common/secret_bytes.h"

namespace mend::client {

// Commit-then-reveal pairing with a short authentication string (SAS), as
// docs/PROTOCOL.md part II ("Pairing") specifies byte by byte. No networking here: the
// caller carries commitment and reveals through the relay's PairingMessage frames
// and saves serialize() after every step, so a restart resumes with the same
// ephemeral key and nonce and the two screens keep showing the same words.
//
//   joiner B (redeemed the code)          initiator A (asked for the code)
//   begin(kJoiner); send commitment()  ->  begin(kInitiator); accept_commitment(C)
//   accept_reveal(A's reveal)          <-  send own_reveal()
//   send own_reveal()                  ->  accept_reveal(B's reveal)  (checks C)
//   outcome(): SAS words/digits, confirmation key, pair root key: the same on both.
//
// Order is enforced: A reveals only after holding C, and B reveals only after A did,
// so a relay in the middle must fix its keys before it can see the honest ones.

enum class PairingRole {
  kInitiator = 1,  // "A"
  kJoiner = 2,     // "B": commits first
};

inline constexpr size_t kPairingNonceBytes = 32;
inline constexpr size_t kPairingCommitmentBytes = 32;
inline constexpr size_t kTranscriptHashBytes = 32;
inline constexpr size_t kMaxPairingCodeBytes = 256;
inline constexpr size_t kInPersonSecretBytes = 32;

// What each side reveals: its ephemeral X25519 public key, its pairing nonce and its
// Ed25519 identity public key (32 bytes each).
struct PairingReveal {
  std::string ephemeral_public_key;
  std::string nonce;
  std::string identity_key;

  bool operator==(const PairingReveal&) const = default;
};

struct PairingOutcome {
  std::string transcript_hash;         // T, 32 bytes; what each side signs with its IK
  std::vector<std::string> sas_words;  // 5 words, 40 bits
  std::string sas_digits;              // "ddddd ddddd ddddd"
  SecretBytes confirmation_key;        // 32 bytes: kdf(K, 2, "mendconf")
  SecretBytes pair_root_key;           // 32 bytes: kdf(K, 3, "mendroot")
  std::string peer_identity_key;       // 32 bytes, Ed25519: trust it only once the SAS matched
};

// C = BLAKE2b-256("mend-pair-commit" || ePK || n || IK), each 32 bytes.
std::string pairing_commitment(const PairingReveal& reveal);

class PairingState {
 public:
  // A fresh X25519 key pair and 32-byte nonce for this pairing. `code` is the
  // rendezvous code exactly as the relay's Paired frame carries it; `own_identity_key`
  // this device's Ed25519 public key. Throws std::invalid_argument on bad sizes.
  static PairingState begin(PairingRole role, std::string_view code,
                            std::string_view own_identity_key);

  // The saved form (a keystore PairingSession message). It holds the ephemeral
  // secret key: store it only inside the keystore.
  SecretBytes serialize() const;
  // Throws Error(kMalformedPairing) if the bytes are not a consistent saved state.
  static PairingState parse(std::string_view serialized);

  PairingRole role() const { return role_; }
  const std::string& code() const { return code_; }
  // The relay said this pairing replaces a device of an existing pair (saved with the
  // state; not part of the transcript).
  bool replacement() const { return replacement_; }
  void set_replacement(bool r) { replacement_ = r; }
  // The device a replacement removes, as the relay's Paired frame named it.
  const std::string& replaced_device_id() const { return replaced_device_id_; }
  void set_replaced_device_id(std::string id) { replaced_device_id_ = std::move(id); }
  // In-person pairing (docs/PROTOCOL.md part II, "In-person pairing"): a 32-byte secret
  // that the initiator shows as a QR code or link and the joiner reads, mixed into K.
  // The confirmations then prove that both hold it, so no words need comparing.
  // Set it before outcome(); throws std::invalid_argument unless 32 bytes.
  void set_in_person_secret(SecretBytes secret);
  bool in_person() const { return !in_person_secret_.empty(); }

  // Joiner: the commitment to send first.
  std::string commitment() const;
  // Initiator: records B's commitment. Accepting the same value again is a no-op (a
  // resumed relay may repeat it); a different one is kPairingOutOfOrder.
  void accept_commitment(std::string_view commitment);
  // This side's reveal. Initiator: only once it holds the commitment. Joiner: only
  // once it has accepted the initiator's reveal. Otherwise kPairingOutOfOrder.
  PairingReveal own_reveal() const;
  // Records the peer's reveal. Initiator: kCommitmentMismatch unless it hashes to the
  // commitment. Both: kMalformedPairing for wrong sizes, kBadPeerKey for this
  // device's own values reflected back. The same reveal again is a no-op; a different
  // one is kPairingOutOfOrder.
  void accept_reveal(const PairingReveal& peer);

  bool has_peer_reveal() const { return !peer_.ephemeral_public_key.empty(); }
  // Initiator: whether B's commitment arrived. Joiner: always (its own).
  bool has_commitment() const { return !commitment_.empty(); }
  // SAS and keys, identical on both sides when nobody interfered. Requires the peer's
  // reveal; kBadPeerKey if the X25519 result is all zero (a low-order peer key).
  PairingOutcome outcome() const;

 private:
  friend struct PairingStateAccess;  // deterministic construction for test vectors
  PairingState() = default;
  static PairingState from_parts(PairingRole role, std::string_view code,
                                 std::string_view own_identity_key, SecretBytes ephemeral_secret,
                                 std::string nonce);
  PairingReveal own_reveal_unchecked() const;
  std::string transcript(const PairingReveal& own) const;

  PairingRole role_ = PairingRole::kInitiator;
  std::string code_;
  std::string own_identity_key_;
  SecretBytes ephemeral_secret_;
  std::string ephemeral_public_;
  std::string nonce_;
  std::string commitment_;  // initiator: received (empty until then); joiner: own
  PairingReveal peer_;      // empty fields until the peer revealed
  bool replacement_ = false;
  std::string replaced_device_id_;
  SecretBytes in_person_secret_;  // empty: words are compared
};

}  // namespace mend::client
