#include "e2e.h"

namespace mend::test {
namespace {

std::vector<v1::Event> receive_events(TestClient& c, size_t n,
                                      std::chrono::milliseconds timeout = 10s) {
  std::vector<v1::Event> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto f = c.try_read(100ms);
    if (f && f->body_case() == Body::kDeliver) out.push_back(f->deliver().event());
  }
  return out;
}

void subscribe(Device& d, uint64_t after) {
  auto f = d.conn->frame(d.next_request++);
  f.mutable_subscribe()->set_after_sequence(after);
  d.conn->send(f);
}

TEST(Relay, StoredMessagesArriveInOrderWithAcks) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  subscribe(b, 0);
  EXPECT_EQ(b.conn->expect(Body::kCaughtUp).caught_up().last_sequence(), 0u);

  std::vector<uint64_t> acked;
  for (int i = 0; i < 50; ++i) {
    auto env = a.envelope("message " + std::to_string(i));
    a.conn->send(env);
  }
  for (int i = 0; i < 50; ++i) {
    const auto ack = a.conn->expect(Body::kAck);
    EXPECT_FALSE(ack.ack().duplicate());
    acked.push_back(ack.ack().sequence());
  }
  for (size_t i = 0; i < acked.size(); ++i) EXPECT_EQ(acked[i], i + 1) << "acks in order";

  const auto events = receive_events(*b.conn, 50);
  ASSERT_EQ(events.size(), 50u);
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].sequence(), i + 1);
    EXPECT_EQ(events[i].sender_device_id(), a.id.device_id);
    EXPECT_EQ(events[i].envelope().ciphertext(), "message " + std::to_string(i));
  }
  // Both directions.
  b.send_stored("reply");
  subscribe(a, 50);  // a resumes after what it holds: the reply, then CaughtUp
  EXPECT_EQ(receive_events(*a.conn, 1).at(0).envelope().ciphertext(), "reply");
  EXPECT_EQ(a.conn->expect(Body::kCaughtUp).caught_up().last_sequence(), 51u);
  EXPECT_EQ(count_rows(mendd.database(), "events"), 51);
}

TEST(Relay, ResentClientMessageIdIsStoredOnce) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  subscribe(b, 0);
  b.conn->expect(Body::kCaughtUp);
  const std::string cmid = random_id();
  const auto first = a.send_stored("once", cmid);
  const auto again = a.send_stored("once", cmid);
  EXPECT_FALSE(first.duplicate());
  EXPECT_TRUE(again.duplicate());
  EXPECT_EQ(again.sequence(), first.sequence());
  EXPECT_EQ(again.stored_at_ms(), first.stored_at_ms());
  // Also when the resend comes on a new connection.
  a.reconnect(mendd.port());
  EXPECT_EQ(a.send_stored("once", cmid).sequence(), first.sequence());
  EXPECT_EQ(count_rows(mendd.database(), "events"), 1);
  EXPECT_EQ(receive_events(*b.conn, 2, 1s).size(), 1u) << "the partner gets it once";
}

TEST(Relay, EphemeralMessagesAreDeliveredButNeverStored) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  a.conn->send(a.envelope("typing...", /*ephemeral=*/true));
  const auto f = b.conn->expect(Body::kDeliver);
  EXPECT_EQ(f.deliver().event().sequence(), 0u);
  EXPECT_EQ(f.deliver().event().envelope().ciphertext(), "typing...");
  EXPECT_EQ(count_rows(mendd.database(), "events"), 0);
  EXPECT_FALSE(file_contains(mendd.database(), "typing..."));

  // Partner offline: refused, not queued.
  b.conn->close();
  a.conn->expect(Body::kPresence);
  a.conn->send(a.envelope("anyone?", true));
  EXPECT_EQ(a.conn->next().error().code(), v1::ERROR_CODE_PARTNER_OFFLINE);
  b.reconnect(mendd.port());
  subscribe(b, 0);
  b.conn->expect(Body::kCaughtUp);
  EXPECT_FALSE(b.conn->try_read(300ms).has_value());
  EXPECT_EQ(count_rows(mendd.database(), "events"), 0);
}

TEST(Relay, PresenceSaysOnlineAndOffline) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  b.conn->close();
  auto p = a.conn->read();
  while (p.body_case() == Body::kPresence && p.presence().partner_online()) p = a.conn->read();
  ASSERT_EQ(p.body_case(), Body::kPresence);
  EXPECT_FALSE(p.presence().partner_online());
  const auto auth = b.reconnect(mendd.port());
  EXPECT_TRUE(auth.partner_online());
  EXPECT_TRUE(a.conn->expect(Body::kPresence).presence().partner_online());
}

TEST(Relay, EnvelopeForAnotherPairOrSenderIsRefused) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  auto [c, d] = make_pair(mendd.port());
  // a pretends to write into c's pair.
  const std::string own_pair = a.pair_id;
  a.pair_id = c.pair_id;
  a.conn->send(a.envelope("intrusion"));
  EXPECT_EQ(a.conn->next().error().code(), v1::ERROR_CODE_INVALID_ENVELOPE);
  a.pair_id = own_pair;
  // ...or as b.
  const Identity real = a.id;
  a.id.device_id = b.id.device_id;
  a.conn->send(a.envelope("impersonation"));
  EXPECT_EQ(a.conn->next().error().code(), v1::ERROR_CODE_INVALID_ENVELOPE);
  a.id = real;
  EXPECT_EQ(count_rows(mendd.database(), "events"), 0);
}

