#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace mend::server {

// What a session needs from its connection. The WebSocket transport implements
// it; tests can fake it. All calls happen on the network thread.
class Outbound {
 public:
  virtual ~Outbound() = default;

  // Queues one serialized ServerFrame. A connection past its hard cap is closed
  // with 4008 instead; past its high watermark it stops reading its own frames
  // until the queue drains below the low watermark.
  virtual void push(std::string frame) = 0;
  virtual size_t queued_bytes() const = 0;
  virtual bool above_high_watermark() const = 0;
  // Sends what is queued, then closes with `code` and `reason`.
  virtual void close(uint16_t code, std::string_view reason) = 0;
  virtual bool closing() const = 0;
  // Stops reading frames for good (shutdown); queued frames are still sent.
  virtual void stop_reading() = 0;
  virtual const std::string& remote_ip() const = 0;
  // From now on, frames waiting in the queue may go out together as one Batch
  // frame (the client said it reads them: Authenticate.accept_batches).
  virtual void enable_batches() = 0;
};

// WebSocket close codes mendd uses (docs/PROTOCOL.md, "Close codes").
namespace close_code {
inline constexpr uint16_t normal = 1000;
inline constexpr uint16_t going_away = 1001;
inline constexpr uint16_t protocol_error = 1002;
inline constexpr uint16_t unsupported_data = 1003;
inline constexpr uint16_t policy = 1008;
inline constexpr uint16_t too_big = 1009;
inline constexpr uint16_t internal_error = 1011;
inline constexpr uint16_t auth_failed = 4001;
inline constexpr uint16_t auth_timeout = 4002;
inline constexpr uint16_t not_authenticated = 4003;
inline constexpr uint16_t slow_consumer = 4008;
inline constexpr uint16_t replaced = 4009;
}  // namespace close_code

}  // namespace mend::server
