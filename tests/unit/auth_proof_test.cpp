#include "mend/common/auth_proof.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include "mend/common/hex.h"
#include "mend/common/ids.h"

namespace mend {
namespace {

TEST(AuthProof, SignedChallengeVerifiesOnlyForItsServerAndNonce) {
  unsigned char pk[32], sk[64];
  crypto_sign_keypair(pk, sk);
  const std::string spk(reinterpret_cast<char*>(pk), 32), ssk(reinterpret_cast<char*>(sk), 64);
  const std::string server(16, 's'), nonce(32, 'n');
  const std::string sig = sign_auth(ssk, server, nonce);
  EXPECT_TRUE(verify_auth(spk, sig, server, nonce));
  EXPECT_FALSE(verify_auth(spk, sig, std::string(16, 't'), nonce));
  EXPECT_FALSE(verify_auth(spk, sig, server, std::string(32, 'm')));
  EXPECT_FALSE(verify_auth(spk.substr(1), sig, server, nonce));
  EXPECT_EQ(auth_message(server, nonce).substr(0, 13), std::string("mend-auth-v1\0", 13));
}

TEST(AuthProof, DeviceIdIsBlake2b128OfTheKey) {
  // Known answer from an independent implementation (Python hashlib.blake2b,
  // digest_size=16) of 32 zero bytes.
  EXPECT_EQ(to_hex(device_id_for(std::string(32, '\0'))), "ff0f22492f44bac4c4b30ae58d0e8daa");
}

TEST(Hex, RoundTripsAndRefusesJunk) {
  EXPECT_EQ(to_hex("\x01\xab"), "01ab");
  EXPECT_EQ(from_hex("01AB").value(), "\x01\xab");
  EXPECT_FALSE(from_hex("0"));
  EXPECT_FALSE(from_hex("zz"));
}

}  // namespace
}  // namespace mend
