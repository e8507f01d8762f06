#pragma once
// Shared includes for the end-to-end tests: a real mendd process, real
// WebSocket clients, loopback only.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <stdexcept>
#include <thread>

#include "mend/common/auth_proof.h"
#include "mend/common/ids.h"
#include "mendd_process.h"
#include "test_client.h"

namespace mend::test {
using Body = v1::ServerFrame::BodyCase;

// Runs `attempt` until it does not throw, at most `tries` times 20 ms apart;
// false if it never succeeded. For what frees up once mendd has seen a close.
inline bool eventually(const std::function<void()>& attempt, int tries = 100) {
  for (int i = 0; i < tries; ++i) {
    try {
      attempt();
      return true;
    } catch (const std::runtime_error&) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  return false;
}
}  // namespace mend::test
