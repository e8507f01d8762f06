// mendd behind a reverse proxy: which address a connection counts as
// (trusted_proxies and X-Forwarded-For), and who may read /metrics.
#include "devices.h"
#include "e2e.h"

namespace mend::test {
namespace {

ConnectOptions via_proxy(const std::string& client) {
  ConnectOptions o;
  o.forwarded_for = client;
  return o;
}

TEST(Proxy, ATrustedProxysClientsEachGetTheirOwnConnectionCap) {
  MenddProcess mendd({"--trusted-proxy", "127.0.0.0/8", "--max-connections-per-ip", "1"});
  Device one = fresh(mendd.port(), via_proxy("198.51.100.1"));
  Device two = fresh(mendd.port(), via_proxy("198.51.100.2"));
  // The same client again is over its cap of one.
  try {
    TestClient::connect(mendd.port(), via_proxy("198.51.100.1"));
    ADD_FAILURE() << "a second connection of 198.51.100.1 was admitted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("503"), std::string::npos) << e.what();
  }
  // A client further down a chain of proxies is still told apart, and a
  // connection without the header counts as the proxy itself.
  Device three = fresh(mendd.port(), via_proxy("198.51.100.3, 127.0.0.9"));
  Device proxy_itself = fresh(mendd.port());
  EXPECT_EQ(mendd.metric("mendd_rejections_total{reason=\"per_ip_cap\"}"), 1);

  // The cap is released under the client's address when its connection ends.
  one.conn->close();
  EXPECT_TRUE(eventually([&] { fresh(mendd.port(), via_proxy("198.51.100.1")); }));
}

TEST(Proxy, AnUntrustedPeerCannotClaimAnotherAddress) {
  MenddProcess mendd({"--max-connections-per-ip", "1"});
  Device one = fresh(mendd.port(), via_proxy("198.51.100.1"));
  EXPECT_THROW(TestClient::connect(mendd.port(), via_proxy("198.51.100.2")), std::runtime_error);
  EXPECT_EQ(mendd.metric("mendd_rejections_total{reason=\"per_ip_cap\"}"), 1);
}

TEST(Proxy, PairingAttemptsAreLimitedPerClientNotPerProxy) {
  MenddProcess mendd({"--trusted-proxy", "127.0.0.1", "--pairing-attempts-per-minute", "2"});
  Device noisy = fresh(mendd.port(), via_proxy("198.51.100.1"));
  for (int i = 0; i < 2; ++i)
    EXPECT_EQ(redeem(noisy, "9-no-such").error().code(), v1::ERROR_CODE_CODE_NOT_FOUND);
  EXPECT_EQ(redeem(noisy, "9-no-such").error().code(), v1::ERROR_CODE_RATE_LIMITED);
  // Another user behind the same proxy still pairs.
  Device a = fresh(mendd.port(), via_proxy("198.51.100.2"));
  Device b = fresh(mendd.port(), via_proxy("198.51.100.3"));
  const std::string code = request_code(a);
  EXPECT_EQ(redeem(b, code).body_case(), Body::kPaired);
}

TEST(Proxy, MetricsAreServedOnlyToAllowedAddresses) {
  {
    MenddProcess mendd({"--metrics-allow", "10.0.0.0/8"});
    EXPECT_EQ(mendd.http_get("/metrics").substr(0, 4), "403\n");
    EXPECT_EQ(mendd.http_get("/metrics", "X-Forwarded-For: 10.1.2.3\r\n").substr(0, 4), "403\n")
        << "only a trusted proxy may name the client";
    EXPECT_EQ(mendd.http_get("/healthz"), "200\nok\n") << "health checks stay open";
  }
  {
    MenddProcess mendd({"--metrics-allow", "10.0.0.0/8", "--metrics-allow", "::1",
                        "--trusted-proxy", "127.0.0.1"});
    const std::string via_proxy = mendd.http_get("/metrics", "X-Forwarded-For: 10.1.2.3\r\n");
    EXPECT_EQ(via_proxy.substr(0, 4), "200\n");
    EXPECT_NE(via_proxy.find("mendd_connections"), std::string::npos);
    EXPECT_EQ(mendd.http_get("/metrics", "X-Forwarded-For: 203.0.113.1\r\n").substr(0, 4), "403\n");
    // Several header lines are one list, in order: the last entry is the proxy's.
    EXPECT_EQ(
        mendd.http_get("/metrics", "X-Forwarded-For: 203.0.113.1\r\nX-Forwarded-For: 10.1.2.3\r\n")
            .substr(0, 4),
        "200\n");
    EXPECT_EQ(
        mendd.http_get("/metrics", "X-Forwarded-For: 10.1.2.3\r\nX-Forwarded-For: 203.0.113.1\r\n")
            .substr(0, 4),
        "403\n");
  }
  {
    // The proxy runs next to mendd, and so does the scraper.
    MenddProcess mendd({"--metrics-allow", "127.0.0.1", "--trusted-proxy", "127.0.0.1"});
    EXPECT_EQ(mendd.http_get("/metrics").substr(0, 4), "200\n") << "the local scraper";
    // A request through the proxy whose header names nobody is not the proxy's own.
    for (const char* header : {"X-Forwarded-For: unknown\r\n", "X-Forwarded-For: 127.0.0.1\r\n",
                               "X-Forwarded-For: _hidden, 127.0.0.1\r\n"})
      EXPECT_EQ(mendd.http_get("/metrics", header).substr(0, 4), "403\n") << header;
  }
}

TEST(Proxy, BadAddressSettingsAreRefusedAtStart) {
  for (const char* flag : {"--trusted-proxy", "--metrics-allow"}) {
    try {
      MenddProcess mendd({flag, "10.0.0.0/33"});
      ADD_FAILURE() << "mendd started with " << flag << " 10.0.0.0/33";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("'10.0.0.0/33' is not an address or address/prefix"),
                std::string::npos)
          << e.what();
    }
  }
}

}  // namespace
}  // namespace mend::test
