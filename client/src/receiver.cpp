#include "mend/client/receiver.h"

#include "mend/client/envelope_crypto.h"
#include "mend/client/error.h"
#include "mend/common/hex.h"
#include "mend/common/ids.h"
#include "mend/common/wall_clock.h"
#include "mend/v1/content.pb.h"
#include "mend/v1/wire.pb.h"

namespace mend::client {

struct Receiver::Opened {
  v1::EnvelopeHeader header;
  std::string hash;
  std::string text;
  uint32_t new_epoch = 0;  // a key update: the epoch and its key
  SecretBytes new_key;
};

Receiver::Receiver(HistoryStore& store, ReceiveContext context, std::chrono::milliseconds gap_grace)
    : store_(store), context_(std::move(context)), gap_grace_(gap_grace) {}

void Receiver::report(uint64_t sequence, std::string kind, std::string detail) {
  Problem p{unix_ms(), sequence, std::move(kind), std::move(detail)};
  store_.add_problem(p);
  if (context_.on_problem) context_.on_problem(p);
  problems_.push_back(std::move(p));
}

const FormerDevice* Receiver::former(std::string_view device_id) const {
  for (const FormerDevice& f : context_.former_devices)
    if (f.device_id == device_id) return &f;
  return nullptr;
}

std::optional<bool> Receiver::author_of(std::string_view device_id) const {
  if (device_id == context_.partner_device_id) return false;
  if (const FormerDevice* f = former(device_id)) return f->own;
  return std::nullopt;
}

bool Receiver::open(const DeliveredEvent& e, Opened& out) {
  if (!author_of(e.sender_device_id)) {
    report(e.sequence, "wrong-sender",
           "the server delivered a message from device " + to_hex(e.sender_device_id) +
               ", which is not the verified partner (nor a device the pair replaced)");
    return false;
  }
  if (!out.header.ParseFromString(e.header)) {
    report(e.sequence, "malformed", "the envelope header does not parse");
    return false;
  }
  const v1::EnvelopeHeader& h = out.header;
  if (h.sender_device_id() != e.sender_device_id) {
    report(e.sequence, "wrong-sender", "the envelope header names another sender");
    return false;
  }
  if (h.pair_id() != context_.pair_id) {
    report(e.sequence, "wrong-pair", "the envelope header names another pair");
    return false;
  }
  const bool ephemeral = e.sequence == 0;
  if (h.kind() != (ephemeral ? v1::ENVELOPE_KIND_EPHEMERAL : v1::ENVELOPE_KIND_STORED) ||
      h.client_message_id().size() != kClientMessageIdBytes) {
    report(e.sequence, "malformed", "the envelope kind or client message id is wrong");
    return false;
  }
  // A replaced device never held the key its replacement opened, nor any later one,
  // and has no live messages any more; the current partner device does not go back
  // to a key from before its device change. Whoever writes like that holds old keys
  // (the lost device's?) and is not the verified partner.
  const FormerDevice* gone = former(e.sender_device_id);
  if (gone && ephemeral) {
    report(e.sequence, "wrong-sender", "a live message from a device the pair replaced");
    return false;
  }
  if (gone && gone->until_epoch != 0 && h.epoch() >= gone->until_epoch) {
    report(e.sequence, "stale-epoch",
           "a message in the name of a replaced device under epoch " + std::to_string(h.epoch()) +
               ", a key that device never had");
    return false;
  }
  if (!gone && h.epoch() < context_.partner_min_epoch) {
    report(e.sequence, "stale-epoch",
           "a message in the partner's name under epoch " + std::to_string(h.epoch()) +
               ", older than the key it has used since the device change: someone with old "
               "keys (the lost device?) is writing in its name");
    return false;
  }
  auto key = context_.epoch_keys->find(h.epoch());
  if (key == context_.epoch_keys->end()) {
    report(e.sequence, "unknown-epoch",
           "no history key for epoch " + std::to_string(h.epoch()) + " on this device");
    return false;
  }
  if (h.padded_length() != padded_length_of_ciphertext(e.ciphertext.size())) {
    report(e.sequence, "malformed", "the header's padded length does not match the ciphertext");
    return false;
  }
  Result<SecretBytes> plain =
      open_envelope(e.ciphertext, e.header, key->second, h.sender_counter());
  if (!plain) {
    const Errc c = plain.error().code();
    report(e.sequence, c == Errc::kAuthenticationFailed ? "authentication" : "malformed",
           plain.error().what());
    return false;
  }
  v1::content::Content content;
  const bool parsed =
      content.ParseFromArray(plain.value().data(), static_cast<int>(plain.value().size()));
  if (content.has_key_update()) {
    out.new_epoch = content.key_update().epoch();
    out.new_key = SecretBytes::copy_of(content.key_update().key());
    wipe(*content.mutable_key_update()->mutable_key());
  }
  if (!parsed) {
    report(e.sequence, "bad-content", "authentic, but the content does not parse");
    return false;
  }
  if (content.has_key_update()) {
    // Epoch ownership (parity) is a rule for senders, so that two rotations never pick
    // the same number; it depends on the two device ids of the time, which a pair
    // with a replaced device no longer has. What a receiver must refuse is a second,
    // different key for an epoch it holds, and epoch 1, which comes from the root key.
    std::string why;
    const auto held = context_.epoch_keys->find(out.new_epoch);
    if (ephemeral)
      why = "a key update in an ephemeral envelope";
    else if (out.new_key.size() != kEpochKeyBytes)
      why = "a key update with a key of the wrong size";
    else if (out.new_epoch < 2)
      why = "a key update for epoch " + std::to_string(out.new_epoch) +
            ", which only the pairing sets";
    else if (gone && gone->until_epoch != 0 && out.new_epoch >= gone->until_epoch)
      why = "a key update for epoch " + std::to_string(out.new_epoch) +
            " from a replaced device, past its replacement";
    else if (held != context_.epoch_keys->end() && !held->second.equals(out.new_key.view()))
      why = "a second, different key for epoch " + std::to_string(out.new_epoch);
    if (!why.empty()) {
      report(e.sequence, "bad-content", why);
      return false;
    }
    out.text = "new history key (epoch " + std::to_string(out.new_epoch) + ")";
  } else {
    out.text = content.text().body();
  }
  out.hash = envelope_hash(e.header, e.ciphertext);
  return true;
}

void Receiver::on_event(const DeliveredEvent& e) {
  if (e.sequence == 0) {  // ephemeral: authenticated like any other, never stored
    Opened o;
    if (!e.is_tombstone && open(e, o) && o.new_epoch == 0) {
      ++ephemeral_;
      if (context_.on_message) context_.on_message(ReceivedMessage{0, e.stored_at_ms, o.text});
    }
    return;
  }
  if (auto held = store_.envelope_at(e.sequence)) {
    // A stream restarted by a new Subscribe may repeat what is held: identical bytes
    // are expected; anything else under a held sequence is tampering.
    if (!e.is_tombstone && held->header == e.header &&
        (held->ciphertext == e.ciphertext || e.deleted))
      return;
    report(e.sequence, "sequence-reused",
           "the server sent different content under a sequence already held");
    return;
  }
  const uint64_t position = store_.stream_position();
  if (e.sequence <= position) {
    report(e.sequence, "reorder",
           "the server delivered sequence " + std::to_string(e.sequence) +
               " after the stream had passed " + std::to_string(position));
    return;
  }
  store_.set_stream_position(e.sequence);

  const std::optional<bool> from_me = author_of(e.sender_device_id);
  if (e.is_tombstone) {
    if (!from_me) {
      report(e.sequence, "wrong-sender", "a deletion by a device other than the partner");
      return;
    }
    store_.mark_deleted(e.deleted_sequence);
    return;
  }
  if (e.deleted) {
    // The author deleted it before we received it: only the header is left. Keep
    // the header's counter in the chain; its hash cannot be computed any more.
    v1::EnvelopeHeader h;
    if (!from_me || !h.ParseFromString(e.header) || h.sender_device_id() != e.sender_device_id) {
      report(e.sequence, "wrong-sender", "a deleted message that is not the partner's");
      return;
    }
    if (!within_closed_chain(e.sequence, e.sender_device_id, h.sender_counter(), nullptr)) return;
    // Nothing here is authenticated any more (no ciphertext): at least it must not
    // claim a counter already held.
    if (h.sender_counter() <= store_.chain_head(e.sender_device_id).counter) {
      report(e.sequence, "replay",
             "a deleted message claims counter " + std::to_string(h.sender_counter()) +
                 ", which is already held");
      return;
    }
    store_.add_incoming(
        {e.sequence, e.stored_at_ms, e.sender_device_id, *from_me, h.sender_counter()},
        WireEnvelope{h.client_message_id(), e.header, {}}, {}, {});
    store_.mark_deleted(e.sequence);
    return;
  }

  Opened o;
  if (!open(e, o)) return;
  const std::string& sender = e.sender_device_id;
  const uint64_t counter = o.header.sender_counter();
  if (!within_closed_chain(e.sequence, sender, counter, &o.hash)) return;
  const ChainHead head = store_.chain_head(sender);
  const std::string whose = *from_me ? "your earlier device" : "the partner";
  if (counter <= head.counter) {
    const auto known = store_.hash_at(sender, counter);
    if (known && *known == o.hash)
      report(e.sequence, "replay",
             "message " + std::to_string(counter) + " from " + whose + " was delivered again");
    else
      report(e.sequence, "fork",
             "a second, different message " + std::to_string(counter) + " from " + whose);
    return;
  }
  auto& held = held_[sender];
  if (counter > head.counter + 1 || !held.empty()) {
    if (held.contains(counter)) {
      report(e.sequence, "fork", "two different messages with counter " + std::to_string(counter));
      return;
    }
    held.emplace(counter, Held{e, std::chrono::steady_clock::now()});
    drain(sender);
    return;
  }
  accept_in_order(e, o, false);
  drain(sender);
}

bool Receiver::within_closed_chain(uint64_t sequence, const std::string& sender, uint64_t counter,
                                   const std::string* hash) {
  const FormerDevice* f = former(sender);
  if (f == nullptr || !f->closed) return true;
  if (counter > f->final_counter) {
    report(sequence, "replaced-device",
           "message " + std::to_string(counter) +
               " in the name of a replaced device, whose last "
               "message before the replacement was " +
               std::to_string(f->final_counter));
    return false;
  }
  if (counter == f->final_counter && hash != nullptr && !f->final_hash.empty() &&
      *hash != f->final_hash) {
    report(sequence, "fork",
           "a replaced device's last message is not the one the partner's device held");
    return false;
  }
  return true;
}

bool Receiver::holding() const {
  for (const auto& [sender, held] : held_)
    if (!held.empty()) return true;
  return false;
}

void Receiver::accept_in_order(const DeliveredEvent& e, Opened& o, bool after_gap) {
  const ChainHead head = store_.chain_head(e.sender_device_id);
  // The first message after a reported gap, or after a deleted one, cannot be
  // linked: the envelope it chains to is not here.
  if (!after_gap && !head.hash.empty() && o.header.previous_hash() != head.hash) {
    report(e.sequence, "fork",
           "message " + std::to_string(o.header.sender_counter()) +
               " does not chain to its sender's previous message");
    return;
  }
  if (head.counter == 0 && !after_gap && !o.header.previous_hash().empty()) {
    report(e.sequence, "fork", "a sender's first message claims a predecessor");
    return;
  }
  const bool key_update = o.new_epoch != 0;
  if (key_update && context_.on_key_update)
    context_.on_key_update(o.new_epoch, std::move(o.new_key));
  store_.add_incoming({e.sequence, e.stored_at_ms, e.sender_device_id,
                       author_of(e.sender_device_id).value_or(false), o.header.sender_counter()},
                      WireEnvelope{o.header.client_message_id(), e.header, e.ciphertext}, o.hash,
                      o.text,
                      key_update ? StoredMessage::Kind::kKeyUpdate : StoredMessage::Kind::kText);
  ++accepted_;
  if (context_.on_message)
    context_.on_message(ReceivedMessage{e.sequence, e.stored_at_ms, o.text, key_update});
}

void Receiver::drain(const std::string& sender) {
  auto& held = held_[sender];
  while (!held.empty()) {
    auto it = held.begin();
    if (it->first != store_.chain_head(sender).counter + 1) return;
    Held h = std::move(it->second);
    held.erase(it);
    Opened o;
    if (open(h.event, o)) accept_in_order(h.event, o, false);
  }
}

void Receiver::on_caught_up(uint64_t last_sequence) {
  if (!caught_up_) caught_up_at_ = std::chrono::steady_clock::now();
  caught_up_ = true;
  store_.set_stream_position(last_sequence);
}

void Receiver::settle_gaps(bool force) {
  const auto now = std::chrono::steady_clock::now();
  for (auto& [sender, held] : held_) {
    while (!held.empty()) {
      auto it = held.begin();
      const auto waited_since = std::max(it->second.since, caught_up_ ? caught_up_at_ : now);
      if (!force && (!caught_up_ || now - waited_since < gap_grace_)) break;
      const uint64_t from = store_.chain_head(sender).counter + 1;
      const std::string whose =
          author_of(sender).value_or(false) ? "your earlier device's" : "the partner's";
      report(it->second.event.sequence, "gap",
             whose + " messages " + std::to_string(from) + " to " + std::to_string(it->first - 1) +
                 " never arrived (dropped by the server?)");
      Held h = std::move(it->second);
      held.erase(it);
      Opened o;
      if (open(h.event, o)) accept_in_order(h.event, o, true);
      drain(sender);
    }
  }
}

}  // namespace mend::client
