#include "transport/client_address.h"

#include <array>
#include <charconv>
#include <stdexcept>

namespace mend::server {

namespace ip = boost::asio::ip;

namespace {

constexpr size_t kMaxHops = 32;  // entries of X-Forwarded-For looked at, from the right

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::optional<ip::address> parse_address(std::string_view text) {
  boost::system::error_code ec;
  ip::address a = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  return canonical(a);
}

bool all_digits(std::string_view s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// An X-Forwarded-For entry: an address, "a.b.c.d:port" or "[v6]:port".
std::optional<ip::address> parse_entry(std::string_view e) {
  if (!e.empty() && e.front() == '[') {
    const size_t close = e.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    const std::string_view rest = e.substr(close + 1);
    if (!rest.empty() && !(rest.front() == ':' && all_digits(rest.substr(1)))) return std::nullopt;
    return parse_address(e.substr(1, close - 1));
  }
  if (const size_t colon = e.find(':');
      colon != std::string_view::npos && e.find(':', colon + 1) == std::string_view::npos) {
    if (!all_digits(e.substr(colon + 1))) return std::nullopt;
    e = e.substr(0, colon);  // IPv4 with a port (an IPv6 address has several colons)
  }
  return parse_address(e);
}

std::array<unsigned char, 16> bytes_of(const ip::address& a) {
  std::array<unsigned char, 16> out{};
  if (a.is_v4()) {
    const auto b = a.to_v4().to_bytes();
    std::copy(b.begin(), b.end(), out.begin());
  } else {
    out = a.to_v6().to_bytes();
  }
  return out;
}

}  // namespace

ip::address canonical(const ip::address& a) {
  if (!a.is_v6()) return a;
  ip::address_v6 v6 = a.to_v6();
  if (v6.is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, v6);
  v6.scope_id(0);
  return v6;
}

bool AddressRange::contains(const ip::address& raw) const {
  const ip::address a = canonical(raw);
  if (a.is_v4() != network.is_v4()) return false;
  const auto want = bytes_of(network), have = bytes_of(a);
  const unsigned full = prefix / 8, rest = prefix % 8;
  for (unsigned i = 0; i < full; ++i)
    if (want[i] != have[i]) return false;
  if (rest == 0) return true;
  const auto mask = static_cast<unsigned char>(0xFF << (8 - rest));
  return (want[full] & mask) == (have[full] & mask);
}

std::optional<AddressRange> parse_range(std::string_view text) {
  text = trim(text);
  const size_t slash = text.find('/');
  const auto address = parse_address(text.substr(0, slash));
  if (!address) return std::nullopt;
  const unsigned bits = address->is_v4() ? 32 : 128;
  unsigned prefix = bits;
  if (slash != std::string_view::npos) {
    const std::string_view p = text.substr(slash + 1);
    const auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || end != p.data() + p.size() || p.empty() || prefix > bits)
      return std::nullopt;
  }
  return AddressRange{*address, prefix};
}

std::vector<AddressRange> parse_ranges(const std::vector<std::string>& texts,
                                       std::string_view setting) {
  std::vector<AddressRange> out;
  for (const std::string& t : texts) {
    auto r = parse_range(t);
    if (!r)
      throw std::runtime_error(std::string(setting) + ": '" + t +
                               "' is not an address or address/prefix (for example 10.0.0.0/8 "
                               "or ::1)");
    out.push_back(*r);
  }
  return out;
}

bool in_any(const std::vector<AddressRange>& ranges, const ip::address& a) {
  for (const AddressRange& r : ranges)
    if (r.contains(a)) return true;
  return false;
}

Client client_address(const ip::address& peer, std::string_view forwarded_for,
                      const std::vector<AddressRange>& trusted) {
  Client c{canonical(peer), false};
  if (!in_any(trusted, c.address)) return c;
  c.unresolved = !trim(forwarded_for).empty();
  size_t hops = 0;
  while (!forwarded_for.empty() && hops++ < kMaxHops) {
    const size_t comma = forwarded_for.rfind(',');
    const std::string_view entry =
        trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for =
        comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
    if (entry.empty()) continue;
    const auto a = parse_entry(entry);
    if (!a) break;  // not an address: the proxy that wrote it is the last we know
    c.address = *a;
    if (!in_any(trusted, c.address)) {
      c.unresolved = false;
      break;
    }
  }
  return c;
}

}  // namespace mend::server
