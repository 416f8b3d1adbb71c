// ReadAhead: reads a subscription on a thread of its own, up to eight
// batches ahead, so that reading overlaps folding (measured: reading a batch
// costs about as much as decoding and applying it), and goes on while the
// runner prepares a write. When the runner is the slower one (the queue is
// at least half full), the reader also decodes what it read; otherwise the
// runner decodes, so the work balances between the two threads.
// Thread-safe: one thread calls Pop and Recycle.
#ifndef BIDTRAIL_PROJECTION_READ_AHEAD_H_
#define BIDTRAIL_PROJECTION_READ_AHEAD_H_

#include <deque>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "bidtrail/eventlog/event_store.h"
#include "delivery.h"

namespace bidtrail::projection {

class ReadAhead {
 public:
  // Starts reading `subscription`, which must outlive this object.
  explicit ReadAhead(eventlog::Subscription* subscription);
  // Cancels the subscription (it is being abandoned) and waits for the thread.
  ~ReadAhead();

  // The next item, decoded, or the subscription's error (after which there
  // is nothing more). Blocks until there is one.
  std::unique_ptr<Delivery> Pop();

  // Hands a delivery back to the reader thread to be freed there: freeing a
  // batch of events costs about as much as allocating it.
  void Recycle(std::unique_ptr<Delivery> delivery);

 private:
  static constexpr size_t kAhead = 8;

  void Loop();
  bool HasRoomOrClosing() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closing_ || queue_.size() < kAhead;
  }

  eventlog::Subscription* const subscription_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Delivery>> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Delivery>> used_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_READ_AHEAD_H_
