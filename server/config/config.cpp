#include "config/config.h"

#include <cstdlib>
#include <stdexcept>

#include "transport/client_address.h"

namespace mend::server {

std::filesystem::path default_data_dir() {
  if (const char* xdg = std::getenv("XDG_DATA_HOME"); xdg && *xdg)
    return std::filesystem::path(xdg) / "mendd";
  if (const char* home = std::getenv("HOME"); home && *home)
    return std::filesystem::path(home) / ".local/share/mendd";
  return "mendd-data";
}

const char* durability_name(Durability d) {
  switch (d) {
    case Durability::full: return "full";
    case Durability::normal: return "normal";
    case Durability::off: return "off";
  }
  return "full";
}

bool parse_durability(const std::string& s, Durability& out) {
  if (s == "full")
    out = Durability::full;
  else if (s == "normal")
    out = Durability::normal;
  else if (s == "off")
    out = Durability::off;
  else
    return false;
  return true;
}

std::string validate(const Config& c) {
  if (c.tls_certificate.empty() != c.tls_private_key.empty())
    return "tls_certificate and tls_private_key must be set together";
  if (c.max_frame_bytes < 1024 || c.max_frame_bytes > 8 * 1024 * 1024)
    return "max_frame_bytes must be between 1024 and 8388608";
  if (!(c.queue_low_bytes < c.queue_high_bytes && c.queue_high_bytes < c.queue_hard_cap_bytes))
    return "queue sizes must satisfy queue_low_bytes < queue_high_bytes < queue_hard_cap_bytes";
  if (c.queue_hard_cap_bytes < 2 * c.max_frame_bytes)
    return "queue_hard_cap_bytes must be at least twice max_frame_bytes";
  if (!(c.messages_per_second > 0) || c.message_burst == 0)  // NaN too
    return "messages_per_second and message_burst must be positive";
  if (c.max_connections == 0 || c.max_connections_per_ip == 0 || c.max_pending_connections == 0 ||
      c.max_pending_connections_per_ip == 0)
    return "connection caps must be positive";
  if (c.handshake_timeout_ms == 0 || c.auth_timeout_ms == 0 || c.idle_timeout_ms < 1000)
    return "timeouts must be positive (idle_timeout_ms at least 1000)";
  if (c.pairing_code_validity_s == 0) return "pairing_code_validity_s must be positive";
  if (c.pairing_attempts_per_minute == 0)
    return "pairing_attempts_per_minute must be positive (0 would refuse all pairing)";
  if (c.storage_batch_max == 0) return "storage_batch_max must be positive";
  try {
    parse_ranges(c.trusted_proxies, "trusted_proxies");
    parse_ranges(c.metrics_allow, "metrics_allow");
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace mend::server
