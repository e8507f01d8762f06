// The client's only Beast/Asio translation unit: a blocking WebSocket connection
// with deadlines, over plain TCP (ws) or TLS (wss). Everything else in the library
// sees the Transport interface.

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <deque>
#include <variant>

#include "mend/client/error.h"
#include "mend/client/transport.h"

namespace mend::client {

namespace {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

class WebSocketTransport final : public Transport {
 public:
  explicit WebSocketTransport(const TransportOptions& options)
      : options_(options), tls_(net::ssl::context::tls_client) {}
  ~WebSocketTransport() override { close(); }

  void connect(const ServerUrl& url) {
    const auto deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
    tcp::resolver resolver(io_);
    beast::error_code ec;
    tcp::resolver::results_type endpoints;
    bool done = false;
    resolver.async_resolve(url.host, std::to_string(url.port),
                           [&](beast::error_code e, tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                             done = true;
                           });
    run_until(done, deadline, "resolving " + url.host);
    if (ec) unreachable("cannot resolve " + url.host + ": " + ec.message());

    if (url.tls) {
      tls_.set_default_verify_paths();
      if (!options_.ca_file.empty()) tls_.load_verify_file(options_.ca_file, ec);
      if (ec) unreachable("cannot read CA file " + options_.ca_file + ": " + ec.message());
      tls_.set_verify_mode(net::ssl::verify_peer);
      auto ws = std::make_unique<TlsWs>(io_, tls_);
      // SNI and host name verification.
      SSL_set_tlsext_host_name(ws->next_layer().native_handle(), url.host.c_str());
      ws->next_layer().set_verify_callback(net::ssl::host_name_verification(url.host));
      tcp_connect(beast::get_lowest_layer(*ws), endpoints, deadline, url);
      done = false;
      ws->next_layer().async_handshake(net::ssl::stream_base::client, [&](beast::error_code e) {
        ec = e;
        done = true;
      });
      run_until(done, deadline, "TLS handshake");
      if (ec) unreachable("TLS handshake with " + url.host + " failed: " + ec.message());
      ws_ = std::move(ws);
    } else {
      auto ws = std::make_unique<PlainWs>(io_);
      tcp_connect(beast::get_lowest_layer(*ws), endpoints, deadline, url);
      ws_ = std::move(ws);
    }

    websocket::response_type response;
    done = false;
    with_ws([&](auto& ws) {
      beast::get_lowest_layer(ws).expires_never();
      ws.set_option(websocket::stream_base::timeout::suggested(beast::role_type::client));
      ws.read_message_max(options_.max_message_bytes);
      ws.binary(true);
      ws.async_handshake(response, url.host, url.path, [&](beast::error_code e) {
        ec = e;
        done = true;
      });
    });
    run_until(done, deadline, "WebSocket upgrade");
    if (ec) {
      std::string why = ec.message();
      if (response.result_int() != 0)
        why = "HTTP " + std::to_string(response.result_int()) + " " + response.body();
      unreachable("WebSocket upgrade at " + url.text() + " refused: " + why);
    }
    read_next();
  }

  void send(std::string_view message) override {
    if (closed_) lost();
    bool done = false;
    beast::error_code ec;
    with_ws([&](auto& ws) {
      ws.async_write(net::buffer(message.data(), message.size()), [&](beast::error_code e, size_t) {
        ec = e;
        done = true;
      });
    });
    const auto deadline = std::chrono::steady_clock::now() + options_.write_timeout;
    while (!done && std::chrono::steady_clock::now() < deadline) pump();
    if (!done) {
      drop();
      throw Error(Errc::kConnectionLost, "the server did not take a message within the timeout");
    }
    if (ec) {
      closed_ = true;
      lost();
    }
  }

  std::optional<std::string> receive(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (inbox_.empty() && !closed_ && std::chrono::steady_clock::now() < deadline) pump();
    if (!inbox_.empty()) {
      std::string m = std::move(inbox_.front());
      inbox_.pop_front();
      return m;
    }
    if (closed_) lost();
    return std::nullopt;
  }

