#include "transport/client_address.h"

#include <gtest/gtest.h>

#include <stdexcept>

using namespace mend::server;
namespace ip = boost::asio::ip;

namespace {

ip::address A(const char* s) { return ip::make_address(s); }

std::vector<AddressRange> ranges(std::initializer_list<const char*> texts) {
  std::vector<std::string> v(texts.begin(), texts.end());
  return parse_ranges(v, "test");
}

std::string client(const char* peer, const char* xff, std::initializer_list<const char*> trusted) {
  return client_address(A(peer), xff, ranges(trusted)).address.to_string();
}

bool unresolved(const char* peer, const char* xff, std::initializer_list<const char*> trusted) {
  return client_address(A(peer), xff, ranges(trusted)).unresolved;
}

}  // namespace

TEST(AddressRange, ParsesAddressesAndNetworks) {
  EXPECT_TRUE(parse_range("10.0.0.0/8"));
  EXPECT_TRUE(parse_range("192.0.2.7"));
  EXPECT_TRUE(parse_range(" fd00::/8 "));
  EXPECT_TRUE(parse_range("::1"));
  EXPECT_TRUE(parse_range("0.0.0.0/0"));
  for (const char* bad : {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8x", "10.0.0/8",
                          "example.org", "10.0.0.0/-1", "/8"})
    EXPECT_FALSE(parse_range(bad)) << bad;
}

TEST(AddressRange, MatchesByPrefix) {
  const auto net = *parse_range("10.1.0.0/16");
  EXPECT_TRUE(net.contains(A("10.1.255.3")));
  EXPECT_FALSE(net.contains(A("10.2.0.1")));
  EXPECT_FALSE(net.contains(A("::1")));  // another family
  const auto odd = *parse_range("192.168.4.0/23");
  EXPECT_TRUE(odd.contains(A("192.168.5.200")));
  EXPECT_FALSE(odd.contains(A("192.168.6.1")));
  const auto host = *parse_range("2001:db8::1");
  EXPECT_TRUE(host.contains(A("2001:db8::1")));
  EXPECT_FALSE(host.contains(A("2001:db8::2")));
  EXPECT_TRUE(parse_range("0.0.0.0/0")->contains(A("203.0.113.9")));
}

TEST(AddressRange, MappedIpv6IsIpv4) {
  EXPECT_TRUE(parse_range("127.0.0.0/8")->contains(A("::ffff:127.0.0.1")));
  EXPECT_EQ(canonical(A("::ffff:192.0.2.1")).to_string(), "192.0.2.1");
  EXPECT_TRUE(parse_range("::ffff:10.0.0.1")->contains(A("10.0.0.1")));
}

TEST(AddressRange, BadSettingIsNamed) {
  try {
    parse_ranges({"10.0.0.0/8", "nonsense"}, "trusted_proxies");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("trusted_proxies: 'nonsense'"), std::string::npos)
        << e.what();
  }
}

TEST(ClientAddress, AnUntrustedPeerIsTheClientWhateverItSends) {
  EXPECT_EQ(client("203.0.113.5", "198.51.100.1", {}), "203.0.113.5");
  EXPECT_EQ(client("203.0.113.5", "198.51.100.1", {"10.0.0.0/8"}), "203.0.113.5");
  EXPECT_FALSE(unresolved("203.0.113.5", "junk", {"10.0.0.0/8"}));
}

TEST(ClientAddress, ATrustedProxyNamesTheClient) {
  EXPECT_EQ(client("10.0.0.2", "198.51.100.1", {"10.0.0.0/8"}), "198.51.100.1");
  EXPECT_EQ(client("10.0.0.2", " 198.51.100.1 ", {"10.0.0.0/8"}), "198.51.100.1");
  EXPECT_EQ(client("::1", "2001:db8::7", {"::1"}), "2001:db8::7");
}

TEST(ClientAddress, WithoutTheHeaderTheProxyIsTheClient) {
  EXPECT_EQ(client("10.0.0.2", "", {"10.0.0.0/8"}), "10.0.0.2");
  EXPECT_FALSE(unresolved("10.0.0.2", "", {"10.0.0.0/8"}));
}

