#include "transport/accept.h"
#include "transport/http_session.hpp"

namespace mend::server {

void serve_plain(net::ip::tcp::socket socket, ServerState& state) {
  beast::error_code ec;
  net::ip::address peer = socket.remote_endpoint(ec).address();
  if (ec) return;
  auto slot = state.try_pending(peer);
  if (!slot) return;  // over a cap: the socket closes here
  std::make_shared<HttpSession<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), state,
                                                   peer, std::move(*slot))
      ->run();
}

}  // namespace mend::server
