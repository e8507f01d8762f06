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
// database with PASSIVE checkpoints, which never block the writer, every
// kInterval. SQLite restarts the WAL at its beginning when a write starts
// while every frame has been copied; under steady load, checkpoints 20 ms apart
// never end between two commits, so the WAL would grow forever (and every page
// lookup in it would get slower). Two remedies, cheapest first:
// - past kHurryFrames the background checkpoints every kHurryInterval while
//   commits keep coming, until one checkpoint ends between two commits and the
//   next commit restarts the WAL by itself (with mend-bench at full load:
//   about every 100k frames);
// - past kRestartFrames the writer finishes the job itself (restart_if_due,
//   between batches, after the batch's completions went out) once the
//   background has just caught up, or at once past kForceFrames: a PASSIVE
//   checkpoint on its own connection copies the rest, and its next commit
//   starts the WAL over. That stalls the writer for a copy and two flushes
//   (4-10 ms measured, when it was the only remedy), so it is the last resort.
//   Past kForceFrames the background stands aside: the writer's PASSIVE
//   checkpoint would give up (SQLITE_BUSY) while the background's runs.
class Checkpointer {
 public:
  explicit Checkpointer(const std::filesystem::path& file);
  ~Checkpointer();
  // Installs a WAL hook on the writer's connection that notes the WAL's length.
  void watch(sqlite3* writer);
  // On the writer's thread, outside a transaction.
  void restart_if_due(sqlite3* writer);
  static constexpr int kRestartFrames = 96 * 1024;  // 96 MiB with 1 KiB pages
  static constexpr int kHurryFrames = 64 * 1024;    // checkpoint every kHurryInterval past this
  static constexpr int kForceFrames = 128 * 1024;   // restart at once past this
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

 private:
  void run();
  sqlite3* db_ = nullptr;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<int> wal_frames_{0};      // after the writer's last commit
  std::atomic<bool> caught_up_{false};  // the background just copied every frame it saw
  std::thread thread_;
};

}  // namespace mend::server::sqlite
