#include "load_client.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <optional>

namespace mend::bench {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

struct Loop::Impl {
  // Hint 1: one thread runs this context, so Asio can skip its internal locking
  // (mendd and mend-echo construct theirs the same way).
  net::io_context io{1};
  // Keeps run_one_until() blocking while nothing is pending yet.
  net::executor_work_guard<net::io_context::executor_type> guard = net::make_work_guard(io);
};

Loop::Loop() : impl_(std::make_unique<Impl>()) {}
Loop::~Loop() = default;

bool Loop::run_until(const std::function<bool()>& done, Clock::time_point deadline,
                     const std::function<void()>& tick, std::chrono::microseconds period) {
  net::io_context& io = impl_->io;
  io.restart();
  std::optional<net::steady_timer> ticker;
  bool tick_pending = false;
  bool stopping = false;
  Clock::time_point next = Clock::now() + period;
  std::function<void()> arm = [&] {
    ticker->expires_at(next);
    tick_pending = true;
    ticker->async_wait([&](boost::system::error_code ec) {
      tick_pending = false;
      // A timer that had expired before cancel() completes without an error:
      // `stopping` keeps it from ticking (and re-arming) after the deadline.
      if (ec || stopping) return;
      tick();
      // Never schedule into the past: a slow tick must not turn into a burst of ticks.
      next = std::max(next + period, Clock::now());
      arm();
    });
  };
  if (tick) {
    ticker.emplace(io);
    arm();
  }
  while (!done() && Clock::now() < deadline) io.run_one_until(deadline);
  if (ticker) {
    stopping = true;
    ticker->cancel();
    // The wait handler refers to this frame: let it run before returning.
    const auto limit = Clock::now() + std::chrono::seconds(5);
    while (tick_pending && Clock::now() < limit) io.run_one_for(std::chrono::milliseconds(10));
  }
  return done();
}

struct Connection::Impl : std::enable_shared_from_this<Connection::Impl> {
  Impl(Loop& loop, Handler& h) : ws(loop.impl().io), handler(&h) {}

  websocket::stream<beast::tcp_stream> ws;
  beast::flat_buffer buffer;
  std::deque<std::string> queue;
  Handler* handler;  // null once the owner is gone
  std::string path;
  bool open = false;
  bool writing = false;
  bool failed = false;

  void start(uint16_t port) {
    auto& tcp_layer = beast::get_lowest_layer(ws);
    tcp_layer.expires_after(std::chrono::seconds(15));
    tcp_layer.async_connect(
        tcp::endpoint(net::ip::address_v4::loopback(), port),
        [self = shared_from_this()](beast::error_code ec) { self->on_connect(ec); });
  }

  void on_connect(beast::error_code ec) {
    if (ec) return fail("connect: " + ec.message());
    auto& tcp_layer = beast::get_lowest_layer(ws);
    tcp_layer.socket().set_option(tcp::no_delay(true), ec);
    tcp_layer.expires_never();
    ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
    ws.read_message_max(64 * 1024 * 1024);
    ws.auto_fragment(false);
    ws.binary(true);
    ws.async_handshake("127.0.0.1", path, [self = shared_from_this()](beast::error_code ec) {
      self->on_handshake(ec);
    });
  }

  void on_handshake(beast::error_code ec) {
    if (ec) return fail("WebSocket upgrade: " + ec.message());
    open = true;
    if (handler) handler->on_open();
    do_read();
    if (!writing) do_write();
  }

  void do_read() {
    if (failed) return;
    ws.async_read(buffer,
                  [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) {
      if (ec == websocket::error::closed)
        return fail("server closed the connection: " + std::to_string(ws.reason().code) + " " +
                    std::string(ws.reason().reason.data(), ws.reason().reason.size()));
      return fail("read: " + ec.message());
    }
    if (failed) return;
    const auto data = buffer.cdata();
    if (handler)
      handler->on_message(std::string_view(static_cast<const char*>(data.data()), data.size()));
    buffer.consume(buffer.size());
    do_read();
  }

  void do_write() {
    if (!open || failed || queue.empty()) return;
    writing = true;
    ws.async_write(
        net::buffer(queue.front()),
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing = false;
    if (failed) return;  // fail() has emptied the queue already
    if (ec) return fail("write: " + ec.message());
    queue.pop_front();
    do_write();
  }

  void fail(const std::string& why) {
    if (failed) return;
    failed = true;
    queue.clear();
    beast::error_code ignored;
    beast::get_lowest_layer(ws).socket().close(ignored);
    if (Handler* h = std::exchange(handler, nullptr)) h->on_closed(why);
  }
};

Connection::Connection(Loop& loop, Handler& handler)
    : impl_(std::make_shared<Impl>(loop, handler)) {}

Connection::~Connection() { close(); }

void Connection::open(uint16_t port, const std::string& path) {
  impl_->path = path;
  impl_->start(port);
}

void Connection::send(std::string bytes) {
  if (impl_->failed) return;
  impl_->queue.push_back(std::move(bytes));
  if (!impl_->writing) impl_->do_write();
}

size_t Connection::queued() const { return impl_->queue.size(); }

void Connection::close() {
  // Detach first: closing must not call back into an owner that is going away.
  impl_->handler = nullptr;
  impl_->fail("closed by the client");
}

}  // namespace mend::bench
