#include "mend/client/conversation.h"

#include <algorithm>
#include <optional>

#include "mend/client/envelope_crypto.h"
#include "mend/client/error.h"
#include "mend/client/receiver.h"
#include "mend/common/ids.h"
#include "mend/common/secret_bytes.h"
#include "mend/v1/content.pb.h"
#include "mend/v1/wire.pb.h"

namespace mend::client {

namespace {
constexpr uint32_t kContentVersion = 1;
}  // namespace

std::string new_client_message_id() {
  const uint64_t us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                                std::chrono::system_clock::now().time_since_epoch())
                                                .count());
  std::string id = random_bytes(kClientMessageIdBytes);
  for (int i = 0; i < 8; ++i)
    id[static_cast<size_t>(i)] = static_cast<char>((us >> (56 - 8 * i)) & 0xff);
  return id;
}

Conversation::Conversation(Keystore& keystore, HistoryStore& store)
    : keystore_(keystore), store_(store) {
  if (!keystore_.pair()) throw Error(Errc::kNotPaired, "run `mend pair` or `mend join CODE` first");
}

void Conversation::check_relay(const Session& session) const {
  const PairRecord& pair = *keystore_.pair();
  if (!pair.server_id.empty() && pair.server_id != session.server_id())
    throw Error(Errc::kServerChanged,
                "the pair was made on another server (or the server lost its data)");
  const AuthenticatedEvent& a = session.authenticated();
  if (a.pair_id.empty())
    throw Error(Errc::kPairEnded,
                "the server has no pair for this device any more: your partner unpaired, or "
                "moved the pair to a new device of yours (`mend pair --replace`); run `mend "
                "unpair` to clear it here");
  if (a.pair_id != pair.pair_id)
    throw Error(Errc::kPairEnded, "the server knows this device in another pair");
  if (a.partner_device_id != pair.partner_device_id ||
      a.partner_public_key != pair.partner_identity_key)
    throw Error(Errc::kPartnerKeyChanged,
                "the server says your partner now uses a different device key. This device "
                "refuses to talk to it. If your partner really changed devices, run `mend "
                "pair --replace` here and let them join from the new device; the two of you "
                "then compare the words (in person or by a call you trust).");
}

namespace {
std::string text_content(std::string_view text) {
  v1::content::Content content;
  content.set_schema_version(kContentVersion);
  content.mutable_text()->set_body(std::string(text));
  return content.SerializeAsString();
}
}  // namespace

std::string Conversation::seal(std::string_view plain, uint64_t counter,
                               std::string_view previous_hash, bool ephemeral,
                               std::string& header_out, std::string& cmid_out) {
  const PairRecord& pair = *keystore_.pair();
  const auto key = pair.epoch_keys.find(pair.current_epoch);
  if (key == pair.epoch_keys.end())
    throw Error(Errc::kKeystoreDamaged, "no history key for the current epoch");

  cmid_out = new_client_message_id();
  v1::EnvelopeHeader h;
  h.set_pair_id(pair.pair_id);
  h.set_sender_device_id(keystore_.identity().device_id());
  h.set_sender_counter(counter);
  h.set_epoch(pair.current_epoch);
  h.set_kind(ephemeral ? v1::ENVELOPE_KIND_EPHEMERAL : v1::ENVELOPE_KIND_STORED);
  h.set_client_message_id(cmid_out);
  h.set_padded_length(static_cast<uint32_t>(padded_length(plain.size())));
  h.set_previous_hash(std::string(previous_hash));
  h.set_content_version(kContentVersion);
  header_out = h.SerializeAsString();
  return seal_envelope(plain, header_out, key->second, counter);
}

WireEnvelope Conversation::compose_content(std::string_view plain, std::string_view note,
                                           bool key_update) {
  const std::string& me = keystore_.identity().device_id();
  const ChainHead head = store_.chain_head(me);
  WireEnvelope env;
  env.ciphertext =
      seal(plain, head.counter + 1, head.hash, false, env.header, env.client_message_id);
  store_.add_outgoing(me, head.counter + 1, env, envelope_hash(env.header, env.ciphertext), note,
                      key_update ? StoredMessage::Kind::kKeyUpdate : StoredMessage::Kind::kText);
  return env;
}

WireEnvelope Conversation::compose(std::string_view text) {
  std::string plain = text_content(text);
  WireEnvelope env = compose_content(plain, text, false);
  wipe(plain);
  return env;
}

uint32_t Conversation::rotate_epoch() {
  PairRecord& pair = *keystore_.mutable_pair();
  const uint32_t newest = pair.epoch_keys.empty() ? 0 : pair.epoch_keys.rbegin()->first;
  const uint32_t epoch =
      next_owned_epoch(newest, keystore_.identity().device_id(), pair.partner_device_id);
  // Saved before it is announced, so a crash can lose an announcement, never the key.
  pair.epoch_keys.emplace(epoch, SecretBytes::random(kEpochKeyBytes));
  keystore_.save();

  v1::content::Content content;
  content.set_schema_version(kContentVersion);
  content.mutable_key_update()->set_epoch(epoch);
  const SecretBytes& key = pair.epoch_keys.at(epoch);
  content.mutable_key_update()->set_key(key.data(), key.size());
  std::string plain = content.SerializeAsString();
  wipe(*content.mutable_key_update()->mutable_key());
  compose_content(plain, "new history key (epoch " + std::to_string(epoch) + ")", true);
  wipe(plain);

  pair.current_epoch = epoch;
  keystore_.save();
  return epoch;
}

