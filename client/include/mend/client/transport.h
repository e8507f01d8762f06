#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace mend::client {

// Where the relay is: ws://HOST[:PORT]/PATH or wss://HOST[:PORT]/PATH.
struct ServerUrl {
  bool tls = false;
  std::string host;
  uint16_t port = 0;
  std::string path = "/v1";

  std::string text() const;  // back to "ws://host:port/path"
};

inline constexpr std::string_view kDefaultServerUrl = "ws://127.0.0.1:8470/v1";

// Throws std::invalid_argument with a message for people on anything else. The
// port defaults to 80 (ws) / 443 (wss), the path to /v1.
ServerUrl parse_server_url(std::string_view url);

// One WebSocket connection carrying whole binary messages, blocking with deadlines.
// An interface so that tests can put a tampering relay between session and socket.
class Transport {
 public:
  virtual ~Transport() = default;
  // Sends one binary message. Throws Error(kConnectionLost) if the connection is gone.
  virtual void send(std::string_view message) = 0;
  // The next message, or nullopt if none arrived within `timeout`. Throws
  // Error(kConnectionLost), with the close code and reason, once the peer closed.
  virtual std::optional<std::string> receive(std::chrono::milliseconds timeout) = 0;
  // Starts a normal close (1000) and waits for it briefly; never throws.
  virtual void close() = 0;
};

struct TransportOptions {
  std::chrono::milliseconds connect_timeout{10000};  // TCP + TLS + WebSocket upgrade
  std::chrono::milliseconds write_timeout{10000};
  // Extra PEM file of trusted CAs for wss (the system's are always trusted too).
  std::string ca_file;
  size_t max_message_bytes = 16 * 1024 * 1024;
};

// Connects to `url` (resolving the host, TLS with certificate and host name checks
// for wss). Throws Error(kServerUnreachable) with the reason.
std::unique_ptr<Transport> connect_websocket(const ServerUrl& url,
                                             const TransportOptions& options = {});

}  // namespace mend::client
