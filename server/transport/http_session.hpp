#pragma once
// Plain HTTP on the listening port: /healthz, /metrics, and the upgrade to a
// WebSocket on /v1 (anything else is 404). Included only by sessions_*.cpp.

#include <spdlog/spdlog.h>
#include <algorithm>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <memory>
#include <optional>

#include "relay/server_state.h"
#include "transport/client_address.h"
#include "transport/ws_connection.hpp"

namespace mend::server {

inline constexpr std::string_view kWebSocketPath = "/v1";
// Plain HTTP requests on one keep-alive connection; the last is answered with
// Connection: close, so a connection cannot hold its pending slot for ever.
inline constexpr int kMaxRequestsPerConnection = 100;

template <class Stream>
class HttpSession : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream&& stream, ServerState& state, net::ip::address peer, PendingSlot slot)
      : stream_(std::move(stream)), state_(state), peer_(peer), slot_(std::move(slot)) {}

  // For TLS streams the caller has finished the TLS handshake already.
  void run() { do_read(); }

 private:
  void do_read() {
    parser_.emplace();
    parser_->header_limit(8 * 1024);
    parser_->body_limit(4 * 1024);
    beast::get_lowest_layer(stream_).expires_after(
        std::chrono::milliseconds(state_.config().handshake_timeout_ms));
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec) return;  // timeout, reset or garbage: just drop the connection
    auto& req = parser_->get();
    client_ = client_of(req);
    ip_ = client_.address.to_string();
    if (websocket::is_upgrade(req)) return upgrade();
    if (req.method() != http::verb::get)
      return respond(http::status::method_not_allowed, "GET only\n");
    if (req.target() == "/healthz") {
      if (state_.shutting_down())
        return respond(http::status::service_unavailable, "shutting down\n");
      return respond(http::status::ok, "ok\n");
    }
    if (req.target() == "/metrics") {
      if (!state_.metrics_allowed(client_))
        return respond(http::status::forbidden,
                       "/metrics is not served to this address (see metrics_allow)\n");
      return respond(http::status::ok, state_.metrics().render_prometheus(),
                     "text/plain; version=0.0.4");
    }
    respond(http::status::not_found, "not found: try /v1 (WebSocket), /healthz or /metrics\n");
  }

  // The TCP peer, or the client a trusted proxy names (transport/client_address.h).
  Client client_of(const http::request<http::string_body>& req) const {
    std::string forwarded;
    const auto [first, last] = req.equal_range("X-Forwarded-For");
    for (auto it = first; it != last; ++it)
      forwarded += (forwarded.empty() ? "" : ",") + std::string(it->value());
    Client c = client_address(peer_, forwarded, state_.trusted_proxies());
    if (c.address != canonical(peer_) || c.unresolved)
      spdlog::debug("request from {} counts as {}{}", peer_.to_string(), c.address.to_string(),
                    c.unresolved ? " (its X-Forwarded-For names no client)" : "");
    return c;
  }

  void upgrade() {
    auto& req = parser_->get();
    if (req.target() != kWebSocketPath)
      return respond(http::status::not_found, "the WebSocket endpoint is /v1\n");
    if (state_.shutting_down())
      return respond(http::status::service_unavailable, "shutting down\n");
    // Browsers send Origin; native clients do not. A browser page may only
    // connect from an origin the operator listed.
    if (auto origin = req.find(http::field::origin); origin != req.end()) {
      const auto& allowed = state_.config().allowed_origins;
      if (std::find(allowed.begin(), allowed.end(), std::string(origin->value())) ==
          allowed.end()) {
        state_.metrics().reject(Rejection::origin);
        return respond(http::status::forbidden, "origin not allowed\n");
      }
    }
    if (!state_.admit(ip_))
      return respond(http::status::service_unavailable, "too many connections; try again later\n");
    auto ws = std::make_shared<WsConnection<Stream>>(std::move(stream_), state_, ip_);
    ws->start(parser_->release());
  }

  void respond(http::status status, std::string body, const char* type = "text/plain") {
    auto res =
        std::make_shared<http::response<http::string_body>>(status, parser_->get().version());
    res->set(http::field::server, "mendd");
    res->set(http::field::content_type, type);
    res->keep_alive(parser_->get().keep_alive() && status == http::status::ok &&
                    ++requests_ < kMaxRequestsPerConnection);
    res->body() = std::move(body);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = this->shared_from_this(), res](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (res->keep_alive()) return self->do_read();
                        beast::error_code ignored;
                        beast::get_lowest_layer(self->stream_)
                            .socket()
                            .shutdown(net::ip::tcp::socket::shutdown_send, ignored);
                      });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  ServerState& state_;
  net::ip::address peer_;
  PendingSlot slot_;  // released when this session ends (closed, or upgraded: ws->start() took
                      // the stream)
  int requests_ = 0;  // 200 answers to keep-alive requests, the last with Connection: close
  Client client_;     // of the current request: peer_, or whom a trusted proxy names
  std::string ip_;    // client_.address as text
};

}  // namespace mend::server
