#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "mend/common/throwaway_identity.h"
#include "mend/v1/wire.pb.h"

// A blocking WebSocket client for tests: it speaks the real protocol to a real
// mendd over loopback. Every wait has a timeout; a test never hangs.
namespace mend::test {

using namespace std::chrono_literals;

using Identity = ThrowawayIdentity;

struct ConnectOptions {
  bool tls = false;
  std::string path = "/v1";
  std::string origin;         // sent as Origin when set
  std::string forwarded_for;  // sent as X-Forwarded-For when set (as a proxy would)
  // Sets Authenticate.accept_batches; read() hands out a batch's frames one by one.
  bool accept_batches = true;
};

class ClosedError : public std::runtime_error {
 public:
  ClosedError(uint16_t code, const std::string& reason)
      : std::runtime_error("connection closed: " + std::to_string(code) + " " + reason),
        code(code) {}
  uint16_t code;
};

class TestClient {
 public:
  // Connects and completes the WebSocket handshake; throws on failure (the
  // message includes the HTTP status when the upgrade was refused).
  static std::unique_ptr<TestClient> connect(uint16_t port, ConnectOptions options = {});
  ~TestClient();

  void send(const v1::ClientFrame& frame);
  // Batch frames received so far (each counted once, however many frames it held).
  size_t batches_received() const;
  void send_bytes(const std::string& bytes, bool text = false);
  // Writes bytes straight to the TCP socket, bypassing the WebSocket framing
  // (for hand-made frames, e.g. the header of one that is too large).
  void send_raw(const std::string& wire_bytes);
  // Next frame; throws ClosedError when the server closed, std::runtime_error on timeout.
  v1::ServerFrame read(std::chrono::milliseconds timeout = 5s);
  // Next frame, or nullopt if none arrives in time (still throws ClosedError).
  std::optional<v1::ServerFrame> try_read(std::chrono::milliseconds timeout);
  // Like read(), skipping presence frames (which may come at any time).
  v1::ServerFrame next(std::chrono::milliseconds timeout = 5s);
  // Reads until the server closes; returns its close code (throws on timeout).
  uint16_t wait_closed(std::chrono::milliseconds timeout = 5s);
  void close();

  // -- protocol steps --
  const v1::Challenge& challenge();  // the first frame, read on demand
  v1::Authenticated authenticate(const Identity& id);
  v1::ClientFrame frame(uint32_t request_id = 0) const;
  // Reads frames until one has `body`, skipping presence frames; throws on an error frame.
  v1::ServerFrame expect(v1::ServerFrame::BodyCase body, std::chrono::milliseconds timeout = 5s);

 private:
  struct Impl;
  explicit TestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::optional<v1::Challenge> challenge_;
};

// A paired device: identity, connection and pair ids, with shortcuts for the tests.
struct Device {
  Identity id;
  std::unique_ptr<TestClient> conn;
  std::string pair_id{};
  std::string partner_id{};
  uint32_t next_request = 1;
  uint64_t counter = 0;

  // Reconnects (new TestClient) and authenticates with the same identity.
  v1::Authenticated reconnect(uint16_t port, ConnectOptions options = {});
  // A stored or ephemeral Send frame with a fresh (or given) client message id.
  v1::ClientFrame envelope(const std::string& body, bool ephemeral = false,
                           std::string client_message_id = {});
  v1::Ack send_stored(const std::string& body, std::string client_message_id = {});
};

// Two new identities, connected, authenticated and paired through a code.
std::pair<Device, Device> make_pair(uint16_t port, ConnectOptions options = {});

std::string random_id(size_t bytes = 16);
// A fresh client message id: 8-byte big-endian microsecond time, 8 random bytes.
std::string client_message_id();

}  // namespace mend::test
