#include "mend/common/secret_bytes.h"

#include <gtest/gtest.h>

#include <string>
#include <type_traits>

namespace mend {
namespace {

static_assert(!std::is_copy_constructible_v<SecretBytes>, "keys are never copied implicitly");
static_assert(!std::is_copy_assignable_v<SecretBytes>);
static_assert(std::is_nothrow_move_constructible_v<SecretBytes>);
// No implicit way out to std::string: only insecure_copy() makes one.
static_assert(!std::is_convertible_v<SecretBytes, std::string>);

TEST(SecretBytes, StartsZeroedAndHoldsItsSize) {
  SecretBytes s(40);
  ASSERT_EQ(s.size(), 40u);
  for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(s.data()[i], 0) << i;
  EXPECT_TRUE(SecretBytes().empty());
  EXPECT_TRUE(SecretBytes(0).empty());
}

TEST(SecretBytes, RandomCopyCloneAndCompare) {
  const SecretBytes a = SecretBytes::random(32);
  const SecretBytes b = SecretBytes::random(32);
  EXPECT_FALSE(a.equals(b.view()));
  const SecretBytes c = a.clone();
  EXPECT_NE(c.data(), a.data());
  EXPECT_TRUE(c.equals(a.view()));
  EXPECT_FALSE(c.equals(a.view().substr(1)));
  EXPECT_EQ(SecretBytes::copy_of("abc").view(), "abc");
  EXPECT_EQ(SecretBytes::copy_of("abc").insecure_copy(), std::string("abc"));
}

TEST(SecretBytes, MoveLeavesTheSourceEmpty) {
  SecretBytes a = SecretBytes::copy_of("key material");
  const unsigned char* p = a.data();
  SecretBytes b(std::move(a));
  // Reading the moved-from secret is the point of the test.
  // NOLINTBEGIN(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(a.data(), nullptr);
  // NOLINTEND(bugprone-use-after-move,clang-analyzer-cplusplus.Move)
  EXPECT_EQ(b.data(), p);
  SecretBytes c = SecretBytes::copy_of("other");
  c = std::move(b);
  EXPECT_EQ(c.view(), "key material");
}

TEST(SecretBytes, ShrinkZeroesTheTail) {
  SecretBytes s = SecretBytes::copy_of("0123456789");
  const unsigned char* p = s.data();
  s.shrink(4);
  EXPECT_EQ(s.view(), "0123");
  for (int i = 4; i < 10; ++i) EXPECT_EQ(p[i], 0) << i;
  EXPECT_THROW(s.shrink(5), std::out_of_range);
}

TEST(SecretBytes, ReadOnlyRefusesWriteAccess) {
  SecretBytes s = SecretBytes::copy_of("long-lived key");
  s.make_readonly();
  EXPECT_TRUE(s.readonly());
  EXPECT_EQ(s.view(), "long-lived key");  // still readable
  EXPECT_THROW(s.data(), std::logic_error);
  s.make_writable();
  s.data()[0] = 'L';
  EXPECT_EQ(s.view(), "Long-lived key");
  s.make_readonly();  // and destruction of a read-only secret must still work
}

TEST(SecretBytesDeathTest, WriteThroughReadOnlyMemoryFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  SecretBytes s = SecretBytes::copy_of("guarded");
  s.make_readonly();
  // The page itself is protected (sodium_mprotect_readonly), not only the accessor.
  EXPECT_DEATH(const_cast<unsigned char*>(std::as_const(s).data())[0] = 'x', "");
}

TEST(Wipe, ZeroesAndEmptiesAString) {
  std::string s(100, 'k');
  const char* p = s.data();
  wipe(s);
  EXPECT_TRUE(s.empty());
  for (int i = 0; i < 100; ++i) EXPECT_EQ(p[i], '\0') << i;
}

}  // namespace
}  // namespace mend
