// mend-echo: the baseline for mend-bench. A WebSocket server on one
// single-threaded io_context that sends every binary message straight back.
// It is built the way mendd's transport is (same Beast stream, options,
// single-writer queue and watermarks) but does no protocol work, so
// "relay / echo" says what the protocol, storage and routing cost.
#include <CLI/CLI.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

// mendd's defaults, so that both servers buffer alike.
constexpr size_t kMaxMessage = 256 * 1024;
constexpr size_t kQueueLow = 256 * 1024;
constexpr size_t kQueueHigh = 1024 * 1024;

class EchoSession : public std::enable_shared_from_this<EchoSession> {
 public:
  explicit EchoSession(tcp::socket socket) : ws_(std::move(socket)) {}

  void run() {
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::seconds(10);
    t.idle_timeout = std::chrono::seconds(60);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.read_message_max(kMaxMessage);
    ws_.auto_fragment(false);
    ws_.binary(true);
    ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->do_read();
    });
  }

 private:
  void do_read() {
    reading_ = true;
    ws_.async_read(
        buffer_, [self = shared_from_this()](beast::error_code ec, size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    reading_ = false;
    if (ec) return;  // closed or failed: the last handler lets the session go
    const auto data = buffer_.cdata();
    queue_.emplace_back(static_cast<const char*>(data.data()), data.size());
    queued_bytes_ += data.size();
    buffer_.consume(buffer_.size());
    if (!writing_) do_write();
    // Past the high watermark, stop reading until the peer has taken enough.
    if (queued_bytes_ < kQueueHigh) do_read();
  }

  void do_write() {
    writing_ = true;
    ws_.async_write(
        net::buffer(queue_.front()),
        [self = shared_from_this()](beast::error_code ec, size_t) { self->on_write(ec); });
  }

  void on_write(beast::error_code ec) {
    writing_ = false;
    if (ec) return;
    queued_bytes_ -= queue_.front().size();
    queue_.pop_front();
    if (!queue_.empty()) do_write();
    if (!reading_ && queued_bytes_ < kQueueLow) do_read();
  }

  websocket::stream<beast::tcp_stream> ws_;
  beast::flat_buffer buffer_;
  std::deque<std::string> queue_;
  size_t queued_bytes_ = 0;
  bool reading_ = false;
  bool writing_ = false;
};

struct Server {
  net::io_context io{1};
  tcp::acceptor acceptor{io};
  net::steady_timer backoff{io};

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == net::error::operation_aborted || !acceptor.is_open()) return;
      if (ec) {
        // Usually EMFILE: back off briefly instead of spinning.
        backoff.expires_after(std::chrono::milliseconds(100));
        backoff.async_wait([this](beast::error_code) { accept(); });
        return;
      }
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<EchoSession>(std::move(socket))->run();
      accept();
    });
  }
};

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"mend-echo: WebSocket echo server, the baseline of mend-bench"};
  std::string listen = "127.0.0.1", port_file;
  uint16_t port = 0;
  app.add_option("--listen", listen, "address to listen on")->capture_default_str();
  app.add_option("-p,--port", port, "port; 0 picks a free one")->capture_default_str();
  app.add_option("--port-file", port_file, "write the bound port to this file once listening");
  CLI11_PARSE(app, argc, argv);

  try {
    Server s;
    const tcp::endpoint endpoint(net::ip::make_address(listen), port);
    s.acceptor.open(endpoint.protocol());
    s.acceptor.set_option(net::socket_base::reuse_address(true));
    s.acceptor.bind(endpoint);
    s.acceptor.listen(net::socket_base::max_listen_connections);
    if (!port_file.empty()) {
      // Write then rename, so a reader never sees a half-written port.
      const std::string tmp = port_file + ".tmp";
      FILE* f = std::fopen(tmp.c_str(), "w");
      if (!f) throw std::runtime_error("cannot write " + tmp);
      std::fprintf(f, "%u\n", static_cast<unsigned>(s.acceptor.local_endpoint().port()));
      std::fclose(f);
      std::rename(tmp.c_str(), port_file.c_str());
    }
    net::signal_set signals(s.io, SIGTERM, SIGINT);
    signals.async_wait([&](beast::error_code, int) { s.io.stop(); });
    s.accept();
    s.io.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mend-echo: %s\n", e.what());
    return 1;
  }
  return 0;
}
