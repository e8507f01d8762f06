#include "pairing_messages.h"

#include <sodium.h>

#include <algorithm>

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

namespace {

constexpr size_t kNonce = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
constexpr size_t kTag = crypto_aead_xchacha20poly1305_ietf_ABYTES;

// nonce (24 random bytes) || XChaCha20-Poly1305-IETF(confirmation key, AD = label, plain)
std::string seal_under_confirmation_key(std::string_view plain, std::string_view label,
                                        const PairingOutcome& outcome) {
  ensure_sodium();
  std::string out = random_bytes(kNonce);
  out.resize(kNonce + plain.size() + kTag);
  unsigned long long clen = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(u8(out) + kNonce, &clen, u8(plain), plain.size(),
                                             u8(label), label.size(), nullptr, u8(out),
                                             outcome.confirmation_key.data());
  return out;
}

// The plaintext, if `sealed` is exactly `plain_size` bytes sealed that way.
std::optional<std::string> open_under_confirmation_key(std::string_view sealed, size_t plain_size,
                                                       std::string_view label,
                                                       const PairingOutcome& outcome) {
  ensure_sodium();
  if (sealed.size() != kNonce + plain_size + kTag) return std::nullopt;
  std::string plain(plain_size, '\0');
  unsigned long long mlen = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(u8(plain), &mlen, nullptr, u8(sealed) + kNonce,
                                                 sealed.size() - kNonce, u8(label), label.size(),
                                                 u8(sealed), outcome.confirmation_key.data()) != 0)
    return std::nullopt;
  return plain;
}

}  // namespace

std::string seal_confirmation(const DeviceIdentity& identity, const PairingOutcome& outcome) {
  std::string signed_part(kConfirmLabel);
  signed_part += outcome.transcript_hash;
  return seal_under_confirmation_key(identity.sign(signed_part), kConfirmLabel, outcome);
}

bool open_confirmation(std::string_view sealed, const PairingOutcome& outcome) {
  const auto sig = open_under_confirmation_key(sealed, crypto_sign_BYTES, kConfirmLabel, outcome);
  if (!sig) return false;
  std::string signed_part(kConfirmLabel);
  signed_part += outcome.transcript_hash;
  return outcome.peer_identity_key.size() == crypto_sign_PUBLICKEYBYTES &&
         crypto_sign_verify_detached(u8(*sig), u8(signed_part), signed_part.size(),
                                     u8(outcome.peer_identity_key)) == 0;
}

namespace {
constexpr size_t kNoticeBytes = 4 + 16 + 8 + 32;

void put_be(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_be(std::string_view in, size_t at, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in[at + i]);
  return v;
}
bool all_zero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}
}  // namespace

std::string seal_epoch_notice(const EpochNotice& n, const PairingOutcome& outcome) {
  std::string plain;
  put_be(plain, n.epoch, 4);
  plain += n.former_device_id.size() == 16 ? n.former_device_id : std::string(16, '\0');
  put_be(plain, n.final_counter, 8);
  plain += n.final_hash.size() == 32 ? n.final_hash : std::string(32, '\0');
  return seal_under_confirmation_key(plain, kEpochLabel, outcome);
}

std::optional<EpochNotice> open_epoch_notice(std::string_view sealed,
                                             const PairingOutcome& outcome) {
  const auto plain = open_under_confirmation_key(sealed, kNoticeBytes, kEpochLabel, outcome);
  if (!plain) return std::nullopt;
  const std::string_view p = *plain;
  EpochNotice n;
  n.epoch = static_cast<uint32_t>(get_be(p, 0, 4));
  if (!all_zero(p.substr(4, 16))) n.former_device_id = std::string(p.substr(4, 16));
  n.final_counter = get_be(p, 20, 8);
  if (!all_zero(p.substr(28, 32))) n.final_hash = std::string(p.substr(28, 32));
  return n;
}

}  // namespace mend::client::detail
