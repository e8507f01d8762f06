#include "report.h"

#include <algorithm>
#include <cmath>
#include <sstream>

namespace mend::bench {

namespace {

// Enough digits to compare runs, no more: 0.412, 1.93, 12.4, 123.
std::string ms(double v) {
  char buf[32];
  const char* f = v < 1 ? "%.3f" : v < 10 ? "%.2f" : v < 100 ? "%.1f" : "%.0f";
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  std::ostringstream o;
  o.precision(10);
  o << v;
  return o.str();
}

int pct(double v) { return static_cast<int>(std::lround(v)); }

// The "cpu:" line and, where the kernel reports it, the time the threads were
// ready but found no free core: CPU contention, which shows up as latency.
void print_cpu(FILE* out, const CpuUse& c, const char* server) {
  std::string s = std::string(server) + " " + std::to_string(pct(c.server_pct)) + "%";
  if (!c.server_threads_pct.empty()) {
    s += " [";
    for (size_t i = 0; i < c.server_threads_pct.size(); ++i)
      s += (i ? ", " : "") + c.server_threads_pct[i].first + " " +
           std::to_string(pct(c.server_threads_pct[i].second)) + "%";
    s += "]";
  }
  std::fprintf(out, "   cpu:       %s, mend-bench %d%% (of one core)\n", s.c_str(),
               pct(c.client_pct));
  if (c.server_wait_pct >= 0 && c.client_wait_pct >= 0)
    std::fprintf(out,
                 "   run queue: %s %d%%, mend-bench %d%% (of one core: ready to run, waiting for "
                 "a free core)\n",
                 server, pct(c.server_wait_pct), pct(c.client_wait_pct));
}

void print_storage(FILE* out, const StorageStats& st) {
  if (!st.ok) {
    std::fprintf(out, "   storage:   (mendd /metrics unreadable)\n");
    return;
  }
  const double per_s = st.seconds > 0 ? st.batches / st.seconds : 0;
  std::fprintf(out,
               "   storage:   %.0f group commits (%.0f/s), %.1f writes each, %.2f ms each on "
               "average, committing %.0f%% of the time; %.0f deliveries deferred\n",
               st.batches, per_s, st.batches > 0 ? st.writes / st.batches : 0,
               st.batches > 0 ? 1000 * st.commit_s / st.batches : 0,
               st.seconds > 0 ? 100 * st.commit_s / st.seconds : 0, st.deferred);
  std::fprintf(out, "   commits:   %.0f took over 5 ms, %.0f over 10 ms, %.0f over 25 ms\n",
               st.over_5ms, st.over_10ms, st.over_25ms);
  // Inside mendd only: from handling the Send to queueing its ack and delivery.
  auto bound = [](double b) {
    return b < 0 ? std::string("> 250 ms") : "<= " + ms(1000 * b) + " ms";
  };
  if (st.relayed > 0)
    std::fprintf(
        out, "   in mendd:  p50 %s, p99 %s from handling a Send to queueing its ack and delivery\n",
        bound(st.relay_p50_bound).c_str(), bound(st.relay_p99_bound).c_str());
  if (st.queued > 0)
    std::fprintf(out, "   queued:    p50 %s, p99 %s of that waiting for a group commit to start\n",
                 bound(st.queue_p50_bound).c_str(), bound(st.queue_p99_bound).c_str());
  // rchar and wchar include the sockets; the storage share is what exceeds them.
  if (st.writes > 0 && st.io.write_bytes >= 0)
    std::fprintf(out,
                 "   disk:      %.1f KiB reached the block device per message stored "
                 "(%.0f MiB/s); mendd read %.1f KiB and wrote %.1f KiB per message in syscalls "
                 "(sockets and files)\n",
                 st.io.write_bytes / st.writes / 1024, st.io.write_bytes / st.seconds / 1048576,
                 st.io.rchar / st.writes / 1024, st.io.wchar / st.writes / 1024);
}

std::string json_storage(const StorageStats& st) {
  if (!st.ok) return "null";
  return "{\"batches\": " + num(st.batches) + ", \"writes\": " + num(st.writes) +
         ", \"commit_seconds\": " + num(st.commit_s) + ", \"deferred\": " + num(st.deferred) +
         ", \"commits_over_5ms\": " + num(st.over_5ms) +
         ", \"commits_over_10ms\": " + num(st.over_10ms) +
         ", \"commits_over_25ms\": " + num(st.over_25ms) + ", \"seconds\": " + num(st.seconds) +
         ", \"relayed\": " + num(st.relayed) +
         ", \"relay_p50_bound_s\": " + num(st.relay_p50_bound) +
         ", \"relay_p99_bound_s\": " + num(st.relay_p99_bound) +
         ", \"queue_p50_bound_s\": " + num(st.queue_p50_bound) +
         ", \"queue_p99_bound_s\": " + num(st.queue_p99_bound) +
         ", \"rchar\": " + num(st.io.rchar) + ", \"wchar\": " + num(st.io.wchar) +
         ", \"write_bytes\": " + num(st.io.write_bytes) + "}";
}

void print_problems(FILE* out, const Problems& p) {
  if (p.count == 0) return;
  std::fprintf(out, "   problems:  %llu, first: %s\n", static_cast<unsigned long long>(p.count),
               p.first.c_str());
}

const char* verdict(bool pass) { return pass ? "PASS" : "FAIL"; }

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\')
      out += '\\', out += c;
    else if (static_cast<unsigned char>(c) < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else
      out += c;
  }
  return out + "\"";
}

std::string json_cpu(const CpuUse& c) {
  std::string s =
      "{\"server_pct\": " + num(c.server_pct) + ", \"client_pct\": " + num(c.client_pct) +
      ", \"server_wait_pct\": " + (c.server_wait_pct < 0 ? "null" : num(c.server_wait_pct)) +
      ", \"client_wait_pct\": " + (c.client_wait_pct < 0 ? "null" : num(c.client_wait_pct)) +
      ", \"server_threads_pct\": {";
  for (size_t i = 0; i < c.server_threads_pct.size(); ++i)
    s += (i ? ", " : "") + json_string(c.server_threads_pct[i].first) + ": " +
         num(c.server_threads_pct[i].second);
  return s + "}}";
}

std::string json_problems(const Problems& p) {
  return "\"problems\": " + std::to_string(p.count) +
         ", \"first_problem\": " + (p.count ? json_string(p.first) : "null");
}

std::string json_throughput(const ThroughputResult& t) {
  return "{\"ok\": " + std::string(t.ok ? "true" : "false") +
         ", \"inflight\": " + std::to_string(t.inflight) + ", \"msg_per_s\": " + num(t.rate) +
         ", \"counted\": " + std::to_string(t.counted) + ", \"seconds\": " + num(t.seconds) +
         ", \"message_bytes\": " + std::to_string(t.message_bytes) +
         ", \"cpu\": " + json_cpu(t.cpu) + ", \"storage\": " + json_storage(t.storage) + ", " +
         json_problems(t.problems) + "}";
}

std::string json_curve_point(const LatencyResult* l) {
  return "{\"ok\": " + std::string(l->ok ? "true" : "false") +
         ", \"fraction_of_peak\": " + num(l->fraction) +
         ", \"achieved_msg_per_s\": " + num(l->achieved_rate) + ", \"p50_ms\": " + num(l->p50) +
         ", \"p99_ms\": " + num(l->p99) + ", \"p999_ms\": " + num(l->p999) +
         ", \"max_ms\": " + num(l->max) + "}";
}

// A JSON array of `v`, each element written by `item`.
template <class T, class F>
std::string json_list(const std::vector<T>& v, F item) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + item(v[i]);
  return s + "]";
}

}  // namespace

