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
// counts the same on a dual-stack listener.
boost::asio::ip::address canonical(const boost::asio::ip::address& a);

// The client's address for a request from `peer` carrying `forwarded_for`
// (every X-Forwarded-For header, joined with commas; empty if none).
// Unless `peer` is in `trusted`, that is `peer`. Otherwise the chain is read
// from the right, as each trusted proxy appended the address it received
// from: the first entry that is not itself a trusted proxy is the client. An
// entry that is not a plain address ends the walk at the proxy that wrote it,
// so a client cannot make itself look like someone else by sending its own
// header; it can only add entries to the left of what its proxy appends.
boost::asio::ip::address client_address(const boost::asio::ip::address& peer,
                                        std::string_view forwarded_for,
                                        const std::vector<AddressRange>& trusted);

}  // namespace mend::server
