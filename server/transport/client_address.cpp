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
  if (a.is_v6() && a.to_v6().is_v4_mapped()) return ip::make_address_v4(ip::v4_mapped, a.to_v6());
  return a;
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

ip::address client_address(const ip::address& peer, std::string_view forwarded_for,
                           const std::vector<AddressRange>& trusted) {
  ip::address client = canonical(peer);
  if (!in_any(trusted, client)) return client;
  size_t hops = 0;
  while (!forwarded_for.empty() && hops++ < kMaxHops) {
    const size_t comma = forwarded_for.rfind(',');
    const std::string_view entry =
        trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for =
        comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
    const auto a = parse_address(entry);
    if (!a) break;  // not an address: the proxy that wrote it is the last we know
    client = *a;
    if (!in_any(trusted, client)) break;
  }
  return client;
}

}  // namespace mend::server