void print_echo(FILE* out, const LoadSettings& s, const ThroughputResult& r) {
  std::fprintf(
      out, "== phase 1: bare echo (mend-echo; %d connections x %d in flight; %zu-byte messages)\n",
      s.connections, r.inflight, r.message_bytes);
  std::fprintf(out, "   echoed:    %llu in %.1f s = %.0f msg/s\n",
               static_cast<unsigned long long>(r.counted), r.seconds, r.rate);
  print_cpu(out, r.cpu, "mend-echo");
  print_problems(out, r.problems);
}

void print_relay(FILE* out, const LoadSettings& s, const std::string& durability,
                 const ThroughputResult& r) {
  std::fprintf(out,
               "== phase 2: relay throughput (mendd --durability %s; %d devices = %d pairs, all "
               "subscribed; %d stored messages in flight per device; %zu-byte payloads, "
               "%zu-byte Send frames)\n",
               durability.c_str(), s.connections, s.connections / 2, r.inflight, s.payload_bytes,
               r.message_bytes);
  std::fprintf(out, "   delivered: %llu in %.1f s = %.0f msg/s\n",
               static_cast<unsigned long long>(r.counted), r.seconds, r.rate);
  print_cpu(out, r.cpu, "mendd");
  print_storage(out, r.storage);
  print_problems(out, r.problems);
}

