// Connections that are not (yet) WebSockets: accepted TCP connections before
// or during TLS and HTTP, and keep-alive HTTP. They hold a pending slot from
// accept (max_pending_connections, and a share per address). The tests connect
// from other loopback addresses (127.0.0.2 and up; Linux routes all of
// 127.0.0.0/8 to lo) so that each has its own share.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "e2e.h"

namespace mend::test {
namespace {

// A TCP connection to mendd from a chosen loopback address, sending nothing.
class RawConnection {
 public:
  RawConnection(uint16_t port, const char* from) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in src{};
    src.sin_family = AF_INET;
    inet_pton(AF_INET, from, &src.sin_addr);
    sockaddr_in dst{};
    dst.sin_family = AF_INET;
    dst.sin_port = htons(port);
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&src), sizeof src) != 0 ||
        connect(fd_, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0)
      throw std::runtime_error("cannot connect to mendd from " + std::string(from));
  }
  ~RawConnection() {
    if (fd_ >= 0) close(fd_);
  }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(const std::string& bytes) {
    ASSERT_EQ(write(fd_, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
  }
  // Everything the server sends until it closes the connection or `timeout` passes.
  // Sets `closed` if it closed.
  std::string read_until_closed(std::chrono::milliseconds timeout, bool& closed) {
    std::string got;
    closed = false;
    const auto end = std::chrono::steady_clock::now() + timeout;
    char buf[4096];
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{fd_, POLLIN, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (poll(&p, 1, static_cast<int>(std::max<int64_t>(left.count(), 1))) <= 0) continue;
      const ssize_t n = recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed = true;
        break;
      }
      got.append(buf, static_cast<size_t>(n));
    }
    return got;
  }
  bool closed_within(std::chrono::milliseconds timeout) {
    bool closed = false;
    read_until_closed(timeout, closed);
    return closed;
  }

 private:
  int fd_;
};

// Polls a metric until it has `value` (accepts and closes are asynchronous).
// mendd_pending_connections counts the connection that asks for it, too.
bool metric_reaches(const MenddProcess& mendd, const std::string& sample, double value) {
  for (int i = 0; i < 200; ++i) {
    if (mendd.metric(sample) == value) return true;
    std::this_thread::sleep_for(10ms);
  }
  return false;
}

TEST(PendingConnections, AnAddressHoldsOnlyItsShareOfConnectionsNotYetUpgraded) {
  MenddProcess mendd({"--max-pending-connections-per-ip", "4"});
  std::vector<std::unique_ptr<RawConnection>> idle;
  for (int i = 0; i < 4; ++i)
    idle.push_back(std::make_unique<RawConnection>(mendd.port(), "127.0.0.2"));
  // The metrics request itself comes from 127.0.0.1, which has its own share.
  EXPECT_TRUE(metric_reaches(mendd, "mendd_pending_connections", 4 + 1));
  RawConnection fifth(mendd.port(), "127.0.0.2");
  EXPECT_TRUE(fifth.closed_within(2s)) << "a fifth idle connection from one address was kept";
  EXPECT_EQ(mendd.metric("mendd_rejections_total{reason=\"pending_per_ip_cap\"}"), 1);
  // Other addresses are not affected: a device from 127.0.0.1 connects and authenticates.
  Device d{Identity::generate(), TestClient::connect(mendd.port())};
  d.conn->authenticate(d.id);
  // Freed slots are given back.
  idle.clear();
  EXPECT_TRUE(metric_reaches(mendd, "mendd_pending_connections", 0 + 1));
  RawConnection again(mendd.port(), "127.0.0.2");
  EXPECT_FALSE(again.closed_within(300ms));
}

TEST(PendingConnections, TheTotalIsCapped) {
  MenddProcess mendd({"--max-pending-connections", "3"});
  auto a = std::make_unique<RawConnection>(mendd.port(), "127.0.0.2");
  RawConnection b(mendd.port(), "127.0.0.3"), c(mendd.port(), "127.0.0.4");
  RawConnection d(mendd.port(), "127.0.0.5");
  EXPECT_TRUE(d.closed_within(2s));
  EXPECT_FALSE(a->closed_within(100ms));
  a.reset();  // room for the metrics request
  EXPECT_TRUE(metric_reaches(mendd, "mendd_pending_connections", 2 + 1));
  EXPECT_EQ(mendd.metric("mendd_rejections_total{reason=\"pending_cap\"}"), 1);
  EXPECT_EQ(mendd.metric("mendd_rejections_total{reason=\"pending_per_ip_cap\"}"), 0);
}

