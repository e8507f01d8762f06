#pragma once
// Helpers for tests that need devices outside a pair, pairing codes, and replacement codes.
#include "e2e.h"

namespace mend::test {

// A new identity, connected and authenticated, in no pair.
inline Device fresh(uint16_t port, ConnectOptions options = {}) {
  Device d{Identity::generate(), TestClient::connect(port, std::move(options))};
  d.conn->authenticate(d.id);
  return d;
}

// A pairing code for `d` (fails the test if the server answers otherwise).
inline std::string request_code(Device& d) {
  auto f = d.conn->frame(d.next_request++);
  f.mutable_request_pairing_code();
  d.conn->send(f);
  return d.conn->expect(v1::ServerFrame::kPairingCode).pairing_code().code();
}

// The server's answer to `d` redeeming `code`.
inline v1::ServerFrame redeem(Device& d, const std::string& code) {
  auto f = d.conn->frame(d.next_request++);
  f.mutable_redeem_pairing_code()->set_code(code);
  d.conn->send(f);
  return d.conn->next();
}

// A code that lets a new device take the place of `d`'s partner.
inline std::string replace_code(Device& d) {
  auto req = d.conn->frame(d.next_request++);
  req.mutable_request_pairing_code()->set_replace_partner(true);
  d.conn->send(req);
  return d.conn->expect(v1::ServerFrame::kPairingCode).pairing_code().code();
}

}  // namespace mend::test