void print_latency(FILE* out, const LatencyResult& r) {
  if (r.fraction == 0.5)
    std::fprintf(out, "== phase 3: latency at half the peak (paced at %.0f msg/s in total)\n",
                 r.target_rate);
  else
    std::fprintf(out,
                 "== phase 3, curve: latency at %.0f%% of the peak (paced at %.0f msg/s in "
                 "total)\n",
                 100 * r.fraction, r.target_rate);
  std::fprintf(out, "   sent:      %llu in the window = %.0f msg/s; %llu latencies recorded\n",
               static_cast<unsigned long long>(r.sent), r.achieved_rate,
               static_cast<unsigned long long>(r.received));
  std::fprintf(out, "   latency:   p50 %s ms, p99 %s ms, p99.9 %s ms, max %s ms\n",
               ms(r.p50).c_str(), ms(r.p99).c_str(), ms(r.p999).c_str(), ms(r.max).c_str());
  if (r.schedule_misses)
    std::fprintf(out, "   pacing:    every window was full on %llu pacer turns (server behind)\n",
                 static_cast<unsigned long long>(r.schedule_misses));
  print_cpu(out, r.cpu, "mendd");
  print_storage(out, r.storage);
  print_problems(out, r.problems);
}

void print_memory(FILE* out, const MemoryResult& r) {
  std::fprintf(out, "== phase 4: idle connections (fresh mendd; %d authenticated, unpaired)\n",
               r.requested);
  std::fprintf(out, "   connected: %d in %.1f s\n", r.authenticated, r.connect_seconds);
  std::fprintf(out, "   VmRSS:     %ld KiB before, %ld KiB after = %.2f KiB per connection\n",
               r.before.vm_rss_kib, r.after.vm_rss_kib, r.kib_per_connection);
  std::fprintf(out, "   RssAnon:   %ld KiB before, %ld KiB after = %.2f KiB per connection\n",
               r.before.anon_kib, r.after.anon_kib, r.anon_kib_per_connection);
  print_problems(out, r.problems);
}

void print_sweep(FILE* out, const Results& r) {
  std::fprintf(out, "%-28s%12s %12s %7s\n", "in flight per device:", "echo msg/s", "relay msg/s",
               "ratio");
  for (size_t i = 0; i < std::max(r.echo_runs.size(), r.relay_runs.size()); ++i) {
    const ThroughputResult* e = i < r.echo_runs.size() ? &r.echo_runs[i] : nullptr;
    const ThroughputResult* l = i < r.relay_runs.size() ? &r.relay_runs[i] : nullptr;
    auto rate = [](const ThroughputResult* t) {
      return !t       ? std::string("n/a")
             : !t->ok ? std::string("failed")
                      : std::to_string(std::lround(t->rate));
    };
    char ratio[16] = "";
    if (e && l && e->ok && l->ok && e->rate > 0)
      std::snprintf(ratio, sizeof ratio, "%.2f", l->rate / e->rate);
    std::fprintf(out, "  %-26d%12s %12s %7s\n", e ? e->inflight : l->inflight, rate(e).c_str(),
                 rate(l).c_str(), ratio);
  }
}

