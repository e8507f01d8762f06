#include "test_client.h"

#include <sodium.h>

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

#include "mend/common/auth_proof.h"
#include "mend/common/ids.h"
#include "mend/common/sodium_init.h"

namespace mend::test {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace net = boost::asio;
using tcp = net::ip::tcp;

std::string random_id(size_t bytes) { return random_bytes(bytes); }

std::string client_message_id() {
  // Recommended shape (docs/PROTOCOL.md): big-endian increasing prefix, random tail.
  static uint64_t last = 0;
  const uint64_t now = std::max<uint64_t>(
      last + 1, static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                          std::chrono::system_clock::now().time_since_epoch())
                                          .count()));
  last = now;
  std::string id = random_bytes(16);
  for (int i = 0; i < 8; ++i)
    id[static_cast<size_t>(i)] = static_cast<char>((now >> (56 - 8 * i)) & 0xff);
  return id;
}

using PlainWs = websocket::stream<beast::tcp_stream>;
using TlsWs = websocket::stream<beast::ssl_stream<beast::tcp_stream>>;

struct TestClient::Impl {
  net::io_context io;
  net::ssl::context tls{net::ssl::context::tls_client};
  std::variant<std::monostate, std::unique_ptr<PlainWs>, std::unique_ptr<TlsWs>> ws;
  beast::flat_buffer buffer;
  bool closed = false;
  uint16_t close_code = 0;
  std::string close_reason;

  std::deque<v1::ServerFrame> inbox;
  bool accept_batches = true;
  size_t batches_received = 0;

  // One read is always pending while the client runs io; frames land in `inbox`.
  void read_next() {
    with_ws([this](auto& ws) {
      ws.async_read(buffer, [this](beast::error_code ec, size_t) { on_read(ec); });
    });
  }
  void on_read(beast::error_code ec) {
    if (ec) {
      closed = true;
      with_ws([&](auto& ws) {
        close_code = ws.reason().code;
        close_reason = std::string(ws.reason().reason.data(), ws.reason().reason.size());
      });
      if (close_code == 0) close_reason = ec.message();
      return;
    }
    v1::ServerFrame f;
    const auto data = buffer.cdata();
    if (!f.ParseFromArray(data.data(), static_cast<int>(data.size())))
      throw std::runtime_error("server sent a frame that does not parse");
    buffer.consume(buffer.size());
    if (f.body_case() == v1::ServerFrame::kBatch) {
      // Tests see a batch's frames one by one, as the protocol says to handle them.
      if (!accept_batches)
        throw std::runtime_error("server sent a batch the client did not accept");
      ++batches_received;
      for (auto& inner : *f.mutable_batch()->mutable_frames()) {
        if (inner.body_case() == v1::ServerFrame::kBatch)
          throw std::runtime_error("server nested a batch in a batch");
        inbox.push_back(std::move(inner));
      }
    } else {
      inbox.push_back(std::move(f));
    }
    read_next();
  }

  template <class F>
  void with_ws(F&& f) {
    if (auto* p = std::get_if<std::unique_ptr<PlainWs>>(&ws))
      f(**p);
    else
      f(*std::get<std::unique_ptr<TlsWs>>(ws));
  }
};

TestClient::TestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TestClient::~TestClient() = default;

