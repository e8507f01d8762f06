#include <signal.h>

#include <fstream>

#include "stream.h"

namespace mend::test {
namespace {

TEST(Operations, HealthAndMetricsEndpoints) {
  MenddProcess mendd;
  EXPECT_EQ(mendd.http_get("/healthz"), "200\nok\n");
  auto [a, b] = make_pair(mendd.port());
  a.send_stored("count me");
  const std::string metrics = mendd.http_get("/metrics");
  ASSERT_EQ(metrics.substr(0, 4), "200\n");
  for (const char* name :
       {"mendd_connections 2", "mendd_pairs_online 1", "mendd_devices_online 2",
        "mendd_messages_relayed_total{kind=\"stored\"} 1", "mendd_storage_batch_size_count",
        "mendd_storage_commit_seconds_bucket", "mendd_storage_queue_seconds_bucket",
        "mendd_rejections_total{reason=\"auth_failed\"} 0", "mendd_received_bytes_total",
        "mendd_sent_bytes_total", "mendd_pairings_total 1"})
    EXPECT_NE(metrics.find(name), std::string::npos) << name;
  EXPECT_EQ(mendd.http_get("/nope").substr(0, 3), "404");
}

TEST(Operations, GracefulShutdownClosesWithGoingAwayAndKeepsAckedMessages) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  for (int i = 0; i < 20; ++i) a.conn->send(a.envelope("g" + std::to_string(i)));
  for (int i = 0; i < 20; ++i) a.conn->expect(Body::kAck);
  EXPECT_EQ(mendd.stop(SIGTERM), 0);
  EXPECT_EQ(a.conn->wait_closed(), 1001);
  EXPECT_EQ(b.conn->wait_closed(), 1001);
  EXPECT_NE(mendd.log().find("shutting down"), std::string::npos);
  mendd.start();
  b.reconnect(mendd.port());
  subscribe(b, 0);
  EXPECT_EQ(collect(*b.conn, 20).size(), 20u);
}

TEST(Operations, ServesWssWithACertificateMadeHere) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("mend-tls-" + random_id(4).substr(0, 0) + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto [cert, key] = self_signed_certificate(dir);
  {
    MenddProcess mendd({"--tls-cert", cert.string(), "--tls-key", key.string()});
    ConnectOptions tls;
    tls.tls = true;
    auto [a, b] = make_pair(mendd.port(), tls);
    subscribe(b, 0);
    b.conn->expect(Body::kCaughtUp);
    a.send_stored("over tls");
    EXPECT_EQ(collect(*b.conn, 1).at(0).envelope().ciphertext(), "over tls");
    // Plain ws on a TLS port gets nowhere.
    EXPECT_THROW(TestClient::connect(mendd.port()), std::exception);
  }
  std::filesystem::remove_all(dir);
}

TEST(Operations, OneMenddPerDataDirectory) {
  MenddProcess first;
  try {
    MenddProcess second({}, first.data_dir());
    FAIL() << "a second mendd started on the same data directory";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("already using the data directory"), std::string::npos)
        << e.what();
  }
  auto [a, b] = make_pair(first.port());
  EXPECT_EQ(a.send_stored("still served").sequence(), 1u);
}

TEST(Operations, BadSettingsLeaveNoDatabaseBehind) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mend-bad-" + std::to_string(::getpid()));
  try {
    MenddProcess mendd({"--tls-cert", "/nonexistent/cert.pem", "--tls-key", "/nonexistent/key.pem"},
                       dir);
    FAIL() << "mendd started without its TLS files";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot load TLS certificate"), std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "mendd.sqlite3"));
  std::filesystem::remove_all(dir);
}

TEST(Operations, ShippedExampleConfigIsValid) {
  // deploy/mendd.toml as shipped; the flags the launcher adds (port, data dir) win over it.
  MenddProcess mendd({"--config", std::string(MEND_SOURCE_DIR) + "/deploy/mendd.toml"});
  auto [a, b] = make_pair(mendd.port());
  EXPECT_EQ(a.send_stored("configured").sequence(), 1u);
  EXPECT_NE(mendd.log().find("durability full"), std::string::npos);
}

TEST(Operations, ConfigFileIsReadAndMistakesAreExplained) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mend-conf-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream(dir / "good.toml") << "max_connections_per_ip = 1\ndurability = \"normal\"\n";
    MenddProcess mendd({"--config", (dir / "good.toml").string()});
    auto one = TestClient::connect(mendd.port());
    EXPECT_THROW(TestClient::connect(mendd.port()), std::runtime_error);
    EXPECT_NE(mendd.log().find("durability normal"), std::string::npos);
  }
  std::ofstream(dir / "bad.toml") << "listen_port = 1\nmax_frame_byte = 10\n";
  try {
    MenddProcess mendd({"--config", (dir / "bad.toml").string()});
    FAIL() << "mendd started with an unknown setting";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("unknown setting 'max_frame_byte'"), std::string::npos)
        << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mend::test
