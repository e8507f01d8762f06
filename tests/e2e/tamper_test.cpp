// A relay that tampers with deliveries (altered header, replay, reorder, drop)
// between a real mendd and the receiving client: libmend-client must detect and
// report each, never accept or drop it silently.

#include <deque>
#include <functional>

#include "e2e.h"
#include "mend/client/conversation.h"
#include "mend/client/envelope_crypto.h"
#include "mend/client/keystore.h"
#include "mend/client/session.h"
#include "mend/common/hex.h"

namespace mend::test {
namespace {

namespace mc = mend::client;

// Sits between the Session and the real WebSocket: each frame from the relay goes
// through `fault`, which returns what the client gets instead (nothing, the frame,
// a changed frame, several).
class TamperingTransport : public mc::Transport {
 public:
  using Fault = std::function<std::vector<v1::ServerFrame>(v1::ServerFrame)>;
  TamperingTransport(std::unique_ptr<mc::Transport> inner, Fault fault)
      : inner_(std::move(inner)), fault_(std::move(fault)) {}
  void send(std::string_view m) override { inner_->send(m); }
  std::optional<std::string> receive(std::chrono::milliseconds timeout) override {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (out_.empty()) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return std::nullopt;
      auto m = inner_->receive(left);
      if (!m) return std::nullopt;
      v1::ServerFrame f;
      if (!f.ParseFromString(*m)) throw std::runtime_error("unparsable frame");
      for (auto& g : fault_(std::move(f))) out_.push_back(g.SerializeAsString());
    }
    std::string m = std::move(out_.front());
    out_.pop_front();
    return m;
  }
  void close() override { inner_->close(); }

 private:
  std::unique_ptr<mc::Transport> inner_;
  Fault fault_;
  std::deque<std::string> out_;
};

class TamperTest : public ::testing::Test {
 protected:
  MenddProcess mendd;
  std::filesystem::path dir =
      std::filesystem::temp_directory_path() / ("mend-tamper-" + to_hex(random_bytes(6)));
  std::optional<mc::Keystore> a, b;
  std::unique_ptr<mc::HistoryStore> history_a, history_b;

  mc::ServerUrl url() const {
    return mc::parse_server_url("ws://127.0.0.1:" + std::to_string(mendd.port()) + "/v1");
  }

  // Two keystores paired on the relay, holding the same pair keys (the SAS exchange
  // is not what these tests are about).
  void SetUp() override {
    std::filesystem::create_directories(dir);
    a.emplace(mc::Keystore::create(dir / "a", "pw", mc::PwhashLimits::interactive()));
    b.emplace(mc::Keystore::create(dir / "b", "pw", mc::PwhashLimits::interactive()));
    auto sa = mc::Session::connect(url(), a->identity());
    auto sb = mc::Session::connect(url(), b->identity());
    const std::string code = sa->request_pairing_code().code;
    const mc::PairedEvent paired = sb->redeem_pairing_code(code);
    SecretBytes root = SecretBytes::random(32);
    for (auto* ks : {&*a, &*b}) {
      mc::PairRecord p;
      p.pair_id = paired.pair_id;
      const bool is_a = ks == &*a;
      p.partner_device_id = is_a ? b->identity().device_id() : a->identity().device_id();
      p.partner_identity_key =
          is_a ? b->identity().signing_public_key() : a->identity().signing_public_key();
      p.pair_root_key = root.clone();
      p.epoch_keys.emplace(1, mc::epoch_key_from_root(root, 1));
      p.current_epoch = 1;
      p.server_id = sa->server_id();
      ks->set_pair(std::move(p));
    }
    history_a =
        std::make_unique<mc::HistoryStore>(dir / "a.h", a->local_store_key(), paired.pair_id);
    history_b =
        std::make_unique<mc::HistoryStore>(dir / "b.h", b->local_store_key(), paired.pair_id);
  }
  void TearDown() override {
    history_a.reset();
    history_b.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }

  void a_sends(const std::vector<std::string>& texts) {
    auto s = mc::Session::connect(url(), a->identity());
    mc::Conversation conv(*a, *history_a);
    conv.check_relay(*s);
    for (const auto& t : texts) conv.compose(t);
    ASSERT_EQ(conv.flush(*s), texts.size());
  }

  mc::SyncReport b_syncs(TamperingTransport::Fault fault) {
    auto t = std::make_unique<TamperingTransport>(mc::connect_websocket(url()), std::move(fault));
    auto s = mc::Session::open(std::move(t), b->identity(), 10s);
    mc::Conversation conv(*b, *history_b);
    conv.check_relay(*s);
    return conv.sync(*s, 10s, 300ms);
  }

