// A fixed set of worker threads running queued closures in FIFO order. Lets a
// gRPC callback handler hand blocking work (a synced append, a long read) to
// threads of its own instead of blocking a reactor. Thread-safe.
#ifndef BIDTRAIL_RPC_THREAD_POOL_H_
#define BIDTRAIL_RPC_THREAD_POOL_H_

#include <deque>
#include <functional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace bidtrail::rpc {

class ThreadPool {
 public:
  explicit ThreadPool(int threads);
  // Runs every closure already scheduled, then joins the workers.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  void Schedule(std::function<void()> work);

 private:
  void Work();

  absl::Mutex mu_;
  std::deque<std::function<void()>> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<std::thread> workers_;
};

}  // namespace bidtrail::rpc

#endif  // BIDTRAIL_RPC_THREAD_POOL_H_
