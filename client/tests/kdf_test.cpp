#include "mend/client/kdf.h"

#include <gtest/gtest.h>
#include <sodium.h>

#include <cstdint>
#include <limits>
#include <string>

namespace mend::client {
namespace {

// The construction CRYPTO-NOTES.md and docs/PROTOCOL.md part II promise to independent
// clients: BLAKE2b keyed with the key, salt = LE64(id) || 8 zero bytes,
// personal = context || 8 zero bytes, empty message.
std::string blake2b_equivalent(std::string_view key, uint64_t id, std::string_view ctx,
                               size_t len) {
  unsigned char salt[16] = {0}, personal[16] = {0};
  for (int i = 0; i < 8; ++i) salt[i] = static_cast<unsigned char>(id >> (8 * i));
  std::copy(ctx.begin(), ctx.end(), personal);
  std::string out(len, '\0');
  EXPECT_EQ(crypto_generichash_blake2b_salt_personal(
                reinterpret_cast<unsigned char*>(out.data()), len, nullptr, 0,
                reinterpret_cast<const unsigned char*>(key.data()), key.size(), salt, personal),
            0);
  return out;
}

TEST(Kdf, EqualsKeyedBlake2bWithSaltAndPersonal) {
  ASSERT_GE(sodium_init(), 0);
  const SecretBytes key = SecretBytes::random(32);
  const uint64_t ids[] = {0,
                          1,
                          2,
                          255,
                          256,
                          0x0102030405060708ULL,
                          uint64_t{1} << 32,
                          std::numeric_limits<uint64_t>::max()};
  const std::string_view contexts[] = {
      kdf_context::kSas,      kdf_context::kConfirm, kdf_context::kPairRoot, kdf_context::kMessage,
      kdf_context::kKeystore, kdf_context::kEpoch,   kdf_context::kLocal};
  for (uint64_t id : ids)
    for (std::string_view ctx : contexts)
      for (size_t len : {size_t{16}, size_t{32}, size_t{64}})
        EXPECT_EQ(derive_subkey(key.view(), id, ctx, len).insecure_copy(),
                  blake2b_equivalent(key.view(), id, ctx, len))
            << "id " << id << " ctx " << ctx << " len " << len;
}

TEST(Kdf, DifferentIdsContextsAndKeysGiveUnrelatedSubkeys) {
  const SecretBytes key = SecretBytes::random(32);
  const SecretBytes other = SecretBytes::random(32);
  const SecretBytes base = derive_subkey(key.view(), 1, kdf_context::kSas, 32);
  EXPECT_FALSE(base.equals(derive_subkey(key.view(), 2, kdf_context::kSas, 32).view()));
  EXPECT_FALSE(base.equals(derive_subkey(key.view(), 1, kdf_context::kConfirm, 32).view()));
  EXPECT_FALSE(base.equals(derive_subkey(other.view(), 1, kdf_context::kSas, 32).view()));
  // Same inputs, same output: the derivation is a pure function.
  EXPECT_TRUE(base.equals(derive_subkey(key.view(), 1, kdf_context::kSas, 32).view()));
}

TEST(Kdf, ContextsAreAllEightBytesAndDistinct) {
  const std::string_view all[] = {
      kdf_context::kSas,      kdf_context::kConfirm, kdf_context::kPairRoot, kdf_context::kMessage,
      kdf_context::kKeystore, kdf_context::kEpoch,   kdf_context::kLocal};
  for (size_t i = 0; i < std::size(all); ++i) {
    EXPECT_EQ(all[i].size(), kKdfContextBytes) << all[i];
    for (size_t j = i + 1; j < std::size(all); ++j) EXPECT_NE(all[i], all[j]);
  }
}

TEST(Kdf, RefusesBadSizes) {
  const std::string key(32, 'k');
  EXPECT_THROW(derive_subkey(key.substr(1), 1, kdf_context::kSas, 32), std::invalid_argument);
  EXPECT_THROW(derive_subkey(key, 1, "short", 32), std::invalid_argument);
  EXPECT_THROW(derive_subkey(key, 1, "ninebytes", 32), std::invalid_argument);
  EXPECT_THROW(derive_subkey(key, 1, kdf_context::kSas, 15), std::invalid_argument);
  EXPECT_THROW(derive_subkey(key, 1, kdf_context::kSas, 65), std::invalid_argument);
}

}  // namespace
}  // namespace mend::client
