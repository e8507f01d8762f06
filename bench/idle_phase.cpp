// Phase 4: what an idle, authenticated connection costs mendd in memory.
#include <cstdio>
#include <functional>

#include "device.h"
#include "phases.h"

namespace mend::bench {

namespace {

// Handshakes in progress at once: enough to connect quickly, few enough that
// neither side's accept backlog nor the auth timeout is ever the limit.
constexpr int kConcurrentHandshakes = 200;

struct IdleRun final : DeviceListener {
  int target = 0;
  int started = 0;
  int authenticated = 0;
  int refused = 0;  // failed before authenticating
  int dropped = 0;  // closed after authenticating
  std::vector<char> was_ready;
  Problems problems;
  std::function<void()> start_more;

  void on_ready(Device& d) override {
    was_ready[static_cast<size_t>(d.index())] = 1;
    ++authenticated;
    if (authenticated % 1000 == 0)
      std::fprintf(stderr, "  idle connections: %d of %d authenticated\n", authenticated, target);
    start_more();
  }
  void on_failure(Device& d, const std::string& why) override {
    problems.add("connection " + std::to_string(d.index()) + ": " + why);
    if (was_ready[static_cast<size_t>(d.index())])
      ++dropped;
    else
      ++refused;
    start_more();
  }
  int in_progress() const { return started - authenticated - refused; }
};

}  // namespace

MemoryResult run_idle(int connections, const ServerProcess& mendd) {
  MemoryResult r;
  r.requested = connections;
  r.before = read_rss(mendd.pid());

  Loop loop;
  IdleRun run;
  run.target = connections;
  run.was_ready.assign(static_cast<size_t>(connections), 0);
  std::vector<std::unique_ptr<Device>> devices;
  devices.reserve(static_cast<size_t>(connections));
  run.start_more = [&] {
    while (run.started < connections && run.in_progress() < kConcurrentHandshakes) {
      devices.push_back(std::make_unique<Device>(loop, run, Device::Role::idle, 8, run.started));
      ++run.started;
      devices.back()->open(mendd.port());
    }
  };
  const auto start = Clock::now();
  run.start_more();
  // 5 ms per connection is far more than a handshake takes; it only bounds a stuck run.
  const auto deadline =
      start + std::chrono::seconds(30) + std::chrono::milliseconds(5) * connections;
  loop.run_until([&] { return run.authenticated + run.refused == connections; }, deadline);
  r.connect_seconds = std::chrono::duration<double>(Clock::now() - start).count();

  // Let mendd settle (storage completions, allocator) while every connection stays open.
  loop.run_until([] { return false; }, Clock::now() + std::chrono::seconds(2));
  r.after = read_rss(mendd.pid());
  const int open = run.authenticated - run.dropped;
  if (open > 0) {
    r.kib_per_connection = static_cast<double>(r.after.vm_rss_kib - r.before.vm_rss_kib) / open;
    r.anon_kib_per_connection = static_cast<double>(r.after.anon_kib - r.before.anon_kib) / open;
  }
  r.authenticated = open;
  r.problems = run.problems;
  if (open != connections)
    r.problems.add(std::to_string(connections - open) + " of " + std::to_string(connections) +
                   " connections were not open and authenticated at the measurement");
  r.ok = open == connections;
  return r;
}

}  // namespace mend::bench
