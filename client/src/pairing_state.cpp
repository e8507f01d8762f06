// Saving and restoring a pairing in progress (keystore PairingSession message).

#include <stdexcept>

#include "mend/client/error.h"
#include "mend/client/pairing.h"
#include "mend/v1/keystore.pb.h"

namespace mend::client {

namespace pb = mend::v1::keystore;

namespace {
constexpr uint32_t kSessionVersion = 1;
}  // namespace

SecretBytes PairingState::serialize() const {
  pb::PairingSession msg;
  msg.set_version(kSessionVersion);
  msg.set_role(role_ == PairingRole::kInitiator ? pb::PAIRING_ROLE_INITIATOR
                                                : pb::PAIRING_ROLE_JOINER);
  msg.set_code(code_);
  msg.set_own_identity_key(own_identity_key_);
  msg.set_ephemeral_secret_key(ephemeral_secret_.data(), ephemeral_secret_.size());
  msg.set_nonce(nonce_);
  msg.set_commitment(commitment_);
  msg.set_replacement(replacement_);
  msg.set_replaced_device_id(replaced_device_id_);
  if (in_person()) msg.set_in_person_secret(in_person_secret_.data(), in_person_secret_.size());
  if (has_peer_reveal()) {
    msg.set_peer_ephemeral_public_key(peer_.ephemeral_public_key);
    msg.set_peer_nonce(peer_.nonce);
    msg.set_peer_identity_key(peer_.identity_key);
  }
  SecretBytes out(msg.ByteSizeLong());
  const bool ok = msg.SerializeToArray(out.data(), static_cast<int>(out.size()));
  // protobuf holds its own copy of the secrets in ordinary strings.
  wipe(*msg.mutable_ephemeral_secret_key());
  wipe(*msg.mutable_in_person_secret());
  if (!ok) throw std::runtime_error("PairingState: could not serialize");
  return out;
}

PairingState PairingState::parse(std::string_view serialized) {
  pb::PairingSession msg;
  const bool parsed = msg.ParseFromArray(serialized.data(), static_cast<int>(serialized.size()));
  SecretBytes secret = SecretBytes::copy_of(msg.ephemeral_secret_key());
  wipe(*msg.mutable_ephemeral_secret_key());
  SecretBytes in_person = SecretBytes::copy_of(msg.in_person_secret());
  wipe(*msg.mutable_in_person_secret());
  if (!parsed) throw Error(Errc::kMalformedPairing, "saved pairing state does not parse");
  if (msg.version() != kSessionVersion)
    throw Error(Errc::kMalformedPairing,
                "saved pairing state has version " + std::to_string(msg.version()));
  PairingRole role;
  switch (msg.role()) {
    case pb::PAIRING_ROLE_INITIATOR: role = PairingRole::kInitiator; break;
    case pb::PAIRING_ROLE_JOINER: role = PairingRole::kJoiner; break;
    default: throw Error(Errc::kMalformedPairing, "saved pairing state has no role");
  }

  // Rebuild through the same checks as a live pairing, so a saved state can never
  // reach a step that the live sequence would have refused.
  try {
    PairingState s =
        from_parts(role, msg.code(), msg.own_identity_key(), std::move(secret), msg.nonce());
    if (role == PairingRole::kJoiner) {
      if (msg.commitment() != s.commitment_)
        throw Error(Errc::kMalformedPairing, "saved commitment does not match the saved key");
    } else if (!msg.commitment().empty()) {
      s.accept_commitment(msg.commitment());
    }
    const bool any_peer = !msg.peer_ephemeral_public_key().empty() || !msg.peer_nonce().empty() ||
                          !msg.peer_identity_key().empty();
    if (any_peer)
      s.accept_reveal(PairingReveal{msg.peer_ephemeral_public_key(), msg.peer_nonce(),
                                    msg.peer_identity_key()});
    s.replacement_ = msg.replacement();
    s.replaced_device_id_ = msg.replaced_device_id();
    if (!in_person.empty()) s.set_in_person_secret(std::move(in_person));
    return s;
  } catch (const std::invalid_argument& e) {
    throw Error(Errc::kMalformedPairing, std::string("saved pairing state: ") + e.what());
  } catch (const Error& e) {
    throw Error(Errc::kMalformedPairing, std::string("saved pairing state: ") + e.what());
  }
}

}  // namespace mend::client
