#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mend/client/history_store.h"
#include "mend/client/keystore.h"
#include "mend/client/server_event.h"
#include "mend/common/secret_bytes.h"

namespace mend::client {

// A message from the partner, as it is accepted.
struct ReceivedMessage {
  uint64_t sequence = 0;  // 0: ephemeral (never stored)
  uint64_t stored_at_ms = 0;
  std::string text;
  bool key_update = false;  // a new history key (the text is a note for people)
};

// Who may write to this device, and with which keys.
struct ReceiveContext {
  std::string pair_id;                                // 16 bytes
  std::string partner_device_id;                      // 16 bytes
  const std::map<uint32_t, SecretBytes>* epoch_keys;  // epoch -> history key
  // Devices the pair replaced: their messages (from the history) are accepted, each
  // on its own counter chain, and stored as this person's (own) or the partner's.
  std::vector<FormerDevice> former_devices{};
  // The current partner device may not write under an older epoch (PairRecord).
  uint32_t partner_min_epoch = 0;
  // Called with a new history key the partner sent (epoch rotation), once its message
  // is accepted in order; the caller adds it to the keystore (and so to epoch_keys).
  std::function<void(uint32_t epoch, SecretBytes key)> on_key_update{};
  // Called with each message as it is accepted (stored ones in chain order, and
  // ephemeral ones), and with each problem as it is reported. Both optional.
  std::function<void(const ReceivedMessage&)> on_message{};
  std::function<void(const Problem&)> on_problem{};
};

// Checks every event the relay delivers before anything reaches the history
// (docs/PROTOCOL.md part II, "Receiving"). A failed check is never dropped silently:
// it becomes a Problem, both returned and written to the store. The kinds:
//   malformed       the header does not parse, or sizes/kind/padded length are wrong
//   wrong-sender    the event or header names a device other than the verified partner
//                   (or a device the pair replaced)
//   wrong-pair      the header names another pair
//   unknown-epoch   no history key for the header's epoch
//   stale-epoch     a replaced device writing under (or announcing) a key from after its
//                   replacement, or the partner under a key from before its device change
//   replaced-device a replaced device's message past the last one it had written when
//                   it was replaced
//   authentication  the AEAD tag fails: header or ciphertext altered, or wrong key
//   bad-content     authentic, but the padding or content does not parse, or a key
//                   update for epoch 1 or for an epoch held with another key
//   replay          an envelope already held, delivered again under a new sequence
//   fork            a second, different envelope with a counter already held, or a
//                   previous_hash that is not the hash of its sender's previous one
//   gap             counters missing and not filled within the grace period
//   reorder         a sequence older than what the stream already passed, not held
//   sequence-reused a sequence already held, with different bytes
class Receiver {
 public:
  Receiver(HistoryStore& store, ReceiveContext context,
           std::chrono::milliseconds gap_grace = std::chrono::seconds(3));

  void on_event(const DeliveredEvent& event);
  // The catch-up is complete: from now on, gaps count down their grace period.
  void on_caught_up(uint64_t last_sequence);
  // Reports gaps older than the grace period (or all of them if `force`) and
  // accepts the messages held behind them.
  void settle_gaps(bool force = false);
  bool holding() const;

  size_t accepted() const { return accepted_; }
  size_t ephemeral_accepted() const { return ephemeral_; }
  const std::vector<Problem>& problems() const { return problems_; }

 private:
  struct Opened;
  struct Held {
    DeliveredEvent event;
    std::chrono::steady_clock::time_point since;
  };
  void report(uint64_t sequence, std::string kind, std::string detail);
  // nullopt: not a sender of this pair; else whether it writes as this person.
  std::optional<bool> author_of(std::string_view device_id) const;
  const FormerDevice* former(std::string_view device_id) const;
  // False (and reported) if `counter` lies past a replaced device's closed chain, or
  // its last message differs from the one the notice named (`hash` null: unknown).
  bool within_closed_chain(uint64_t sequence, const std::string& sender, uint64_t counter,
                           const std::string* hash);
  // Stateless checks (header, sender, keys, AEAD, content); false if reported.
  bool open(const DeliveredEvent& e, Opened& out);
  void accept_in_order(const DeliveredEvent& e, Opened& o, bool after_gap);
  void drain(const std::string& sender);

  HistoryStore& store_;
  ReceiveContext context_;
  std::chrono::milliseconds gap_grace_;
  bool caught_up_ = false;
  std::chrono::steady_clock::time_point caught_up_at_;
  std::map<std::string, std::map<uint64_t, Held>> held_;  // by sender device, then counter
  size_t accepted_ = 0;
  size_t ephemeral_ = 0;
  std::vector<Problem> problems_;
};

}  // namespace mend::client
