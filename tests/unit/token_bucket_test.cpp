#include "ops/token_bucket.h"

#include <gtest/gtest.h>

namespace mend::server {
namespace {

TEST(TokenBucket, AllowsBurstThenRefillsAtRate) {
  using namespace std::chrono_literals;
  TokenBucket b(10, 3);  // 10 per second, burst 3
  const auto t0 = TokenBucket::Clock::now();
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_TRUE(b.try_take(t0));
  EXPECT_FALSE(b.try_take(t0));
  EXPECT_FALSE(b.try_take(t0 + 50ms));
  EXPECT_TRUE(b.try_take(t0 + 160ms));
  EXPECT_FALSE(b.full(t0 + 160ms));
  EXPECT_TRUE(b.full(t0 + 10s));
}

}  // namespace
}  // namespace mend::server
