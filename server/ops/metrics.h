#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <string>

// Counters and gauges exported on /metrics in the Prometheus text format.
// Written from the network thread and the storage thread, so every field is atomic.
namespace mend::server {

// Fixed-bucket histogram (cumulative buckets are computed when rendered).
class Histogram {
 public:
  static constexpr size_t kBuckets = 12;
  explicit Histogram(std::array<double, kBuckets> bounds) : bounds_(bounds) {}
  void observe(double v);
  // Appends the _bucket, _sum and _count lines for `name`.
  void render(std::string& out, const std::string& name, const std::string& help) const;

 private:
  std::array<double, kBuckets> bounds_;
  std::array<std::atomic<uint64_t>, kBuckets + 1> counts_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_micros_{0};  // sum * 1e6, to stay atomic and integral
};

// Why mendd refused something; each is a label value of mendd_rejections_total.
enum class Rejection : size_t {
  malformed_frame,
  unsupported_version,
  not_authenticated,
  auth_failed,
  auth_timeout,
  frame_too_large,
  text_frame,
  rate_limited,
  pairing_rate_limited,
  invalid_envelope,
  slow_consumer,
  connection_cap,
  per_ip_cap,
  pending_cap,         // a connection not yet upgraded, over max_pending_connections
  pending_per_ip_cap,  // the same, over max_pending_connections_per_ip
  origin,
  unexpected_frame,
  count_  // not a reason
};

const char* rejection_label(Rejection r);

struct Metrics {
  Metrics();

  std::atomic<int64_t> connections{0};
  std::atomic<int64_t> pending_connections{0};  // accepted, not (yet) a WebSocket
  std::atomic<uint64_t> connections_total{0};
  std::atomic<int64_t> devices_online{0};
  std::atomic<int64_t> pairs_online{0};  // pairs with both devices connected
  std::atomic<uint64_t> stored_relayed{0};
  std::atomic<uint64_t> ephemeral_relayed{0};
  std::atomic<uint64_t> ephemeral_dropped{0};
  std::atomic<uint64_t> duplicates{0};
  std::atomic<uint64_t> deliveries_deferred{0};
  std::atomic<uint64_t> bytes_in{0};
  std::atomic<uint64_t> bytes_out{0};
  std::atomic<int64_t> outbound_queued_bytes{0};
  std::atomic<uint64_t> pairings{0};
  std::atomic<uint64_t> unpairs{0};
  std::atomic<uint64_t> storage_errors{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(Rejection::count_)> rejections{};
  Histogram batch_size;
  Histogram commit_seconds;
  Histogram queue_seconds;  // a write's wait for its group commit to start
  Histogram relay_seconds;

  void reject(Rejection r) {
    rejections[static_cast<size_t>(r)].fetch_add(1, std::memory_order_relaxed);
  }
  std::string render_prometheus() const;
};

}  // namespace mend::server