namespace {

// The latency at every measured load, and up to where the p99 bar held.
void print_curve(FILE* out, const Results& r) {
  const std::vector<const LatencyResult*> points = r.by_load();
  if (points.size() < 2) return;
  std::fprintf(out, "%-28s%12s %9s %9s %9s\n", "latency by load (of peak):", "msg/s", "p50 ms",
               "p99 ms", "p99.9 ms");
  for (const LatencyResult* l : points) {
    char load[16];
    std::snprintf(load, sizeof load, "%.0f%%", 100 * l->fraction);
    if (!l->ok) {
      std::fprintf(out, "  %-26s%12.0f %9s   (see the phase's problems above)\n", load,
                   l->achieved_rate, "failed");
      continue;
    }
    std::fprintf(out, "  %-26s%12.0f %9s %9s %9s%s\n", load, l->achieved_rate, ms(l->p50).c_str(),
                 ms(l->p99).c_str(), ms(l->p999).c_str(),
                 l->fraction == 0.5 ? "   (the bar's load)" : "");
  }
  char label[64];
  std::snprintf(label, sizeof label, "p99 < %g ms held up to:", kP99BarMs);
  if (const LatencyResult* held = r.bar_held_up_to())
    std::fprintf(out, "%-28s%.0f msg/s (%.0f%% of the relay peak; every lower load too)\n", label,
                 held->achieved_rate, 100 * held->fraction);
  else
    std::fprintf(out, "%-28snone of the measured loads\n", label);
}

}  // namespace

void print_summary(FILE* out, const Results& r) {
  std::fprintf(out, "\n== summary (%d cores; %d devices, %zu-byte payloads, %g s per phase)\n",
               r.cores, r.load.connections, r.load.payload_bytes, r.load.duration_s);
  print_sweep(out, r);
  const ThroughputResult* echo = r.echo();
  const ThroughputResult* relay = r.relay();
  const std::optional<double> ratio = r.ratio();
  const std::string relay_label = "relay peak (durable, " + r.durability + "):";
  if (relay)
    std::fprintf(out, "%-28s%.0f msg/s (%d in flight)\n", relay_label.c_str(), relay->rate,
                 relay->inflight);
  else
    std::fprintf(out, "%-28sn/a\n", relay_label.c_str());
  if (echo)
    std::fprintf(out, "%-28s%.0f msg/s (%d in flight)\n", "bare echo peak:", echo->rate,
                 echo->inflight);
  else
    std::fprintf(out, "%-28sn/a\n", "bare echo peak:");
  if (ratio) {
    std::fprintf(out, "%-28s%.2f   (bar >= %.1f)  %s\n", "ratio:", *ratio, kRatioBar,
                 verdict(*ratio >= kRatioBar));
  } else {
    std::fprintf(out, "%-28sn/a   (bar >= %.1f)  FAIL (a throughput run did not complete)\n",
                 "ratio:", kRatioBar);
  }
  // A peak at the largest in-flight value may not be the server's real peak.
  if (ratio)
    for (const auto& [name, t] : {std::pair{"relay", relay}, std::pair{"echo", echo}})
      if (t->inflight == r.load.max_inflight())
        std::fprintf(out,
                     "%-28sthe %s peaked at the largest in-flight value tried (%d); more in "
                     "flight might give it more (--inflight)\n",
                     "note:", name, t->inflight);
  if (r.latency && !r.latency->sorted_ms.empty()) {
    const auto& l = *r.latency;
    const std::string label =
        "latency @ " + std::to_string(std::lround(l.achieved_rate)) + " msg/s:";
    std::fprintf(out, "%-28sp50 %s ms  p99 %s ms  p99.9 %s ms   (bar p99 < %.0f ms)  %s%s\n",
                 label.c_str(), ms(l.p50).c_str(), ms(l.p99).c_str(), ms(l.p999).c_str(), kP99BarMs,
                 verdict(l.ok && l.p99 < kP99BarMs), l.ok ? "" : " (messages were lost)");
  } else {
    std::fprintf(out, "%-28sn/a   (bar p99 < %.0f ms)  FAIL (the phase did not run)\n",
                 "latency:", kP99BarMs);
  }
  print_curve(out, r);
  if (r.memory && r.memory->authenticated > 0) {
    const auto& m = *r.memory;
    std::fprintf(out,
                 "%-28s%.1f KiB per authenticated connection at %d   (bar <= %.0f KiB)  %s%s\n",
                 "idle connection RSS:", m.kib_per_connection, m.authenticated, kIdleKibBar,
                 verdict(m.ok && m.kib_per_connection <= kIdleKibBar),
                 m.ok ? "" : " (not every connection was open)");
  } else {
    std::fprintf(out, "%-28s%s   (bar <= %.0f KiB)\n", "idle connection RSS:",
                 r.idle_connections == 0 ? "skipped (--idle-connections 0)" : "n/a  FAIL",
                 kIdleKibBar);
  }
  if (!r.broken.empty()) std::fprintf(out, "broken: %s\n", r.broken.c_str());
}

