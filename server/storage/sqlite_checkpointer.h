#pragma once

#include <sqlite3.h>

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace mend::server::sqlite {

// Copies the WAL back into the database on its own connection and thread, so
// that the group-commit thread never pays for a checkpoint inside a commit
// (SQLite's automatic checkpoint runs in whichever commit crosses the limit;
// that was the p99 delivery latency). PASSIVE checkpoints copy frames without
// ever blocking the writer, but under steady load they never catch up with its
// end, so the WAL would grow forever (and every page lookup in it gets slower).
// So once the WAL is long, the writer itself runs a PASSIVE checkpoint after
// its commit (see watch()): it only has the last few frames left to copy.
class Checkpointer {
 public:
  explicit Checkpointer(const std::filesystem::path& file);
  ~Checkpointer();
  // Installs a WAL hook on the writer's connection: once the WAL holds more
  // than kRestartFrames, the writer finishes the checkpoint after its commit.
  void watch(sqlite3* writer);
  static constexpr int kRestartFrames = 32 * 1024;
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  void run();
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mend::server::sqlite
