// Phases 2 and 3: pairs of devices relaying stored envelopes through mendd.
#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "device.h"
#include "phases.h"

namespace mend::bench {

namespace {

Clock::duration seconds(double s) {
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
}

int64_t to_ns(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// The nearest-rank percentile of sorted samples.
double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

}  // namespace

StorageMeter::StorageMeter(pid_t pid, uint16_t port)
    : pid_(pid),
      port_(port),
      io_start_(read_io(pid)),
      start_(scrape_metrics(port)),
      t0_(Clock::now()) {}

StorageStats StorageMeter::finish() const {
  StorageStats st;
  st.seconds = std::chrono::duration<double>(Clock::now() - t0_).count();
  const auto end = scrape_metrics(port_);
  const IoCounters io = read_io(pid_);
  auto io_delta = [](double a, double b) { return a < 0 || b < 0 ? -1 : b - a; };
  st.io.rchar = io_delta(io_start_.rchar, io.rchar);
  st.io.wchar = io_delta(io_start_.wchar, io.wchar);
  st.io.write_bytes = io_delta(io_start_.write_bytes, io.write_bytes);
  auto delta = [&](const char* name) {
    const auto a = start_.find(name), b = end.find(name);
    if (a == start_.end() || b == end.end()) return -1.0;
    return b->second - a->second;
  };
  st.batches = delta("mendd_storage_batch_size_count");
  st.writes = delta("mendd_storage_batch_size_sum");
  st.commit_s = delta("mendd_storage_commit_seconds_sum");
  st.deferred = delta("mendd_deliveries_deferred_total");
  st.over_5ms = st.batches - delta("mendd_storage_commit_seconds_bucket{le=\"0.005\"}");
  st.over_10ms = st.batches - delta("mendd_storage_commit_seconds_bucket{le=\"0.01\"}");
  st.over_25ms = st.batches - delta("mendd_storage_commit_seconds_bucket{le=\"0.025\"}");
  st.relayed = delta("mendd_relay_seconds_count");
  st.queued = delta("mendd_storage_queue_seconds_count");
  // Upper bounds of the median and the 99th percentile from a histogram's buckets.
  auto bounds = [&](const std::string& name, double& p50, double& p99) {
    static const char* const kBounds[] = {"0.0005", "0.001", "0.002", "0.003", "0.004", "0.005",
                                          "0.0075", "0.01",  "0.015", "0.025", "0.05",  "0.25"};
    const double count = delta((name + "_count").c_str());
    for (const char* le : kBounds) {
      const double below = delta((name + "_bucket{le=\"" + std::string(le) + "\"}").c_str());
      if (count <= 0 || below < 0) break;
      if (p50 < 0 && below >= 0.5 * count) p50 = std::stod(le);
      if (p99 < 0 && below >= 0.99 * count) p99 = std::stod(le);
    }
  };
  bounds("mendd_relay_seconds", st.relay_p50_bound, st.relay_p99_bound);
  bounds("mendd_storage_queue_seconds", st.queue_p50_bound, st.queue_p99_bound);
  st.ok = st.batches >= 0 && st.writes >= 0 && st.commit_s >= 0;
  return st;
}

struct RelayFleet::Impl final : DeviceListener {
  const LoadSettings s;
  pid_t server;
  uint16_t port;
  Loop loop;
  std::vector<std::unique_ptr<Device>> devices;  // 2i and 2i+1 are a pair
  int ready = 0;
  Problems problems;

  // What the running phase does on acks and deliveries.
  bool closed_loop = false;  // phase 2: refill the window on every ack
  bool sending = false;
  bool record_latency = false;
  Clock::time_point window_start, window_end;
  int64_t window_start_ns = 0, window_end_ns = 0;
  uint64_t counted = 0;
  std::vector<double> latencies_ms;

  Impl(const LoadSettings& settings, pid_t pid, uint16_t p) : s(settings), server(pid), port(p) {}

  void on_ready(Device&) override { ++ready; }
  void on_pairing_code(Device& d, const std::string& code) override {
    devices[static_cast<size_t>(d.index() + 1)]->redeem(code);
  }
  void on_ack(Device& d) override {
    if (closed_loop && sending) d.send_stored(now_ns());
  }
  void on_delivery(Device&, int64_t stamp) override {
    const int64_t now = now_ns();
    if (record_latency) {
      if (stamp >= window_start_ns && stamp < window_end_ns)
        latencies_ms.push_back(static_cast<double>(now - stamp) / 1e6);
    } else if (now >= window_start_ns && now < window_end_ns) {
      ++counted;
    }
  }
  void on_failure(Device& d, const std::string& why) override {
    problems.add("device " + std::to_string(d.index()) + ": " + why);
  }

