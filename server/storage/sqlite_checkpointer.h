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
// that was the p99 delivery latency). The writer turns wal_autocheckpoint off.
class Checkpointer {
 public:
  explicit Checkpointer(const std::filesystem::path& file);
  ~Checkpointer();
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
