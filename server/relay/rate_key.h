#pragma once

#include <string>

namespace mend::server {

// The key of a client address's per-address rate limits. An IPv4 address (also
// IPv4-mapped IPv6, "::ffff:a.b.c.d") is its own key. An IPv6 address counts as
// its /64 network ("2001:db8:1:2::/64"): one host usually holds a whole /64, so
// per-address buckets would let it take 2^64 of them. Anything else is used as
// it is.
std::string rate_key(const std::string& ip);

}  // namespace mend::server
