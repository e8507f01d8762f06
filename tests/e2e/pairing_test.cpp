#include "devices.h"
#include "e2e.h"

#include <thread>

namespace mend::test {
namespace {

TEST(Pairing, CodeBindsExactlyTwoDevices) {
  MenddProcess mendd;
  Device a = fresh(mendd.port());
  Device b = fresh(mendd.port());
  const std::string code = request_code(a);
  // Short and typeable: "<number>-<word>-<word>".
  EXPECT_EQ(std::count(code.begin(), code.end(), '-'), 2) << code;
  EXPECT_LE(code.size(), 24u);

  const uint32_t redeem_request = b.next_request;
  const auto rb = redeem(b, code);
  ASSERT_EQ(rb.body_case(), Body::kPaired) << rb.DebugString();
  EXPECT_EQ(rb.request_id(), redeem_request) << "Paired answers the redemption";
  const auto ra = a.conn->expect(Body::kPaired).paired();
  EXPECT_EQ(ra.pair_id(), rb.paired().pair_id());
  EXPECT_EQ(ra.pair_id().size(), 16u);
  EXPECT_EQ(ra.partner_device_id(), b.id.device_id);
  EXPECT_EQ(rb.paired().partner_device_id(), a.id.device_id);
  EXPECT_EQ(ra.partner_public_key(), b.id.public_key);
  EXPECT_TRUE(ra.initiator());
  EXPECT_FALSE(rb.paired().initiator());
  EXPECT_EQ(count_rows(mendd.database(), "pair_members"), 2);

  // A third device cannot join with the same code...
  Device c = fresh(mendd.port());
  const auto rc = redeem(c, code);
  ASSERT_EQ(rc.body_case(), Body::kError);
  EXPECT_EQ(rc.error().code(), v1::ERROR_CODE_CODE_USED);
  // ...and a paired device can neither ask for nor redeem another code.
  auto f = a.conn->frame(99);
  f.mutable_request_pairing_code();
  a.conn->send(f);
  EXPECT_EQ(a.conn->next().error().code(), v1::ERROR_CODE_ALREADY_PAIRED);
  const std::string code_c = request_code(c);
  EXPECT_EQ(redeem(b, code_c).error().code(), v1::ERROR_CODE_ALREADY_PAIRED);
  EXPECT_EQ(count_rows(mendd.database(), "pair_members"), 2);

  // The pair survives reconnection: the server remembers it.
  a.reconnect(mendd.port());
  EXPECT_EQ(a.pair_id, ra.pair_id());
  EXPECT_EQ(a.partner_id, b.id.device_id);
}

TEST(Pairing, ExpiredCodeIsRefused) {
  MenddProcess mendd({"--pairing-code-validity-s", "1"});
  Device a = fresh(mendd.port());
  Device b = fresh(mendd.port());
  const std::string code = request_code(a);
  std::this_thread::sleep_for(1200ms);
  const auto r = redeem(b, code);
  ASSERT_EQ(r.body_case(), Body::kError);
  EXPECT_EQ(r.error().code(), v1::ERROR_CODE_CODE_EXPIRED);
  EXPECT_EQ(count_rows(mendd.database(), "pairs"), 0);
}

TEST(Pairing, ReusedCodeIsRefusedEvenAfterThePairEnded) {
  MenddProcess mendd;
  Device a = fresh(mendd.port());
  Device b = fresh(mendd.port());
  const std::string code = request_code(a);
  ASSERT_EQ(redeem(b, code).body_case(), Body::kPaired);
  a.conn->expect(Body::kPaired);
  auto f = a.conn->frame(a.next_request++);
  f.mutable_unpair();
  a.conn->send(f);
  a.conn->expect(Body::kPairEnded);
  b.conn->expect(Body::kPairEnded);
  // Both are free again, but the old code stays spent for everyone.
  EXPECT_EQ(redeem(b, code).error().code(), v1::ERROR_CODE_CODE_USED);
  Device c = fresh(mendd.port());
  EXPECT_EQ(redeem(c, code).error().code(), v1::ERROR_CODE_CODE_USED);
  EXPECT_EQ(count_rows(mendd.database(), "pairs"), 0);
}

TEST(Pairing, UnknownAndOwnCodesAreRefused) {
  MenddProcess mendd;
  Device a = fresh(mendd.port());
  const std::string code = request_code(a);
  EXPECT_EQ(redeem(a, code).error().code(), v1::ERROR_CODE_OWN_CODE);
  Device b = fresh(mendd.port());
  EXPECT_EQ(redeem(b, "7-not-acode").error().code(), v1::ERROR_CODE_CODE_NOT_FOUND);
  // Codes are forgiving about case and spaces.
  std::string shouted = code;
  for (auto& ch : shouted) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  EXPECT_EQ(redeem(b, " " + shouted + " ").body_case(), Body::kPaired);
}

TEST(Pairing, RedemptionAttemptsAreRateLimited) {
  MenddProcess mendd({"--pairing-attempts-per-minute", "3"});
  Device b = fresh(mendd.port());
  int limited = 0;
  for (int i = 0; i < 6; ++i) {
    const auto r = redeem(b, "9-no-such");
    ASSERT_EQ(r.body_case(), Body::kError);
    if (r.error().code() == v1::ERROR_CODE_RATE_LIMITED)
      ++limited;
    else
      EXPECT_EQ(r.error().code(), v1::ERROR_CODE_CODE_NOT_FOUND);
  }
  EXPECT_EQ(limited, 3);
  EXPECT_GE(mendd.metric("mendd_rejections_total{reason=\"pairing_rate_limited\"}"), 3);
}

TEST(Pairing, HandshakeMessagesAreRelayedWhileBothAreOnline) {
  MenddProcess mendd;
  auto [a, b] = make_pair(mendd.port());
  auto f = b.conn->frame(5);
  f.mutable_pairing_message()->set_payload("commit:0123456789");
  b.conn->send(f);
  EXPECT_EQ(a.conn->expect(Body::kPairingMessage).pairing_message().payload(), "commit:0123456789");
  a.conn->close();
  // Partner gone: the sender is told instead of the message vanishing.
  b.conn->expect(Body::kPresence);
  b.conn->send(f);
  EXPECT_EQ(b.conn->next().error().code(), v1::ERROR_CODE_PARTNER_OFFLINE);
}

}  // namespace
}  // namespace mend::test
