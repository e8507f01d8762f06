#include "storage/commit_queue.h"

#include <spdlog/spdlog.h>

#include <pthread.h>

#include <chrono>
#include <vector>

#include "ops/metrics.h"

namespace mend::server {

CommitQueue::CommitQueue(std::unique_ptr<Storage> storage, Post post, Metrics& metrics,
                         size_t max_batch)
    : storage_(std::move(storage)),
      post_(std::move(post)),
      metrics_(metrics),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      thread_([this] { run(); }) {}

CommitQueue::~CommitQueue() { stop(); }

void CommitQueue::write(Work work, Done done) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(Job{true, std::move(work), std::move(done), std::chrono::steady_clock::now()});
  }
  wake_.notify_one();
}

void CommitQueue::read(Work work, Done done) {
  {
    std::lock_guard lock(mutex_);
    jobs_.push_back(Job{false, std::move(work), std::move(done), {}});
  }
  wake_.notify_one();
}

void CommitQueue::flush(std::function<void()> done) {
  read([](Storage&) {}, [done = std::move(done)](bool) { done(); });
}

void CommitQueue::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_one();
  if (thread_.joinable()) thread_.join();
}

void CommitQueue::run() {
  pthread_setname_np(pthread_self(), "mendd-storage");
  std::deque<Job> batch;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;  // stopping and drained
      // Take at most max_batch_ jobs; the rest wait for the next turn so one
      // transaction never grows without bound.
      size_t n = std::min(jobs_.size(), max_batch_);
      for (size_t i = 0; i < n; ++i) {
        batch.push_back(std::move(jobs_.front()));
        jobs_.pop_front();
      }
    }
    run_batch(batch);
    batch.clear();
  }
}

void CommitQueue::run_batch(std::deque<Job>& jobs) {
  std::vector<std::pair<Done, bool>> results;
  results.reserve(jobs.size());

  size_t writes = 0;
  for (const Job& j : jobs) writes += j.is_write ? 1 : 0;
  if (writes > 0) {
    const auto start = std::chrono::steady_clock::now();
    for (const Job& j : jobs)
      if (j.is_write)
        metrics_.queue_seconds.observe(std::chrono::duration<double>(start - j.queued).count());
    bool ok = true;
    try {
      storage_->begin_batch();
      for (Job& j : jobs)
        if (j.is_write) j.work(*storage_);
      storage_->commit_batch();
    } catch (const std::exception& e) {
      ok = false;
      spdlog::error("storage: batch of {} writes failed and was rolled back: {}", writes, e.what());
      metrics_.storage_errors.fetch_add(1, std::memory_order_relaxed);
      try {
        storage_->rollback_batch();
      } catch (...) {
      }
    }
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    metrics_.batch_size.observe(static_cast<double>(writes));
    metrics_.commit_seconds.observe(took.count());
    for (Job& j : jobs)
      if (j.is_write) results.emplace_back(std::move(j.done), ok);
  }
  for (Job& j : jobs) {
    if (j.is_write) continue;
    bool ok = true;
    try {
      j.work(*storage_);
    } catch (const std::exception& e) {
      ok = false;
      spdlog::error("storage: read failed: {}", e.what());
      metrics_.storage_errors.fetch_add(1, std::memory_order_relaxed);
    }
    results.emplace_back(std::move(j.done), ok);
  }
  // One hop to the network thread per batch, completions in order.
  post_([results = std::move(results)]() mutable {
    for (auto& [done, ok] : results)
      if (done) done(ok);
  });
  if (writes > 0) {
    try {
      storage_->after_batch();
    } catch (const std::exception& e) {
      spdlog::warn("storage: housekeeping after a batch failed: {}", e.what());
    }
  }
}

}  // namespace mend::server
