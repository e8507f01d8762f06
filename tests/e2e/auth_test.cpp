#include "e2e.h"

namespace mend::test {
namespace {

TEST(Auth, ValidSignatureIsAccepted) {
  MenddProcess mendd;
  auto c = TestClient::connect(mendd.port());
  const auto& ch = c->challenge();
  EXPECT_EQ(ch.server_id().size(), 16u);
  EXPECT_EQ(ch.nonce().size(), 32u);
  const Identity id = Identity::generate();
  const auto a = c->authenticate(id);
  EXPECT_EQ(a.device_id(), id.device_id);
  EXPECT_TRUE(a.pair_id().empty());
}

TEST(Auth, BadSignatureIsRefusedWith4001) {
  MenddProcess mendd;
  auto c = TestClient::connect(mendd.port());
  const auto& ch = c->challenge();
  const Identity id = Identity::generate();
  std::string sig = sign_auth(id.secret_key, ch.server_id(), ch.nonce());
  sig[5] ^= 0x01;
  auto f = c->frame(7);
  f.mutable_authenticate()->set_public_key(id.public_key);
  f.mutable_authenticate()->set_signature(sig);
  c->send(f);
  const auto e = c->read();
  ASSERT_EQ(e.body_case(), Body::kError);
  EXPECT_EQ(e.error().code(), v1::ERROR_CODE_AUTH_FAILED);
  EXPECT_TRUE(e.error().fatal());
  EXPECT_EQ(e.request_id(), 7u);
  EXPECT_EQ(c->wait_closed(), 4001);
}

TEST(Auth, SignatureFromAnotherKeyIsRefused) {
  MenddProcess mendd;
  auto c = TestClient::connect(mendd.port());
  const auto& ch = c->challenge();
  const Identity id = Identity::generate();
  const Identity other = Identity::generate();
  auto f = c->frame(1);
  f.mutable_authenticate()->set_public_key(id.public_key);
  f.mutable_authenticate()->set_signature(sign_auth(other.secret_key, ch.server_id(), ch.nonce()));
  c->send(f);
  EXPECT_EQ(c->read().error().code(), v1::ERROR_CODE_AUTH_FAILED);
  EXPECT_EQ(c->wait_closed(), 4001);
}

TEST(Auth, ReplayedChallengeAnswerIsRefused) {
  MenddProcess mendd;
  const Identity id = Identity::generate();
  // A proof recorded on one connection...
  auto first = TestClient::connect(mendd.port());
  const auto& ch = first->challenge();
  auto proof = first->frame(1);
  proof.mutable_authenticate()->set_public_key(id.public_key);
  proof.mutable_authenticate()->set_signature(sign_auth(id.secret_key, ch.server_id(), ch.nonce()));
  first->send(proof);
  ASSERT_EQ(first->expect(Body::kAuthenticated).authenticated().device_id(), id.device_id);

  // ...is worthless on the next one: its challenge is fresh.
  auto second = TestClient::connect(mendd.port());
  EXPECT_NE(second->challenge().nonce(), ch.nonce());
  second->send(proof);
  const auto e = second->read();
  ASSERT_EQ(e.body_case(), Body::kError);
  EXPECT_EQ(e.error().code(), v1::ERROR_CODE_AUTH_FAILED);
  EXPECT_EQ(second->wait_closed(), 4001);

  // And the same connection cannot answer twice.
  first->send(proof);
  EXPECT_EQ(first->read().error().code(), v1::ERROR_CODE_ALREADY_AUTHENTICATED);
}

TEST(Auth, FrameBeforeAuthIsRefusedAndNothingIsStored) {
  MenddProcess mendd;
  auto c = TestClient::connect(mendd.port());
  c->challenge();
  auto f = c->frame(3);
  f.mutable_request_pairing_code();
  c->send(f);
  const auto e = c->read();
  ASSERT_EQ(e.body_case(), Body::kError);
  EXPECT_EQ(e.error().code(), v1::ERROR_CODE_NOT_AUTHENTICATED);
  EXPECT_EQ(c->wait_closed(), 4003);

  // A Send before auth is refused the same way and leaves no row behind.
  auto c2 = TestClient::connect(mendd.port());
  c2->challenge();
  Device fake{Identity::generate(), std::move(c2)};
  fake.pair_id = random_id();
  fake.conn->send(fake.envelope("hello"));
  EXPECT_EQ(fake.conn->read().error().code(), v1::ERROR_CODE_NOT_AUTHENTICATED);
  EXPECT_EQ(fake.conn->wait_closed(), 4003);
  EXPECT_EQ(count_rows(mendd.database(), "events"), 0);
}

TEST(Auth, UnansweredChallengeTimesOutWith4002) {
  MenddProcess mendd({"--auth-timeout-ms", "300"});
  auto c = TestClient::connect(mendd.port());
  c->challenge();
  const auto e = c->read(3s);
  ASSERT_EQ(e.body_case(), Body::kError);
  EXPECT_EQ(e.error().code(), v1::ERROR_CODE_CHALLENGE_EXPIRED);
  EXPECT_EQ(c->wait_closed(), 4002);
}

}  // namespace
}  // namespace mend::test
