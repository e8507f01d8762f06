#pragma once
// Helpers for tests that follow the delivery stream.
#include "e2e.h"

namespace mend::test {

inline void subscribe(Device& d, uint64_t after) {
  auto f = d.conn->frame(d.next_request++);
  f.mutable_subscribe()->set_after_sequence(after);
  d.conn->send(f);
}

// Collects delivered events until `n` arrived or the time is up.
inline std::vector<v1::Event> collect(TestClient& c, size_t n,
                                      std::chrono::milliseconds timeout = 10s) {
  std::vector<v1::Event> out;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (out.size() < n && std::chrono::steady_clock::now() < deadline) {
    auto f = c.try_read(50ms);
    if (f && f->body_case() == v1::ServerFrame::kDeliver) out.push_back(f->deliver().event());
  }
  return out;
}

}  // namespace mend::test
