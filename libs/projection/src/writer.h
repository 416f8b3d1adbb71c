// Writer: writes prepared writes on a thread of its own, one at a time and in
// order, so that the runner folds the next events while the store takes the
// last ones in (measured: a catch-up write left the runner's other core idle
// for a third of a rebuild). A write that fails stops every later one: the
// runner learns it from Submit or Drain and starts again from the checkpoint
// written last. Thread-safe: one thread calls Submit and Drain.
#ifndef BIDTRAIL_PROJECTION_WRITER_H_
#define BIDTRAIL_PROJECTION_WRITER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "bidtrail/analytics/competition.h"
#include "bidtrail/common/bulk_memory.h"
#include "bidtrail/storage/kv_store.h"

namespace bidtrail::projection {

// A write prepared by the runner: the read models' changes, the checkpoint
// they reach, and what becomes visible once they are written.
struct PendingWrite {
  PendingWrite() = default;
  // Changes point into the write itself (its records, chunks and encodings):
  // it stays where it was made.
  PendingWrite(const PendingWrite&) = delete;
  PendingWrite& operator=(const PendingWrite&) = delete;

  enum class Kind : uint8_t { kPut, kDelete, kAppend };
  struct Change {
    std::string key;
    // Into `stored`, `actor_chunks`, the encodings below, or the runner's
    // cached index entries (which the runner leaves alone until the write
    // has landed); empty for a delete.
    std::string_view value;
    Kind kind;
    static bool ByKey(const Change& a, const Change& b) { return a.key < b.key; }
  };

  // The changed tenders' stored records, one after the other: tens of MB
  // in a catch-up write, in memory faulted in by huge pages.
  std::vector<BulkBuffer> stored;
  absl::node_hash_map<std::string, std::string> actor_chunks;
  // Runs of changes, each in key order (keys are unique across runs).
  std::vector<std::vector<Change>> runs;
  uint64_t checkpoint = 0;
  uint64_t unknown = 0;
  // Written once the runner has caught up with the log.
  bool caught_up = false;
  // When not empty: keys [compact_from, compact_to) are compacted
  // (KvStore::Compact) after the write lands and before it is published.
  std::string compact_from;
  std::string compact_to;
  // The catch-up writes before this one, for the log line.
  uint32_t catch_up_writes = 0;
  std::string encoded_checkpoint;
  std::string encoded_unknown;
  // Each changed tender's competitions, for the analytics.
  std::vector<std::pair<std::string, std::shared_ptr<const std::vector<analytics::Competition>>>>
      competitions;
};

// Adds the write's changes to `batch` in key order, merged from the sorted
// runs: RocksDB's memtable inserts a key next to the one inserted before it
// in a few steps, where a key in random order costs a search of the whole
// skip list (measured: key order halves the cost of a catch-up write).
void AddInKeyOrder(const PendingWrite& write, storage::KvStore::Batch* batch);

class Writer {
 public:
  // Called on the writer thread once a write has landed, to make it visible.
  using Publish = std::function<void(PendingWrite& write)>;

  // `store` must outlive the writer; writes are made for the store's
  // `epoch` (KvStore::Epoch). `on_failure` is called on the writer thread
  // when a write fails, so that a runner waiting for the log's next event
  // hears of it at once rather than at its next write. A compaction
  // (PendingWrite::compact_from) stops once `*cancel_compaction` is true
  // (the runner stopping): the write is published all the same, its indexes
  // left to the store's own compactions. `cancel_compaction` outlives the
  // writer.
  Writer(storage::KvStore* store, uint64_t epoch, Publish publish, std::function<void()> on_failure,
         std::atomic<bool>* cancel_compaction);
  // Waits for the write in flight, then stops the thread.
  ~Writer();

  // Hands over a write once the one before has landed. Returns the error of
  // an earlier write, and then `write` is dropped.
  absl::Status Submit(std::unique_ptr<PendingWrite> write);

  // Waits until every write handed over has landed; the first error.
  absl::Status Drain();

 private:
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pending_ == nullptr; }
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pending_ != nullptr || closing_;
  }
  void Loop();
  // Writes one pending write (on the writer thread).
  absl::Status Write(PendingWrite& write);

  storage::KvStore* const store_;
  const uint64_t epoch_;
  const Publish publish_;
  const std::function<void()> on_failure_;
  std::atomic<bool>* const cancel_compaction_;
  // The batch writes are built in, kept from one write to the next while
  // catching up: a catch-up write is a hundred MB or more, and fresh memory
  // for each would be paid in page faults, the last time at the very end of
  // a rebuild, when nothing else is left to do (measured: building the last
  // write's batch took half the time in a batch kept from the write before).
  // Used by the writer thread only.
  std::unique_ptr<storage::KvStore::Batch> batch_;
  size_t batch_reserved_ = 0;

  absl::Mutex mu_;
  // The write being written; null when idle.
  std::unique_ptr<PendingWrite> pending_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;  // last: started once the members above exist
};

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_WRITER_H_