std::string to_json(const Results& r) {
  // Version 2: the in-flight sweep (settings.inflight is a list; echo_runs and
  // relay_runs hold every run; echo and relay are the peaks).
  // Version 3: the latency curve (settings.curve_fractions, latency_by_load,
  // p99_bar_held_up_to_msg_per_s; latency.fraction_of_peak).
  std::string j = "{\n  \"version\": 4,\n  \"complete\": " +
                  std::string(r.sweeps_complete() ? "true" : "false") + ",\n";
  j += "  \"settings\": {\"devices\": " + std::to_string(r.load.connections) +
       ", \"payload_bytes\": " + std::to_string(r.load.payload_bytes) +
       ", \"inflight\": " + json_list(r.load.inflight, [](int k) { return std::to_string(k); }) +
       ", \"curve_fractions\": " + json_list(r.load.curve_fractions, num) +
       ", \"duration_s\": " + num(r.load.duration_s) + ", \"warmup_s\": " + num(r.load.warmup_s) +
       ", \"idle_connections\": " + std::to_string(r.idle_connections) +
       ", \"durability\": " + json_string(r.durability) +
       ", \"cores\": " + std::to_string(r.cores) + "},\n";
  const ThroughputResult* echo = r.echo();
  const ThroughputResult* relay = r.relay();
  j += "  \"echo_runs\": " + json_list(r.echo_runs, json_throughput) + ",\n";
  j += "  \"relay_runs\": " + json_list(r.relay_runs, json_throughput) + ",\n";
  j += "  \"echo\": " + (echo ? json_throughput(*echo) : "null") + ",\n";
  j += "  \"relay\": " + (relay ? json_throughput(*relay) : "null") + ",\n";
  const std::optional<double> ratio = r.ratio();
  j += "  \"ratio\": " + (ratio ? num(*ratio) : "null") + ", \"ratio_bar\": " + num(kRatioBar) +
       ",\n";
  if (r.latency) {
    const auto& l = *r.latency;
    j += "  \"latency\": {\"ok\": " + std::string(l.ok ? "true" : "false") +
         ", \"fraction_of_peak\": " + num(l.fraction) +
         ", \"target_msg_per_s\": " + num(l.target_rate) +
         ", \"achieved_msg_per_s\": " + num(l.achieved_rate) +
         ", \"sent\": " + std::to_string(l.sent) + ", \"received\": " + std::to_string(l.received) +
         ", \"p50_ms\": " + num(l.p50) + ", \"p99_ms\": " + num(l.p99) +
         ", \"p999_ms\": " + num(l.p999) + ", \"max_ms\": " + num(l.max) +
         ", \"p99_bar_ms\": " + num(kP99BarMs) +
         ", \"schedule_misses\": " + std::to_string(l.schedule_misses) +
         ", \"cpu\": " + json_cpu(l.cpu) + ", \"storage\": " + json_storage(l.storage) + ", " +
         json_problems(l.problems) + "},\n";
  } else {
    j += "  \"latency\": null,\n";
  }
  j += "  \"latency_by_load\": " + json_list(r.by_load(), json_curve_point) + ",\n";
  const LatencyResult* held = r.bar_held_up_to();
  j += "  \"p99_bar_held_up_to_msg_per_s\": " + (held ? num(held->achieved_rate) : "null") + ",\n";
  if (r.memory) {
    const auto& m = *r.memory;
    j += "  \"idle\": {\"ok\": " + std::string(m.ok ? "true" : "false") +
         ", \"connections\": " + std::to_string(m.authenticated) +
         ", \"connect_seconds\": " + num(m.connect_seconds) +
         ", \"vm_rss_before_kib\": " + std::to_string(m.before.vm_rss_kib) +
         ", \"vm_rss_after_kib\": " + std::to_string(m.after.vm_rss_kib) +
         ", \"kib_per_connection\": " + num(m.kib_per_connection) +
         ", \"anon_kib_per_connection\": " + num(m.anon_kib_per_connection) +
         ", \"kib_bar\": " + num(kIdleKibBar) + ", " + json_problems(m.problems) + "},\n";
  } else {
    j += "  \"idle\": null,\n";
  }
  j +=
      "  \"broken\": " + (r.broken.empty() ? std::string("null") : json_string(r.broken)) + "\n}\n";
  return j;
}

}  // namespace mend::bench
