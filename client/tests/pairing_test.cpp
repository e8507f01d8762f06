#include "mend/client/pairing.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <algorithm>
#include <string>

#include "mend/client/error.h"
#include "mend/client/identity.h"
#include "mend/client/pairing_link.h"
#include "mend/client/sas.h"
#include "mend/v1/keystore.pb.h"
#include "pairing_messages.h"

namespace mend::client {
namespace {

constexpr std::string_view kCode = "4-amber-lantern";

template <class F>
void expect_error(F&& f, Errc code) {
  try {
    f();
    ADD_FAILURE() << "expected error " << summary(code);
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code) << e.what();
  }
}

struct Devices {
  DeviceIdentity a = DeviceIdentity::generate();
  DeviceIdentity b = DeviceIdentity::generate();
};

// The honest exchange, in the only order the states allow.
struct Honest {
  Devices d;
  PairingState a = PairingState::begin(PairingRole::kInitiator, kCode, d.a.signing_public_key());
  PairingState b = PairingState::begin(PairingRole::kJoiner, kCode, d.b.signing_public_key());
  void run() {
    a.accept_commitment(b.commitment());
    b.accept_reveal(a.own_reveal());
    a.accept_reveal(b.own_reveal());
  }
};

void expect_same_outcome(const PairingOutcome& x, const PairingOutcome& y) {
  EXPECT_EQ(x.sas_words, y.sas_words);
  EXPECT_EQ(x.sas_digits, y.sas_digits);
  EXPECT_EQ(x.transcript_hash, y.transcript_hash);
  EXPECT_TRUE(x.confirmation_key.equals(y.confirmation_key.view()));
  EXPECT_TRUE(x.pair_root_key.equals(y.pair_root_key.view()));
}

TEST(Pairing, BothSidesComputeTheSameWordsDigitsAndKeys) {
  Honest h;
  h.run();
  const PairingOutcome oa = h.a.outcome();
  const PairingOutcome ob = h.b.outcome();
  expect_same_outcome(oa, ob);
  ASSERT_EQ(oa.sas_words.size(), kSasWordCount);
  for (const auto& w : oa.sas_words)
    EXPECT_NE(std::find(sas_word_list().begin(), sas_word_list().end(), w), sas_word_list().end());
  EXPECT_EQ(oa.sas_digits.size(), 17u);  // "ddddd ddddd ddddd"
  EXPECT_EQ(oa.peer_identity_key, h.d.b.signing_public_key());
  EXPECT_EQ(ob.peer_identity_key, h.d.a.signing_public_key());
  EXPECT_EQ(oa.pair_root_key.size(), 32u);
  EXPECT_FALSE(oa.pair_root_key.equals(oa.confirmation_key.view()));
}

TEST(Pairing, EachPairingUsesFreshKeys) {
  Honest one, two;
  one.run();
  two.run();
  EXPECT_NE(one.a.outcome().transcript_hash, two.a.outcome().transcript_hash);
  EXPECT_FALSE(one.a.outcome().pair_root_key.equals(two.a.outcome().pair_root_key.view()));
}

TEST(Pairing, ManInTheMiddleSubstitutingKeysGetsDifferentWords) {
  Devices d;
  PairingState a = PairingState::begin(PairingRole::kInitiator, kCode, d.a.signing_public_key());
  PairingState b = PairingState::begin(PairingRole::kJoiner, kCode, d.b.signing_public_key());
  // The relay runs its own pairing with each side, keeping the real identity keys so
  // that nothing but the ephemeral keys is substituted.
  PairingState m_as_b = PairingState::begin(PairingRole::kJoiner, kCode, d.b.signing_public_key());
  PairingState m_as_a =
      PairingState::begin(PairingRole::kInitiator, kCode, d.a.signing_public_key());

  m_as_a.accept_commitment(b.commitment());  // B -> relay
  a.accept_commitment(m_as_b.commitment());  // relay -> A (its own commitment)
  m_as_b.accept_reveal(a.own_reveal());      // A -> relay
  b.accept_reveal(m_as_a.own_reveal());      // relay -> B
  m_as_a.accept_reveal(b.own_reveal());      // B -> relay
  a.accept_reveal(m_as_b.own_reveal());      // relay -> A: matches what it committed

  const PairingOutcome oa = a.outcome(), ob = b.outcome();
  // The relay shares a key with each side, but the two sides see different words,
  // and the partners reading them to each other catch it.
  EXPECT_NE(oa.sas_words, ob.sas_words);
  EXPECT_NE(oa.sas_digits, ob.sas_digits);
  EXPECT_FALSE(oa.pair_root_key.equals(ob.pair_root_key.view()));
  expect_same_outcome(oa, m_as_b.outcome());
  expect_same_outcome(ob, m_as_a.outcome());
}

TEST(Pairing, RevealThatDoesNotMatchTheCommitmentIsDetected) {
  Honest h;
  h.a.accept_commitment(h.b.commitment());
  h.b.accept_reveal(h.a.own_reveal());
  const PairingReveal real = h.b.own_reveal();

  PairingReveal swapped_key = real;
  swapped_key.ephemeral_public_key =
      PairingState::begin(PairingRole::kJoiner, kCode, h.d.b.signing_public_key())
          .commitment();  // any other 32 bytes
  PairingReveal swapped_nonce = real;
  swapped_nonce.nonce[0] ^= 1;
  PairingReveal swapped_identity = real;
  swapped_identity.identity_key = DeviceIdentity::generate().signing_public_key();
  for (const PairingReveal& r : {swapped_key, swapped_nonce, swapped_identity})
    expect_error([&] { h.a.accept_reveal(r); }, Errc::kCommitmentMismatch);
  EXPECT_FALSE(h.a.has_peer_reveal());

  // After the failed attempts the genuine reveal is still accepted.
  h.a.accept_reveal(real);
  expect_same_outcome(h.a.outcome(), h.b.outcome());
}

TEST(Pairing, StepsOutOfOrderAreRefused) {
  Honest h;
  expect_error([&] { (void)h.a.own_reveal(); }, Errc::kPairingOutOfOrder);  // before C
  expect_error([&] { (void)h.b.own_reveal(); }, Errc::kPairingOutOfOrder);  // before A's reveal
  expect_error([&] { (void)h.a.commitment(); }, Errc::kPairingOutOfOrder);
  expect_error([&] { h.b.accept_commitment(std::string(32, 'c')); }, Errc::kPairingOutOfOrder);
  expect_error([&] { (void)h.a.outcome(); }, Errc::kPairingOutOfOrder);
  // A reveal reaching A before any commitment.
  const PairingReveal early{std::string(32, 'e'), std::string(32, 'n'), std::string(32, 'i')};
  expect_error([&] { h.a.accept_reveal(early); }, Errc::kPairingOutOfOrder);
}

TEST(Pairing, RepeatsAreHarmlessButReplacementsAreRefused) {
  Honest h;
  const std::string c = h.b.commitment();
  h.a.accept_commitment(c);
  h.a.accept_commitment(c);  // a resumed relay may deliver it twice
  std::string other = c;
  other[0] ^= 1;
  expect_error([&] { h.a.accept_commitment(other); }, Errc::kPairingOutOfOrder);

  const PairingReveal ra = h.a.own_reveal();
  h.b.accept_reveal(ra);
  h.b.accept_reveal(ra);
  PairingReveal changed = ra;
  changed.nonce[5] ^= 1;
  expect_error([&] { h.b.accept_reveal(changed); }, Errc::kPairingOutOfOrder);
  h.a.accept_reveal(h.b.own_reveal());
  expect_same_outcome(h.a.outcome(), h.b.outcome());
}

TEST(Pairing, ReflectedOwnValuesAreRefused) {
  Honest h;
  // The relay commits to A's own values and then "reveals" them back to A. A state
  // restored from before the commitment has the same keys, so it can be the victim.
  const SecretBytes a_saved = h.a.serialize();
  h.a.accept_commitment(std::string(32, 'x'));
  const PairingReveal a_own = h.a.own_reveal();
  PairingState a_victim = PairingState::parse(a_saved.view());
  a_victim.accept_commitment(pairing_commitment(a_own));
  expect_error([&] { a_victim.accept_reveal(a_own); }, Errc::kBadPeerKey);

  // Likewise B's own reveal reflected back to B.
  const SecretBytes b_saved = h.b.serialize();
  h.b.accept_reveal(a_own);
  const PairingReveal b_own = h.b.own_reveal();
  PairingState b_victim = PairingState::parse(b_saved.view());
  expect_error([&] { b_victim.accept_reveal(b_own); }, Errc::kBadPeerKey);
}

TEST(Pairing, LowOrderEphemeralKeysAreRejected) {
  // u = 0 and u = 1 are points of small order: X25519 with any clamped scalar gives
  // the all-zero shared secret, which would make K depend on public data only.
  for (unsigned char u : {0, 1}) {
    Honest h;
    std::string low(32, '\0');
    low[0] = static_cast<char>(u);
    h.b.accept_reveal(PairingReveal{low, std::string(32, 'n'), h.d.a.signing_public_key()});
    expect_error([&] { (void)h.b.outcome(); }, Errc::kBadPeerKey);
  }
}

TEST(Pairing, MalformedRevealsAreRefused) {
  Honest h;
  const PairingReveal short_key{std::string(31, 'k'), std::string(32, 'n'), std::string(32, 'i')};
  expect_error([&] { h.b.accept_reveal(short_key); }, Errc::kMalformedPairing);
  expect_error([&] { h.a.accept_commitment("short"); }, Errc::kMalformedPairing);
  EXPECT_THROW(PairingState::begin(PairingRole::kJoiner, "", h.d.b.signing_public_key()),
               std::invalid_argument);
  EXPECT_THROW(PairingState::begin(PairingRole::kJoiner, kCode, "short"), std::invalid_argument);
}

TEST(Pairing, DifferentCodesOnEachSideGiveDifferentWords) {
  // If the relay told the two devices different codes, the transcripts differ.
  Devices d;
  PairingState a = PairingState::begin(PairingRole::kInitiator, kCode, d.a.signing_public_key());
  PairingState b =
      PairingState::begin(PairingRole::kJoiner, "4-amber-lanterns", d.b.signing_public_key());
  a.accept_commitment(b.commitment());
  b.accept_reveal(a.own_reveal());
  a.accept_reveal(b.own_reveal());
  EXPECT_NE(a.outcome().sas_words, b.outcome().sas_words);
}

// A restart at every step: each side reloads its saved state before each move, and
// the words still match, and match what the uninterrupted states compute.
TEST(Pairing, StateSurvivesSerialiseAndParseAtEveryStep) {
  Honest h;
  auto reload = [](PairingState& s) { s = PairingState::parse(s.serialize().view()); };
  const std::string commitment_before = h.b.commitment();
  reload(h.b);
  EXPECT_EQ(h.b.commitment(), commitment_before);  // same key and nonce, not regenerated
  h.a.accept_commitment(h.b.commitment());
  reload(h.a);
  const PairingReveal ra = h.a.own_reveal();
  reload(h.a);
  EXPECT_EQ(h.a.own_reveal(), ra);
  h.b.accept_reveal(ra);
  reload(h.b);
  const PairingReveal rb = h.b.own_reveal();
  reload(h.b);
  h.a.accept_reveal(rb);
  reload(h.a);
  EXPECT_EQ(h.a.role(), PairingRole::kInitiator);
  EXPECT_EQ(h.b.role(), PairingRole::kJoiner);
  EXPECT_EQ(h.a.code(), kCode);
  const PairingOutcome oa = h.a.outcome(), ob = h.b.outcome();
  expect_same_outcome(oa, ob);
  reload(h.a);
  expect_same_outcome(oa, h.a.outcome());
}

TEST(Pairing, InconsistentSavedStateIsRefused) {
  Honest h;
  h.run();
  const std::string saved = h.a.serialize().insecure_copy();
  const auto mutated = [&](auto&& change) {
    mend::v1::keystore::PairingSession msg;
    EXPECT_TRUE(msg.ParseFromString(saved));
    change(msg);
    return msg.SerializeAsString();
  };
  using Session = mend::v1::keystore::PairingSession;
  const std::string cases[] = {
      "not a pairing state",
      mutated([](Session& m) { m.set_version(2); }),
      mutated([](Session& m) { m.set_role(mend::v1::keystore::PAIRING_ROLE_UNSPECIFIED); }),
      mutated([](Session& m) { (*m.mutable_commitment())[0] ^= 1; }),  // no longer matches B
      mutated([](Session& m) { (*m.mutable_peer_nonce())[0] ^= 1; }),
      mutated([](Session& m) { m.clear_peer_identity_key(); }),
      mutated([](Session& m) { m.mutable_ephemeral_secret_key()->pop_back(); }),
      mutated([](Session& m) { m.clear_code(); }),
  };
  for (const std::string& bad : cases)
    expect_error([&] { (void)PairingState::parse(bad); }, Errc::kMalformedPairing);

  // Arbitrary damage never crashes and never escapes as anything but kMalformedPairing.
  for (size_t i = 0; i < saved.size(); ++i) {
    std::string bad = saved;
    bad[i] ^= 0x5a;
    try {
      (void)PairingState::parse(bad);
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Errc::kMalformedPairing);
    }
  }
}

}  // namespace
}  // namespace mend::client

