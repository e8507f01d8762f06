// Relay frames of DeviceSession: send, the resumable delivery stream, history,
// deletion and unpair.
#include <spdlog/spdlog.h>

#include <chrono>

#include "mend/common/wall_clock.h"
#include "relay/device_session.h"
#include "relay/outbound.h"
#include "relay/server_state.h"

namespace mend::server {

namespace {

constexpr uint32_t kCatchUpPage = 128;
constexpr uint32_t kMaxHistoryInFlight = 4;

void to_proto(const StoredEvent& e, v1::Event* out) {
  out->set_sequence(e.sequence);
  out->set_stored_at_ms(e.stored_at_ms);
  out->set_sender_device_id(e.sender_device_id);
  if (e.is_tombstone) {
    out->mutable_tombstone()->set_deleted_sequence(e.deleted_sequence);
  } else {
    out->set_deleted(e.deleted);
    auto* env = out->mutable_envelope();
    env->set_header(e.header);
    env->set_ciphertext(e.ciphertext);
  }
}

std::string deliver_frame(const StoredEvent& e) {
  v1::ServerFrame f = server_frame();
  to_proto(e, f.mutable_deliver()->mutable_event());
  return serialize(f);
}

// Offers a committed event to both devices of the pair, whichever are online.
void offer_to_pair(ServerState& st, const std::string& a, const std::string& b,
                   const StoredEvent& e) {
  const std::string frame = deliver_frame(e);
  for (const std::string* id : {&a, &b})
    if (DeviceSession* s = st.online(*id)) s->offer(e.sequence, e.sender_device_id, frame);
}

}  // namespace

void DeviceSession::handle_send(uint32_t rid, const v1::Envelope& envelope,
                                const v1::EnvelopeHeader& header) {
  if (!require_pair(rid)) return;
  Metrics& m = state_.metrics();
  if (!state_.send_allowed(device_id_)) {
    m.reject(Rejection::rate_limited);
    fail(rid, v1::ERROR_CODE_RATE_LIMITED, "sending too fast; slow down and resend");
    return;
  }
  if (header.pair_id() != pair_id_ || header.sender_device_id() != device_id_) {
    m.reject(Rejection::invalid_envelope);
    fail(rid, v1::ERROR_CODE_INVALID_ENVELOPE,
         "the header's pair id and sender must be this device's pair and id");
    return;
  }

  if (header.kind() == v1::ENVELOPE_KIND_EPHEMERAL) {
    DeviceSession* partner = state_.online(partner_id_);
    if (!partner) {
      fail(rid, v1::ERROR_CODE_PARTNER_OFFLINE,
           "your partner is not connected; ephemeral messages are not kept");
      return;
    }
    v1::ServerFrame f = server_frame();
    auto* ev = f.mutable_deliver()->mutable_event();
    ev->set_stored_at_ms(unix_ms());
    ev->set_sender_device_id(device_id_);
    *ev->mutable_envelope() = envelope;
    partner->deliver_ephemeral(serialize(f));
    return;
  }

  auto req = std::make_shared<AppendRequest>();
  req->pair_id = pair_id_;
  req->sender_device_id = device_id_;
  req->client_message_id = header.client_message_id();
  req->header = envelope.header();
  req->ciphertext = envelope.ciphertext();
  req->now_ms = unix_ms();
  auto result = std::make_shared<AppendResult>();
  const auto handled = std::chrono::steady_clock::now();
  state_.storage().write(
      [req, result](Storage& s) { *result = s.append(*req); },
      [self = shared_from_this(), rid, req, result, partner = partner_id_, handled](bool ok) {
        ServerState& st = self->state_;
        if (!ok) {
          self->fail(rid, v1::ERROR_CODE_INTERNAL,
                     "the message could not be stored; resend it with the same client message id");
          return;
        }
        if (result->status == AppendStatus::no_pair) {
          self->fail(rid, v1::ERROR_CODE_NOT_PAIRED, "the pair no longer exists");
          return;
        }
        v1::ServerFrame ack = server_frame(rid);
        auto* a = ack.mutable_ack();
        a->set_client_message_id(req->client_message_id);
        a->set_sequence(result->sequence);
        a->set_stored_at_ms(result->stored_at_ms);
        if (result->status == AppendStatus::duplicate) {
          st.metrics().duplicates.fetch_add(1, std::memory_order_relaxed);
          a->set_duplicate(true);
          self->send(ack);
          return;
        }
        st.metrics().stored_relayed.fetch_add(1, std::memory_order_relaxed);
        // Acknowledge first: the sender's ack and the partner's delivery both
        // follow the commit, never precede it.
        self->send(ack);
        StoredEvent e;
        e.sequence = result->sequence;
        e.stored_at_ms = result->stored_at_ms;
        e.sender_device_id = std::move(req->sender_device_id);
        e.header = std::move(req->header);
        e.ciphertext = std::move(req->ciphertext);
        offer_to_pair(st, e.sender_device_id, partner, e);
        const std::chrono::duration<double> took = std::chrono::steady_clock::now() - handled;
        st.metrics().relay_seconds.observe(took.count());
      });
}

void DeviceSession::deliver_ephemeral(const std::string& frame) {
  if (gone() || !out_) return;
  Metrics& m = state_.metrics();
  if (out_->above_high_watermark()) {
    m.ephemeral_dropped.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  m.ephemeral_relayed.fetch_add(1, std::memory_order_relaxed);
  out_->push(frame);
}

void DeviceSession::handle_subscribe(uint32_t rid, uint64_t after) {
  if (!require_pair(rid)) return;
  ++stream_generation_;
  delivered_upto_ = after;
  announce_caught_up_ = true;
  subscribe_request_id_ = rid;
  stream_ = Stream::catching_up;
  catch_up();
}

void DeviceSession::catch_up() {
  if (gone() || pair_id_.empty() || stream_ == Stream::off) return;
  if (read_in_flight_) {
    dirty_ = true;
    return;
  }
  if (out_->above_high_watermark()) {
    stream_ = Stream::lagging;  // on_drained() resumes
    return;
  }
  stream_ = Stream::catching_up;
  read_in_flight_ = true;
  dirty_ = false;
  auto events = std::make_shared<std::vector<StoredEvent>>();
  state_.storage().read(
      [events, pair = pair_id_, from = delivered_upto_, budget = state_.config().queue_high_bytes](
          Storage& s) { *events = s.events_after(pair, from, kCatchUpPage, budget); },
      [self = shared_from_this(), gen = stream_generation_, events](bool ok) {
        self->read_in_flight_ = false;
        if (self->gone()) return;
        if (gen != self->stream_generation_) {
          self->catch_up();  // a newer subscription (or none) superseded this read
          return;
        }
        if (!ok) {
          self->fatal(0, v1::ERROR_CODE_INTERNAL, "storage is unavailable; reconnect shortly",
                      close_code::internal_error);
          return;
        }
        for (const StoredEvent& e : *events) {
          if (e.sequence <= self->delivered_upto_) continue;
          if (e.sender_device_id != self->device_id_) {
            if (self->out_->above_high_watermark()) {
              self->stream_ = Stream::lagging;
              return;
            }
            self->out_->push(deliver_frame(e));
          }
          self->delivered_upto_ = e.sequence;
        }
        size_t read_bytes = 0;
        for (const StoredEvent& e : *events) read_bytes += e.header.size() + e.ciphertext.size();
        const bool cut_short =
            events->size() == kCatchUpPage || read_bytes > self->state_.config().queue_high_bytes;
        if (cut_short || self->dirty_) {
          self->catch_up();
          return;
        }
        self->stream_ = Stream::live;
        if (self->announce_caught_up_) {
          self->announce_caught_up_ = false;
          v1::ServerFrame f = server_frame(self->subscribe_request_id_);
          f.mutable_caught_up()->set_last_sequence(self->delivered_upto_);
          self->send(f);
        }
      });
}

void DeviceSession::offer(uint64_t sequence, const std::string& sender, const std::string& frame) {
  if (gone() || stream_ == Stream::off || sequence <= delivered_upto_) return;
  if (stream_ != Stream::live) {
    dirty_ = true;  // the running or next catch-up read will pick it up
    return;
  }
  if (sequence != delivered_upto_ + 1) {
    catch_up();
    return;
  }
  if (sender == device_id_) {
    delivered_upto_ = sequence;  // own events are not echoed back
    return;
  }
  if (out_->above_high_watermark()) {
    // Stored already: the reader gets it from storage once its queue drains,
    // and the sender is never held back by a slow partner.
    state_.metrics().deliveries_deferred.fetch_add(1, std::memory_order_relaxed);
    stream_ = Stream::lagging;
    return;
  }
  out_->push(frame);
  delivered_upto_ = sequence;
}

void DeviceSession::on_drained() {
  if (stream_ == Stream::lagging) catch_up();
}

void DeviceSession::handle_history(uint32_t rid, const v1::FetchHistory& fetch) {
  if (!require_pair(rid)) return;
  if (history_in_flight_ >= kMaxHistoryInFlight) {
    state_.metrics().reject(Rejection::rate_limited);
    fail(rid, v1::ERROR_CODE_RATE_LIMITED,
         "too many history requests at once; wait for the pages already asked for");
    return;
  }
  ++history_in_flight_;
  const uint32_t limit = fetch.limit() == 0 ? kDefaultHistoryLimit : fetch.limit();
  const bool backward = fetch.direction() == v1::HISTORY_DIRECTION_BACKWARD;
  auto events = std::make_shared<std::vector<StoredEvent>>();
  state_.storage().read(
      [=, pair = pair_id_, anchor = fetch.anchor(),
       budget = state_.config().max_frame_bytes](Storage& s) {
        // One extra row tells whether anything lies beyond this page; the byte
        // budget keeps a page of large envelopes from being read whole.
        *events = backward ? s.events_before(pair, anchor, limit + 1, budget)
                           : s.events_after(pair, anchor, limit + 1, budget);
      },
      [self = shared_from_this(), rid, limit, events](bool ok) {
        --self->history_in_flight_;
        if (self->gone()) return;
        if (!ok) {
          self->fail(rid, v1::ERROR_CODE_INTERNAL, "history is unavailable; try again shortly");
          return;
        }
        v1::ServerFrame f = server_frame(rid);
        auto* page = f.mutable_history_page();
        const size_t budget = self->state_.config().max_frame_bytes;
        size_t read_bytes = 0;
        for (const StoredEvent& e : *events) read_bytes += e.header.size() + e.ciphertext.size();
        // Storage stops early once past the budget: then more may lie beyond.
        bool end = events->size() <= limit && read_bytes <= budget;
        size_t bytes = 0;
        for (size_t i = 0; i < events->size() && i < limit; ++i) {
          const StoredEvent& e = (*events)[i];
          const size_t size = e.header.size() + e.ciphertext.size() + 64;
          if (page->events_size() > 0 && bytes + size > budget) {
            end = false;  // cut short by size; the client asks again from the last sequence
            break;
          }
          bytes += size;
          to_proto(e, page->add_events());
        }
        page->set_end(end);
        self->send(f);
      });
}

void DeviceSession::handle_delete(uint32_t rid, uint64_t sequence) {
  if (!require_pair(rid)) return;
  auto result = std::make_shared<TombstoneResult>();
  state_.storage().write(
      [result, pair = pair_id_, me = device_id_, sequence](Storage& s) {
        *result = s.tombstone(pair, me, sequence, unix_ms());
      },
      [self = shared_from_this(), rid, result, sequence, partner = partner_id_](bool ok) {
        if (!ok) {
          self->fail(rid, v1::ERROR_CODE_INTERNAL, "the deletion failed; try again");
          return;
        }
        switch (result->status) {
          case TombstoneStatus::not_found:
            self->fail(rid, v1::ERROR_CODE_NOT_FOUND, "no message with that sequence");
            return;
          case TombstoneStatus::forbidden:
            self->fail(rid, v1::ERROR_CODE_FORBIDDEN, "only the author can delete a message");
            return;
          case TombstoneStatus::already_deleted:
            self->fail(rid, v1::ERROR_CODE_NOT_FOUND, "that message is already deleted");
            return;
          case TombstoneStatus::no_pair:
            self->fail(rid, v1::ERROR_CODE_NOT_PAIRED, "this device is no longer in the pair");
            return;
          case TombstoneStatus::ok: break;
        }
        v1::ServerFrame f = server_frame(rid);
        f.mutable_deleted()->set_deleted_sequence(sequence);
        f.mutable_deleted()->set_tombstone_sequence(result->tombstone_sequence);
        self->send(f);
        StoredEvent e;
        e.sequence = result->tombstone_sequence;
        e.stored_at_ms = result->stored_at_ms;
        e.sender_device_id = self->device_id_;
        e.is_tombstone = true;
        e.deleted_sequence = sequence;
        offer_to_pair(self->state_, self->device_id_, partner, e);
      });
}

void DeviceSession::handle_unpair(uint32_t rid) {
  if (!require_pair(rid)) return;
  auto member = std::make_shared<bool>(false);
  state_.storage().write([pair = pair_id_, me = device_id_, member](Storage& s) {
                           // Replaced meanwhile (an earlier write of this batch)? Then
                           // this device has no say over the pair any more.
                           *member = s.is_member(pair, me);
                           if (*member) s.delete_pair(pair);
                         },
                         [self = shared_from_this(), rid, partner = partner_id_, member](bool ok) {
                           ServerState& st = self->state_;
                           if (!ok) {
                             self->fail(rid, v1::ERROR_CODE_INTERNAL,
                                        "unpair failed; nothing was deleted; try again");
                             return;
                           }
                           if (!*member) {
                             self->fail(rid, v1::ERROR_CODE_NOT_PAIRED,
                                        "this device is no longer in the pair");
                             return;
                           }
                           st.metrics().unpairs.fetch_add(1, std::memory_order_relaxed);
                           st.rendezvous().withdraw(self->device_id_);
                           st.rendezvous().withdraw(partner);
                           DeviceSession* other = st.online(partner);
                           if (other && !self->gone()) st.metrics().pairs_online.fetch_sub(1);
                           if (other) other->pair_ended(v1::PAIR_END_REASON_UNPAIRED_BY_PARTNER);
                           self->pair_ended(v1::PAIR_END_REASON_UNPAIRED_BY_YOU, rid);
                           spdlog::info("a pair was deleted at the request of one partner");
                         });
}

void DeviceSession::pair_ended(v1::PairEndReason reason, uint32_t request_id) {
  if (gone() || pair_id_.empty()) return;
  v1::ServerFrame f = server_frame(request_id);
  f.mutable_pair_ended()->set_pair_id(pair_id_);
  f.mutable_pair_ended()->set_reason(reason);
  clear_pair();
  send(f);
}

void DeviceSession::clear_pair() {
  pair_id_.clear();
  partner_id_.clear();
  stream_ = Stream::off;
  ++stream_generation_;
}

}  // namespace mend::server
