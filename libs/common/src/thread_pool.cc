#include "bidtrail/common/thread_pool.h"

#include <pthread.h>

#include <utility>

#include "absl/synchronization/blocking_counter.h"

namespace bidtrail {

ThreadPool::ThreadPool(int threads, std::string name) : name_(std::move(name)) {
  workers_.reserve(threads);
  for (int i = 0; i < threads; ++i) workers_.emplace_back([this] { Work(); });
}

ThreadPool::~ThreadPool() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::Schedule(std::function<void()> work) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(work));
}

void ThreadPool::RunParts(int parts, const std::function<void(int part)>& work) {
  absl::BlockingCounter done(parts);
  for (int part = 0; part < parts; ++part) {
    Schedule([&work, &done, part] {
      work(part);
      done.DecrementCount();
    });
  }
  done.Wait();
}

void ThreadPool::Work() {
  pthread_setname_np(pthread_self(), name_.substr(0, 15).c_str());
  while (true) {
    std::function<void()> work;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ThreadPool* pool)
               ABSL_NO_THREAD_SAFETY_ANALYSIS { return pool->stopping_ || !pool->queue_.empty(); },
          this));
      if (queue_.empty()) return;  // stopping, and nothing left to run
      work = std::move(queue_.front());
      queue_.pop_front();
    }
    work();
  }
}

}  // namespace bidtrail