  bool failed() const { return problems.count > 0; }
  uint64_t in_flight() const {
    uint64_t sent = 0, delivered = 0, unacked = 0;
    for (const auto& d : devices) {
      sent += d->sent();
      delivered += d->delivered();
      unacked += d->unacked();
    }
    return unacked + (sent - std::min(sent, delivered));
  }
  void set_window(double warmup) {
    window_start = Clock::now() + seconds(warmup);
    window_end = window_start + seconds(s.duration_s);
    window_start_ns = to_ns(window_start);
    window_end_ns = to_ns(window_end);
  }
  // Stops sending and waits until every message is acknowledged and delivered.
  void drain() {
    sending = false;
    loop.run_until([&] { return in_flight() == 0 || failed(); },
                   Clock::now() + std::chrono::seconds(30));
    if (in_flight() != 0)
      problems.add(std::to_string(in_flight()) + " messages still in flight after 30 s");
  }
};

RelayFleet::RelayFleet(const LoadSettings& s, const ServerProcess& mendd)
    : impl_(std::make_unique<Impl>(s, mendd.pid(), mendd.port())) {
  Impl& f = *impl_;
  const int n = s.connections - s.connections % 2;
  if (n < 2) throw std::runtime_error("--devices must be at least 2");
  for (int i = 0; i < n; ++i)
    f.devices.push_back(std::make_unique<Device>(
        f.loop, f, i % 2 == 0 ? Device::Role::initiator : Device::Role::redeemer, s.payload_bytes,
        i));
  for (auto& d : f.devices) d->open(mendd.port());
  f.loop.run_until([&] { return f.ready == n || f.failed(); },
                   Clock::now() + std::chrono::seconds(30));
  if (f.ready != n)
    throw std::runtime_error("only " + std::to_string(f.ready) + " of " + std::to_string(n) +
                             " devices paired and subscribed" +
                             (f.failed() ? "; first problem: " + f.problems.first : ""));
}

RelayFleet::~RelayFleet() = default;

ThroughputResult RelayFleet::throughput(int inflight) {
  Impl& f = *impl_;
  ThroughputResult r;
  r.inflight = inflight;
  f.counted = 0;
  f.closed_loop = true;
  f.sending = true;
  f.record_latency = false;
  f.set_window(f.s.warmup_s);
  for (auto& d : f.devices)
    for (int k = 0; k < inflight; ++k) d->send_stored(now_ns());
  auto failed = [&] { return f.failed(); };
  f.loop.run_until(failed, f.window_start);
  CpuMeter meter(f.server);
  StorageMeter storage(f.server, f.port);
  f.loop.run_until(failed, f.window_end);
  r.cpu = meter.finish();
  r.storage = storage.finish();
  f.drain();
  f.closed_loop = false;
  r.counted = f.counted;
  r.seconds = f.s.duration_s;
  r.rate = static_cast<double>(f.counted) / f.s.duration_s;
  r.message_bytes = SendFrameBuilder(f.s.payload_bytes, std::string(16, 'p'), std::string(16, 'd'))
                        .build(1000, now_ns())
                        .size();
  r.problems = f.problems;
  r.ok = !f.failed();
  return r;
}

LatencyResult RelayFleet::latency(double peak, double fraction) {
  Impl& f = *impl_;
  LatencyResult r;
  const double rate = peak * fraction;
  r.fraction = fraction;
  r.target_rate = rate;
  if (f.failed() || rate <= 0) {
    r.problems = f.problems;
    r.problems.add("no rate to pace at");
    return r;
  }
  f.latencies_ms.clear();
  f.latencies_ms.reserve(static_cast<size_t>(rate * f.s.duration_s * 1.1) + 1024);
  f.record_latency = true;
  f.sending = true;
  f.set_window(f.s.warmup_s);
  const auto start = Clock::now();
  uint64_t scheduled = 0, sent_in_window = 0, backlog_ticks = 0;
  size_t next = 0;
  const size_t n = f.devices.size();
  // The schedule is global: by time t, rate * t messages should have left,
  // handed round-robin to the devices. Each is stamped when it is sent.
  auto tick = [&] {
    const auto now = Clock::now();
    if (now >= f.window_end) return;
    const auto due =
        static_cast<uint64_t>(rate * std::chrono::duration<double>(now - start).count());
    while (scheduled < due) {
      Device* d = nullptr;
      for (size_t tries = 0; tries < n && !d; ++tries, next = (next + 1) % n)
        if (f.devices[next]->state() == Device::State::ready &&
            f.devices[next]->unacked() < static_cast<uint32_t>(f.s.max_inflight()))
          d = f.devices[next].get();
      if (!d) {
        ++backlog_ticks;  // every window is full: the server is behind the schedule
        return;
      }
      const int64_t stamp = now_ns();
      d->send_stored(stamp);
      ++scheduled;
      if (stamp >= f.window_start_ns && stamp < f.window_end_ns) ++sent_in_window;
    }
  };
  f.loop.run_until([&] { return f.failed(); }, f.window_start, tick,
                   std::chrono::microseconds(200));
  CpuMeter meter(f.server);
  StorageMeter storage(f.server, f.port);
  f.loop.run_until([&] { return f.failed(); }, f.window_end, tick, std::chrono::microseconds(200));
  r.cpu = meter.finish();
  r.storage = storage.finish();
  f.drain();
  f.record_latency = false;

  r.sent = sent_in_window;
  r.received = f.latencies_ms.size();
  r.achieved_rate = static_cast<double>(sent_in_window) / f.s.duration_s;
  std::sort(f.latencies_ms.begin(), f.latencies_ms.end());
  r.sorted_ms = std::move(f.latencies_ms);
  f.latencies_ms = {};
  r.p50 = percentile(r.sorted_ms, 0.50);
  r.p99 = percentile(r.sorted_ms, 0.99);
  r.p999 = percentile(r.sorted_ms, 0.999);
  r.max = r.sorted_ms.empty() ? 0 : r.sorted_ms.back();
  r.problems = f.problems;
  r.schedule_misses = backlog_ticks;
  if (r.received != r.sent)
    r.problems.add(std::to_string(r.sent - std::min(r.sent, r.received)) +
                   " paced messages were not delivered");
  r.ok = r.problems.count == 0;
  return r;
}

}  // namespace mend::bench
