#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "storage/storage.h"

namespace mend::server {

// Every setting of mendd with its default. docs/OPERATIONS.md and README.md
// show this table; keep them in step with it.
struct Config {
  std::string listen_address = "127.0.0.1";
  uint16_t listen_port = 8470;
  std::filesystem::path data_dir;  // default: see default_data_dir()
  Durability durability = Durability::full;
  std::string log_level = "info";
  std::filesystem::path tls_certificate;  // both set: serve wss; both empty: ws
  std::filesystem::path tls_private_key;

  uint32_t max_frame_bytes = 256 * 1024;
  uint32_t handshake_timeout_ms = 10'000;  // each: TLS handshake, HTTP request, WS upgrade
  uint32_t auth_timeout_ms = 10'000;       // upgraded -> Authenticate verified
  uint32_t idle_timeout_ms = 60'000;       // pings every half of it

  uint32_t queue_low_bytes = 256 * 1024;
  uint32_t queue_high_bytes = 1024 * 1024;
  uint32_t queue_hard_cap_bytes = 4 * 1024 * 1024;

  uint32_t max_connections = 10'000;
  uint32_t max_connections_per_ip = 64;
  // Connections not yet upgraded to a WebSocket (TCP accepted, TLS or HTTP in
  // progress, or plain HTTP requests), counted from accept. Trusted proxies
  // are counted in the total only.
  uint32_t max_pending_connections = 1024;
  uint32_t max_pending_connections_per_ip = 32;
  double messages_per_second = 50;  // per device, envelopes of both kinds
  uint32_t message_burst = 200;
  uint32_t pairing_attempts_per_minute = 10;  // code requests and redemptions, per IP
  std::vector<std::string> allowed_origins;   // empty: refuse every browser Origin
  // Addresses or networks ("10.0.0.0/8") of reverse proxies whose
  // X-Forwarded-For names the client; empty: the TCP peer is the client.
  std::vector<std::string> trusted_proxies;
  std::vector<std::string> metrics_allow;  // who may read /metrics; empty: everyone

  uint32_t storage_batch_max = 1024;
  uint32_t pairing_code_validity_s = 600;

  // Not a setting of the service: where to write the bound port once listening
  // (for scripts and tests that start mendd with port 0).
  std::filesystem::path port_file;
};

// $XDG_DATA_HOME/mendd, else $HOME/.local/share/mendd, else ./mendd-data.
std::filesystem::path default_data_dir();

const char* durability_name(Durability d);
bool parse_durability(const std::string& s, Durability& out);

// Loads a TOML file over `config` (keys as in the table; unknown keys are an error).
// Throws std::runtime_error naming the file, line and key on any problem.
void load_config_file(const std::filesystem::path& file, Config& config);

// Checks relations between settings; returns an empty string or what is wrong.
std::string validate(const Config& config);

}  // namespace mend::server
