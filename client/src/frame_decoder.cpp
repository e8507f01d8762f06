// The one place where relay frames become ServerEvents. A future batched Deliver
// (repeated events) or batched Ack only changes the loops here.

#include "mend/client/error.h"
#include "mend/client/server_event.h"
#include "mend/v1/wire.pb.h"

namespace mend::client {

namespace {

DeliveredEvent delivered(const v1::Event& e) {
  DeliveredEvent d;
  d.sequence = e.sequence();
  d.stored_at_ms = e.stored_at_ms();
  d.sender_device_id = e.sender_device_id();
  d.deleted = e.deleted();
  if (e.has_tombstone()) {
    d.is_tombstone = true;
    d.deleted_sequence = e.tombstone().deleted_sequence();
  } else {
    d.header = e.envelope().header();
    d.ciphertext = e.envelope().ciphertext();
  }
  return d;
}

}  // namespace

std::vector<ServerEvent> decode_server_frame(std::string_view message) {
  v1::ServerFrame f;
  if (!f.ParseFromArray(message.data(), static_cast<int>(message.size())))
    throw Error(Errc::kProtocolViolation, "a frame from the server does not parse");
  if (f.version() != v1::PROTOCOL_VERSION_1)
    throw Error(Errc::kProtocolViolation,
                "the server speaks protocol version " + std::to_string(f.version()));
  const uint32_t rid = f.request_id();
  std::vector<ServerEvent> out;
  switch (f.body_case()) {
    case v1::ServerFrame::kChallenge: {
      const auto& c = f.challenge();
      out.emplace_back(ChallengeEvent{c.server_id(), c.nonce(), c.max_frame_bytes()});
      break;
    }
    case v1::ServerFrame::kAuthenticated: {
      const auto& a = f.authenticated();
      out.emplace_back(AuthenticatedEvent{rid, a.device_id(), a.pair_id(), a.partner_device_id(),
                                          a.partner_public_key(), a.partner_online(),
                                          a.last_sequence()});
      break;
    }
    case v1::ServerFrame::kPairingCode:
      out.emplace_back(
          PairingCodeEvent{rid, f.pairing_code().code(), f.pairing_code().expires_at_ms()});
      break;
    case v1::ServerFrame::kPaired: {
      const auto& p = f.paired();
      out.emplace_back(PairedEvent{rid, p.pair_id(), p.partner_device_id(), p.partner_public_key(),
                                   p.initiator(), p.code(), p.replaced_device_id()});
      break;
    }
    case v1::ServerFrame::kPairingMessage:
      out.emplace_back(PairingPayloadEvent{f.pairing_message().payload()});
      break;
    case v1::ServerFrame::kAck: {
      const auto& a = f.ack();
      out.emplace_back(
          AckEvent{rid, a.client_message_id(), a.sequence(), a.duplicate(), a.stored_at_ms()});
      break;
    }
    case v1::ServerFrame::kDeliver: out.emplace_back(delivered(f.deliver().event())); break;
    case v1::ServerFrame::kCaughtUp:
      out.emplace_back(CaughtUpEvent{rid, f.caught_up().last_sequence()});
      break;
    case v1::ServerFrame::kPresence:
      out.emplace_back(PresenceEvent{f.presence().partner_online()});
      break;
    case v1::ServerFrame::kPairEnded:
      out.emplace_back(
          PairEndedEvent{rid, f.pair_ended().pair_id(),
                         f.pair_ended().reason() == v1::PAIR_END_REASON_UNPAIRED_BY_PARTNER,
                         f.pair_ended().reason() == v1::PAIR_END_REASON_DEVICE_REPLACED});
      break;
    case v1::ServerFrame::kBackupStored:
      out.emplace_back(BackupStoredEvent{rid, f.backup_stored().stored_at_ms()});
      break;
    case v1::ServerFrame::kBackup:
      out.emplace_back(BackupEvent{rid, f.backup().blob(), f.backup().stored_at_ms()});
      break;
    case v1::ServerFrame::kError:
      out.emplace_back(ServerErrorEvent{rid, static_cast<int>(f.error().code()),
                                        f.error().message(), f.error().fatal()});
      break;
    default: out.emplace_back(OtherEvent{rid, static_cast<int>(f.body_case())}); break;
  }
  return out;
}

}  // namespace mend::client
