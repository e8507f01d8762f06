#include "mend/client/pairing.h"

#include <sodium.h>

#include <algorithm>
#include <stdexcept>

#include "bytes.h"
#include "mend/client/error.h"
#include "mend/client/identity.h"
#include "mend/client/kdf.h"
#include "mend/client/sas.h"
#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"
#include "pairing_internal.h"

namespace mend::client {

using detail::u8;

namespace {

constexpr size_t kKeyBytes = 32;

// Every field of the transcript is length-prefixed (LE32), so no two different
// sequences of fields can produce the same bytes.
void append_field(std::string& out, std::string_view field) {
  detail::append_le32(out, static_cast<uint32_t>(field.size()));
  out.append(field);
}

bool reveal_sizes_ok(const PairingReveal& r) {
  return r.ephemeral_public_key.size() == crypto_scalarmult_BYTES &&
         r.nonce.size() == kPairingNonceBytes && r.identity_key.size() == kPublicKeyBytes;
}

}  // namespace

std::string pairing_commitment(const PairingReveal& reveal) {
  ensure_sodium();
  if (!reveal_sizes_ok(reveal))
    throw std::invalid_argument("pairing_commitment: each revealed field must be 32 bytes");
  // Fixed-size fields after a fixed label: plain concatenation is unambiguous.
  std::string in;
  in.reserve(detail::kCommitLabel.size() + 3 * kKeyBytes);
  in.append(detail::kCommitLabel)
      .append(reveal.ephemeral_public_key)
      .append(reveal.nonce)
      .append(reveal.identity_key);
  return detail::blake2b(in, kPairingCommitmentBytes);
}

PairingState PairingState::begin(PairingRole role, std::string_view code,
                                 std::string_view own_identity_key) {
  ensure_sodium();
  return from_parts(role, code, own_identity_key,
                    SecretBytes::random(crypto_scalarmult_SCALARBYTES),
                    random_bytes(kPairingNonceBytes));
}

PairingState PairingState::from_parts(PairingRole role, std::string_view code,
                                      std::string_view own_identity_key,
                                      SecretBytes ephemeral_secret, std::string nonce) {
  ensure_sodium();
  if (role != PairingRole::kInitiator && role != PairingRole::kJoiner)
    throw std::invalid_argument("PairingState: unknown role");
  if (code.empty() || code.size() > kMaxPairingCodeBytes)
    throw std::invalid_argument("PairingState: the code must be 1..256 bytes");
  if (own_identity_key.size() != kPublicKeyBytes)
    throw std::invalid_argument("PairingState: identity key must be 32 bytes");
  if (ephemeral_secret.size() != crypto_scalarmult_SCALARBYTES ||
      nonce.size() != kPairingNonceBytes)
    throw std::invalid_argument("PairingState: ephemeral key and nonce must be 32 bytes");

  PairingState s;
  s.role_ = role;
  s.code_ = std::string(code);
  s.own_identity_key_ = std::string(own_identity_key);
  s.ephemeral_public_.assign(crypto_scalarmult_BYTES, '\0');
  crypto_scalarmult_base(u8(s.ephemeral_public_), ephemeral_secret.data());
  s.ephemeral_secret_ = std::move(ephemeral_secret);
  s.nonce_ = std::move(nonce);
  if (role == PairingRole::kJoiner) s.commitment_ = pairing_commitment(s.own_reveal_unchecked());
  return s;
}

void PairingState::set_in_person_secret(SecretBytes secret) {
  if (secret.size() != kInPersonSecretBytes)
    throw std::invalid_argument("PairingState: the in-person secret must be 32 bytes");
  in_person_secret_ = std::move(secret);
}

PairingReveal PairingState::own_reveal_unchecked() const {
  return PairingReveal{ephemeral_public_, nonce_, own_identity_key_};
}

std::string PairingState::commitment() const {
  if (role_ != PairingRole::kJoiner)
    throw Error(Errc::kPairingOutOfOrder, "only the joining device sends a commitment");
  return commitment_;
}

void PairingState::accept_commitment(std::string_view commitment) {
  if (role_ != PairingRole::kInitiator)
    throw Error(Errc::kPairingOutOfOrder, "only the initiating device receives a commitment");
  if (commitment.size() != kPairingCommitmentBytes)
    throw Error(Errc::kMalformedPairing, "a commitment is 32 bytes");
  if (!commitment_.empty()) {
    // A second, different commitment would let a relay swap keys after seeing ours.
    if (commitment_ == commitment) return;
    throw Error(Errc::kPairingOutOfOrder, "a second, different commitment");
  }
  commitment_ = std::string(commitment);
}

PairingReveal PairingState::own_reveal() const {
  // These two checks are what makes the SAS hold: whoever is in the middle has to
  // commit (to A) or reveal (to B) before it can know the honest side's values.
  if (role_ == PairingRole::kInitiator && commitment_.empty())
    throw Error(Errc::kPairingOutOfOrder, "the initiator reveals only after the commitment");
  if (role_ == PairingRole::kJoiner && !has_peer_reveal())
    throw Error(Errc::kPairingOutOfOrder, "the joiner reveals only after the initiator");
  return own_reveal_unchecked();
}

void PairingState::accept_reveal(const PairingReveal& peer) {
  if (!reveal_sizes_ok(peer))
    throw Error(Errc::kMalformedPairing, "each revealed field must be 32 bytes");
  if (has_peer_reveal()) {
    if (peer == peer_) return;
    throw Error(Errc::kPairingOutOfOrder, "a second, different reveal");
  }
  if (role_ == PairingRole::kInitiator) {
    if (commitment_.empty())
      throw Error(Errc::kPairingOutOfOrder, "a reveal arrived before the commitment");
    const std::string expected = pairing_commitment(peer);
    if (sodium_memcmp(expected.data(), commitment_.data(), kPairingCommitmentBytes) != 0)
      throw Error(Errc::kCommitmentMismatch,
                  "the partner's revealed key is not the one it committed to; someone may be "
                  "interfering, so pairing stops here");
  }
  // Our own values reflected back would make both sides "agree" with themselves.
  if (peer.ephemeral_public_key == ephemeral_public_ || peer.identity_key == own_identity_key_ ||
      peer.nonce == nonce_)
    throw Error(Errc::kBadPeerKey, "the partner revealed this device's own values");
  peer_ = peer;
}

std::string PairingState::transcript(const PairingReveal& own) const {
  const PairingReveal& a = role_ == PairingRole::kInitiator ? own : peer_;
  const PairingReveal& b = role_ == PairingRole::kInitiator ? peer_ : own;
  std::string t;
  append_field(t, detail::kTranscriptLabel);
  append_field(t, code_);
  append_field(t, commitment_);
  for (const PairingReveal* r : {&a, &b}) {
    append_field(t, r->ephemeral_public_key);
    append_field(t, r->nonce);
    append_field(t, r->identity_key);
  }
  return t;
}

PairingOutcome PairingState::outcome() const {
  ensure_sodium();
  if (!has_peer_reveal())
    throw Error(Errc::kPairingOutOfOrder, "the partner has not revealed its key yet");
  if (commitment_.empty()) throw Error(Errc::kPairingOutOfOrder, "no commitment was received");

  SecretBytes shared(crypto_scalarmult_BYTES);
  // crypto_scalarmult itself fails on an all-zero result; the second check keeps the
  // rule explicit whatever the library version.
  if (crypto_scalarmult(shared.data(), ephemeral_secret_.data(), u8(peer_.ephemeral_public_key)) !=
          0 ||
      sodium_is_zero(shared.data(), shared.size()))
    throw Error(Errc::kBadPeerKey, "the partner's ephemeral key is a low-order point");

  PairingOutcome out;
  out.transcript_hash = detail::blake2b(transcript(own_reveal_unchecked()), kTranscriptHashBytes);
  // K = BLAKE2b-256(T, key = S); in person, K = BLAKE2b-256(T || P, key = S).
  SecretBytes input(out.transcript_hash.size() + in_person_secret_.size());
  std::copy(out.transcript_hash.begin(), out.transcript_hash.end(), input.data());
  if (in_person())
    std::copy(in_person_secret_.data(), in_person_secret_.data() + in_person_secret_.size(),
              input.data() + out.transcript_hash.size());
  const SecretBytes k = detail::blake2b_secret(input.view(), kKeyBytes, shared.view());
  const SecretBytes sas_key = derive_subkey(k.view(), 1, kdf_context::kSas, kKeyBytes);
  out.sas_words = sas_words(sas_key.view());
  out.sas_digits = sas_digits(sas_key.view());
  out.confirmation_key = derive_subkey(k.view(), 2, kdf_context::kConfirm, kKeyBytes);
  out.pair_root_key = derive_subkey(k.view(), 3, kdf_context::kPairRoot, kKeyBytes);
  out.peer_identity_key = peer_.identity_key;
  return out;
}

}  // namespace mend::client
