#include "relay/rate_key.h"

#include <arpa/inet.h>

#include <cstring>

namespace mend::server {

std::string rate_key(const std::string& ip) {
  unsigned char a[16];
  if (inet_pton(AF_INET6, ip.c_str(), a) != 1) return ip;
  static constexpr unsigned char kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (std::memcmp(a, kMapped, sizeof kMapped) == 0) {
    char v4[INET_ADDRSTRLEN];
    if (inet_ntop(AF_INET, a + 12, v4, sizeof v4)) return v4;
    return ip;
  }
  std::memset(a + 8, 0, 8);
  char net[INET6_ADDRSTRLEN];
  if (!inet_ntop(AF_INET6, a, net, sizeof net)) return ip;
  return std::string(net) + "/64";
}

}  // namespace mend::server
