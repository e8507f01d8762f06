#include "relay/rate_key.h"

#include <gtest/gtest.h>

namespace mend::server {
namespace {

TEST(RateKey, Ipv4IsItsOwnKey) {
  EXPECT_EQ(rate_key("127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(rate_key("203.0.113.9"), "203.0.113.9");
}

TEST(RateKey, Ipv4MappedIpv6CountsAsTheIpv4Address) {
  EXPECT_EQ(rate_key("::ffff:203.0.113.9"), "203.0.113.9");
}

TEST(RateKey, Ipv6CountsAsItsSlash64) {
  EXPECT_EQ(rate_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd"), "2001:db8:1:2::/64");
  EXPECT_EQ(rate_key("2001:db8:1:2::1"), rate_key("2001:db8:1:2:ffff::9"));
  EXPECT_NE(rate_key("2001:db8:1:2::1"), rate_key("2001:db8:1:3::1"));
  EXPECT_EQ(rate_key("::1"), "::/64");
}

TEST(RateKey, AnythingElseIsUsedAsItIs) { EXPECT_EQ(rate_key("not an address"), "not an address"); }

}  // namespace
}  // namespace mend::server
