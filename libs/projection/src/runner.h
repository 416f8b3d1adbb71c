// Runner: follows the log for one generation of read models, on a thread of
// its own. Each subscription from the checkpoint: a ReadAhead reads and
// decodes batches, Stage folds them into the cached tender states, Flush
// prepares the changed tenders' records and index entries (on two threads
// for large writes) and hands them to a Writer, which writes them with the
// new checkpoint as one atomic batch and publishes them.
//
// A failure (the subscription ends, a read or write of the store fails, a
// stored record does not parse) ends the subscription: the runner keeps the
// error (LastError), logs it once, waits with a growing delay and subscribes
// again from the checkpoint written last, with an empty cache when anything
// staged was not written. Thread-safe.
#ifndef BIDTRAIL_PROJECTION_RUNNER_H_
#define BIDTRAIL_PROJECTION_RUNNER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bidtrail/common/bulk_memory.h"
#include "bidtrail/common/thread_pool.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/projection/engine.h"
#include "bidtrail/storage/kv_store.h"
#include "bidtrail/tender/state.h"
#include "delivery.h"
#include "generation.h"
#include "index.h"
#include "writer.h"

namespace bidtrail::projection {

class Runner {
 public:
  // `log`, `store` and `generation` must outlive the runner; `on_progress`
  // is called (on the runner's or the writer's thread) whenever the
  // generation's checkpoint or caught-up flag may have moved.
  Runner(eventlog::EventStore* log, storage::KvStore* store, Generation* generation,
         const ProjectionEngine::Options& options, std::function<void()> on_progress);
  // Stops the thread.
  ~Runner();

  // Starts following the log; no-op when running.
  void Start();
  // Stops following the log and waits for the thread; no-op when stopped.
  void Stop();

  // The last failure, std::nullopt when there was none.
  std::optional<RunnerError> LastError();

  // The store's epoch (KvStore::Epoch) the runner's checkpoint was read back
  // in: what it writes lands on what the store held then.
  uint64_t Epoch() const { return epoch_.load(); }

 private:
  // Tenders kept in the cache at most.
  static constexpr size_t kMaxCachedTenders = 200000;
  // Writes of at least this many tenders are prepared on two threads.
  static constexpr size_t kParallelFrom = 512;
  // A catch-up of at least this many writes (each up to catch_up_events
  // events) ends with the indexes compacted (PendingWrite::compact_from).
  static constexpr uint32_t kCompactAfterWrites = 4;

  struct CachedTender {
    tender::TenderState state;
    uint64_t revision = 0;
    // The index entries last written for this tender.
    IndexEntries index;
    // Changed since the last write (listed in Staged::dirty).
    bool dirty = false;
  };

  // Changes applied to the cache and not written yet.
  struct Staged {
    uint64_t events = 0;
    uint64_t next_position = 0;
    // Unknown events counted, including the staged ones.
    uint64_t unknown = 0;
    // Tenders changed, in the order first touched.
    std::vector<std::string> dirty;
    // Actor records to append: key -> records (node map: the cursors keep
    // pointers to the chunks they append to).
    absl::node_hash_map<std::string, std::string> actor_chunks;
    // Per actor, the chunk being appended to and its number: a batch
    // interleaves a few actors, and building a chunk key for every event
    // cost more than appending the record.
    absl::flat_hash_map<std::string, std::pair<uint64_t, std::string*>> actor_cursors;
    // Writes submitted since the subscription started, while catching up.
    uint32_t catch_up_writes = 0;
  };

  void Run();
  // Caught up after at least kCompactAfterWrites catch-up writes: the next
  // write compacts the indexes.
  bool EndsLongCatchUp(const Staged& staged) const {
    return generation_->caught_up && staged.catch_up_writes >= kCompactAfterWrites;
  }
  // Follows one subscription from the checkpoint until it fails or the
  // runner stops; the failure (OK when stopped).
  absl::Status Follow();
  // Reads the generation's checkpoint and unknown count back from the store:
  // after a failure, the store may hold less than was written (buffered
  // writes dropped), and the runner goes on from what it holds.
  absl::Status Reload();
  // Cancels the subscription being followed, if any.
  void Interrupt();
  // Applies a delivered batch to the cache and stages its changes.
  absl::Status Stage(Delivery& delivery, Staged* staged);
  // The tender folded again from its stream in the log, up to `revision`
  // (after an EntryVoided).
  absl::StatusOr<tender::TenderState> Refold(const std::string& tender_id, uint64_t revision);
  // The cached tender, read from the store when not cached.
  absl::StatusOr<CachedTender*> Cached(const std::string& tender_id);
  // Prepares the staged changes and the new checkpoint as one write and
  // hands it to `writer`.
  absl::Status Flush(Staged* staged, Writer* writer);
  // Prepares tenders [begin, end) of `dirty` into `write`: their records
  // (into `stored_records`), competitions and a run of changes in key order.
  void Prepare(const std::vector<std::string>& dirty, size_t begin, size_t end, PendingWrite* write,
               std::vector<PendingWrite::Change>* changes, BulkBuffer* stored_records);
  // Makes a landed write visible (on the writer's thread).
  void Publish(PendingWrite& write);
  void ClearCache();

  // Failure bookkeeping: kept, logged once per streak or new error.
  void RecordFailure(const absl::Status& status, uint64_t position);
  void RecordSuccess();
  // Waits `delay`, or less when the runner is stopped; true when stopped.
  bool WaitOrStop(absl::Duration delay);
  bool Stopping();

  eventlog::EventStore* const log_;
  storage::KvStore* const store_;
  Generation* const generation_;
  const ProjectionEngine::Options options_;
  const std::function<void()> on_progress_;

  // Used by the runner's thread only: the committed state of recently
  // touched tenders, so that a tender is not read and parsed again for every
  // batch.
  // Its table is tens of MB for tens of thousands of tenders, made afresh at
  // every doubling: in huge pages (docs/performance.md).
  using CacheMap = absl::flat_hash_map<std::string, CachedTender>;
  absl::flat_hash_map<std::string, CachedTender, CacheMap::hasher, CacheMap::key_equal,
                      BulkAllocator<std::pair<const std::string, CachedTender>>>
      cache_;
  // The cache holds every tender this generation has stored (it was filled
  // from position 1 and never cleared since): a tender not in it is new, and
  // is not looked up in the store.
  bool cache_complete_ = false;
  std::atomic<uint64_t> epoch_{0};
  // Prepares half of a large write while the runner's thread prepares the
  // other half.
  ThreadPool helper_{1, "proj-prepare"};

  // Set by Stop: a compaction in progress stops (Writer).
  std::atomic<bool> cancel_compaction_{false};
  absl::Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
  eventlog::Subscription* subscription_ ABSL_GUARDED_BY(mu_) = nullptr;
  std::optional<RunnerError> last_error_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;  // joined by Stop
};

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_RUNNER_H_
