#include "pairing/rendezvous.h"

#include <gtest/gtest.h>

#include <set>

#include "pairing/words.h"

namespace mend::server {
namespace {

using namespace std::chrono_literals;
using O = Rendezvous::Outcome;

TEST(Rendezvous, IssueAndRedeemOnce) {
  Rendezvous rv;
  const auto t0 = Rendezvous::Clock::now();
  const auto issued = rv.issue("A", "keyA", t0);
  EXPECT_EQ(issued.expires_at, t0 + 10min);
  EXPECT_EQ(rv.redeem(issued.code, "A", t0).outcome, O::own_code);
  const auto r = rv.redeem(issued.code, "B", t0 + 1s);
  EXPECT_EQ(r.outcome, O::ok);
  EXPECT_EQ(r.initiator_device_id, "A");
  EXPECT_EQ(r.initiator_public_key, "keyA");
  EXPECT_EQ(rv.redeem(issued.code, "C", t0 + 2s).outcome, O::used);
  rv.release(issued.code);
  EXPECT_EQ(rv.redeem(issued.code, "C", t0 + 3s).outcome, O::ok);
}

TEST(Rendezvous, ExpiresAfterItsValidity) {
  Rendezvous rv(std::chrono::seconds(60));
  const auto t0 = Rendezvous::Clock::now();
  const auto issued = rv.issue("A", "k", t0);
  EXPECT_EQ(rv.redeem(issued.code, "B", t0 + 61s).outcome, O::expired);
  EXPECT_EQ(rv.redeem("1-nothing-here", "B", t0).outcome, O::not_found);
  rv.prune(t0 + 2h);
  EXPECT_EQ(rv.size(), 0u);
}

TEST(Rendezvous, NewCodeWithdrawsTheOldOne) {
  Rendezvous rv;
  const auto first = rv.issue("A", "k");
  const auto second = rv.issue("A", "k");
  EXPECT_EQ(rv.redeem(first.code, "B").outcome, O::not_found);
  EXPECT_EQ(rv.redeem(second.code, "B").outcome, O::ok);
}

TEST(Rendezvous, CodesAreShortTypeableAndNormalised) {
  Rendezvous rv;
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    const auto code = rv.issue("D" + std::to_string(i), "k").code;
    EXPECT_TRUE(seen.insert(code).second);
    EXPECT_LE(code.size(), 2 + 1 + 8 + 1 + 8u);
    for (char c : code)
      EXPECT_TRUE(std::islower(static_cast<unsigned char>(c)) ||
                  std::isdigit(static_cast<unsigned char>(c)) || c == '-')
          << code;
  }
  EXPECT_EQ(Rendezvous::normalise(" 4-Amber- Lantern "), "4-amber-lantern");
  std::set<std::string_view> words(pairing_words().begin(), pairing_words().end());
  EXPECT_EQ(words.size(), 256u) << "word list has duplicates";
}

}  // namespace
}  // namespace mend::server
