// Phase 1: the baseline. The same client, connections, frames and window as
// the relay phase, against a server that only echoes WebSocket messages.
#include <memory>

#include "device.h"
#include "load_client.h"
#include "mend/common/ids.h"
#include "phases.h"

namespace mend::bench {

namespace {

struct EchoRun {
  explicit EchoRun(const LoadSettings& settings) : s(settings) {}
  const LoadSettings& s;
  int open = 0;
  int closed = 0;
  bool sending = false;
  Clock::time_point window_start, window_end;
  uint64_t counted = 0;
  uint64_t outstanding = 0;
  size_t message_bytes = 0;
  Problems problems;
};

class EchoPeer final : public Connection::Handler {
 public:
  EchoPeer(Loop& loop, EchoRun& run)
      : run_(run),
        builder_(run.s.payload_bytes, random_bytes(16), random_bytes(16)),
        conn_(loop, *this) {}

  void open(uint16_t port) { conn_.open(port, "/v1"); }

  void send() {
    if (closed_) return;
    std::string frame = builder_.build(next_request_++, now_ns());
    run_.message_bytes = frame.size();
    conn_.send(std::move(frame));
    ++run_.outstanding;
  }

  void on_open() override { ++run_.open; }

  void on_message(std::string_view bytes) override {
    // Parse what came back, as a device parses what mendd sends it, so that
    // the client does the same work per message in both phases.
    if (!echoed_.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())) ||
        !echoed_.has_send() || stamp_of(echoed_.send().envelope().ciphertext()) == 0) {
      run_.problems.add("mend-echo returned something other than what was sent");
      return;
    }
    --run_.outstanding;
    const auto now = Clock::now();
    if (now >= run_.window_start && now < run_.window_end) ++run_.counted;
    if (run_.sending) send();
  }

  void on_closed(const std::string& why) override {
    closed_ = true;
    ++run_.closed;
    run_.problems.add("echo connection: " + why);
  }

 private:
  EchoRun& run_;
  SendFrameBuilder builder_;
  v1::ClientFrame echoed_;
  uint32_t next_request_ = 1;
  bool closed_ = false;
  Connection conn_;
};

}  // namespace

ThroughputResult run_echo(const LoadSettings& s, int inflight, const ServerProcess& echo) {
  ThroughputResult r;
  r.inflight = inflight;
  Loop loop;
  EchoRun run(s);
  std::vector<std::unique_ptr<EchoPeer>> peers;
  for (int i = 0; i < s.connections; ++i) {
    peers.push_back(std::make_unique<EchoPeer>(loop, run));
    peers.back()->open(echo.port());
  }
  auto failed = [&] { return run.closed > 0 || run.problems.count > 0; };
  loop.run_until([&] { return run.open + run.closed == s.connections; },
                 Clock::now() + std::chrono::seconds(30));
  if (run.open < s.connections) {
    r.problems = run.problems;
    r.problems.add("only " + std::to_string(run.open) + " of " + std::to_string(s.connections) +
                   " echo connections opened");
    return r;
  }

  const auto start = Clock::now();
  run.window_start = start + std::chrono::duration_cast<Clock::duration>(
                                 std::chrono::duration<double>(s.warmup_s));
  run.window_end = run.window_start + std::chrono::duration_cast<Clock::duration>(
                                          std::chrono::duration<double>(s.duration_s));
  run.sending = true;
  for (auto& p : peers)
    for (int k = 0; k < inflight; ++k) p->send();
  loop.run_until(failed, run.window_start);
  CpuMeter meter(echo.pid());
  loop.run_until(failed, run.window_end);
  r.cpu = meter.finish();
  run.sending = false;
  loop.run_until([&] { return run.outstanding == 0 || failed(); },
                 Clock::now() + std::chrono::seconds(30));

  r.counted = run.counted;
  r.seconds = s.duration_s;
  r.rate = static_cast<double>(run.counted) / s.duration_s;
  r.message_bytes = run.message_bytes;
  r.problems = run.problems;
  if (run.outstanding != 0 && r.problems.count == 0)
    r.problems.add(std::to_string(run.outstanding) + " messages never came back");
  r.ok = r.problems.count == 0;
  return r;
}

}  // namespace mend::bench