size_t Conversation::flush(Session& session) {
  size_t n = 0;
  for (const WireEnvelope& env : store_.pending_outgoing()) {
    const AckEvent ack = session.send_stored(env.header, env.ciphertext);
    if (ack.client_message_id != env.client_message_id)
      throw Error(Errc::kProtocolViolation, "an Ack for another message");
    store_.mark_acknowledged(env.client_message_id, ack.sequence, ack.stored_at_ms);
    ++n;
  }
  return n;
}

void Conversation::send_ephemeral(Session& session, std::string_view text) {
  std::string header, cmid;
  std::string plain = text_content(text);
  const std::string ciphertext = seal(plain, 0, {}, true, header, cmid);
  wipe(plain);
  session.send_ephemeral(header, ciphertext);
}

SyncReport Conversation::sync(Session& session, std::chrono::milliseconds timeout,
                              std::chrono::milliseconds gap_grace) {
  return stream(session, timeout, std::chrono::milliseconds(0), gap_grace, nullptr);
}

SyncReport Conversation::listen(Session& session, std::chrono::milliseconds live_for,
                                const LiveCallbacks& callbacks,
                                std::chrono::milliseconds gap_grace) {
  constexpr auto kCatchUpTimeout = std::chrono::seconds(20);
  return stream(session, kCatchUpTimeout, live_for, gap_grace, &callbacks);
}

// Subscribes from the stream position, receives until caught up (and until open gaps
// are settled), then, for `live_for`, keeps receiving live events.
SyncReport Conversation::stream(Session& session, std::chrono::milliseconds catch_up_timeout,
                                std::chrono::milliseconds live_for,
                                std::chrono::milliseconds gap_grace,
                                const LiveCallbacks* callbacks) {
  using Clock = std::chrono::steady_clock;
  PairRecord& pair = *keystore_.mutable_pair();
  ReceiveContext context{pair.pair_id, pair.partner_device_id, &pair.epoch_keys,
                         pair.former_devices, pair.partner_min_epoch};
  // A partner's new history key joins the keystore at once (later messages of this
  // same stream need it), and becomes this device's sending epoch if it is newer.
  context.on_key_update = [this, &pair](uint32_t epoch, SecretBytes key) {
    pair.epoch_keys.emplace(epoch, std::move(key));
    pair.current_epoch = std::max(pair.current_epoch, epoch);
    keystore_.save();
  };
  if (callbacks) {
    context.on_message = callbacks->on_message;
    context.on_problem = callbacks->on_problem;
  }
  Receiver receiver(store_, std::move(context), gap_grace);

  SyncReport report;
  const uint32_t request = session.subscribe(store_.stream_position());
  const auto catch_up_deadline = Clock::now() + catch_up_timeout;
  std::optional<Clock::time_point> live_until;
  for (;;) {
    const auto now = Clock::now();
    const bool caught_up = live_until.has_value();
    if (!caught_up && now >= catch_up_deadline)
      throw Error(Errc::kTimeout, "the server did not finish sending the history");
    if (caught_up && !receiver.holding() && now >= *live_until) break;
    if (caught_up && now >= *live_until + gap_grace) break;
    auto e = session.next_event(std::chrono::milliseconds(100));
    receiver.settle_gaps();
    if (!e) continue;
    if (auto* d = std::get_if<DeliveredEvent>(&*e)) {
      receiver.on_event(*d);
    } else if (auto* c = std::get_if<CaughtUpEvent>(&*e)) {
      if (c->request_id == request && !caught_up) {
        receiver.on_caught_up(c->last_sequence);
        live_until = Clock::now() + live_for;
      }
    } else if (auto* p = std::get_if<PresenceEvent>(&*e)) {
      if (callbacks && callbacks->on_presence) callbacks->on_presence(p->partner_online);
    } else if (auto* ended = std::get_if<PairEndedEvent>(&*e)) {
      report.pair_ended = true;
      report.device_replaced = ended->device_replaced;
      break;
    } else if (auto* err = std::get_if<ServerErrorEvent>(&*e)) {
      if (err->fatal || err->request_id == request) throw_server_error(*err);
    }
  }
  receiver.settle_gaps(true);
  // A device that joined by a replacement has now read what the partner wrote before
  // it: from here on the partner writes only under the keys opened since.
  if (live_until && pair.partner_min_epoch < pair.replacement_epoch) {
    pair.partner_min_epoch = pair.replacement_epoch;
    keystore_.save();
  }
  report.received = receiver.accepted();
  report.problems = receiver.problems();
  return report;
}

}  // namespace mend::client
