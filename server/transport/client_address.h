#pragma once

#include <boost/asio/ip/address.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

// Which address a connection is "from", for the per-address connection cap,
// the pairing rate limit, logs and the /metrics allow-list: the TCP peer, or,
// when the peer is a proxy the operator trusts, the client it names in
// X-Forwarded-For.
namespace mend::server {

// An address or a network: "10.0.0.0/8", "192.0.2.7", "fd00::/8", "::1".
struct AddressRange {
  boost::asio::ip::address network;
  unsigned prefix = 0;  // leading bits that must match
  bool contains(const boost::asio::ip::address& a) const;
};

// nullopt if `text` is not an address, optionally followed by /prefix within
// the family's length (32 or 128).
std::optional<AddressRange> parse_range(std::string_view text);

// Parses every entry; throws std::runtime_error naming `setting` and the bad entry.
std::vector<AddressRange> parse_ranges(const std::vector<std::string>& texts,
                                       std::string_view setting);

bool in_any(const std::vector<AddressRange>& ranges, const boost::asio::ip::address& a);

// IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) as plain IPv4, so that one client
// counts the same on a dual-stack listener; IPv6 zones (%eth0) dropped.
boost::asio::ip::address canonical(const boost::asio::ip::address& a);

struct Client {
  boost::asio::ip::address address;
  // A trusted proxy sent X-Forwarded-For, but it named nobody outside the
  // trusted proxies (only proxies, or entries that are not addresses):
  // `address` is a proxy's, not the client's.
  bool unresolved = false;
};

// The client of a request from `peer` carrying `forwarded_for` (every
// X-Forwarded-For header, joined with commas in order; empty if none).
// Unless `peer` is in `trusted`, that is `peer`. Otherwise the chain is read
// from the right, as each trusted proxy appended the address it received
// from: the first entry that is not itself a trusted proxy is the client.
// Empty entries are skipped; a port ("192.0.2.1:4711", "[2001:db8::1]:4711")
// is dropped; an entry that is still not an address ends the walk at the proxy
// that wrote it. At most the last 32 entries are read. A client's own entries
// are to the left of what its proxy appends, so they are never reached, as
// long as every trusted proxy appends to (or replaces) the header.
Client client_address(const boost::asio::ip::address& peer, std::string_view forwarded_for,
                      const std::vector<AddressRange>& trusted);

}  // namespace mend::server
