#pragma once
// Helpers for tests that need devices outside a pair, and replacement codes.
#include "e2e.h"

namespace mend::test {

// A new identity, connected and authenticated, in no pair.
inline Device fresh(uint16_t port) {
  Device d{Identity::generate(), TestClient::connect(port)};
  d.conn->authenticate(d.id);
  return d;
}

// A code that lets a new device take the place of `d`'s partner.
inline std::string replace_code(Device& d) {
  auto req = d.conn->frame(d.next_request++);
  req.mutable_request_pairing_code()->set_replace_partner(true);
  d.conn->send(req);
  return d.conn->expect(v1::ServerFrame::kPairingCode).pairing_code().code();
}

}  // namespace mend::test
