#include "storage/sqlite_checkpointer.h"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <chrono>
#include <stdexcept>

namespace mend::server::sqlite {

namespace {
constexpr auto kInterval = std::chrono::milliseconds(200);
}

Checkpointer::Checkpointer(const std::filesystem::path& file) {
  if (sqlite3_open_v2(file.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    sqlite3_close(db_);
    throw std::runtime_error("cannot open a checkpoint connection to " + file.string());
  }
  sqlite3_busy_timeout(db_, 1000);
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

void Checkpointer::run() {
  pthread_setname_np(pthread_self(), "mendd-wal-ckpt");
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, kInterval, [this] { return stopping_; })) {
    lock.unlock();
    // PASSIVE never blocks the writer: it copies what it can and lets the
    // writer restart the WAL from the beginning once everything is copied.
    int logged = 0, copied = 0;
    const int rc =
        sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, &logged, &copied);
    if (rc != SQLITE_OK && rc != SQLITE_BUSY)
      spdlog::warn("storage: WAL checkpoint failed: {}", sqlite3_errmsg(db_));
    lock.lock();
  }
}

}  // namespace mend::server::sqlite
