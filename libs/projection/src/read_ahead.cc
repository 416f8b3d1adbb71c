#include "read_ahead.h"

#include <pthread.h>

#include <utility>

namespace bidtrail::projection {

ReadAhead::ReadAhead(eventlog::Subscription* subscription)
    : subscription_(subscription), thread_([this] { Loop(); }) {}

ReadAhead::~ReadAhead() {
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
  }
  subscription_->Cancel();
  thread_.join();
}

void ReadAhead::Recycle(std::unique_ptr<Delivery> delivery) {
  absl::MutexLock lock(&mu_);
  used_.push_back(std::move(delivery));
}

std::unique_ptr<Delivery> ReadAhead::Pop() {
  std::unique_ptr<Delivery> front;
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(
        +[](std::deque<std::unique_ptr<Delivery>>* queue) { return !queue->empty(); }, &queue_));
    front = std::move(queue_.front());
    queue_.pop_front();
  }
  Decode(front.get());
  return front;
}

void ReadAhead::Loop() {
  pthread_setname_np(pthread_self(), "proj-reader");
  while (true) {
    {
      std::vector<std::unique_ptr<Delivery>> used;
      {
        absl::MutexLock lock(&mu_);
        used.swap(used_);
      }
    }  // freed here, outside the lock
    auto delivery = std::make_unique<Delivery>(subscription_->Next());
    const bool last = !delivery->item.ok();
    bool runner_behind;
    {
      absl::MutexLock lock(&mu_);
      runner_behind = queue_.size() >= kAhead / 2;
    }
    if (runner_behind) Decode(delivery.get());
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &ReadAhead::HasRoomOrClosing));
    if (closing_) return;
    queue_.push_back(std::move(delivery));
    if (last) return;
  }
}

}  // namespace bidtrail::projection
