// KvStore: a sorted key-value store, the narrow seam between the read side
// and its storage. The projection engine keeps its read models in one; the
// RocksDB implementation (rocks_kv_store.h) is the one used in production,
// and tests put a fault-injecting one in front of it.
//
// Keys and values are bytes; keys sort bytewise. Writes come in batches,
// each applied atomically: a reader sees all of a batch or none of it, and
// so does a restart after a crash.
//
// Thread-safe: reads may run concurrently with each other and with writes;
// writes are applied one at a time, in the order Write is called.
#ifndef BIDTRAIL_STORAGE_KV_STORE_H_
#define BIDTRAIL_STORAGE_KV_STORE_H_

#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bidtrail::storage {

class KvStore {
 public:
  // Changes to apply together. Built by one thread; Clear keeps the memory,
  // so that a writer can reuse one batch for write after write.
  class Batch {
   public:
    virtual ~Batch() = default;
    virtual void Put(std::string_view key, std::string_view value) = 0;
    virtual void Delete(std::string_view key) = 0;
    // Appends `bytes` to the key's value (an absent key counts as empty).
    // Appending costs no read: the store concatenates lazily.
    virtual void Append(std::string_view key, std::string_view bytes) = 0;
    // Deletes every key in [from, to).
    virtual void DeleteRange(std::string_view from, std::string_view to) = 0;
    // Empties the batch and keeps its memory.
    virtual void Clear() = 0;
    // Changes in the batch.
    virtual size_t Count() const = 0;
  };

  enum class Durability {
    // Durable when Write returns: survives a crash of the process or the
    // machine.
    kSynced,
    // Not logged: a crash may lose the latest buffered writes, always a
    // suffix of them and each batch whole (never part of one). Flush makes
    // them durable; so does closing the store.
    kBuffered,
  };

  using Visitor = std::function<bool(std::string_view key, std::string_view value)>;

  virtual ~KvStore() = default;

  // An empty batch with room for about `reserve_bytes` of keys and values.
  virtual std::unique_ptr<Batch> NewBatch(size_t reserve_bytes = 0) = 0;

  // Any epoch, for Write.
  static constexpr uint64_t kAnyEpoch = ~uint64_t{0};

  // Applies `batch` (made by this store's NewBatch) atomically. Errors:
  // UNAVAILABLE for an I/O error (a full disk, a failing one); DATA_LOSS for
  // corruption; ABORTED when `epoch` is not kAnyEpoch and not the store's
  // Epoch(); INTERNAL otherwise. A failed write changes nothing.
  virtual absl::Status Write(Batch& batch, Durability durability, uint64_t epoch = kAnyEpoch) = 0;

  // Counts the times the store dropped buffered writes not yet durable
  // (after a failed write or flush, it may start again from what is). A
  // writer that buffers writes notes the epoch before it reads back what it
  // relies on (its checkpoint), and passes it to each Write: once the store
  // has dropped writes, the writer's next write fails with ABORTED instead of
  // landing on top of what is gone, and the writer reads back again.
  virtual uint64_t Epoch() = 0;

  // The key's value, or std::nullopt when absent. Errors as Write.
  virtual absl::StatusOr<std::optional<std::string>> Get(std::string_view key) = 0;

  // Calls `visit` for each key in [from, to) in key order until it returns
  // false. The scan sees one consistent state of the store. Errors as Write.
  virtual absl::Status Scan(std::string_view from, std::string_view to, const Visitor& visit) = 0;

  // Makes every buffered write durable. Errors as Write.
  virtual absl::Status Flush() = 0;

  // Rewrites the keys in [from, to) without what deletions and overwrites
  // left behind there, so that a scan of the range steps over none of it.
  // Takes as long as rewriting the range's data, and returns once the
  // store's own background work (the compactions that rewriting sets off in
  // the rest of the store) has ended too, or after two minutes of it, so
  // that the reads that follow do not run beside it; reads and writes go on
  // meanwhile. CANCELLED soon after `*cancel` becomes true (a process
  // stopping), with part of the range compacted: the data is the same
  // either way. `cancel` may be null. Errors otherwise as Write.
  virtual absl::Status Compact(std::string_view from, std::string_view to,
                               std::atomic<bool>* cancel) = 0;
};

}  // namespace bidtrail::storage

#endif  // BIDTRAIL_STORAGE_KV_STORE_H_
