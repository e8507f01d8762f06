#pragma once

#include <algorithm>
#include <cstdint>
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "load_client.h"
#include "process.h"

// The measured phases. Each drives one server from a single-threaded client
// (one Loop) and is bounded in time: setup and drain have their own timeouts,
// and a phase gives up (with what it measured so far) once they pass.
namespace mend::bench {

struct LoadSettings {
  int connections = 64;  // echo connections, or devices (two per pair)
  size_t payload_bytes = 256;
  // Messages in flight per connection / sending device. Phases 1 and 2 run
  // once for each value, and each server's peak is the best of its runs;
  // phase 3 uses the largest as every device's window.
  std::vector<int> inflight = {16, 32, 64};
  int max_inflight() const {
    return inflight.empty() ? 1 : *std::max_element(inflight.begin(), inflight.end());
  }
  double warmup_s = 1;
  double duration_s = 5;
  // The latency curve: after phase 3 (at 0.5), the same measurement at these
  // fractions of the relay's peak, to show where the p99 bar holds.
  std::vector<double> curve_fractions = {0.1, 0.2, 0.3, 0.4};
};

struct Problems {
  uint64_t count = 0;
  std::string first;
  void add(const std::string& what) {
    if (count++ == 0) first = what;
  }
};

// What mendd's /metrics say about a measured window: the group commits.
struct StorageStats {
  bool ok = false;                                    // /metrics could be read before and after
  double batches = 0;                                 // group commits in the window
  double writes = 0;                                  // messages written by them
  double commit_s = 0;                                // time spent running and committing them
  double over_5ms = 0, over_10ms = 0, over_25ms = 0;  // commits that took longer
  double deferred = 0;  // live deliveries deferred to storage (receiver queue full)
  // mendd_relay_seconds in the window: stored Sends relayed, and the smallest
  // histogram bound below which 50% / 99% of them were (-1: beyond the last bound).
  double relayed = 0, relay_p50_bound = -1, relay_p99_bound = -1;
  // mendd_storage_queue_seconds the same way: writes, and their wait for a group commit.
  double queued = 0, queue_p50_bound = -1, queue_p99_bound = -1;
  double seconds = 0;  // the window
  IoCounters io;       // what mendd read and wrote in the window (/proc/PID/io)
};
// Snapshot at the start of a window; finish() computes the differences.
class StorageMeter {
 public:
  StorageMeter(pid_t pid, uint16_t port);
  StorageStats finish() const;

 private:
  pid_t pid_;
  uint16_t port_;
  IoCounters io_start_;
  std::map<std::string, double> start_;
  Clock::time_point t0_;
};

struct ThroughputResult {
  bool ok = false;
  int inflight = 0;  // messages in flight per connection in this run
  double rate = 0;   // completed messages per second in the window
  uint64_t counted = 0;
  double seconds = 0;
  size_t message_bytes = 0;  // WebSocket payload of one Send frame
  CpuUse cpu;
  StorageStats storage;  // mendd only
  Problems problems;
};

struct LatencyResult {
  bool ok = false;
  double fraction = 0.5;  // of the relay's peak: the target rate's share of it
  double target_rate = 0;
  double achieved_rate = 0;  // messages sent per second in the window
  uint64_t sent = 0, received = 0;
  std::vector<double> sorted_ms;  // one sample per message sent in the window (phase 3 keeps them)
  double p50 = 0, p99 = 0, p999 = 0, max = 0;
  // Pacer turns that found every device's window full (the server fell behind).
  uint64_t schedule_misses = 0;
  CpuUse cpu;
  StorageStats storage;
  Problems problems;
};

struct MemoryResult {
  bool ok = false;
  int requested = 0, authenticated = 0;
  double connect_seconds = 0;
  Rss before, after;
  double kib_per_connection = 0;       // from VmRSS, the reported figure
  double anon_kib_per_connection = 0;  // from RssAnon, for context
  Problems problems;
};

// Phase 1: a closed loop of `inflight` messages per connection against mend-echo.
ThroughputResult run_echo(const LoadSettings& s, int inflight, const ServerProcess& echo);

// The run with the highest rate among those that completed, or nullptr.
inline const ThroughputResult* peak_of(const std::vector<ThroughputResult>& runs) {
  const ThroughputResult* best = nullptr;
  for (const auto& r : runs)
    if (r.ok && (!best || r.rate > best->rate)) best = &r;
  return best;
}

// Phases 2 and 3 share one set of paired, subscribed devices.
class RelayFleet {
 public:
  // Connects, authenticates, pairs and subscribes every device (throws on failure).
  RelayFleet(const LoadSettings& s, const ServerProcess& mendd);
  ~RelayFleet();
  // Phase 2: each device keeps `inflight` stored messages unacknowledged.
  ThroughputResult throughput(int inflight);
  // Phase 3 and the curve: all devices together send `fraction` x `peak`
  // messages per second, paced.
  LatencyResult latency(double peak, double fraction);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// Phase 4: `connections` idle authenticated devices; mendd's RSS growth per connection.
MemoryResult run_idle(int connections, const ServerProcess& mendd);

}  // namespace mend::bench
