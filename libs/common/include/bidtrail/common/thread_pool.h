// A fixed set of worker threads running queued closures in FIFO order: for
// gRPC handlers that hand blocking work (a synced append, a long read) to
// threads of their own instead of blocking a reactor, and for code that
// splits work into parts (an import's files, a write's tenders). Thread-safe.
#ifndef BIDTRAIL_COMMON_THREAD_POOL_H_
#define BIDTRAIL_COMMON_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace bidtrail {

class ThreadPool {
 public:
  // `name` (at most 15 bytes) names the workers for debuggers and top.
  explicit ThreadPool(int threads, std::string name = "bidtrail-pool");
  // Runs every closure already scheduled, then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Schedule(std::function<void()> work);

  // Runs work(0) .. work(parts - 1) on the pool and waits for all of them.
  // Must not be called from the pool's own workers when every worker might
  // be waiting in it.
  void RunParts(int parts, const std::function<void(int part)>& work);

 private:
  void Work();

  const std::string name_;
  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_THREAD_POOL_H_
