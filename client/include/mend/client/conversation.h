#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "mend/client/history_store.h"
#include "mend/client/keystore.h"
#include "mend/client/receiver.h"
#include "mend/client/session.h"

namespace mend::client {

struct SyncReport {
  size_t received = 0;            // new messages from the partner, accepted
  std::vector<Problem> problems;  // everything rejected during this sync
  bool pair_ended = false;        // the relay says the pair is gone
  bool device_replaced = false;   // ... because the partner moved it to a new device of ours
};

// The pair's message path on top of a Session: seal and send stored envelopes
// exactly once (client message ids, an outbox in the history store, resent
// unchanged after a failure), and receive, check and store the partner's.
// The flows issue builds on this (send_ephemeral for presence, sync for events).
class Conversation {
 public:
  // Throws Error(kNotPaired) if the keystore has no verified partner.
  Conversation(Keystore& keystore, HistoryStore& store);

  // Compares the relay's view with the verified pair; throws
  //   kServerChanged      another server id than the pair was made on
  //   kPairEnded          the relay has no pair for this device (ended by the partner)
  //   kPartnerKeyChanged  the relay announces another partner device or key: refused
  void check_relay(const Session& session) const;

  // Seals `text` as this device's next stored message (counter +1, previous_hash =
  // hash of its last one) and records it in the outbox; nothing is sent yet.
  WireEnvelope compose(std::string_view text);
  // Epoch rotation: a new random history key for the next epoch this device owns,
  // announced to the partner in a stored message sealed under the current epoch (in
  // the outbox, like compose()); later messages use the new epoch. The key is saved in
  // the keystore before it is announced. Returns the new epoch.
  uint32_t rotate_epoch();
  // Sends every unacknowledged envelope, unchanged, and records the Acks. Returns
  // how many were acknowledged.
  size_t flush(Session& session);
  // An ephemeral envelope (presence and the like): sealed the same way, never stored.
  void send_ephemeral(Session& session, std::string_view text);

  // Subscribes from the last stream position and receives until caught up, plus up
  // to `gap_grace` while a gap in the partner's counters is open.
  SyncReport sync(Session& session, std::chrono::milliseconds timeout,
                  std::chrono::milliseconds gap_grace = std::chrono::seconds(3));

  // Live events, for apps that stay connected (the guided flows): like sync(), then
  // stays subscribed until `live_for` has passed or the pair ends, calling back for
  // every message accepted (stored or ephemeral), every problem and every change of
  // the partner's presence.
  struct LiveCallbacks {
    std::function<void(const ReceivedMessage&)> on_message;
    std::function<void(const Problem&)> on_problem;
    std::function<void(bool partner_online)> on_presence;
  };
  SyncReport listen(Session& session, std::chrono::milliseconds live_for,
                    const LiveCallbacks& callbacks,
                    std::chrono::milliseconds gap_grace = std::chrono::seconds(3));

 private:
  // `plain` is a serialized mend.v1.content.Content.
  std::string seal(std::string_view plain, uint64_t counter, std::string_view previous_hash,
                   bool ephemeral, std::string& header_out, std::string& cmid_out);
  SyncReport stream(Session& session, std::chrono::milliseconds catch_up_timeout,
                    std::chrono::milliseconds live_for, std::chrono::milliseconds gap_grace,
                    const LiveCallbacks* callbacks);
  WireEnvelope compose_content(std::string_view plain, std::string_view note, bool key_update);

  Keystore& keystore_;
  HistoryStore& store_;
};

// 8-byte big-endian microseconds since the Unix epoch, then 8 random bytes
// (docs/PROTOCOL.md, section 3).
std::string new_client_message_id();

}  // namespace mend::client