  void close() override {
    if (closed_ || std::holds_alternative<std::monostate>(ws_)) {
      drop();
      return;
    }
    bool done = false;
    with_ws([&](auto& ws) {
      ws.async_close(websocket::close_code::normal, [&](beast::error_code) { done = true; });
    });
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
    while (!done && std::chrono::steady_clock::now() < deadline) pump();
    drop();
  }

 private:
  [[noreturn]] void unreachable(const std::string& why) {
    throw Error(Errc::kServerUnreachable, why);
  }
  [[noreturn]] void lost() {
    std::string why = close_reason_.empty() ? "closed" : close_reason_;
    throw Error(Errc::kConnectionLost, why);
  }

  void pump() {
    io_.restart();
    io_.run_for(std::chrono::milliseconds(10));
  }

  void run_until(const bool& done, std::chrono::steady_clock::time_point deadline,
                 const std::string& what) {
    while (!done && std::chrono::steady_clock::now() < deadline) pump();
    if (!done) {
      drop();
      unreachable(what + " did not finish within " +
                  std::to_string(options_.connect_timeout.count()) + " ms");
    }
  }

  void tcp_connect(beast::tcp_stream& stream, const tcp::resolver::results_type& endpoints,
                   std::chrono::steady_clock::time_point deadline, const ServerUrl& url) {
    bool done = false;
    beast::error_code ec;
    stream.async_connect(endpoints, [&](beast::error_code e, const tcp::endpoint&) {
      ec = e;
      done = true;
    });
    run_until(done, deadline, "connecting to " + url.host);
    if (ec)
      unreachable("cannot connect to " + url.host + ":" + std::to_string(url.port) + ": " +
                  ec.message());
    stream.socket().set_option(tcp::no_delay(true), ec);
  }

  // One read is always pending while the connection is open; messages queue in inbox_.
  void read_next() {
    with_ws([this](auto& ws) {
      ws.async_read(buffer_, [this](beast::error_code ec, size_t) { on_read(ec); });
    });
  }
  void on_read(beast::error_code ec) {
    if (ec) {
      closed_ = true;
      with_ws([&](auto& ws) {
        if (ws.reason().code != 0)
          close_reason_ = "closed by the server with " + std::to_string(ws.reason().code) + " " +
                          std::string(ws.reason().reason.data(), ws.reason().reason.size());
      });
      if (close_reason_.empty()) close_reason_ = ec.message();
      return;
    }
    inbox_.push_back(beast::buffers_to_string(buffer_.cdata()));
    buffer_.consume(buffer_.size());
    read_next();
  }

  void drop() {
    closed_ = true;
    if (std::holds_alternative<std::monostate>(ws_)) return;
    beast::error_code ec;
    with_ws([&](auto& ws) { beast::get_lowest_layer(ws).socket().close(ec); });
    // Let the cancelled handlers run so nothing refers to this object afterwards.
    io_.restart();
    io_.poll();
  }

  template <class F>
  void with_ws(F&& f) {
    if (auto* p = std::get_if<std::unique_ptr<PlainWs>>(&ws_))
      f(**p);
    else if (auto* t = std::get_if<std::unique_ptr<TlsWs>>(&ws_))
      f(**t);
  }

  TransportOptions options_;
  net::io_context io_;
  net::ssl::context tls_;
  std::variant<std::monostate, std::unique_ptr<PlainWs>, std::unique_ptr<TlsWs>> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> inbox_;
  bool closed_ = false;
  std::string close_reason_;
};

}  // namespace

std::unique_ptr<Transport> connect_websocket(const ServerUrl& url,
                                             const TransportOptions& options) {
  auto t = std::make_unique<WebSocketTransport>(options);
  t->connect(url);
  return t;
}

}  // namespace mend::client
