#include "relay/frame_codec.h"

#include "mend/common/ids.h"

namespace mend::server {

namespace {

FrameError malformed(std::string message) {
  return FrameError{v1::ERROR_CODE_MALFORMED_FRAME, std::move(message)};
}

FrameError check_envelope(const v1::Envelope& env, v1::EnvelopeHeader& header) {
  if (env.header().empty() || env.header().size() > kMaxHeaderBytes)
    return malformed("envelope header must be 1.." + std::to_string(kMaxHeaderBytes) + " bytes");
  if (!header.ParseFromString(env.header())) return malformed("envelope header does not parse");
  if (header.pair_id().size() != kPairIdBytes) return malformed("header.pair_id must be 16 bytes");
  if (header.sender_device_id().size() != kDeviceIdBytes)
    return malformed("header.sender_device_id must be 16 bytes");
  if (header.client_message_id().size() != kClientMessageIdBytes)
    return malformed("header.client_message_id must be 16 bytes");
  if (header.kind() != v1::ENVELOPE_KIND_STORED && header.kind() != v1::ENVELOPE_KIND_EPHEMERAL)
    return malformed("header.kind must be STORED or EPHEMERAL");
  if (!header.previous_hash().empty() && header.previous_hash().size() != 32)
    return malformed("header.previous_hash must be empty or 32 bytes");
  if (env.ciphertext().empty()) return malformed("envelope ciphertext is empty");
  return {};
}

}  // namespace

FrameError parse_client_frame(std::string_view bytes, ParsedFrame& out) {
  v1::ClientFrame& f = out.frame;
  if (!f.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return malformed("frame is not a valid mend.v1.ClientFrame");
  if (f.version() != v1::PROTOCOL_VERSION_1)
    return FrameError{v1::ERROR_CODE_UNSUPPORTED_VERSION,
                      "protocol version " + std::to_string(f.version()) +
                          " is not supported; this server speaks version 1"};
  switch (f.body_case()) {
    case v1::ClientFrame::kAuthenticate:
      if (f.authenticate().public_key().size() != kSigningPublicKeyBytes)
        return malformed("authenticate.public_key must be 32 bytes");
      if (f.authenticate().signature().size() != kSignatureBytes)
        return malformed("authenticate.signature must be 64 bytes");
      return {};
    case v1::ClientFrame::kRedeemPairingCode:
      if (f.redeem_pairing_code().code().empty() ||
          f.redeem_pairing_code().code().size() > kMaxCodeChars)
        return malformed("redeem_pairing_code.code must be 1.." + std::to_string(kMaxCodeChars) +
                         " characters");
      return {};
    case v1::ClientFrame::kPairingMessage:
      if (f.pairing_message().payload().empty() ||
          f.pairing_message().payload().size() > kMaxPairingPayloadBytes)
        return malformed("pairing_message.payload must be 1.." +
                         std::to_string(kMaxPairingPayloadBytes) + " bytes");
      return {};
    case v1::ClientFrame::kSend:
      if (!f.send().has_envelope()) return malformed("send.envelope is missing");
      return check_envelope(f.send().envelope(), out.header);
    case v1::ClientFrame::kFetchHistory: {
      const auto& h = f.fetch_history();
      if (h.direction() != v1::HISTORY_DIRECTION_BACKWARD &&
          h.direction() != v1::HISTORY_DIRECTION_FORWARD)
        return malformed("fetch_history.direction must be BACKWARD or FORWARD");
      if (h.limit() > kMaxHistoryLimit)
        return malformed("fetch_history.limit must be at most " + std::to_string(kMaxHistoryLimit));
      return {};
    }
    case v1::ClientFrame::kDeleteMessage:
      if (f.delete_message().sequence() == 0)
        return malformed("delete_message.sequence must be positive");
      return {};
    case v1::ClientFrame::kPutBackup:
      if (f.put_backup().backup_id().size() != kBackupIdBytes)
        return malformed("put_backup.backup_id must be " + std::to_string(kBackupIdBytes) + " bytes");
      if (f.put_backup().blob().empty() || f.put_backup().blob().size() > kMaxBackupBytes)
        return malformed("put_backup.blob must be 1.." + std::to_string(kMaxBackupBytes) + " bytes");
      return {};
    case v1::ClientFrame::kFetchBackup:
      if (f.fetch_backup().backup_id().size() != kBackupIdBytes)
        return malformed("fetch_backup.backup_id must be " + std::to_string(kBackupIdBytes) +
                         " bytes");
      return {};
    case v1::ClientFrame::kRequestPairingCode:
    case v1::ClientFrame::kSubscribe:
    case v1::ClientFrame::kUnpair: return {};
    case v1::ClientFrame::BODY_NOT_SET: break;
  }
  return malformed("frame has no body (or a body this server does not know)");
}

v1::ServerFrame server_frame(uint32_t request_id) {
  v1::ServerFrame f;
  f.set_version(v1::PROTOCOL_VERSION_1);
  f.set_request_id(request_id);
  return f;
}

std::string serialize(const v1::ServerFrame& frame) {
  std::string out;
  frame.SerializeToString(&out);
  return out;
}

std::string error_frame(uint32_t request_id, v1::ErrorCode code, std::string_view message,
                        bool fatal) {
  v1::ServerFrame f = server_frame(request_id);
  auto* e = f.mutable_error();
  e->set_code(code);
  e->set_message(std::string(message));
  e->set_fatal(fatal);
  return serialize(f);
}

}  // namespace mend::server
