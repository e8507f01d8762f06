#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

// The load generator's transport: one single-threaded event loop and WebSocket
// client connections on it. Beast and Asio stay inside load_client.cpp (the
// only Beast translation unit of mend-bench), so the protocol and phase code
// compiles quickly and both servers are driven by exactly the same I/O path.
namespace mend::bench {

using Clock = std::chrono::steady_clock;

inline int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

class Loop {
 public:
  Loop();
  ~Loop();
  Loop(const Loop&) = delete;
  Loop& operator=(const Loop&) = delete;

  // Runs completion handlers on the calling thread until `done()` is true or
  // `deadline` passes; returns done(). `tick`, when given, runs about every
  // `period` in between (pacing, progress).
  bool run_until(const std::function<bool()>& done, Clock::time_point deadline,
                 const std::function<void()>& tick = {},
                 std::chrono::microseconds period = std::chrono::milliseconds(1));

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// One WebSocket client connection to 127.0.0.1 with a single-writer send queue.
class Connection {
 public:
  // Callbacks, always on the loop's thread.
  class Handler {
   public:
    virtual ~Handler() = default;
    virtual void on_open() = 0;
    // One whole binary message; the view is valid only during the call.
    virtual void on_message(std::string_view bytes) = 0;
    // Connect, upgrade, read or write failed, or the peer closed. At most once.
    virtual void on_closed(const std::string& why) = 0;
  };

  Connection(Loop& loop, Handler& handler);
  // Closes the socket; the handler is not called any more.
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Starts TCP connect and the WebSocket upgrade of `path`; on_open follows.
  void open(uint16_t port, const std::string& path);
  // Queues one binary message; written in order, one write outstanding at a time.
  void send(std::string bytes);
  size_t queued() const;
  void close();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace mend::bench