TEST(ClientAddress, ChainsAreReadFromTheRightThroughTrustedProxies) {
  // client -> proxy 10.0.0.9 -> proxy 10.0.0.2 -> mendd
  EXPECT_EQ(client("10.0.0.2", "198.51.100.1, 10.0.0.9", {"10.0.0.0/8"}), "198.51.100.1");
  // The client sent its own header naming someone else: that entry is to the
  // left of the address the proxy appended, and is not believed.
  EXPECT_EQ(client("10.0.0.2", "192.0.2.66, 198.51.100.1", {"10.0.0.0/8"}), "198.51.100.1");
  // Everyone in the chain is a trusted proxy: the leftmost one, and no client is known.
  EXPECT_EQ(client("10.0.0.2", "10.0.0.7, 10.0.0.9", {"10.0.0.0/8"}), "10.0.0.7");
  EXPECT_TRUE(unresolved("10.0.0.2", "10.0.0.7, 10.0.0.9", {"10.0.0.0/8"}));
  EXPECT_FALSE(unresolved("10.0.0.2", "198.51.100.1, 10.0.0.9", {"10.0.0.0/8"}));
}

TEST(ClientAddress, EmptyEntriesAreSkippedAndPortsDropped) {
  EXPECT_EQ(client("10.0.0.2", "198.51.100.1, , 10.0.0.9,", {"10.0.0.0/8"}), "198.51.100.1");
  EXPECT_EQ(client("10.0.0.2", "198.51.100.1:4711", {"10.0.0.0/8"}), "198.51.100.1");
  EXPECT_EQ(client("10.0.0.2", "[2001:db8::7]:4711", {"10.0.0.0/8"}), "2001:db8::7");
  EXPECT_EQ(client("10.0.0.2", "[2001:db8::7]", {"10.0.0.0/8"}), "2001:db8::7");
  EXPECT_EQ(client("10.0.0.2", "2001:db8::7", {"10.0.0.0/8"}), "2001:db8::7");
}

TEST(ClientAddress, GarbageStopsAtTheProxyThatWroteIt) {
  for (const char* junk : {"unknown", "198.51.100.1:port", "[2001:db8::7", "[2001:db8::7]x",
                           "198.51.100.1:", "_hidden", "for=198.51.100.1"}) {
    EXPECT_EQ(client("10.0.0.2", junk, {"10.0.0.0/8"}), "10.0.0.2") << junk;
    EXPECT_TRUE(unresolved("10.0.0.2", junk, {"10.0.0.0/8"})) << junk;
  }
  EXPECT_EQ(client("10.0.0.2", "198.51.100.1, junk, 10.0.0.9", {"10.0.0.0/8"}), "10.0.0.9");
  EXPECT_EQ(client("10.0.0.2", ",,,", {"10.0.0.0/8"}), "10.0.0.2");
  EXPECT_TRUE(unresolved("10.0.0.2", ",,,", {"10.0.0.0/8"}));
}

TEST(ClientAddress, AtMostTheLast32EntriesAreRead) {
  auto chain = [](int proxies) {
    std::string c = "198.51.100.1";
    for (int i = 0; i < proxies; ++i) c += ", 10.0.0." + std::to_string(i + 1);
    return c;
  };
  EXPECT_EQ(client("10.0.0.200", chain(31).c_str(), {"10.0.0.0/8"}), "198.51.100.1");
  EXPECT_EQ(client("10.0.0.200", chain(32).c_str(), {"10.0.0.0/8"}), "10.0.0.1");
  EXPECT_TRUE(unresolved("10.0.0.200", chain(32).c_str(), {"10.0.0.0/8"}));
}

TEST(ClientAddress, MappedPeersCountAsIpv4AndZonesAreDropped) {
  EXPECT_EQ(client("::ffff:203.0.113.5", "", {}), "203.0.113.5");
  EXPECT_EQ(client("::ffff:10.0.0.2", "198.51.100.1", {"10.0.0.0/8"}), "198.51.100.1");
  EXPECT_EQ(client("10.0.0.2", "fe80::1%5", {"10.0.0.0/8"}), "fe80::1");
  EXPECT_EQ(client("10.0.0.2", "fe80::1%5", {"10.0.0.0/8"}),
            client("10.0.0.2", "fe80::1%6", {"10.0.0.0/8"}));
}
