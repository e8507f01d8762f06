#include <boost/beast/ssl.hpp>

#include "transport/accept.h"
#include "transport/http_session.hpp"

namespace mend::server {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

void serve_tls(net::ip::tcp::socket socket, net::ssl::context& tls, ServerState& state) {
  beast::error_code ec;
  net::ip::address peer = socket.remote_endpoint(ec).address();
  if (ec) return;
  auto slot = state.try_pending(peer);
  if (!slot) return;  // over a cap: the socket closes here
  auto stream = std::make_shared<TlsStream>(beast::tcp_stream(std::move(socket)), tls);
  beast::get_lowest_layer(*stream).expires_after(
      std::chrono::milliseconds(state.config().handshake_timeout_ms));
  stream->async_handshake(
      net::ssl::stream_base::server,
      [stream, &state, peer, slot = std::move(*slot)](beast::error_code ec) mutable {
        if (ec) return;  // not TLS, or a failed handshake
        std::make_shared<HttpSession<TlsStream>>(std::move(*stream), state, peer, std::move(slot))
            ->run();
      });
}

}  // namespace mend::server
