#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace mend::server {

class ServerState;

// Take over an accepted socket: HTTP (and the WebSocket upgrade) in the clear,
// or after a TLS handshake. Each lives in its own translation unit
// (sessions_plain.cpp, sessions_tls.cpp) so Beast compiles there only.
void serve_plain(boost::asio::ip::tcp::socket socket, ServerState& state);
void serve_tls(boost::asio::ip::tcp::socket socket, boost::asio::ssl::context& tls,
               ServerState& state);

}  // namespace mend::server