std::unique_ptr<TestClient> TestClient::connect(uint16_t port, ConnectOptions options) {
  auto impl = std::make_unique<Impl>();
  impl->accept_batches = options.accept_batches;
  tcp::socket sock(impl->io);
  sock.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port));
  sock.set_option(tcp::no_delay(true));
  auto decorate = [origin = options.origin,
                   forwarded = options.forwarded_for](websocket::request_type& req) {
    if (!origin.empty()) req.set(beast::http::field::origin, origin);
    if (!forwarded.empty()) req.set("X-Forwarded-For", forwarded);
  };
  websocket::response_type response;
  beast::error_code ec;
  if (options.tls) {
    impl->tls.set_verify_mode(net::ssl::verify_none);  // tests use a self-signed certificate
    auto ws = std::make_unique<TlsWs>(beast::tcp_stream(std::move(sock)), impl->tls);
    ws->next_layer().handshake(net::ssl::stream_base::client, ec);
    if (ec) throw std::runtime_error("TLS handshake failed: " + ec.message());
    ws->set_option(websocket::stream_base::decorator(decorate));
    ws->handshake(response, "127.0.0.1", options.path, ec);
    ws->binary(true);
    impl->ws = std::move(ws);
  } else {
    auto ws = std::make_unique<PlainWs>(beast::tcp_stream(std::move(sock)));
    ws->set_option(websocket::stream_base::decorator(decorate));
    ws->handshake(response, "127.0.0.1", options.path, ec);
    ws->binary(true);
    impl->ws = std::move(ws);
  }
  if (ec)
    throw std::runtime_error("WebSocket upgrade refused: HTTP " +
                             std::to_string(response.result_int()) + " " + response.body());
  impl->with_ws([](auto& ws) {
    ws.read_message_max(64 * 1024 * 1024);
    // Mask and write a whole message in one syscall, so that a frame the
    // server refuses half-way (1009) is not cut off by its close mid-write.
    ws.write_buffer_bytes(1024 * 1024);
  });
  impl->read_next();
  return std::unique_ptr<TestClient>(new TestClient(std::move(impl)));
}

size_t TestClient::batches_received() const { return impl_->batches_received; }

void TestClient::send(const v1::ClientFrame& frame) { send_bytes(frame.SerializeAsString()); }

void TestClient::send_bytes(const std::string& bytes, bool text) {
  impl_->with_ws([&](auto& ws) {
    ws.text(text);
    beast::error_code ec;
    // A server that already closed shows up on the next read, with its close code.
    ws.write(net::buffer(bytes), ec);
    ws.binary(true);
  });
}

void TestClient::send_raw(const std::string& wire_bytes) {
  impl_->with_ws(
      [&](auto& ws) { net::write(beast::get_lowest_layer(ws).socket(), net::buffer(wire_bytes)); });
}

std::optional<v1::ServerFrame> TestClient::try_read(std::chrono::milliseconds timeout) {
  Impl& i = *impl_;
  auto ready = [&] { return !i.inbox.empty() || i.closed; };
  if (!ready()) {
    i.io.restart();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!ready() && std::chrono::steady_clock::now() < deadline) {
      i.io.run_for(std::chrono::milliseconds(5));
      if (i.io.stopped()) i.io.restart();
    }
  }
  if (!i.inbox.empty()) {
    v1::ServerFrame f = std::move(i.inbox.front());
    i.inbox.pop_front();
    return f;
  }
  if (i.closed) throw ClosedError(i.close_code, i.close_reason);
  return std::nullopt;
}

v1::ServerFrame TestClient::read(std::chrono::milliseconds timeout) {
  auto f = try_read(timeout);
  if (!f) throw std::runtime_error("no frame from the server within the timeout");
  return *f;
}

v1::ServerFrame TestClient::next(std::chrono::milliseconds timeout) {
  for (;;) {
    auto f = read(timeout);
    if (f.body_case() != v1::ServerFrame::kPresence) return f;
  }
}

uint16_t TestClient::wait_closed(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  try {
    while (std::chrono::steady_clock::now() < deadline) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      (void)try_read(left);
    }
  } catch (const ClosedError& e) {
    return e.code;
  }
  throw std::runtime_error("the server did not close the connection in time");
}

void TestClient::close() {
  if (impl_->closed) return;
  beast::error_code ec;
  impl_->with_ws([&](auto& ws) { beast::get_lowest_layer(ws).socket().close(ec); });
  impl_->closed = true;
}

const v1::Challenge& TestClient::challenge() {
  if (!challenge_) {
    auto f = read();
    if (f.body_case() != v1::ServerFrame::kChallenge)
      throw std::runtime_error("expected a challenge first");
    challenge_ = f.challenge();
  }
  return *challenge_;
}

