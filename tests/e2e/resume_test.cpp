#include <signal.h>

#include <set>

#include "stream.h"

namespace mend::test {
namespace {

// Sends stored messages "m<from>".."m<from+n-1>" without waiting for acks.
void send_burst(Device& a, int from, int n) {
  for (int i = from; i < from + n; ++i) a.conn->send(a.envelope("m" + std::to_string(i)));
}

TEST(Resume, ReceiverReconnectsMidStreamWithoutGapOrDuplicate) {
  MenddProcess mendd({"--message-burst", "1000"});
  auto [a, b] = make_pair(mendd.port());
  subscribe(b, 0);
  b.conn->expect(Body::kCaughtUp);
  send_burst(a, 0, 200);
  // b takes a part of the stream, then drops.
  auto first = collect(*b.conn, 60);
  ASSERT_GE(first.size(), 1u);
  const uint64_t held = first.back().sequence();
  b.conn->close();
  // More arrives while b is away.
  send_burst(a, 200, 100);
  for (int i = 0; i < 300; ++i) a.conn->expect(Body::kAck);

  b.reconnect(mendd.port());
  subscribe(b, held);
  std::vector<v1::Event> rest;
  bool caught_up = false;
  while (!caught_up || rest.size() < 300 - held) {
    auto f = b.conn->read(10s);
    if (f.body_case() == Body::kDeliver) rest.push_back(f.deliver().event());
    if (f.body_case() == Body::kCaughtUp) {
      caught_up = true;
      EXPECT_EQ(f.caught_up().last_sequence(), 300u);
    }
  }
  ASSERT_EQ(rest.size(), 300 - held);
  for (size_t i = 0; i < rest.size(); ++i) {
    EXPECT_EQ(rest[i].sequence(), held + 1 + i);
    EXPECT_EQ(rest[i].envelope().ciphertext(), "m" + std::to_string(held + i));
  }
  // Live messages follow the resumed ones.
  a.send_stored("live");
  EXPECT_EQ(collect(*b.conn, 1).at(0).sequence(), 301u);
}

TEST(Resume, AfterMenddIsKilledEveryAckedMessageArrivesExactlyOnceInOrder) {
  MenddProcess mendd({"--message-burst", "1000"});
  auto [a, b] = make_pair(mendd.port());
  subscribe(b, 0);
  b.conn->expect(Body::kCaughtUp);

  // a sends a stream; mendd is killed with SIGKILL in the middle of it.
  std::map<std::string, std::string> body_of;  // client message id -> body
  std::vector<v1::ClientFrame> frames;
  for (int i = 0; i < 400; ++i) {
    auto f = a.envelope("k" + std::to_string(i));
    v1::EnvelopeHeader h;
    h.ParseFromString(f.send().envelope().header());
    body_of[h.client_message_id()] = "k" + std::to_string(i);
    frames.push_back(f);
  }
  std::map<std::string, uint64_t> acked;  // body -> sequence
  std::vector<v1::Event> received;
  for (size_t i = 0; i < frames.size(); ++i) {
    a.conn->send(frames[i]);
    if (i == 250) break;
  }
  // Collect a few acks, then kill mid-stream.
  while (acked.size() < 100) {
    auto f = a.conn->read(5s);
    if (f.body_case() == Body::kAck)
      acked[body_of.at(f.ack().client_message_id())] = f.ack().sequence();
  }
  received = collect(*b.conn, 50, 5s);
  ASSERT_EQ(mendd.stop(SIGKILL), 128 + SIGKILL);
  // Whatever acks made it out before the kill count as acknowledged.
  try {
    for (;;) {
      auto f = a.conn->try_read(200ms);
      if (!f) break;
      if (f->body_case() == Body::kAck)
        acked[body_of.at(f->ack().client_message_id())] = f->ack().sequence();
    }
  } catch (const ClosedError&) {
  }
  try {
    for (;;) {
      auto f = b.conn->try_read(200ms);
      if (!f) break;
      if (f->body_case() == Body::kDeliver) received.push_back(f->deliver().event());
    }
  } catch (const ClosedError&) {
  }

  mendd.start();
  // The sender resends everything it has no ack for (same client message ids),
  // as a real client does after a reconnect, plus the rest of its stream.
  a.reconnect(mendd.port());
  size_t resent = 0;
  for (const auto& f : frames) {
    v1::EnvelopeHeader h;
    h.ParseFromString(f.send().envelope().header());
    if (acked.contains(body_of.at(h.client_message_id()))) continue;
    a.conn->send(f);
    ++resent;
  }
  for (size_t i = 0; i < resent; ++i) {
    const auto ack = a.conn->expect(Body::kAck, 10s).ack();
    const std::string body = body_of.at(ack.client_message_id());
    if (ack.duplicate()) {
      EXPECT_FALSE(acked.contains(body));  // stored before the kill, ack lost
    }
    acked[body] = ack.sequence();
  }
  ASSERT_EQ(acked.size(), 400u);

  // The receiver resumes from what it holds.
  const uint64_t held = received.empty() ? 0 : received.back().sequence();
  for (size_t i = 0; i < received.size(); ++i) ASSERT_EQ(received[i].sequence(), i + 1);
  b.reconnect(mendd.port());
  subscribe(b, held);
  auto rest = collect(*b.conn, 400 - held, 20s);
  received.insert(received.end(), rest.begin(), rest.end());
  ASSERT_EQ(received.size(), 400u);
  std::set<std::string> bodies;
  for (size_t i = 0; i < received.size(); ++i) {
    EXPECT_EQ(received[i].sequence(), i + 1) << "in order, no gap";
    bodies.insert(received[i].envelope().ciphertext());
    EXPECT_EQ(acked.at(received[i].envelope().ciphertext()), received[i].sequence());
  }
  EXPECT_EQ(bodies.size(), 400u) << "no duplicates";
  EXPECT_EQ(count_rows(mendd.database(), "events"), 400);
  // Nothing more is pending for b.
  while (auto f = b.conn->try_read(300ms)) EXPECT_NE(f->body_case(), Body::kDeliver);
}

}  // namespace
}  // namespace mend::test
