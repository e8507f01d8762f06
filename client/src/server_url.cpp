#include <charconv>
#include <stdexcept>

#include "mend/client/transport.h"

namespace mend::client {

std::string ServerUrl::text() const {
  return std::string(tls ? "wss://" : "ws://") + host + ":" + std::to_string(port) + path;
}

ServerUrl parse_server_url(std::string_view url) {
  ServerUrl out;
  std::string_view rest;
  if (url.starts_with("ws://")) {
    rest = url.substr(5);
  } else if (url.starts_with("wss://")) {
    out.tls = true;
    rest = url.substr(6);
  } else {
    throw std::invalid_argument("server URL must start with ws:// or wss://: " + std::string(url));
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  out.path = slash == std::string_view::npos ? "/v1" : std::string(rest.substr(slash));
  out.port = out.tls ? 443 : 80;
  // [v6 address]:port, host:port or host.
  std::string_view port_text;
  if (authority.starts_with('[')) {
    const size_t close = authority.find(']');
    if (close == std::string_view::npos) throw std::invalid_argument("unclosed [ in server URL");
    out.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') throw std::invalid_argument("bad server URL");
      port_text = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    out.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (out.host.empty()) throw std::invalid_argument("server URL has no host: " + std::string(url));
  if (!port_text.empty()) {
    unsigned p = 0;
    auto [ptr, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), p);
    if (ec != std::errc() || ptr != port_text.data() + port_text.size() || p == 0 || p > 65535)
      throw std::invalid_argument("bad port in server URL: " + std::string(port_text));
    out.port = static_cast<uint16_t>(p);
  }
  return out;
}

}  // namespace mend::client