TEST(PendingConnections, TrustedProxiesCountInTheTotalOnly) {
  MenddProcess mendd({"--trusted-proxy", "127.0.0.2", "--max-pending-connections-per-ip", "2"});
  RawConnection p1(mendd.port(), "127.0.0.2"), p2(mendd.port(), "127.0.0.2"),
      p3(mendd.port(), "127.0.0.2");
  RawConnection o1(mendd.port(), "127.0.0.3"), o2(mendd.port(), "127.0.0.3"),
      o3(mendd.port(), "127.0.0.3");
  EXPECT_TRUE(o3.closed_within(2s)) << "an untrusted address got a third slot";
  for (RawConnection* c : {&p1, &p2, &p3, &o1})
    EXPECT_FALSE(c->closed_within(100ms)) << "the proxy's connections share no per-address cap";
}

TEST(PendingConnections, RefusedRequestsGiveTheirSlotBack) {
  MenddProcess mendd({"--max-connections-per-ip", "1"});
  Device d{Identity::generate(), TestClient::connect(mendd.port())};
  d.conn->authenticate(d.id);
  EXPECT_THROW(TestClient::connect(mendd.port()), std::runtime_error);  // 503 at the upgrade
  EXPECT_EQ(mendd.http_get("/nope").substr(0, 4), "404\n");
  EXPECT_TRUE(metric_reaches(mendd, "mendd_pending_connections", 0 + 1));
}

TEST(PendingConnections, TlsConnectionsGiveTheirSlotBackOnFailureAndTimeout) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mend-pending-tls-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto [cert, key] = self_signed_certificate(dir);
  {
    MenddProcess mendd({"--tls-cert", cert.string(), "--tls-key", key.string(),
                        "--max-pending-connections-per-ip", "2", "--handshake-timeout-ms", "1000"});
    {
      RawConnection a(mendd.port(), "127.0.0.2"), b(mendd.port(), "127.0.0.2");
      RawConnection over(mendd.port(), "127.0.0.2");
      EXPECT_TRUE(over.closed_within(500ms)) << "closed by the cap, before the handshake timeout";
      a.send("this is not TLS\r\n\r\n");
      b.send(std::string(64, '\x16'));
      EXPECT_TRUE(a.closed_within(3s));
      EXPECT_TRUE(b.closed_within(3s));
    }
    // Both slots are free again: two idle handshakes are held until the timeout frees them too.
    for (int round = 0; round < 2; ++round) {
      RawConnection a(mendd.port(), "127.0.0.2"), b(mendd.port(), "127.0.0.2");
      EXPECT_FALSE(a.closed_within(300ms)) << "round " << round;
      EXPECT_TRUE(b.closed_within(5s)) << "round " << round;
      EXPECT_TRUE(a.closed_within(5s)) << "round " << round;
    }
  }
  std::filesystem::remove_all(dir);
}

TEST(PendingConnections, AnIdleConnectionIsClosedAtTheHandshakeTimeoutAndFreesItsSlot) {
  MenddProcess mendd({"--handshake-timeout-ms", "1000"});
  RawConnection idle(mendd.port(), "127.0.0.2");
  EXPECT_TRUE(idle.closed_within(5s));
  EXPECT_TRUE(metric_reaches(mendd, "mendd_pending_connections", 0 + 1));
}

TEST(PendingConnections, KeepAliveEndsAfter100Requests) {
  MenddProcess mendd;
  RawConnection http(mendd.port(), "127.0.0.2");
  std::string requests;
  for (int i = 0; i < 101; ++i) requests += "GET /healthz HTTP/1.1\r\nHost: mendd\r\n\r\n";
  http.send(requests);
  bool closed = false;
  const std::string got = http.read_until_closed(5s, closed);
  EXPECT_TRUE(closed);
  size_t answers = 0;
  for (size_t at = got.find("HTTP/1.1 200"); at != std::string::npos;
       at = got.find("HTTP/1.1 200", at + 1))
    ++answers;
  EXPECT_EQ(answers, 100u);
  const size_t last = got.rfind("HTTP/1.1 200");
  EXPECT_NE(got.find("Connection: close", last), std::string::npos);
}

}  // namespace
}  // namespace mend::test
