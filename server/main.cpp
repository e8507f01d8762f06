// mendd: the Mend relay. Settings come from defaults, then --config FILE, then flags.
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "config/config.h"
#include "mend/common/sodium_init.h"
#include "transport/server.h"

using mend::server::Config;

namespace {

// Flags are applied after the config file, so only the ones given override it.
struct Flags {
  std::optional<std::string> listen, data_dir, durability, log_level, tls_cert, tls_key;
  std::optional<uint16_t> port;
  std::optional<uint32_t> max_frame, max_conn, max_conn_ip, max_pending, max_pending_ip, burst,
      queue_low, queue_high, queue_cap, pairing_per_min, idle_ms, auth_ms, handshake_ms, batch_max,
      code_validity;
  std::optional<std::string> port_file;
  std::optional<double> rate;
  std::vector<std::string> origins, trusted_proxies, metrics_allow;
};

// Every connection is a file descriptor, and the usual soft limit (1024) is far
// below max_connections: take all the hard limit allows.
void raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) {
    spdlog::warn("cannot read the file descriptor limit: {}", std::strerror(errno));
    return;
  }
  if (lim.rlim_cur >= lim.rlim_max) return;
  const rlim_t soft = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &lim) != 0)
    spdlog::warn("cannot raise the file descriptor limit from {}: {}", soft, std::strerror(errno));
}

