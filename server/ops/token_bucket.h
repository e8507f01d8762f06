#pragma once

#include <algorithm>
#include <chrono>

namespace mend::server {

// Classic token bucket: `rate` tokens per second up to `burst`. Not thread-safe;
// each bucket belongs to one connection or one address on the network thread.
class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double rate, double burst) : rate_(rate), burst_(burst), tokens_(burst) {}

  bool try_take(Clock::time_point now = Clock::now()) {
    refill(now);
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }
  // True once the bucket has refilled completely (so it can be forgotten).
  bool full(Clock::time_point now = Clock::now()) {
    refill(now);
    return tokens_ >= burst_;
  }

 private:
  void refill(Clock::time_point now) {
    const std::chrono::duration<double> dt = now - last_;
    last_ = now;
    tokens_ = std::min(burst_, tokens_ + dt.count() * rate_);
  }
  double rate_;
  double burst_;
  double tokens_;
  Clock::time_point last_ = Clock::now();
};

}  // namespace mend::server
