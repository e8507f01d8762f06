#include "config/config.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "temp_dir.h"

namespace mend::server {
namespace {

TEST(Config, DefaultsAreValid) { EXPECT_EQ(validate(Config{}), ""); }

TEST(Config, FileOverridesDefaults) {
  mend::test::TempDir dir;
  std::ofstream(dir.path / "m.toml") << "listen_port = 9000\n"
                                        "durability = \"off\"\n"
                                        "messages_per_second = 2.5\n"
                                        "allowed_origins = [\"https://a\", \"https://b\"]\n"
                                        "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n"
                                        "metrics_allow = [\"127.0.0.1\"]\n";
  Config c;
  load_config_file(dir.path / "m.toml", c);
  EXPECT_EQ(c.listen_port, 9000);
  EXPECT_EQ(c.durability, Durability::off);
  EXPECT_DOUBLE_EQ(c.messages_per_second, 2.5);
  ASSERT_EQ(c.allowed_origins.size(), 2u);
  EXPECT_EQ(c.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_EQ(c.metrics_allow, std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(validate(c), "");
  EXPECT_EQ(c.max_frame_bytes, 256u * 1024) << "untouched settings keep their defaults";
}

TEST(Config, MistakesNameTheLineAndKey) {
  mend::test::TempDir dir;
  auto expect_error = [&](const std::string& text, const std::string& fragment) {
    std::ofstream(dir.path / "bad.toml") << text;
    Config c;
    try {
      load_config_file(dir.path / "bad.toml", c);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error("\n\nlisten_prot = 1\n", ":3: unknown setting 'listen_prot'");
  expect_error("listen_port = \"x\"\n", "'listen_port' must be");
  expect_error("listen_port = 70000\n", "'listen_port' must be");
  expect_error("durability = \"sometimes\"\n", "\"full\", \"normal\" or \"off\"");
  expect_error("listen_port = = 3\n", ":1:");
  expect_error("trusted_proxies = \"10.0.0.1\"\n", "'trusted_proxies' must be an array of strings");
}

TEST(Config, ValidateCatchesInconsistentLimits) {
  Config c;
  c.queue_low_bytes = c.queue_high_bytes;
  EXPECT_NE(validate(c), "");
  c = Config{};
  c.tls_certificate = "/x.pem";
  EXPECT_NE(validate(c), "");
  c = Config{};
  c.max_frame_bytes = 100;
  EXPECT_NE(validate(c), "");
  c = Config{};
  c.messages_per_second = std::nan("");
  EXPECT_EQ(validate(c), "messages_per_second and message_burst must be positive");
  c = Config{};
  c.metrics_allow = {"127.0.0.1", "localhost"};
  EXPECT_EQ(validate(c),
            "metrics_allow: 'localhost' is not an address or address/prefix (for example "
            "10.0.0.0/8 or ::1)");
}

}  // namespace
}  // namespace mend::server
