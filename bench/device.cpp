#include "device.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

#include "mend/common/auth_proof.h"
#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"

namespace mend::bench {

SendFrameBuilder::SendFrameBuilder(size_t payload_bytes, std::string pair_id, std::string sender_id)
    : payload_(std::max<size_t>(payload_bytes, 1), '\x5a'), message_id_(random_bytes(16)) {
  header_.set_pair_id(std::move(pair_id));
  header_.set_sender_device_id(std::move(sender_id));
  header_.set_epoch(1);
  header_.set_kind(v1::ENVELOPE_KIND_STORED);
  header_.set_padded_length(static_cast<uint32_t>(payload_.size()));
  // A real client chains its envelopes; the hash field makes the header as large as theirs.
  header_.set_previous_hash(random_bytes(32));
  header_.set_content_version(1);
  frame_.set_version(v1::PROTOCOL_VERSION_1);
}

std::string SendFrameBuilder::build(uint32_t request_id, int64_t stamp_ns) {
  ++counter_;
  // Client message ids start with a big-endian per-sender increasing value
  // (docs/PROTOCOL.md): the server's idempotency index then grows at its end.
  for (int i = 0; i < 8; ++i)
    message_id_[static_cast<size_t>(i)] = static_cast<char>((counter_ >> (56 - 8 * i)) & 0xff);
  header_.set_sender_counter(counter_);
  header_.set_client_message_id(message_id_);
  header_bytes_.clear();
  header_.SerializeToString(&header_bytes_);
  std::memcpy(payload_.data(), &stamp_ns, std::min(payload_.size(), sizeof stamp_ns));
  frame_.set_request_id(request_id);
  auto* env = frame_.mutable_send()->mutable_envelope();
  env->set_header(header_bytes_);
  env->set_ciphertext(payload_);
  std::string out;
  frame_.SerializeToString(&out);
  return out;
}

int64_t stamp_of(std::string_view ciphertext) {
  int64_t stamp = 0;
  if (ciphertext.size() >= sizeof stamp) std::memcpy(&stamp, ciphertext.data(), sizeof stamp);
  return stamp;
}

Device::Device(Loop& loop, DeviceListener& listener, Role role, size_t payload_bytes, int index)
    : listener_(listener),
      role_(role),
      index_(index),
      payload_bytes_(payload_bytes),
      id_(Identity::generate()),
      conn_(loop, *this) {}

v1::ClientFrame Device::frame() {
  v1::ClientFrame f;
  f.set_version(v1::PROTOCOL_VERSION_1);
  f.set_request_id(next_request_++);
  return f;
}

void Device::redeem(const std::string& code) {
  if (role_ != Role::redeemer || state_ != State::pairing) {
    pending_code_ = code;
    return;
  }
  auto f = frame();
  f.mutable_redeem_pairing_code()->set_code(code);
  send(f);
}

void Device::send_stored(int64_t stamp_ns) {
  if (state_ != State::ready || !builder_) return;
  conn_.send(builder_->build(next_request_++, stamp_ns));
  ++unacked_;
  ++sent_;
}

void Device::on_message(std::string_view bytes) {
  if (state_ == State::failed) return;
  if (!incoming_.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return fail("the server sent a frame that does not parse");
  on_frame(incoming_);
}

void Device::on_frame(const v1::ServerFrame& f) {
  switch (f.body_case()) {
    case v1::ServerFrame::kChallenge: {
      if (state_ != State::connecting) return fail("a second challenge");
      auto out = frame();
      auto* auth = out.mutable_authenticate();
      auth->set_public_key(id_.public_key);
      auth->set_signature(
          sign_auth(id_.secret_key, f.challenge().server_id(), f.challenge().nonce()));
      auth->set_accept_batches(true);  // as mend's own client does
      send(out);
      state_ = State::authenticating;
      return;
    }
    case v1::ServerFrame::kAuthenticated: {
      if (role_ == Role::idle) {
        state_ = State::ready;
        listener_.on_ready(*this);
        return;
      }
      state_ = State::pairing;
      if (role_ == Role::initiator) {
        auto out = frame();
        out.mutable_request_pairing_code();
        send(out);
      } else if (!pending_code_.empty()) {
        redeem(std::exchange(pending_code_, std::string()));
      }
      return;
    }
    case v1::ServerFrame::kPairingCode:
      listener_.on_pairing_code(*this, f.pairing_code().code());
      return;
    case v1::ServerFrame::kPaired: {
      pair_id_ = f.paired().pair_id();
      partner_id_ = f.paired().partner_device_id();
      builder_ = std::make_unique<SendFrameBuilder>(payload_bytes_, pair_id_, id_.device_id);
      state_ = State::subscribing;
      auto out = frame();
      out.mutable_subscribe()->set_after_sequence(0);
      send(out);
      return;
    }
    case v1::ServerFrame::kCaughtUp:
      if (state_ == State::subscribing) {
        state_ = State::ready;
        listener_.on_ready(*this);
      }
      return;
    case v1::ServerFrame::kAck:
      if (unacked_ > 0) --unacked_;
      listener_.on_ack(*this);
      return;
    case v1::ServerFrame::kDeliver: {
      const auto& ev = f.deliver().event();
      if (ev.sender_device_id() != partner_id_ || !ev.has_envelope())
        return fail("a delivery that is not a message of the partner");
      ++delivered_;
      listener_.on_delivery(*this, stamp_of(ev.envelope().ciphertext()));
      return;
    }
    case v1::ServerFrame::kBatch:
      for (const auto& inner : f.batch().frames()) {
        if (inner.body_case() == v1::ServerFrame::kBatch) return fail("a batch nested in a batch");
        on_frame(inner);
        if (state_ == State::failed) return;
      }
      return;
    case v1::ServerFrame::kPresence: return;  // may come at any time; the benchmark does not care
    case v1::ServerFrame::kError:
      return fail("server error " + std::to_string(f.error().code()) + ": " + f.error().message());
    default: return fail("unexpected server frame " + std::to_string(f.body_case()));
  }
}

void Device::on_closed(const std::string& why) { fail(why); }

void Device::fail(const std::string& why) {
  if (state_ == State::failed) return;
  state_ = State::failed;
  failure_ = why;
  conn_.close();
  listener_.on_failure(*this, why);
}

}  // namespace mend::bench
