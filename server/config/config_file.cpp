// TOML loading lives in its own translation unit: toml++ is header-only and slow to compile.
#include <toml++/toml.h>

#include <sstream>
#include <stdexcept>

#include "config/config.h"

namespace mend::server {

namespace {

[[noreturn]] void bad(const std::filesystem::path& file, const toml::node& node,
                      std::string_view key, std::string_view want) {
  std::ostringstream msg;
  msg << file.string() << ":" << node.source().begin.line << ": '" << key << "' must be " << want;
  throw std::runtime_error(msg.str());
}

template <class T>
void number(const std::filesystem::path& file, const toml::node& node, std::string_view key,
            T& out) {
  if constexpr (std::is_floating_point_v<T>) {
    if (auto v = node.value<double>()) {
      out = static_cast<T>(*v);
      return;
    }
    bad(file, node, key, "a number");
  } else {
    auto v = node.value<int64_t>();
    if (!v || *v < 0 || static_cast<uint64_t>(*v) > std::numeric_limits<T>::max())
      bad(file, node, key, "a non-negative integer in range");
    out = static_cast<T>(*v);
  }
}

std::string text(const std::filesystem::path& file, const toml::node& node, std::string_view key) {
  auto v = node.value<std::string>();
  if (!v) bad(file, node, key, "a string");
  return *v;
}

void strings(const std::filesystem::path& file, const toml::node& node, std::string_view key,
             std::vector<std::string>& out) {
  const toml::array* arr = node.as_array();
  if (!arr) bad(file, node, key, "an array of strings");
  out.clear();
  for (const toml::node& item : *arr) out.push_back(text(file, item, key));
}

}  // namespace

void load_config_file(const std::filesystem::path& file, Config& c) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    std::ostringstream msg;
    msg << file.string() << ":" << e.source().begin.line << ": " << e.description();
    throw std::runtime_error(msg.str());
  }
  for (auto&& [k, node] : root) {
    const std::string_view key = k.str();
    if (key == "listen_address")
      c.listen_address = text(file, node, key);
    else if (key == "listen_port")
      number(file, node, key, c.listen_port);
    else if (key == "data_dir")
      c.data_dir = text(file, node, key);
    else if (key == "durability") {
      if (!parse_durability(text(file, node, key), c.durability))
        bad(file, node, key, "\"full\", \"normal\" or \"off\"");
    } else if (key == "log_level")
      c.log_level = text(file, node, key);
    else if (key == "tls_certificate")
      c.tls_certificate = text(file, node, key);
    else if (key == "tls_private_key")
      c.tls_private_key = text(file, node, key);
    else if (key == "max_frame_bytes")
      number(file, node, key, c.max_frame_bytes);
    else if (key == "handshake_timeout_ms")
      number(file, node, key, c.handshake_timeout_ms);
    else if (key == "auth_timeout_ms")
      number(file, node, key, c.auth_timeout_ms);
    else if (key == "idle_timeout_ms")
      number(file, node, key, c.idle_timeout_ms);
    else if (key == "queue_low_bytes")
      number(file, node, key, c.queue_low_bytes);
    else if (key == "queue_high_bytes")
      number(file, node, key, c.queue_high_bytes);
    else if (key == "queue_hard_cap_bytes")
      number(file, node, key, c.queue_hard_cap_bytes);
    else if (key == "max_connections")
      number(file, node, key, c.max_connections);
    else if (key == "max_connections_per_ip")
      number(file, node, key, c.max_connections_per_ip);
    else if (key == "max_pending_connections")
      number(file, node, key, c.max_pending_connections);
    else if (key == "max_pending_connections_per_ip")
      number(file, node, key, c.max_pending_connections_per_ip);
    else if (key == "messages_per_second")
      number(file, node, key, c.messages_per_second);
    else if (key == "message_burst")
      number(file, node, key, c.message_burst);
    else if (key == "pairing_attempts_per_minute")
      number(file, node, key, c.pairing_attempts_per_minute);
    else if (key == "storage_batch_max")
      number(file, node, key, c.storage_batch_max);
    else if (key == "pairing_code_validity_s")
      number(file, node, key, c.pairing_code_validity_s);
    else if (key == "allowed_origins")
      strings(file, node, key, c.allowed_origins);
    else if (key == "trusted_proxies")
      strings(file, node, key, c.trusted_proxies);
    else if (key == "metrics_allow")
      strings(file, node, key, c.metrics_allow);
    else {
      std::ostringstream msg;
      msg << file.string() << ":" << node.source().begin.line << ": unknown setting '" << key
          << "' (see mendd --help)";
      throw std::runtime_error(msg.str());
    }
  }
}

}  // namespace mend::server
