// libmend-client's Session against a real mendd: wss with certificate checks, and
// ephemeral envelopes (presence and the like) sealed, relayed and checked.

#include <thread>

#include "e2e.h"
#include "mend/client/conversation.h"
#include "mend/client/envelope_crypto.h"
#include "mend/client/error.h"
#include "mend/client/keystore.h"
#include "mend/client/receiver.h"
#include "mend/client/session.h"
#include "mend/common/hex.h"

namespace mend::test {
namespace {

namespace mc = mend::client;

struct TempPath {
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / ("mend-session-" + to_hex(random_bytes(6)));
  TempPath() { std::filesystem::create_directories(path); }
  ~TempPath() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

TEST(ClientSession, WssChecksTheServerCertificate) {
  TempPath dir;
  const auto cert = dir.path / "cert.pem", key = dir.path / "key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
      key.string() + " -out " + cert.string() +
      " -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 2>/dev/null";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << "openssl could not make a certificate";
  MenddProcess mendd({"--tls-cert", cert.string(), "--tls-key", key.string()});
  const auto url = mc::parse_server_url("wss://127.0.0.1:" + std::to_string(mendd.port()) + "/v1");
  const auto id = mc::DeviceIdentity::generate();

  // Trusted through --ca-file: authenticated over TLS.
  mc::TransportOptions trusted;
  trusted.ca_file = cert.string();
  auto s = mc::Session::connect(url, id, trusted);
  EXPECT_EQ(s->authenticated().device_id, id.device_id());

  // Self-signed and not trusted: refused before anything is sent.
  try {
    mc::Session::connect(url, id);
    ADD_FAILURE() << "an untrusted certificate was accepted";
  } catch (const mc::Error& e) {
    EXPECT_EQ(e.code(), mc::Errc::kServerUnreachable) << e.what();
  }
}

TEST(ClientSession, EphemeralEnvelopesAreSealedRelayedAndChecked) {
  TempPath dir;
  MenddProcess mendd;
  const auto url = mc::parse_server_url("ws://127.0.0.1:" + std::to_string(mendd.port()) + "/v1");
  auto a = mc::Keystore::create(dir.path / "a", "pw", mc::PwhashLimits::interactive());
  auto b = mc::Keystore::create(dir.path / "b", "pw", mc::PwhashLimits::interactive());
  auto sa = mc::Session::connect(url, a.identity());
  auto sb = mc::Session::connect(url, b.identity());
  const mc::PairedEvent paired = sb->redeem_pairing_code(sa->request_pairing_code().code);
  SecretBytes root = SecretBytes::random(32);
  for (auto* ks : {&a, &b}) {
    mc::PairRecord p;
    const auto& other = ks == &a ? b : a;
    p.pair_id = paired.pair_id;
    p.partner_device_id = other.identity().device_id();
    p.partner_identity_key = other.identity().signing_public_key();
    p.pair_root_key = root.clone();
    p.epoch_keys.emplace(1, mc::epoch_key_from_root(root, 1));
    p.current_epoch = 1;
    ks->set_pair(std::move(p));
  }
  mc::HistoryStore ha(dir.path / "a.h", a.local_store_key(), paired.pair_id);
  mc::HistoryStore hb(dir.path / "b.h", b.local_store_key(), paired.pair_id);
  mc::Conversation(a, ha).send_ephemeral(*sa, "typing");

  mc::Receiver rx(
      hb, mc::ReceiveContext{paired.pair_id, a.identity().device_id(), &b.pair()->epoch_keys});
  const auto deadline = std::chrono::steady_clock::now() + 5s;
  while (rx.ephemeral_accepted() == 0 && std::chrono::steady_clock::now() < deadline)
    if (auto e = sb->next_event(100ms))
      if (auto* d = std::get_if<mc::DeliveredEvent>(&*e)) {
        EXPECT_EQ(d->sequence, 0u);
        EXPECT_EQ(d->ciphertext.find("typing"), std::string::npos) << "sealed";
        rx.on_event(*d);
      }
  EXPECT_EQ(rx.ephemeral_accepted(), 1u);
  EXPECT_TRUE(rx.problems().empty());
  EXPECT_TRUE(hb.messages().empty()) << "ephemeral envelopes are never stored";
}

// mendd answers only the first of two simultaneous Unpairs (the second device gets
// the partner's PairEnded instead); Session::unpair must not wait for more.
TEST(ClientSession, BothPartnersUnpairingAtOnceFinishQuickly) {
  MenddProcess mendd;
  const auto url = mc::parse_server_url("ws://127.0.0.1:" + std::to_string(mendd.port()) + "/v1");
  const auto ia = mc::DeviceIdentity::generate(), ib = mc::DeviceIdentity::generate();
  auto sa = mc::Session::connect(url, ia);
  auto sb = mc::Session::connect(url, ib);
  sb->redeem_pairing_code(sa->request_pairing_code().code);
  sa->set_request_timeout(5s);
  sb->set_request_timeout(5s);
  const auto start = std::chrono::steady_clock::now();
  std::thread other([&] { EXPECT_NO_THROW(sb->unpair()); });
  EXPECT_NO_THROW(sa->unpair());
  other.join();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(count_rows(mendd.database(), "pairs"), 0);
}

}  // namespace
}  // namespace mend::test