TEST(Relay, AuthorCanTombstoneOwnMessageOnly) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  const uint64_t seq = a.send_stored("regret this").sequence();
  auto del = b.conn->frame(b.next_request++);
  del.mutable_delete_message()->set_sequence(seq);
  b.conn->send(del);
  EXPECT_EQ(b.conn->next().error().code(), v1::ERROR_CODE_FORBIDDEN);

  del = a.conn->frame(a.next_request++);
  del.mutable_delete_message()->set_sequence(seq);
  a.conn->send(del);
  const auto deleted = a.conn->expect(Body::kDeleted).deleted();
  EXPECT_EQ(deleted.deleted_sequence(), seq);
  EXPECT_EQ(deleted.tombstone_sequence(), seq + 1);
  EXPECT_EQ(count_rows(mendd.database(), "events", "ciphertext IS NOT NULL"), 0);

  // The partner learns of it through the stream, in order.
  subscribe(b, 0);
  const auto events = receive_events(*b.conn, 2);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_TRUE(events[0].deleted());
  EXPECT_TRUE(events[0].envelope().ciphertext().empty());
  EXPECT_FALSE(events[0].envelope().header().empty());
  EXPECT_EQ(events[1].tombstone().deleted_sequence(), seq);
}

TEST(Relay, UnpairDeletesEverythingOfThePair) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  auto [c, d] = make_pair(mendd.port());
  for (int i = 0; i < 5; ++i) a.send_stored("ours " + std::to_string(i));
  c.send_stored("theirs");
  ASSERT_EQ(count_rows(mendd.database(), "events"), 6);

  auto f = b.conn->frame(42);
  f.mutable_unpair();
  b.conn->send(f);
  const auto mine = b.conn->expect(Body::kPairEnded);
  EXPECT_EQ(mine.pair_ended().reason(), v1::PAIR_END_REASON_UNPAIRED_BY_YOU);
  EXPECT_EQ(mine.request_id(), 42u);
  const auto theirs = a.conn->expect(Body::kPairEnded);
  EXPECT_EQ(theirs.pair_ended().reason(), v1::PAIR_END_REASON_UNPAIRED_BY_PARTNER);

  const std::string hex_pair = "x'" + [&] {
    static const char* k = "0123456789abcdef";
    std::string h;
    for (unsigned char ch : a.pair_id) {
      h += k[ch >> 4];
      h += k[ch & 15];
    }
    return h;
  }() + "'";
  EXPECT_EQ(count_rows(mendd.database(), "events", "pair_id = " + hex_pair), 0);
  EXPECT_EQ(count_rows(mendd.database(), "pair_members", "pair_id = " + hex_pair), 0);
  EXPECT_EQ(count_rows(mendd.database(), "pairs", "pair_id = " + hex_pair), 0);
  EXPECT_EQ(count_rows(mendd.database(), "events"), 1) << "the other pair is untouched";

  // The old pair is gone for sending, and both devices may pair again.
  a.conn->send(a.envelope("after"));
  EXPECT_EQ(a.conn->next().error().code(), v1::ERROR_CODE_NOT_PAIRED);
  const auto again = a.reconnect(mendd.port());
  EXPECT_TRUE(again.pair_id().empty());
}

// Both partners unpair at once: each Unpair gets an answer with its request id,
// PairEnded{UNPAIRED_BY_YOU} for the one that took effect, NOT_PAIRED for the other.
TEST(Relay, SimultaneousUnpairsAreEachAnswered) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  auto fa = a.conn->frame(71);
  fa.mutable_unpair();
  auto fb = b.conn->frame(72);
  fb.mutable_unpair();
  a.conn->send(fa);
  b.conn->send(fb);
  int effective = 0, refused = 0;
  for (auto [dev, rid] : {std::pair{&a, 71u}, std::pair{&b, 72u}}) {
    bool answered = false;
    const auto deadline = std::chrono::steady_clock::now() + 5s;
    while (!answered && std::chrono::steady_clock::now() < deadline) {
      auto f = dev->conn->try_read(100ms);
      if (!f || f->request_id() != rid) continue;
      answered = true;
      if (f->body_case() == Body::kPairEnded) {
        EXPECT_EQ(f->pair_ended().reason(), v1::PAIR_END_REASON_UNPAIRED_BY_YOU);
        ++effective;
      } else {
        ASSERT_EQ(f->body_case(), Body::kError) << f->DebugString();
        EXPECT_EQ(f->error().code(), v1::ERROR_CODE_NOT_PAIRED);
        ++refused;
      }
    }
    EXPECT_TRUE(answered) << "request " << rid << " was not answered";
  }
  EXPECT_EQ(effective, 1);
  EXPECT_EQ(refused, 1);
  EXPECT_EQ(count_rows(mendd.database(), "pairs"), 0);
}

}  // namespace
}  // namespace mend::test
