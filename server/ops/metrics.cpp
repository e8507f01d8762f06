#include "ops/metrics.h"

#include <fmt/format.h>

namespace mend::server {

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < kBuckets && v > bounds_[i]) ++i;
  counts_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_micros_.fetch_add(static_cast<uint64_t>(v * 1e6), std::memory_order_relaxed);
}

void Histogram::render(std::string& out, const std::string& name, const std::string& help) const {
  out += fmt::format("# HELP {} {}\n# TYPE {} histogram\n", name, help, name);
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBuckets; ++i) {
    cumulative += counts_[i].load(std::memory_order_relaxed);
    out += fmt::format("{}_bucket{{le=\"{}\"}} {}\n", name, bounds_[i], cumulative);
  }
  cumulative += counts_[kBuckets].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{le=\"+Inf\"}} {}\n", name, cumulative);
  out += fmt::format("{}_sum {}\n", name, static_cast<double>(sum_micros_.load()) / 1e6);
  out += fmt::format("{}_count {}\n", name, count_.load(std::memory_order_relaxed));
}

const char* rejection_label(Rejection r) {
  switch (r) {
    case Rejection::malformed_frame: return "malformed_frame";
    case Rejection::unsupported_version: return "unsupported_version";
    case Rejection::not_authenticated: return "not_authenticated";
    case Rejection::auth_failed: return "auth_failed";
    case Rejection::auth_timeout: return "auth_timeout";
    case Rejection::frame_too_large: return "frame_too_large";
    case Rejection::text_frame: return "text_frame";
    case Rejection::rate_limited: return "rate_limited";
    case Rejection::pairing_rate_limited: return "pairing_rate_limited";
    case Rejection::invalid_envelope: return "invalid_envelope";
    case Rejection::slow_consumer: return "slow_consumer";
    case Rejection::connection_cap: return "connection_cap";
    case Rejection::per_ip_cap: return "per_ip_cap";
    case Rejection::pending_cap: return "pending_cap";
    case Rejection::pending_per_ip_cap: return "pending_per_ip_cap";
    case Rejection::origin: return "origin";
    case Rejection::unexpected_frame: return "unexpected_frame";
    case Rejection::count_: break;
  }
  return "unknown";
}

namespace {
// Buckets for the waits a message sees, fine around the 5 ms latency bar.
constexpr std::array<double, Histogram::kBuckets> kLatencyBounds = {
    0.0005, 0.001, 0.002, 0.003, 0.004, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.25};
}  // namespace

Metrics::Metrics()
    : batch_size({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}),
      commit_seconds(
          {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1}),
      queue_seconds(kLatencyBounds),
      relay_seconds(kLatencyBounds) {}

namespace {
template <class T>
void metric(std::string& out, const char* name, const char* type, const char* help, T value) {
  out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
}
}  // namespace

std::string Metrics::render_prometheus() const {
  std::string out;
  out.reserve(4096);
  metric(out, "mendd_connections", "gauge", "Open WebSocket connections.", connections.load());
  metric(out, "mendd_pending_connections", "gauge",
         "Accepted connections not (yet) upgraded to a WebSocket: TLS or HTTP in progress.",
         pending_connections.load());
  metric(out, "mendd_connections_total", "counter", "Connections accepted since start.",
         connections_total.load());
  metric(out, "mendd_devices_online", "gauge", "Authenticated devices connected.",
         devices_online.load());
  metric(out, "mendd_pairs_online", "gauge", "Pairs with both devices connected.",
         pairs_online.load());
  out +=
      "# HELP mendd_messages_relayed_total Envelopes relayed, by kind.\n"
      "# TYPE mendd_messages_relayed_total counter\n";
  out += fmt::format("mendd_messages_relayed_total{{kind=\"stored\"}} {}\n", stored_relayed.load());
  out += fmt::format("mendd_messages_relayed_total{{kind=\"ephemeral\"}} {}\n",
                     ephemeral_relayed.load());
  metric(out, "mendd_ephemeral_dropped_total", "counter",
         "Ephemeral envelopes dropped because the partner's queue was past its high watermark.",
         ephemeral_dropped.load());
  metric(out, "mendd_duplicate_messages_total", "counter",
         "Stored envelopes resent with a known client message id (answered, not stored).",
         duplicates.load());
  metric(out, "mendd_deliveries_deferred_total", "counter",
         "Live deliveries deferred to storage because the receiver's queue was full.",
         deliveries_deferred.load());
  metric(out, "mendd_received_bytes_total", "counter", "WebSocket payload bytes received.",
         bytes_in.load());
  metric(out, "mendd_sent_bytes_total", "counter", "WebSocket payload bytes sent.",
         bytes_out.load());
  metric(out, "mendd_outbound_queued_bytes", "gauge", "Bytes waiting in all outbound queues.",
         outbound_queued_bytes.load());
  metric(out, "mendd_pairings_total", "counter", "Pairs created.", pairings.load());
  metric(out, "mendd_unpairs_total", "counter", "Pairs deleted by unpair.", unpairs.load());
  metric(out, "mendd_storage_errors_total", "counter", "Storage batches that failed.",
         storage_errors.load());
  out +=
      "# HELP mendd_rejections_total Frames, connections and requests refused, by reason.\n"
      "# TYPE mendd_rejections_total counter\n";
  for (size_t i = 0; i < rejections.size(); ++i)
    out += fmt::format("mendd_rejections_total{{reason=\"{}\"}} {}\n",
                       rejection_label(static_cast<Rejection>(i)), rejections[i].load());
  batch_size.render(out, "mendd_storage_batch_size", "Writes per group commit.");
  commit_seconds.render(out, "mendd_storage_commit_seconds", "Time to run and commit one batch.");
  queue_seconds.render(out, "mendd_storage_queue_seconds",
                       "Time a write waited in the storage queue for its batch to start.");
  relay_seconds.render(out, "mendd_relay_seconds",
                       "Time from handling a stored Send to queueing its ack and delivery.");
  return out;
}

}  // namespace mend::server
