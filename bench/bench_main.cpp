// mend-bench: measures mendd against the bars in bench/README.md, in one run:
// bare-echo baseline, relay throughput, latency at half that peak (and, for
// the latency curve, at other shares of it), and the memory of idle
// authenticated connections.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cstdio>
#include <thread>

#include "mend/common/sodium_init.h"
#include "phases.h"
#include "report.h"

#ifndef MEND_BENCH_MENDD
#define MEND_BENCH_MENDD "mendd"
#endif
#ifndef MEND_BENCH_ECHO
#define MEND_BENCH_ECHO "mend-echo"
#endif

using namespace mend::bench;

namespace {

std::vector<std::string> mendd_args(const std::string& durability) {
  // Generous limits: the benchmark measures the relay, not its rate limiting.
  // clang-format off
  return {"--data-dir", "{dir}/data", "--durability", durability, "--log-level", "warn",
          "--messages-per-second", "1e9", "--message-burst", "1000000000",
          "--max-connections", "20000", "--max-connections-per-ip", "20000",
          "--max-pending-connections", "20000", "--max-pending-connections-per-ip", "20000",
          "--pairing-attempts-per-minute", "100000000"};
  // clang-format on
}

// Whatever mendd said on stderr (at --log-level warn) is worth seeing.
void show_log(const ServerProcess& p) {
  const std::string log = p.log_tail(3000);
  if (!log.empty())
    std::fprintf(stderr, "-- %s wrote to stderr:\n%s\n", p.name().c_str(), log.c_str());
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "mend-bench: load generator for mendd (see bench/README.md). Spawns mend-echo and "
      "mendd on 127.0.0.1 with temporary data directories and prints one summary."};
  std::string mendd = MEND_BENCH_MENDD, echo = MEND_BENCH_ECHO, durability = "full", svg, curve_svg;
  bool no_curve = false;
  LoadSettings load;
  int idle = 10000;
  bool json = false;
  app.add_option("--mendd", mendd, "mendd binary to spawn")->capture_default_str();
  app.add_option("--echo", echo, "mend-echo binary to spawn")->capture_default_str();
  app.add_option("--devices", load.connections, "devices (two per pair); also the echo connections")
      ->capture_default_str()
      ->check(CLI::Range(2, 5000));
  app.add_option("--size", load.payload_bytes,
                 "envelope ciphertext bytes (at least 8: a timestamp)")
      ->capture_default_str()
      ->check(CLI::Range(8, 65536));
  app.add_option("--inflight", load.inflight,
                 "messages in flight per sending device; phases 1 and 2 run once per value "
                 "(comma-separated) and compare the peaks")
      ->capture_default_str()
      ->delimiter(',')
      ->check(CLI::Range(1, 4096));
  app.add_option("--duration", load.duration_s, "seconds per measured phase")
      ->capture_default_str()
      ->check(CLI::Range(0.5, 600.0));
  app.add_option("--warmup", load.warmup_s, "seconds of warm-up before each measured phase")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 60.0));
  app.add_option("--idle-connections", idle,
                 "idle authenticated connections in phase 4 (0 skips it)")
      ->capture_default_str()
      ->check(CLI::Range(0, 100000));
  app.add_option("--durability", durability, "passed to mendd: full, normal or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"full", "normal", "off"}));
  auto* curve = app.add_option("--curve", load.curve_fractions,
                               "after phase 3, measure the latency again at these fractions of "
                               "the relay peak (comma-separated) to draw the latency curve")
                    ->capture_default_str()
                    ->delimiter(',')
                    ->check(CLI::Range(0.01, 1.0));
  app.add_flag("--no-curve", no_curve, "measure the latency at half the peak only")
      ->excludes(curve);
  app.add_option("--svg", svg, "write the latency percentile chart of phase 3 to this file");
  app.add_option("--curve-svg", curve_svg,
                 "write the latency curve (p50, p99, p99.9 against the load) to this file");
  app.add_flag("--json", json, "print the results as JSON on stdout (details go to stderr)");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is a "parse error" that exits 0
  }

  if (load.connections % 2 != 0) {
    std::fprintf(stderr, "mend-bench: --devices must be even (two devices per pair)\n");
    return 2;
  }
  if (no_curve) load.curve_fractions.clear();
  std::sort(load.curve_fractions.begin(), load.curve_fractions.end());
  load.curve_fractions.erase(std::unique(load.curve_fractions.begin(), load.curve_fractions.end()),
                             load.curve_fractions.end());
  std::erase(load.curve_fractions, 0.5);  // phase 3 itself
  FILE* out = json ? stderr : stdout;
  Results res;
  res.load = load;
  res.idle_connections = idle;
  res.durability = durability;
  res.cores = static_cast<int>(std::thread::hardware_concurrency());
  const long fd_limit = raise_fd_limit();
  if (idle > 0 && fd_limit > 0 && idle + 256 > fd_limit) {
    std::fprintf(stderr,
                 "mend-bench: only %ld file descriptors allowed; --idle-connections %d "
                 "needs about %d\n",
                 fd_limit, idle, idle + 256);
    return 2;
  }

  try {
    mend::ensure_sodium();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mend-bench: %s\n", e.what());
    return 2;
  }

  auto attempt = [&](const char* phase, auto&& body) {
    try {
      body();
    } catch (const std::exception& e) {
      res.broken += std::string(res.broken.empty() ? "" : "; ") + phase + ": " + e.what();
      std::fprintf(stderr, "mend-bench: %s failed: %s\n", phase, e.what());
    }
  };

  std::fprintf(stderr, "phase 1: bare echo...\n");
  attempt("phase 1 (echo)", [&] {
    ServerProcess server("mend-echo", echo, {});
    for (int k : load.inflight) {
      res.echo_runs.push_back(run_echo(load, k, server));
      print_echo(out, load, res.echo_runs.back());
    }
    server.stop();
    show_log(server);
  });

  std::fprintf(stderr, "phases 2 and 3: relay through mendd (durability %s)...\n",
               durability.c_str());
  attempt("phases 2-3 (relay)", [&] {
    ServerProcess server("mendd", mendd, mendd_args(durability));
    {
      RelayFleet fleet(load, server);
      for (int k : load.inflight) {
        res.relay_runs.push_back(fleet.throughput(k));
        print_relay(out, load, durability, res.relay_runs.back());
        if (!res.relay_runs.back().ok) break;  // the fleet is broken; its problem is printed
      }
      if (const ThroughputResult* peak = res.relay();
          peak && peak->rate > 0 && res.sweeps_complete()) {
        std::fprintf(stderr, "phase 3: latency at %.0f msg/s...\n", peak->rate / 2);
        res.latency = fleet.latency(peak->rate, 0.5);
        print_latency(out, *res.latency);
        for (size_t i = 0; i < load.curve_fractions.size() && res.latency->ok; ++i) {
          const double f = load.curve_fractions[i];
          std::fprintf(stderr, "latency curve %zu/%zu: %.0f%% of the peak, %.0f msg/s...\n", i + 1,
                       load.curve_fractions.size(), 100 * f, peak->rate * f);
          LatencyResult point = fleet.latency(peak->rate, f);
          point.sorted_ms = {};  // only phase 3's samples are kept (for --svg)
          print_latency(out, point);
          const bool ok = point.ok;
          res.curve.push_back(std::move(point));
          if (!ok) break;  // the fleet is broken; its problem is printed
        }
      }
    }  // the devices disconnect before mendd is asked to stop
    server.stop();
    show_log(server);
  });

  if (idle > 0) {
    std::fprintf(stderr, "phase 4: %d idle connections to a fresh mendd...\n", idle);
    attempt("phase 4 (idle memory)", [&] {
      ServerProcess server("mendd", mendd, mendd_args(durability));
      res.memory = run_idle(idle, server);
      print_memory(out, *res.memory);
      server.stop();
      show_log(server);
    });
  }

  print_summary(out, res);
  if (!svg.empty()) {
    if (write_latency_svg(svg, res))
      std::fprintf(out, "latency chart: %s\n", svg.c_str());
    else
      std::fprintf(stderr, "mend-bench: could not write the chart to %s\n", svg.c_str());
  }
  if (!curve_svg.empty()) {
    if (res.by_load().empty() || !res.relay())
      std::fprintf(stderr, "mend-bench: no latency measured, so no curve chart\n");
    else if (write_curve_svg(curve_svg, res))
      std::fprintf(out, "latency curve chart: %s\n", curve_svg.c_str());
    else
      std::fprintf(stderr, "mend-bench: could not write the curve chart to %s\n",
                   curve_svg.c_str());
  }
  if (json) std::fputs(to_json(res).c_str(), stdout);
  std::fflush(nullptr);

  // A measurement that misses a bar is still a measurement; only a phase that
  // could not run, or lost messages, makes this a failed run.
  const bool curve_broken =
      std::any_of(res.curve.begin(), res.curve.end(), [](const auto& l) { return !l.ok; });
  const bool broken = !res.broken.empty() || !res.sweeps_complete() || curve_broken ||
                      (res.latency && !res.latency->ok) || (res.memory && !res.memory->ok);
  return broken ? 1 : 0;
}
