#pragma once

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include "phases.h"

// Presenting the figures: per-phase details as they come, the summary block
// with the bars, a JSON document, and the latency chart.
namespace mend::bench {

// The acceptance bars, in one place.
inline constexpr double kRatioBar = 0.5;     // relay / echo, at least
inline constexpr double kP99BarMs = 5.0;     // latency p99 at half the peak, below
inline constexpr double kIdleKibBar = 16.0;  // mendd RSS per idle connection, at most

struct Results {
  LoadSettings load;
  int idle_connections = 0;
  std::string durability;
  int cores = 0;
  // Phases 1 and 2, one run per in-flight value, in the order they ran. The
  // ratio compares the two servers' peaks: the echo is at its peak with few
  // messages in flight (it saturates the cores), while every relayed message
  // waits for a group commit, so the relay needs more in flight to reach its.
  std::vector<ThroughputResult> echo_runs, relay_runs;
  const ThroughputResult* echo() const { return peak_of(echo_runs); }
  const ThroughputResult* relay() const { return peak_of(relay_runs); }
  // Every in-flight value ran in both phases and completed: only then is a
  // peak a peak (a failed run must not leave a lower one standing in for it).
  bool sweeps_complete() const {
    auto all_ok = [&](const std::vector<ThroughputResult>& runs) {
      if (runs.size() != load.inflight.size()) return false;
      for (const auto& r : runs)
        if (!r.ok) return false;
      return true;
    };
    return all_ok(echo_runs) && all_ok(relay_runs);
  }
  // relay peak / echo peak, only from complete sweeps.
  std::optional<double> ratio() const {
    const ThroughputResult *e = echo(), *l = relay();
    if (!e || !l || e->rate <= 0 || !sweeps_complete()) return std::nullopt;
    return l->rate / e->rate;
  }
  std::optional<LatencyResult> latency;  // phase 3: at half the relay peak, the bar's load
  // The latency curve: phase 3 again at the other fractions of the peak
  // (LoadSettings::curve_fractions), without their samples.
  std::vector<LatencyResult> curve;
  // Phase 3 and the curve together, by load.
  std::vector<const LatencyResult*> by_load() const {
    std::vector<const LatencyResult*> v;
    for (const auto& c : curve) v.push_back(&c);
    if (latency) v.push_back(&*latency);
    std::sort(v.begin(), v.end(), [](auto* a, auto* b) { return a->fraction < b->fraction; });
    return v;
  }
  // The highest load up to which every measured point met the p99 bar
  // (nullptr: not even the lowest did).
  const LatencyResult* bar_held_up_to() const {
    const LatencyResult* held = nullptr;
    for (const LatencyResult* l : by_load()) {
      if (!l->ok || l->received == 0 || l->p99 >= kP99BarMs) break;
      held = l;
    }
    return held;
  }
  std::optional<MemoryResult> memory;
  std::string broken;  // why a phase could not run, if one could not
};

void print_echo(FILE* out, const LoadSettings& s, const ThroughputResult& r);
void print_relay(FILE* out, const LoadSettings& s, const std::string& durability,
                 const ThroughputResult& r);
void print_latency(FILE* out, const LatencyResult& r);
void print_memory(FILE* out, const MemoryResult& r);
void print_summary(FILE* out, const Results& r);
std::string to_json(const Results& r);

// A percentile curve of the latency phase (log axes), as a standalone SVG file.
// Returns false if the file cannot be written.
bool write_latency_svg(const std::string& path, const Results& r);
// p50, p99 and p99.9 against the offered load (phase 3 and the curve), as a
// standalone SVG file. Returns false if there is nothing to draw or the file
// cannot be written.
bool write_curve_svg(const std::string& path, const Results& r);

}  // namespace mend::bench
