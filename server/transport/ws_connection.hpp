#pragma once
// One WebSocket connection: reads whole binary messages into its DeviceSession
// and writes the session's frames from a byte-bounded queue (single writer).
// Included only by sessions_plain.cpp and sessions_tls.cpp, which instantiate it.

#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <deque>
#include <memory>
#include <string>

#include "relay/batch.h"
#include "relay/device_session.h"
#include "relay/outbound.h"
#include "relay/server_state.h"

namespace mend::server {

namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace http = beast::http;
namespace net = boost::asio;

template <class Stream>
class WsConnection final : public Outbound,
                           public std::enable_shared_from_this<WsConnection<Stream>> {
 public:
  WsConnection(Stream&& stream, ServerState& state, std::string ip)
      : ws_(std::move(stream)), timer_(ws_.get_executor()), state_(state), ip_(std::move(ip)) {
    state_.track(*this);
    state_.metrics().connections.fetch_add(1, std::memory_order_relaxed);
    state_.metrics().connections_total.fetch_add(1, std::memory_order_relaxed);
  }

  ~WsConnection() override { finish(); }

  void start(http::request<http::string_body> req) {
    const Config& c = state_.config();
    beast::get_lowest_layer(ws_).expires_never();  // the websocket timeouts take over
    websocket::stream_base::timeout t;
    t.handshake_timeout = std::chrono::milliseconds(c.handshake_timeout_ms);
    t.idle_timeout = std::chrono::milliseconds(c.idle_timeout_ms);
    t.keep_alive_pings = true;
    ws_.set_option(t);
    ws_.set_option(websocket::stream_base::decorator(
        [](websocket::response_type& res) { res.set(http::field::server, "mendd"); }));
    ws_.read_message_max(c.max_frame_bytes);
    ws_.auto_fragment(false);
    ws_.binary(true);
    ws_.async_accept(
        req, [self = this->shared_from_this()](beast::error_code ec) { self->on_accept(ec); });
  }

  // -- Outbound --
  void push(std::string frame) override {
    if (closing_) return;
    const Config& c = state_.config();
    if (queued_bytes_ + frame.size() > c.queue_hard_cap_bytes) {
      state_.metrics().reject(Rejection::slow_consumer);
      abort_slow_consumer();
      return;
    }
    add_queued(static_cast<int64_t>(frame.size()));
    queue_.push_back(std::move(frame));
    if (queued_bytes_ >= c.queue_high_bytes) drain_wanted_ = true;
    if (!writing_) do_write();
  }
  size_t queued_bytes() const override { return queued_bytes_; }
  bool above_high_watermark() const override {
    return queued_bytes_ >= state_.config().queue_high_bytes;
  }
  void close(uint16_t code, std::string_view reason) override {
    if (closing_) return;
    closing_ = true;
    close_reason_.code = code;
    close_reason_.reason.assign(reason.data(), std::min<size_t>(reason.size(), 120));
    if (!writing_) do_close();
  }
  bool closing() const override { return closing_; }
  void stop_reading() override { stopped_reading_ = true; }
  const std::string& remote_ip() const override { return ip_; }
  void enable_batches() override { batches_ = true; }

 private:
  void on_accept(beast::error_code ec) {
    if (ec) return finish();
    session_ = std::make_shared<DeviceSession>(state_, *this);
    session_->start();
    timer_.expires_after(std::chrono::milliseconds(state_.config().auth_timeout_ms));
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec && self->session_) self->session_->on_auth_deadline();
    });
    do_read();
  }

  void do_read() {
    if (reading_ || finished_) return;
    reading_ = true;
    ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->on_read(ec, n);
    });
  }

  void on_read(beast::error_code ec, size_t n) {
    reading_ = false;
    if (finished_) return;
    if (ec) {
      if (ec == websocket::error::message_too_big) {
        // Beast has already sent close 1009 (message too big).
        state_.metrics().reject(Rejection::frame_too_large);
      }
      return finish();
    }
    state_.metrics().bytes_in.fetch_add(n, std::memory_order_relaxed);
    if (!closing_ && !stopped_reading_) {
      if (!ws_.got_binary()) {
        state_.metrics().reject(Rejection::text_frame);
        push(error_frame(0, v1::ERROR_CODE_MALFORMED_FRAME,
                         "text messages are not part of the protocol; send binary frames", true));
        close(close_code::unsupported_data, "binary frames only");
      } else {
        const auto data = buffer_.cdata();
        session_->on_frame(std::string_view(static_cast<const char*>(data.data()), data.size()));
      }
    }
    buffer_.consume(buffer_.size());
    if (buffer_.capacity() > 16 * 1024) buffer_.shrink_to_fit();
    // Keep reading while closing: Beast needs the peer's close frame to finish.
    if (closing_ || (!stopped_reading_ && !above_high_watermark())) do_read();
  }

  void do_write() {
    if (queue_.empty() || finished_) return;
    writing_ = true;
    // Whatever waits in the queue goes out in this one message (up to the batch
    // limits); a lone frame goes as it is.
    in_flight_ = batches_ ? batchable_prefix(queue_) : 1;
    net::const_buffer out = net::buffer(queue_.front());
    if (in_flight_ > 1) {
      batch_buffer_ = encode_batch(queue_, in_flight_);
      out = net::buffer(batch_buffer_);
    }
    ws_.async_write(out, [self = this->shared_from_this()](beast::error_code ec, size_t n) {
      self->on_write(ec, n);
    });
  }

  void on_write(beast::error_code ec, size_t n) {
    writing_ = false;
    if (ec || finished_) return finish();
    state_.metrics().bytes_out.fetch_add(n, std::memory_order_relaxed);
    for (; in_flight_ > 0; --in_flight_) {
      add_queued(-static_cast<int64_t>(queue_.front().size()));
      queue_.pop_front();
    }
    batch_buffer_.clear();
    if (batch_buffer_.capacity() > 16 * 1024) batch_buffer_.shrink_to_fit();
    if (!queue_.empty()) {
      do_write();
    } else if (closing_) {
      do_close();
      return;
    }
    if (queued_bytes_ < state_.config().queue_low_bytes) {
      if (!reading_ && !closing_ && !stopped_reading_) do_read();
      if (drain_wanted_) {
        drain_wanted_ = false;
        if (session_) session_->on_drained();
      }
    }
  }

  void do_close() {
    if (close_started_ || finished_) return;
    close_started_ = true;
    ws_.async_close(close_reason_, [self = this->shared_from_this()](beast::error_code ec) {
      if (ec) return self->finish();
      if (!self->reading_) self->do_read();  // read until the peer's close frame
    });
  }

  // Past the hard cap: drop what is queued (all but the frames being written),
  // close with 4008, and cut the TCP connection if even that does not go out.
  void abort_slow_consumer() {
    while (queue_.size() > (writing_ ? in_flight_ : 0u)) {
      add_queued(-static_cast<int64_t>(queue_.back().size()));
      queue_.pop_back();
    }
    close(close_code::slow_consumer, "slow consumer: outbound queue over its hard cap");
    timer_.expires_after(std::chrono::seconds(5));
    timer_.async_wait([self = this->shared_from_this()](beast::error_code ec) {
      if (!ec && !self->finished_) {
        beast::error_code ignored;
        beast::get_lowest_layer(self->ws_).socket().close(ignored);
      }
    });
  }

  void add_queued(int64_t delta) {
    queued_bytes_ = static_cast<size_t>(static_cast<int64_t>(queued_bytes_) + delta);
    state_.metrics().outbound_queued_bytes.fetch_add(delta, std::memory_order_relaxed);
  }

  // Runs once, when the connection is over (or in the destructor at the latest).
  void finish() {
    if (finished_) return;
    finished_ = true;
    closing_ = true;
    if (session_) session_->on_closed();
    timer_.cancel();
    add_queued(-static_cast<int64_t>(queued_bytes_));
    queue_.clear();
    state_.untrack(*this);
    state_.release(ip_);
    state_.metrics().connections.fetch_sub(1, std::memory_order_relaxed);
  }

  websocket::stream<Stream> ws_;
  beast::flat_buffer buffer_;
  net::steady_timer timer_;
  ServerState& state_;
  std::string ip_;
  std::shared_ptr<DeviceSession> session_;
  std::deque<std::string> queue_;
  size_t in_flight_ = 0;      // frames at the queue's front that the current write carries
  std::string batch_buffer_;  // the current write's Batch message, when it is one
  size_t queued_bytes_ = 0;
  websocket::close_reason close_reason_;
  bool reading_ = false;
  bool writing_ = false;
  bool closing_ = false;
  bool close_started_ = false;
  bool stopped_reading_ = false;
  bool drain_wanted_ = false;
  bool finished_ = false;
  bool batches_ = false;
};

}  // namespace mend::server
