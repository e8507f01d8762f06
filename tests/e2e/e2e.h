#pragma once
// Shared includes for the end-to-end tests: a real mendd process, real
// WebSocket clients, loopback only.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <thread>

#include "mend/common/auth_proof.h"
#include "mend/common/ids.h"
#include "mendd_process.h"
#include "test_client.h"

namespace mend::test {
using Body = v1::ServerFrame::BodyCase;

// A self-signed P-256 certificate for 127.0.0.1 and its key, made with openssl
// in `dir` (which must exist): {cert.pem, key.pem}. Throws if openssl fails.
inline std::pair<std::filesystem::path, std::filesystem::path> self_signed_certificate(
    const std::filesystem::path& dir) {
  const auto cert = dir / "cert.pem", key = dir / "key.pem";
  const std::string cmd =
      "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout " +
      key.string() + " -out " + cert.string() + " -days 1 -subj /CN=127.0.0.1 2>/dev/null";
  if (std::system(cmd.c_str()) != 0)
    throw std::runtime_error("openssl could not make a certificate");
  return {cert, key};
}

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