  std::vector<std::string> b_texts() {
    std::vector<std::string> out;
    for (const auto& m : history_b->messages()) out.push_back(m.text);
    return out;
  }
  static bool has(const mc::SyncReport& r, const std::string& kind) {
    for (const auto& p : r.problems)
      if (p.kind == kind) return true;
    return false;
  }
  static uint64_t seq(const v1::ServerFrame& f) {
    return f.has_deliver() ? f.deliver().event().sequence() : 0;
  }
};

TEST_F(TamperTest, HonestRelayDeliversEverything) {
  a_sends({"one", "two", "three"});
  const auto r = b_syncs([](v1::ServerFrame f) { return std::vector{f}; });
  EXPECT_TRUE(r.problems.empty());
  EXPECT_EQ(b_texts(), (std::vector<std::string>{"one", "two", "three"}));
}

TEST_F(TamperTest, AlteredHeaderIsRejectedAndReported) {
  a_sends({"one", "two", "three"});
  const auto r = b_syncs([](v1::ServerFrame f) {
    if (seq(f) == 2) {
      v1::EnvelopeHeader h;
      h.ParseFromString(f.deliver().event().envelope().header());
      h.set_content_version(2);  // one field changed in transit
      f.mutable_deliver()->mutable_event()->mutable_envelope()->set_header(h.SerializeAsString());
    }
    return std::vector{f};
  });
  EXPECT_TRUE(has(r, "authentication"));
  // Message 2 is never accepted, so 3 waits behind a gap that is then reported too.
  EXPECT_TRUE(has(r, "gap"));
  EXPECT_EQ(b_texts(), (std::vector<std::string>{"one", "three"}));
}

TEST_F(TamperTest, ReplayedEnvelopeIsRejectedAndReported) {
  a_sends({"one", "two"});
  const auto r = b_syncs([](v1::ServerFrame f) { return std::vector{f}; });
  EXPECT_TRUE(r.problems.empty());
  // Second sync: the relay replays the first envelope under a fresh sequence number.
  bool captured = false;
  a_sends({"three"});
  const auto r2 = b_syncs([&](v1::ServerFrame f) {
    std::vector<v1::ServerFrame> out;
    if (seq(f) == 3 && !captured) {
      captured = true;
      v1::ServerFrame replay = f;
      // Replace message 3 by a copy of message 1 (held by B), renumbered 3.
      auto held = history_b->envelope_at(1);
      replay.mutable_deliver()->mutable_event()->mutable_envelope()->set_header(held->header);
      replay.mutable_deliver()->mutable_event()->mutable_envelope()->set_ciphertext(
          held->ciphertext);
      out.push_back(replay);
      return out;
    }
    out.push_back(f);
    return out;
  });
  EXPECT_TRUE(has(r2, "replay"));
  EXPECT_EQ(b_texts(), (std::vector<std::string>{"one", "two"}));
}

TEST_F(TamperTest, ReorderedDeliveriesAreReported) {
  a_sends({"one", "two", "three"});
  std::optional<v1::ServerFrame> stash;
  const auto r = b_syncs([&](v1::ServerFrame f) {
    std::vector<v1::ServerFrame> out;
    if (seq(f) == 2) {
      stash = f;  // hold message 2 back...
    } else {
      out.push_back(f);
      if (seq(f) == 3 && stash) out.push_back(*stash);  // ...and deliver it after 3
    }
    return out;
  });
  EXPECT_TRUE(has(r, "reorder")) << r.problems.size();
}

TEST_F(TamperTest, DroppedEnvelopeIsReportedAsAGap) {
  a_sends({"one", "two", "three"});
  const auto r = b_syncs([](v1::ServerFrame f) {
    if (seq(f) == 2) return std::vector<v1::ServerFrame>{};
    return std::vector{f};
  });
  EXPECT_TRUE(has(r, "gap"));
  EXPECT_EQ(b_texts(), (std::vector<std::string>{"one", "three"}));
}

TEST_F(TamperTest, AnotherPartnerKeyAtTheRelayIsRefused) {
  auto s = mc::Session::connect(url(), b->identity());
  b->mutable_pair()->partner_identity_key = std::string(32, '\x07');
  mc::Conversation conv(*b, *history_b);
  try {
    conv.check_relay(*s);
    ADD_FAILURE() << "a changed partner key was accepted";
  } catch (const mc::Error& e) {
    EXPECT_EQ(e.code(), mc::Errc::kPartnerKeyChanged);
  }
}

}  // namespace
}  // namespace mend::test
