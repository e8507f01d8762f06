#include "pairing_messages.h"

#include <sodium.h>

#include "bytes.h"
#include "mend/client/error.h"
#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"
#include "mend/v1/pairing.pb.h"

namespace mend::client::detail {

namespace pb = mend::v1::pairing;

namespace {
constexpr uint32_t kPayloadVersion = 1;
constexpr std::string_view kConfirmLabel = "mend-pair-confirm-v1";
constexpr std::string_view kEpochLabel = "mend-pair-epoch-v1";
}  // namespace

std::string encode_pairing_message(const PairingMessageBody& body) {
  pb::PairingPayload p;
  p.set_version(kPayloadVersion);
  if (auto* c = std::get_if<CommitmentMessage>(&body)) {
    p.mutable_commitment()->set_commitment(c->commitment);
  } else if (auto* r = std::get_if<PairingReveal>(&body)) {
    p.mutable_reveal()->set_ephemeral_public_key(r->ephemeral_public_key);
    p.mutable_reveal()->set_nonce(r->nonce);
    p.mutable_reveal()->set_identity_key(r->identity_key);
  } else if (auto* k = std::get_if<ConfirmationMessage>(&body)) {
    p.mutable_confirmation()->set_sealed_signature(k->sealed_signature);
  } else if (auto* n = std::get_if<EpochNoticeMessage>(&body)) {
    p.mutable_epoch_notice()->set_sealed_epoch(n->sealed_epoch);
  } else {
    p.mutable_abort()->set_reason(std::get<AbortMessage>(body).reason.substr(0, 200));
  }
  return p.SerializeAsString();
}

PairingMessageBody decode_pairing_message(std::string_view payload) {
  pb::PairingPayload p;
  if (!p.ParseFromArray(payload.data(), static_cast<int>(payload.size())))
    throw Error(Errc::kMalformedPairing, "a pairing message from the partner does not parse");
  if (p.version() != kPayloadVersion)
    throw Error(Errc::kMalformedPairing,
                "the partner's app speaks pairing version " + std::to_string(p.version()));
  switch (p.body_case()) {
    case pb::PairingPayload::kCommitment: return CommitmentMessage{p.commitment().commitment()};
    case pb::PairingPayload::kReveal:
      return PairingReveal{p.reveal().ephemeral_public_key(), p.reveal().nonce(),
                           p.reveal().identity_key()};
    case pb::PairingPayload::kConfirmation:
      return ConfirmationMessage{p.confirmation().sealed_signature()};
    case pb::PairingPayload::kAbort: return AbortMessage{p.abort().reason()};
    case pb::PairingPayload::kEpochNotice:
      return EpochNoticeMessage{p.epoch_notice().sealed_epoch()};
    default: throw Error(Errc::kMalformedPairing, "a pairing message without a known body");
  }
}

std::string seal_confirmation(const DeviceIdentity& identity, const PairingOutcome& outcome) {
  ensure_sodium();
  std::string signed_part(kConfirmLabel);
  signed_part += outcome.transcript_hash;
  const std::string sig = identity.sign(signed_part);
  std::string out = random_bytes(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  out.resize(out.size() + sig.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      u8(out) + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, u8(sig), sig.size(),
      u8(kConfirmLabel), kConfirmLabel.size(), nullptr, u8(out), outcome.confirmation_key.data());
  return out;
}

bool open_confirmation(std::string_view sealed, const PairingOutcome& outcome) {
  ensure_sodium();
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() != kNonce + crypto_sign_BYTES + kTag) return false;
  std::string sig(crypto_sign_BYTES, '\0');
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          u8(sig), &mlen, nullptr, u8(sealed) + kNonce, sealed.size() - kNonce, u8(kConfirmLabel),
          kConfirmLabel.size(), u8(sealed), outcome.confirmation_key.data()) != 0)
    return false;
  std::string signed_part(kConfirmLabel);
  signed_part += outcome.transcript_hash;
  return outcome.peer_identity_key.size() == crypto_sign_PUBLICKEYBYTES &&
         crypto_sign_verify_detached(u8(sig), u8(signed_part), signed_part.size(),
                                     u8(outcome.peer_identity_key)) == 0;
}

std::string seal_epoch_notice(uint32_t epoch, const PairingOutcome& outcome) {
  ensure_sodium();
  const std::string plain{static_cast<char>(epoch >> 24), static_cast<char>(epoch >> 16),
                          static_cast<char>(epoch >> 8), static_cast<char>(epoch)};
  std::string out = random_bytes(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  out.resize(out.size() + plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(
      u8(out) + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &clen, u8(plain), plain.size(),
      u8(kEpochLabel), kEpochLabel.size(), nullptr, u8(out), outcome.confirmation_key.data());
  return out;
}

std::optional<uint32_t> open_epoch_notice(std::string_view sealed, const PairingOutcome& outcome) {
  ensure_sodium();
  constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() != kNonce + 4 + kTag) return std::nullopt;
  unsigned char e[4];
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          e, &mlen, nullptr, u8(sealed) + kNonce, sealed.size() - kNonce, u8(kEpochLabel),
          kEpochLabel.size(), u8(sealed), outcome.confirmation_key.data()) != 0)
    return std::nullopt;
  return (uint32_t{e[0]} << 24) | (uint32_t{e[1]} << 16) | (uint32_t{e[2]} << 8) | uint32_t{e[3]};
}

}  // namespace mend::client::detail
