#include "e2e.h"
#include "stream.h"

namespace mend::test {
namespace {

// Sends `n` stored messages from `from` back to back, then checks the acks and the
// partner's deliveries: every one, in order, whatever the framing.
void relay_burst(Device& from, Device& to, int n) {
  for (int i = 0; i < n; ++i) from.conn->send(from.envelope("burst " + std::to_string(i)));
  for (int i = 0; i < n; ++i) {
    const auto ack = from.conn->expect(Body::kAck, 10s);
    ASSERT_EQ(ack.ack().sequence(), static_cast<uint64_t>(i + 1)) << "acks in order";
  }
  const auto events = collect(*to.conn, static_cast<size_t>(n));
  ASSERT_EQ(events.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    EXPECT_EQ(events[static_cast<size_t>(i)].sequence(), static_cast<uint64_t>(i + 1));
    EXPECT_EQ(events[static_cast<size_t>(i)].envelope().ciphertext(), "burst " + std::to_string(i));
  }
}

TEST(Batches, QueuedFramesGoOutBatchedAndInOrderToClientsThatAcceptThem) {
  MenddProcess mendd({"--message-burst", "1000"});
  auto [a, b] = make_pair(mendd.port());
  subscribe(b, 0);
  b.conn->expect(Body::kCaughtUp);
  relay_burst(a, b, 400);
  // 400 acks and 400 deliveries pile up faster than one write at a time drains
  // them, so some must have shared a message.
  EXPECT_GT(a.conn->batches_received() + b.conn->batches_received(), 0u);
}

TEST(Batches, ClientsThatDoNotAcceptThemGetOneFramePerMessage) {
  MenddProcess mendd({"--message-burst", "1000"});
  ConnectOptions unbatched;
  unbatched.accept_batches = false;  // the test client throws if a batch arrives anyway
  auto [a, b] = make_pair(mendd.port(), unbatched);
  subscribe(b, 0);
  b.conn->expect(Body::kCaughtUp);
  relay_burst(a, b, 400);
  EXPECT_EQ(a.conn->batches_received() + b.conn->batches_received(), 0u);
}

}  // namespace
}  // namespace mend::test
