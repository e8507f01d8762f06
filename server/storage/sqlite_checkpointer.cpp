#include "storage/sqlite_checkpointer.h"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <utility>

namespace mend::server::sqlite {

namespace {
constexpr auto kInterval = std::chrono::milliseconds(20);
constexpr auto kHurryInterval = std::chrono::milliseconds(2);
}  // namespace

Checkpointer::Checkpointer(const std::filesystem::path& file) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db_);
    throw std::runtime_error("cannot open a checkpoint connection to " + file.string());
  }
  sqlite3_busy_timeout(db_, 1000);
  // A connection that has not read the database does not know it is in WAL
  // mode, and its checkpoints silently do nothing (the WAL then grows forever).
  // Its checkpoints must flush the database file before the WAL may restart
  // (synchronous NORMAL or FULL do; OFF would not): said here, not left to
  // SQLite's compile-time default.
  char* err = nullptr;
  if (sqlite3_exec(db_, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", nullptr, nullptr,
                   &err) != SQLITE_OK) {
    std::string msg = err ? err : "unknown error";
    sqlite3_free(err);
    sqlite3_close(db_);
    throw std::runtime_error("cannot set up WAL checkpoints on " + file.string() + ": " + msg);
  }
  thread_ = std::thread([this] { run(); });
}

Checkpointer::~Checkpointer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
  sqlite3_close_v2(db_);
}

void Checkpointer::watch(sqlite3* writer) {
  sqlite3_wal_hook(
      writer,
      [](void* self, sqlite3*, const char*, int frames) {
        static_cast<Checkpointer*>(self)->wal_frames_.store(frames, std::memory_order_relaxed);
        return SQLITE_OK;
      },
      this);
}

void Checkpointer::restart_if_due(sqlite3* writer) {
  const int frames = wal_frames_.load(std::memory_order_relaxed);
  if (frames <= kRestartFrames) {
    // SQLite may have restarted the WAL on its own after a complete copy: a
    // flag left from the long WAL must not trigger the next restart early.
    caught_up_.store(false, std::memory_order_relaxed);
    return;
  }
  if (!caught_up_.exchange(false, std::memory_order_acq_rel) && frames <= kForceFrames) return;
  // Copies what the background has not; the writer's next commit then starts
  // the WAL over. SQLITE_BUSY (the background is mid-checkpoint) just means later.
  const int rc =
      sqlite3_wal_checkpoint_v2(writer, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  if (rc == SQLITE_OK) wal_frames_.store(0, std::memory_order_relaxed);
}

void Checkpointer::run() {
  pthread_setname_np(pthread_self(), "mendd-wal-ckpt");
  std::unique_lock lock(mutex_);
  int frames_at_last_pass = -1;
  for (;;) {
    // Hurry while a long WAL is still being written (it changed since the last
    // checkpoint); an idle server's WAL needs one more checkpoint, not 500 a second.
    const int frames = wal_frames_.load(std::memory_order_relaxed);
    const bool hurry = frames > kHurryFrames && frames != frames_at_last_pass;
    wake_.wait_for(lock, hurry ? kHurryInterval : kInterval, [this] { return stopping_; });
    if (stopping_) return;
    frames_at_last_pass = wal_frames_.load(std::memory_order_relaxed);
    // Past kForceFrames the writer restarts the WAL itself; its PASSIVE
    // checkpoint gives up at once (SQLITE_BUSY) while this one runs, so stand aside.
    if (frames_at_last_pass > kForceFrames) continue;
    lock.unlock();
    // PASSIVE never blocks the writer: it copies what it can and lets the
    // writer restart the WAL from the beginning once everything is copied.
    int logged = 0, copied = 0;
    const int rc =
        sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &logged, &copied);
    if (rc == SQLITE_OK && copied == logged && logged > kRestartFrames)
      caught_up_.store(true, std::memory_order_release);
    else if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      spdlog::warn("storage: WAL checkpoint failed: {}", sqlite3_errmsg(db_));
    lock.lock();
  }
}

}  // namespace mend::server::sqlite
