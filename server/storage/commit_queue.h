#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "storage/storage.h"

namespace mend::server {

struct Metrics;

// The storage worker: one thread that owns the Storage, runs the writes queued
// since its last turn as one transaction (group commit), then the reads, and
// hands every completion back to the network thread through `post`, in
// submission order. A failed batch fails every write in it; nothing is
// acknowledged that was not committed.
class CommitQueue {
 public:
  using Work = std::function<void(Storage&)>;
  using Done = std::function<void(bool ok)>;
  // Runs a function on the network thread.
  using Post = std::function<void(std::function<void()>)>;

  CommitQueue(std::unique_ptr<Storage> storage, Post post, Metrics& metrics, size_t max_batch);
  ~CommitQueue();
  CommitQueue(const CommitQueue&) = delete;
  CommitQueue& operator=(const CommitQueue&) = delete;

  void write(Work work, Done done);
  void read(Work work, Done done);
  // `done` runs (on the network thread) once everything submitted before it has completed.
  void flush(std::function<void()> done);
  // Finishes what is queued, then joins the thread. Idempotent.
  void stop();

 private:
  struct Job {
    bool is_write;
    Work work;
    Done done;
    std::chrono::steady_clock::time_point queued;  // writes only: for queue_seconds
  };
  void run();
  void run_batch(std::deque<Job>& jobs);

  std::unique_ptr<Storage> storage_;
  Post post_;
  Metrics& metrics_;
  size_t max_batch_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mend::server
