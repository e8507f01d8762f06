#include <map>
#include <thread>

#include "devices.h"
#include "e2e.h"
#include "stream.h"

namespace mend::test {
namespace {

// The device being replaced keeps writing while its replacement is redeemed:
// a burst of stored envelopes with the redemption in its middle, then an
// Unpair. (Typically the first half is stored, and the second half reaches the
// storage thread after the replacement, in its group commit or the next, and is
// refused there by the membership check, not by the network thread.) Each write lands wholly before
// the replacement or is refused after it, in order, whichever way the race goes
// (docs/PROTOCOL.md 9.6): the envelopes stored are a prefix of the burst and exactly what the new
// device reads, and the Unpair either deleted the pair (and the replacement failed) or was refused
// (and the pair is the remaining device and the new one).
TEST(DeviceReplacement, TheOldDevicesLastWritesRaceItsReplacementCleanly) {
  MenddProcess mendd({"--messages-per-second", "100000", "--message-burst", "100000"});
  auto [a, b] = make_pair(mendd.port());
  const std::string code = replace_code(a);
  Device n = fresh(mendd.port());

  constexpr int kSends = 300;
  std::map<uint32_t, int> send_index;  // request id -> position in the burst
  for (int i = 0; i < kSends; ++i) {
    const auto f = b.envelope("b" + std::to_string(i));
    send_index[f.request_id()] = i;
    b.conn->send(f);
    if (i == kSends / 2) {
      // Most of the first half is in by now; the second half races the redemption.
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
      auto r = n.conn->frame(n.next_request++);
      r.mutable_redeem_pairing_code()->set_code(code);
      n.conn->send(r);
    }
  }
  auto unpair = b.conn->frame(b.next_request++);
  unpair.mutable_unpair();
  b.conn->send(unpair);

  // Every request of b gets its one answer.
  std::vector<int> stored, refused;
  size_t refused_by_storage = 0;  // after the network thread had let them through
  std::vector<uint64_t> sequences;
  bool unpaired = false, unpair_refused = false, told_replaced = false;
  while (stored.size() + refused.size() < kSends || !(unpaired || unpair_refused)) {
    const auto f = b.conn->read();
    const auto rid = f.request_id();
    if (f.body_case() == Body::kAck) {
      stored.push_back(send_index.at(rid));
      sequences.push_back(f.ack().sequence());
    } else if (f.body_case() == Body::kError) {
      ASSERT_EQ(f.error().code(), v1::ERROR_CODE_NOT_PAIRED) << f.DebugString();
      if (rid == unpair.request_id())
        unpair_refused = true;
      else {
        refused.push_back(send_index.at(rid));
        refused_by_storage += f.error().message() == "the pair no longer exists" ? 1 : 0;
      }
    } else if (f.body_case() == Body::kPairEnded) {
      if (rid == unpair.request_id()) {
        EXPECT_EQ(f.pair_ended().reason(), v1::PAIR_END_REASON_UNPAIRED_BY_YOU);
        unpaired = true;
      } else {
        EXPECT_EQ(f.pair_ended().reason(), v1::PAIR_END_REASON_DEVICE_REPLACED);
        told_replaced = true;
      }
    }
  }
  // Which way the race went, for whoever reads the test's XML output.
  RecordProperty("stored", static_cast<int>(stored.size()));
  RecordProperty("refused_by_storage", static_cast<int>(refused_by_storage));
  for (size_t i = 0; i < stored.size(); ++i) {
    ASSERT_EQ(stored[i], static_cast<int>(i)) << "the stored envelopes are the burst's start";
    ASSERT_EQ(sequences[i], i + 1);
  }

  const auto redeemed = n.conn->next(10s);
  if (redeemed.body_case() == Body::kPaired) {
    // The replacement won: b's later writes, its Unpair included, were refused.
    EXPECT_TRUE(unpair_refused);
    EXPECT_TRUE(told_replaced);
    EXPECT_EQ(redeemed.paired().replaced_device_id(), b.id.device_id);
    EXPECT_EQ(count_rows(mendd.database(), "pair_members"), 2);
    EXPECT_EQ(count_rows(mendd.database(), "events"), static_cast<long>(stored.size()));
    n.pair_id = redeemed.paired().pair_id();
    subscribe(n, 0);
    const auto events = collect(*n.conn, stored.size());
    ASSERT_EQ(events.size(), stored.size());
    for (size_t i = 0; i < events.size(); ++i)
      EXPECT_EQ(events[i].envelope().ciphertext(), "b" + std::to_string(i));
    n.conn->expect(Body::kCaughtUp);
  } else {
    // The Unpair won: the pair and all of its envelopes are gone, and the code with them.
    ASSERT_EQ(redeemed.body_case(), Body::kError) << redeemed.DebugString();
    EXPECT_TRUE(unpaired);
    EXPECT_EQ(count_rows(mendd.database(), "pairs"), 0);
    EXPECT_EQ(count_rows(mendd.database(), "events"), 0);
  }
}

}  // namespace
}  // namespace mend::test