v1::ClientFrame TestClient::frame(uint32_t request_id) const {
  v1::ClientFrame f;
  f.set_version(v1::PROTOCOL_VERSION_1);
  f.set_request_id(request_id);
  return f;
}

v1::Authenticated TestClient::authenticate(const Identity& id) {
  const auto& c = challenge();
  auto f = frame(1);
  f.mutable_authenticate()->set_public_key(id.public_key);
  f.mutable_authenticate()->set_signature(sign_auth(id.secret_key, c.server_id(), c.nonce()));
  f.mutable_authenticate()->set_accept_batches(impl_->accept_batches);
  send(f);
  return expect(v1::ServerFrame::kAuthenticated).authenticated();
}

v1::ServerFrame TestClient::expect(v1::ServerFrame::BodyCase body,
                                   std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    auto f = try_read(left);
    if (!f) break;
    if (f->body_case() == body) return *f;
    if (f->body_case() == v1::ServerFrame::kError)
      throw std::runtime_error("server error " + std::to_string(f->error().code()) + ": " +
                               f->error().message());
    if (f->body_case() == v1::ServerFrame::kPresence) continue;
    throw std::runtime_error("unexpected frame " + std::to_string(f->body_case()) +
                             " while waiting for " + std::to_string(body));
  }
  throw std::runtime_error("timed out waiting for frame " + std::to_string(body));
}

v1::Authenticated Device::reconnect(uint16_t port, ConnectOptions options) {
  conn = TestClient::connect(port, options);
  auto a = conn->authenticate(id);
  pair_id = a.pair_id();
  partner_id = a.partner_device_id();
  return a;
}

v1::ClientFrame Device::envelope(const std::string& body, bool ephemeral,
                                 std::string client_message_id) {
  if (client_message_id.empty()) client_message_id = mend::test::client_message_id();
  v1::EnvelopeHeader h;
  h.set_pair_id(pair_id);
  h.set_sender_device_id(id.device_id);
  h.set_sender_counter(ephemeral ? 0 : ++counter);
  h.set_epoch(1);
  h.set_kind(ephemeral ? v1::ENVELOPE_KIND_EPHEMERAL : v1::ENVELOPE_KIND_STORED);
  h.set_client_message_id(client_message_id);
  h.set_padded_length(static_cast<uint32_t>(body.size()));
  auto f = conn->frame(next_request++);
  auto* env = f.mutable_send()->mutable_envelope();
  env->set_header(h.SerializeAsString());
  // Tests stand in for clients: the "ciphertext" is the body as is.
  env->set_ciphertext(body);
  return f;
}

v1::Ack Device::send_stored(const std::string& body, std::string client_message_id) {
  conn->send(envelope(body, false, std::move(client_message_id)));
  return conn->expect(v1::ServerFrame::kAck).ack();
}

std::pair<Device, Device> make_pair(uint16_t port, ConnectOptions options) {
  Device a{Identity::generate(), TestClient::connect(port, options)};
  Device b{Identity::generate(), TestClient::connect(port, options)};
  a.conn->authenticate(a.id);
  b.conn->authenticate(b.id);
  auto req = a.conn->frame(a.next_request++);
  req.mutable_request_pairing_code();
  a.conn->send(req);
  const std::string code = a.conn->expect(v1::ServerFrame::kPairingCode).pairing_code().code();
  auto redeem = b.conn->frame(b.next_request++);
  redeem.mutable_redeem_pairing_code()->set_code(code);
  b.conn->send(redeem);
  auto pb = b.conn->expect(v1::ServerFrame::kPaired).paired();
  auto pa = a.conn->expect(v1::ServerFrame::kPaired).paired();
  a.pair_id = pa.pair_id();
  a.partner_id = pa.partner_device_id();
  b.pair_id = pb.pair_id();
  b.partner_id = pb.partner_device_id();
  return {std::move(a), std::move(b)};
}

}  // namespace mend::test
