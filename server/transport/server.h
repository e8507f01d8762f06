#pragma once

#include <memory>

#include "config/config.h"

namespace mend::server {

// mendd as a whole: opens storage, binds the port, serves until SIGTERM/SIGINT
// (or stop()), then shuts down gracefully: stop accepting and reading, let
// storage finish and acknowledge what it has, close every connection with
// 1001 going away, flush storage, return.
class Server {
 public:
  explicit Server(Config config);  // throws std::runtime_error with a readable message
  ~Server();
  uint16_t port() const;
  void run();
  void stop();  // thread-safe

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace mend::server
