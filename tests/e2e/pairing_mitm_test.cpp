// A relay in the middle of a pairing: it runs its own commit-then-reveal with each
// side (claiming the other side's identity key), as a malicious mendd could. The
// partners' words then differ, the comparison fails and both devices stop.

#include <future>
#include <mutex>
#include <thread>

#include "e2e.h"
#include "mend/client/error.h"
#include "mend/client/keystore.h"
#include "mend/client/pairing.h"
#include "mend/client/pairing_flow.h"
#include "mend/client/sas.h"
#include "mend/client/session.h"
#include "mend/common/hex.h"
#include "mend/v1/pairing.pb.h"

namespace mend::test {
namespace {

namespace mc = mend::client;
namespace pp = mend::v1::pairing;

// The attacker: toward A it plays the joiner, toward B the initiator, each time with
// the victim's identity key and its own ephemeral key. Shared by both connections.
class Interceptor {
 public:
  Interceptor(std::string ik_a, std::string ik_b)
      : ik_a_(std::move(ik_a)), ik_b_(std::move(ik_b)) {}

  // The relay sees the code in Paired, like everything else.
  void on_paired(const std::string& code) {
    std::lock_guard lock(mu_);
    if (to_a_) return;
    to_a_.emplace(mc::PairingState::begin(mc::PairingRole::kJoiner, code, ik_b_));
    to_b_.emplace(mc::PairingState::begin(mc::PairingRole::kInitiator, code, ik_a_));
  }

  // A payload on its way to A (from B), or to B (from A): what the victim gets instead.
  std::string rewrite(const std::string& payload, bool to_a) {
    std::lock_guard lock(mu_);
    pp::PairingPayload p;
    if (!p.ParseFromString(payload) || !to_a_) return payload;
    pp::PairingPayload out;
    out.set_version(1);
    if (to_a && p.has_commitment()) {
      to_b_->accept_commitment(p.commitment().commitment());
      out.mutable_commitment()->set_commitment(to_a_->commitment());
    } else if (!to_a && p.has_reveal()) {
      to_a_->accept_reveal(
          {p.reveal().ephemeral_public_key(), p.reveal().nonce(), p.reveal().identity_key()});
      set(out, to_b_->own_reveal());
    } else if (to_a && p.has_reveal()) {
      to_b_->accept_reveal(
          {p.reveal().ephemeral_public_key(), p.reveal().nonce(), p.reveal().identity_key()});
      set(out, to_a_->own_reveal());
    } else {
      return payload;  // confirmations and aborts pass as they are
    }
    ++rewritten_;
    return out.SerializeAsString();
  }
  int rewritten() {
    std::lock_guard lock(mu_);
    return rewritten_;
  }

 private:
  static void set(pp::PairingPayload& out, const mc::PairingReveal& r) {
    out.mutable_reveal()->set_ephemeral_public_key(r.ephemeral_public_key);
    out.mutable_reveal()->set_nonce(r.nonce);
    out.mutable_reveal()->set_identity_key(r.identity_key);
  }
  std::mutex mu_;
  std::string ik_a_, ik_b_;
  std::optional<mc::PairingState> to_a_, to_b_;
  int rewritten_ = 0;
};

class MiddleTransport : public mc::Transport {
 public:
  MiddleTransport(std::unique_ptr<mc::Transport> inner, Interceptor& x, bool is_a)
      : inner_(std::move(inner)), x_(x), is_a_(is_a) {}
  void send(std::string_view m) override { inner_->send(m); }
  std::optional<std::string> receive(std::chrono::milliseconds timeout) override {
    auto m = inner_->receive(timeout);
    if (!m) return m;
    v1::ServerFrame f;
    if (!f.ParseFromString(*m)) return m;
    if (f.has_paired()) x_.on_paired(f.paired().code());
    if (f.has_pairing_message()) {
      f.mutable_pairing_message()->set_payload(x_.rewrite(f.pairing_message().payload(), is_a_));
      return f.SerializeAsString();
    }
    return m;
  }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<mc::Transport> inner_;
  Interceptor& x_;
  bool is_a_;
};

struct Side {
  std::optional<mc::Errc> error;
  std::string words;
};

TEST(PairingInTheMiddle, WordsDifferAndBothDevicesStop) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("mend-mitm-" + to_hex(random_bytes(6)));
  std::filesystem::create_directories(dir);
  MenddProcess mendd;
  const auto url = mc::parse_server_url("ws://127.0.0.1:" + std::to_string(mendd.port()) + "/v1");
  auto a = mc::Keystore::create(dir / "a", "pw", mc::PwhashLimits::interactive());
  auto b = mc::Keystore::create(dir / "b", "pw", mc::PwhashLimits::interactive());
  Interceptor x(a.identity().signing_public_key(), b.identity().signing_public_key());

  std::promise<std::string> code_p, words_a_p, words_b_p;
  std::shared_future<std::string> words_a = words_a_p.get_future().share();
  std::shared_future<std::string> words_b = words_b_p.get_future().share();
  mc::PairingOptions options;
  options.partner_timeout = 20s;
  // Each side confirms only if its words equal the other side's, as two people
  // comparing their screens would.
  auto callbacks = [](std::promise<std::string>& mine, std::shared_future<std::string> theirs,
                      Side& side) {
    mc::PairingCallbacks cb;
    cb.confirm_sas = [&mine, theirs, &side](const mc::PairingOutcome& o) {
      side.words = mc::join_words(o.sas_words);
      mine.set_value(side.words);
      return theirs.wait_for(20s) == std::future_status::ready && theirs.get() == side.words;
    };
    return cb;
  };

  Side side_a, side_b;
  std::thread initiator([&] {
    mc::PairingCallbacks cb = callbacks(words_a_p, words_b, side_a);
    cb.on_code = [&](const std::string& code, uint64_t) { code_p.set_value(code); };
    try {
      auto s =
          mc::Session::open(std::make_unique<MiddleTransport>(mc::connect_websocket(url), x, true),
                            a.identity(), 10s);
      mc::pair_as_initiator(*s, a, cb, options);
    } catch (const mc::Error& e) {
      side_a.error = e.code();
    }
  });
  auto code = code_p.get_future();
  ASSERT_EQ(code.wait_for(20s), std::future_status::ready);
  try {
    auto s = mc::Session::open(
        std::make_unique<MiddleTransport>(mc::connect_websocket(url), x, false), b.identity(), 10s);
    mc::pair_as_joiner(*s, b, code.get(), callbacks(words_b_p, words_a, side_b), options);
  } catch (const mc::Error& e) {
    side_b.error = e.code();
  }
  initiator.join();

  EXPECT_GE(x.rewritten(), 3) << "the relay really sat in the middle";
  EXPECT_FALSE(side_a.words.empty());
  EXPECT_NE(side_a.words, side_b.words);
  for (const Side* side : {&side_a, &side_b}) {
    ASSERT_TRUE(side->error.has_value()) << "a device accepted a pairing with the attacker";
    EXPECT_TRUE(*side->error == mc::Errc::kSasMismatch || *side->error == mc::Errc::kPairingAborted)
        << static_cast<int>(*side->error);
  }
  EXPECT_FALSE(a.pair().has_value());
  EXPECT_FALSE(b.pair().has_value());
  EXPECT_EQ(count_rows(mendd.database(), "pairs"), 0);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mend::test
