#pragma once

#include <sqlite3.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <thread>

namespace mend::server::sqlite {

// Keeps the WAL short without stalling the writer for long.
//
// A background thread with its own connection copies the WAL back into the
// database with PASSIVE checkpoints, which never block the writer. Under steady
// load they never quite catch up with its end, though, and SQLite restarts the
// WAL at its beginning only when a write starts while every frame has been
// copied; otherwise the WAL grows forever (and every page lookup in it gets
// slower). So once the WAL is long, the writer finishes the job itself
// (restart_if_due, between batches, after the batch's completions went out):
// a PASSIVE checkpoint on its own connection, which nobody appends to
// meanwhile, copies the rest and lets the next commit start the WAL over. It
// waits until the background thread has just caught up, so that only the
// frames of the last few commits are left to copy and sync; a WAL four times
// the threshold is restarted regardless.
class Checkpointer {
 public:
  explicit Checkpointer(const std::filesystem::path& file);
  ~Checkpointer();
  // Installs a WAL hook on the writer's connection that notes the WAL's length.
  void watch(sqlite3* writer);
  // On the writer's thread, outside a transaction.
  void restart_if_due(sqlite3* writer);
  static constexpr int kRestartFrames = 32 * 1024;
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  void run();
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<int> wal_frames_{0};       // after the writer's last commit
  std::atomic<bool> caught_up_{false};   // the background just copied every frame it saw
  std::thread thread_;
};

}  // namespace mend::server::sqlite
