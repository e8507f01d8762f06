#pragma once

#include <filesystem>

namespace mend::server {

// One mendd per data directory: two would hand out the same sequence numbers
// (each caches the next one). An exclusive flock on <dir>/mendd.lock, released
// by the kernel if mendd dies, so a stale file is harmless.
class DataDirLock {
 public:
  // Throws std::runtime_error, saying what to do, if another process holds it.
  explicit DataDirLock(const std::filesystem::path& dir);
  ~DataDirLock();
  DataDirLock(const DataDirLock&) = delete;
  DataDirLock& operator=(const DataDirLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace mend::server