void apply(const Flags& f, Config& c) {
  if (f.listen) c.listen_address = *f.listen;
  if (f.port) c.listen_port = *f.port;
  if (f.data_dir) c.data_dir = *f.data_dir;
  if (f.durability && !mend::server::parse_durability(*f.durability, c.durability))
    throw std::runtime_error("--durability must be full, normal or off");
  if (f.log_level) c.log_level = *f.log_level;
  if (f.tls_cert) c.tls_certificate = *f.tls_cert;
  if (f.tls_key) c.tls_private_key = *f.tls_key;
  if (f.max_frame) c.max_frame_bytes = *f.max_frame;
  if (f.max_conn) c.max_connections = *f.max_conn;
  if (f.max_conn_ip) c.max_connections_per_ip = *f.max_conn_ip;
  if (f.max_pending) c.max_pending_connections = *f.max_pending;
  if (f.max_pending_ip) c.max_pending_connections_per_ip = *f.max_pending_ip;
  if (f.rate) c.messages_per_second = *f.rate;
  if (f.burst) c.message_burst = *f.burst;
  if (f.queue_low) c.queue_low_bytes = *f.queue_low;
  if (f.queue_high) c.queue_high_bytes = *f.queue_high;
  if (f.queue_cap) c.queue_hard_cap_bytes = *f.queue_cap;
  if (f.pairing_per_min) c.pairing_attempts_per_minute = *f.pairing_per_min;
  if (f.idle_ms) c.idle_timeout_ms = *f.idle_ms;
  if (f.auth_ms) c.auth_timeout_ms = *f.auth_ms;
  if (f.handshake_ms) c.handshake_timeout_ms = *f.handshake_ms;
  if (f.batch_max) c.storage_batch_max = *f.batch_max;
  if (!f.origins.empty()) c.allowed_origins = f.origins;
  if (!f.trusted_proxies.empty()) c.trusted_proxies = f.trusted_proxies;
  if (!f.metrics_allow.empty()) c.metrics_allow = f.metrics_allow;
  if (f.code_validity) c.pairing_code_validity_s = *f.code_validity;
  if (f.port_file) c.port_file = *f.port_file;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "mendd: the Mend relay. Relays and stores end-to-end encrypted envelopes between the two\n"
      "devices of each pair; it never sees their content. With no arguments it serves\n"
      "ws://127.0.0.1:8470/v1 with an SQLite database in its data directory."};
  std::string config_file;
  Flags f;
  app.add_option("-c,--config", config_file,
                 "TOML settings file (keys as in the table in docs/OPERATIONS.md)");
  app.add_option("--listen", f.listen, "address to listen on [127.0.0.1]");
  app.add_option("-p,--port", f.port, "port to listen on; 0 picks a free one [8470]");
  app.add_option("-d,--data-dir", f.data_dir, "data directory [$XDG_DATA_HOME/mendd]");
  app.add_option("--durability", f.durability,
                 "full: fsync every group commit; normal: survive a crash of mendd, not of the "
                 "machine; off: leave it to the OS [full]");
  app.add_option("--log-level", f.log_level,
                 "trace, debug, info, warn, error, critical, off [info]");
  app.add_option("--tls-cert", f.tls_cert, "PEM certificate chain: serve wss instead of ws");
  app.add_option("--tls-key", f.tls_key, "PEM private key for --tls-cert");
  app.add_option("--max-frame-bytes", f.max_frame, "largest WebSocket message accepted [262144]");
  app.add_option("--max-connections", f.max_conn, "total WebSocket connections [10000]");
  app.add_option("--max-connections-per-ip", f.max_conn_ip, "connections per client address [64]");
  app.add_option("--max-pending-connections", f.max_pending,
                 "connections not yet upgraded to a WebSocket (TLS, HTTP) [1024]");
  app.add_option("--max-pending-connections-per-ip", f.max_pending_ip,
                 "the same per TCP peer address; trusted proxies exempt [32]");
  app.add_option("--messages-per-second", f.rate, "per-device sustained message rate [50]");
  app.add_option("--message-burst", f.burst, "per-device burst [200]");
  app.add_option("--queue-low-bytes", f.queue_low, "outbound queue low watermark [262144]");
  app.add_option("--queue-high-bytes", f.queue_high, "outbound queue high watermark [1048576]");
  app.add_option("--queue-hard-cap-bytes", f.queue_cap, "outbound queue hard cap [4194304]");
  app.add_option("--pairing-attempts-per-minute", f.pairing_per_min,
                 "pairing code requests and redemptions per address [10]");
  app.add_option("--idle-timeout-ms", f.idle_ms, "close after this long without traffic [60000]");
  app.add_option("--auth-timeout-ms", f.auth_ms, "time to answer the challenge [10000]");
  app.add_option("--handshake-timeout-ms", f.handshake_ms,
                 "time for each of: the TLS handshake, an HTTP request, the WebSocket upgrade "
                 "[10000]");
  app.add_option("--storage-batch-max", f.batch_max, "most writes in one group commit [1024]");
  app.add_option("--pairing-code-validity-s", f.code_validity, "lifetime of a pairing code [600]");
  app.add_option("--port-file", f.port_file, "write the bound port to this file once listening");
  app.add_option("--allow-origin", f.origins, "browser Origin allowed to connect (repeatable)");
  app.add_option("--trusted-proxy", f.trusted_proxies,
                 "reverse proxy (address or network, e.g. 10.0.0.0/8) whose X-Forwarded-For "
                 "names the client (repeatable)");
  app.add_option("--metrics-allow", f.metrics_allow,
                 "address or network allowed to read /metrics (repeatable) [everyone]");
  CLI11_PARSE(app, argc, argv);

  auto logger = spdlog::stderr_color_mt("mendd");
  spdlog::set_default_logger(logger);
  spdlog::set_pattern("%Y-%m-%dT%H:%M:%S.%e %^%l%$ %v");
  raise_fd_limit();

  try {
    mend::ensure_sodium();
    Config config;
    config.data_dir = mend::server::default_data_dir();
    if (!config_file.empty()) mend::server::load_config_file(config_file, config);
    apply(f, config);
    if (std::string problem = mend::server::validate(config); !problem.empty())
      throw std::runtime_error("invalid settings: " + problem);
    const auto level = spdlog::level::from_str(config.log_level);
    if (level == spdlog::level::off && config.log_level != "off")
      throw std::runtime_error(
          "--log-level must be trace, debug, info, warn, error, critical or off");
    spdlog::set_level(level);
    mend::server::Server server(std::move(config));
    server.run();
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  return 0;
}
