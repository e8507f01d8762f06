#include "mend/client/safety_number.h"

#include <gtest/gtest.h>

#include <regex>

#include "mend/client/identity.h"

namespace mend::client {
namespace {

TEST(SafetyNumber, SameOnBothSidesAndSixtyDigitsInTwelveGroups) {
  const DeviceIdentity a = DeviceIdentity::generate(), b = DeviceIdentity::generate();
  const std::string n = couple_safety_number(a.signing_public_key(), b.signing_public_key());
  EXPECT_EQ(n, couple_safety_number(b.signing_public_key(), a.signing_public_key()));
  EXPECT_TRUE(std::regex_match(n, std::regex("([0-9]{5} ){11}[0-9]{5}"))) << n;
}

TEST(SafetyNumber, ChangesWhenEitherKeyChanges) {
  const DeviceIdentity a = DeviceIdentity::generate(), b = DeviceIdentity::generate();
  const DeviceIdentity c = DeviceIdentity::generate();
  const std::string ab = couple_safety_number(a.signing_public_key(), b.signing_public_key());
  EXPECT_NE(ab, couple_safety_number(a.signing_public_key(), c.signing_public_key()));
  EXPECT_NE(ab, couple_safety_number(c.signing_public_key(), b.signing_public_key()));
}

TEST(SafetyNumber, RefusesEqualOrMalformedKeys) {
  const DeviceIdentity a = DeviceIdentity::generate();
  EXPECT_THROW(couple_safety_number(a.signing_public_key(), a.signing_public_key()),
               std::invalid_argument);
  EXPECT_THROW(couple_safety_number(a.signing_public_key(), "short"), std::invalid_argument);
}

}  // namespace
}  // namespace mend::client