namespace mend::client {
namespace {

// The replacement's epoch notice opens only under the same pairing's confirmation key,
// and only unaltered.
TEST(EpochNotice, OpensOnlyOnTheOtherSideOfTheSamePairing) {
  Honest h;
  h.run();
  const PairingOutcome oa = h.a.outcome();
  const PairingOutcome ob = h.b.outcome();
  const detail::EpochNotice notice{0x01020304, std::string(16, 'b'), 7, std::string(32, 'h')};
  const std::string sealed = detail::seal_epoch_notice(notice, oa);
  EXPECT_EQ(sealed.size(), 24u + 60u + 16u);
  const auto opened = detail::open_epoch_notice(sealed, ob);
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->epoch, 0x01020304u);
  EXPECT_EQ(opened->former_device_id, std::string(16, 'b'));
  EXPECT_EQ(opened->final_counter, 7u);
  EXPECT_EQ(opened->final_hash, std::string(32, 'h'));
  const auto open_chain = detail::open_epoch_notice(detail::seal_epoch_notice({9}, oa), ob);
  ASSERT_TRUE(open_chain);
  EXPECT_TRUE(open_chain->former_device_id.empty()) << "not closed";
  EXPECT_TRUE(open_chain->final_hash.empty());

  Honest other;
  other.run();
  EXPECT_EQ(detail::open_epoch_notice(sealed, other.b.outcome()), std::nullopt);
  for (size_t i = 0; i < sealed.size(); ++i) {
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 1);
    EXPECT_FALSE(detail::open_epoch_notice(bad, ob)) << "byte " << i;
  }
  // Not interchangeable with a confirmation (another label).
  EXPECT_FALSE(detail::open_confirmation(sealed, ob));
}

}  // namespace
}  // namespace mend::client

namespace mend::client {
namespace {

TEST(PairingLink, RoundTripsAndRefusesDamage) {
  const SecretBytes secret = SecretBytes::random(32);
  const std::string link = pairing_link("17-citrus-reef", secret);
  EXPECT_TRUE(link.starts_with("mend-pair:17-citrus-reef/"));
  EXPECT_EQ(link.size(), std::string("mend-pair:17-citrus-reef/").size() + 64);
  const auto parsed = parse_pairing_link("  " + link + "\n");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->code, "17-citrus-reef");
  EXPECT_TRUE(parsed->secret.equals(secret.view()));
  EXPECT_FALSE(parse_pairing_link("17-citrus-reef")) << "a plain code is not a link";
  for (const std::string& bad :
       {link.substr(0, link.size() - 1), link + "0",
        std::string("mend-pair:/") + std::string(64, 'a'), link.substr(0, link.size() - 2) + "zz"})
    expect_error([&] { parse_pairing_link(bad); }, Errc::kPairingCodeRefused);
}

}  // namespace
}  // namespace mend::client
