#include "stream.h"

namespace mend::test {
namespace {

v1::HistoryPage fetch(Device& d, v1::HistoryDirection dir, uint64_t anchor, uint32_t limit) {
  auto f = d.conn->frame(d.next_request++);
  f.mutable_fetch_history()->set_direction(dir);
  f.mutable_fetch_history()->set_anchor(anchor);
  f.mutable_fetch_history()->set_limit(limit);
  d.conn->send(f);
  const auto r = d.conn->expect(Body::kHistoryPage);
  EXPECT_EQ(r.request_id(), f.request_id());
  return r.history_page();
}

TEST(History, PagesBackwardAndForwardWithEndMarker) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  for (int i = 1; i <= 25; ++i) (i % 2 ? a : b).send_stored("h" + std::to_string(i));

  // Backward from the end, 10 at a time: 25..16, 15..6, 5..1 (end).
  std::vector<uint64_t> seen;
  uint64_t anchor = 0;
  for (int page = 0;; ++page) {
    ASSERT_LT(page, 5);
    const auto p = fetch(a, v1::HISTORY_DIRECTION_BACKWARD, anchor, 10);
    for (const auto& e : p.events()) seen.push_back(e.sequence());
    if (p.end()) break;
    anchor = p.events(p.events_size() - 1).sequence();
  }
  ASSERT_EQ(seen.size(), 25u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], 25 - i);

  // Forward from the start: 1..10, 11..20, 21..25 (end); both authors included.
  seen.clear();
  anchor = 0;
  for (int page = 0;; ++page) {
    ASSERT_LT(page, 5);
    const auto p = fetch(b, v1::HISTORY_DIRECTION_FORWARD, anchor, 10);
    for (const auto& e : p.events()) {
      seen.push_back(e.sequence());
      EXPECT_EQ(e.envelope().ciphertext(), "h" + std::to_string(e.sequence()));
      EXPECT_EQ(e.sender_device_id(), e.sequence() % 2 ? a.id.device_id : b.id.device_id);
    }
    if (p.end()) break;
    anchor = p.events(p.events_size() - 1).sequence();
  }
  ASSERT_EQ(seen.size(), 25u);
  for (size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i + 1);

  // A page that exactly reaches the end says so; one past it is empty and ends.
  EXPECT_TRUE(fetch(a, v1::HISTORY_DIRECTION_FORWARD, 15, 10).end());
  const auto past = fetch(a, v1::HISTORY_DIRECTION_FORWARD, 25, 10);
  EXPECT_EQ(past.events_size(), 0);
  EXPECT_TRUE(past.end());
  EXPECT_FALSE(fetch(a, v1::HISTORY_DIRECTION_FORWARD, 14, 10).end());
}

TEST(History, LargePagesAreCutBySizeNotLost) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  const std::string big(100 * 1024, 'x');
  for (int i = 0; i < 6; ++i) a.send_stored(big + std::to_string(i));
  size_t total = 0;
  uint64_t anchor = 0;
  int pages = 0;
  for (;; ++pages) {
    ASSERT_LT(pages, 10);
    const auto p = fetch(b, v1::HISTORY_DIRECTION_FORWARD, anchor, 100);
    ASSERT_GT(p.events_size(), 0);
    EXPECT_LE(p.ByteSizeLong(), 256u * 1024 + 1024);
    total += static_cast<size_t>(p.events_size());
    if (p.end()) break;
    anchor = p.events(p.events_size() - 1).sequence();
  }
  EXPECT_EQ(total, 6u);
  EXPECT_GT(pages, 1);
}

TEST(History, RequiresAPair) {
  MenddProcess mendd;
  Device d{Identity::generate(), TestClient::connect(mendd.port())};
  d.conn->authenticate(d.id);
  auto f = d.conn->frame(9);
  f.mutable_fetch_history()->set_direction(v1::HISTORY_DIRECTION_BACKWARD);
  d.conn->send(f);
  const auto e = d.conn->next();
  EXPECT_EQ(e.error().code(), v1::ERROR_CODE_NOT_PAIRED);
  EXPECT_EQ(e.request_id(), 9u);
}

}  // namespace
}  // namespace mend::test
