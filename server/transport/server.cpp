#include "transport/server.h"

#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>
#include <optional>

#include "relay/outbound.h"
#include "relay/server_state.h"
#include "storage/sqlite_storage.h"
#include "transport/accept.h"

namespace mend::server {

namespace net = boost::asio;
using tcp = net::ip::tcp;

struct Server::Impl {
  explicit Impl(Config config) : signals(io, SIGTERM, SIGINT), acceptor(io), grace(io) {
    // Check what can be wrong with the settings before touching the data
    // directory, so a typo does not leave an empty database behind.
    load_tls(config);
    boost::system::error_code bad_address;
    net::ip::make_address(config.listen_address, bad_address);
    if (bad_address)
      throw std::runtime_error("listen_address '" + config.listen_address +
                               "' is not an IP address");
    auto storage = open_sqlite_storage(config.data_dir, config.durability);
    state.emplace(std::move(config), std::move(storage),
                  [this](std::function<void()> f) { net::post(io, std::move(f)); });
    const Config& c = state->config();
    boost::system::error_code ec;
    const auto address = net::ip::make_address(c.listen_address, ec);
    if (ec)
      throw std::runtime_error("listen_address '" + c.listen_address + "' is not an IP address");
    const tcp::endpoint endpoint(address, c.listen_port);
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) acceptor.bind(endpoint, ec);
    if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec)
      throw std::runtime_error("cannot listen on " + c.listen_address + ":" +
                               std::to_string(c.listen_port) + ": " + ec.message() +
                               " (is another mendd running? choose another --port)");
  }

  void load_tls(const Config& c) {
    if (c.tls_certificate.empty()) return;
    tls.emplace(net::ssl::context::tls_server);
    tls->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                     net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                     net::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    tls->use_certificate_chain_file(c.tls_certificate.string(), ec);
    if (ec)
      throw std::runtime_error("cannot load TLS certificate " + c.tls_certificate.string() + ": " +
                               ec.message());
    tls->use_private_key_file(c.tls_private_key.string(), net::ssl::context::pem, ec);
    if (ec)
      throw std::runtime_error("cannot load TLS private key " + c.tls_private_key.string() + ": " +
                               ec.message());
  }

  void accept() {
    acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Usually EMFILE: back off briefly instead of spinning.
        spdlog::warn("accept failed: {}; retrying in 100 ms", ec.message());
        grace.expires_after(std::chrono::milliseconds(100));
        grace.async_wait([this](boost::system::error_code e) {
          if (!e && !state->shutting_down()) accept();
        });
        return;
      }
      socket.set_option(tcp::no_delay(true), ec);
      if (tls)
        serve_tls(std::move(socket), *tls, *state);
      else
        serve_plain(std::move(socket), *state);
      accept();
    });
  }

  void shutdown() {
    if (state->shutting_down()) return;
    spdlog::info("shutting down: no new connections; finishing writes");
    state->set_shutting_down();
    boost::system::error_code ignored;
    acceptor.close(ignored);
    for (Outbound* c : state->connections()) c->stop_reading();
    // Every frame read so far has reached storage; when its completions have
    // run (acks queued), say goodbye.
    state->storage().flush([this] {
      std::vector<Outbound*> all(state->connections().begin(), state->connections().end());
      for (Outbound* c : all) c->close(close_code::going_away, "server shutting down");
      deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
      wait_for_connections();
    });
  }

  void wait_for_connections() {
    if (state->connections().empty() || std::chrono::steady_clock::now() >= deadline) {
      if (!state->connections().empty())
        spdlog::warn("{} connections did not close in time; dropping them",
                     state->connections().size());
      state->storage().stop();
      io.stop();
      return;
    }
    grace.expires_after(std::chrono::milliseconds(20));
    grace.async_wait([this](boost::system::error_code) { wait_for_connections(); });
  }

  ~Impl() {
    // Join the storage thread while io is alive; then io's destructor drops any
    // pending handlers (and the connections they own) while state still exists.
    if (state) state->storage().stop();
  }

  std::optional<ServerState> state;  // declared first: destroyed last
  net::io_context io{1};
  net::signal_set signals;
  tcp::acceptor acceptor;
  net::steady_timer grace;
  std::optional<net::ssl::context> tls;
  std::chrono::steady_clock::time_point deadline;
};

Server::Server(Config config) : impl_(std::make_unique<Impl>(std::move(config))) {}

Server::~Server() = default;

uint16_t Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  Impl& i = *impl_;
  i.signals.async_wait([&i](boost::system::error_code ec, int sig) {
    if (ec) return;
    spdlog::info("received signal {}", sig);
    i.shutdown();
  });
  const Config& c = i.state->config();
  spdlog::info("mendd listening on {}://{}:{}{} (data {}, durability {})", i.tls ? "wss" : "ws",
               c.listen_address, port(), "/v1", c.data_dir.string(), durability_name(c.durability));
  if (!c.port_file.empty()) {
    // Write then rename, so a reader never sees a half-written port.
    const auto tmp = c.port_file.string() + ".tmp";
    if (FILE* f = std::fopen(tmp.c_str(), "w")) {
      std::fprintf(f, "%u\n", static_cast<unsigned>(port()));
      std::fclose(f);
      std::rename(tmp.c_str(), c.port_file.c_str());
    } else {
      spdlog::warn("cannot write --port-file {}", c.port_file.string());
    }
  }
  i.accept();
  i.io.run();
  i.state->storage().stop();
  spdlog::info("mendd stopped");
}

void Server::stop() {
  net::post(impl_->io, [i = impl_.get()] { i->shutdown(); });
}

}  // namespace mend::server
