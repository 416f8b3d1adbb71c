#include "bidtrail/projection/engine.h"

#include <pthread.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <variant>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/node_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "actor_record.h"
#include "bidtrail/common/big_endian.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/state.h"
#include "rocksdb/db.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace bidtrail::projection {
namespace {

constexpr char kActiveKey[] = "m/active";
// The layout of the read models (see engine.h); "2": actor records in
// chunks; "3": actor records in their compact encoding (actor_record.h).
constexpr char kFormatKey[] = "m/format";
constexpr char kFormat[] = "3";

absl::Status FromRocks(const rocksdb::Status& status, std::string_view what) {
  if (status.ok()) return absl::OkStatus();
  const std::string message = absl::StrCat(std::string(what), ": ", status.ToString());
  if (status.IsIOError() || status.IsBusy() || status.IsTimedOut()) {
    return absl::UnavailableError(message);
  }
  return absl::InternalError(message);
}

std::string GenerationPrefix(uint32_t generation) {
  std::string prefix = "g";
  for (int i = 3; i >= 0; --i) prefix.push_back(static_cast<char>(generation >> (8 * i)));
  return prefix;
}

std::string CheckpointKey(uint32_t generation) {
  return absl::StrCat("m/checkpoint/", GenerationPrefix(generation));
}
std::string UnknownKey(uint32_t generation) {
  return absl::StrCat("m/unknown/", GenerationPrefix(generation));
}

// Times as keys: nanoseconds since the epoch, sign bit flipped, big-endian,
// so that they sort in time order.
void PutTime(absl::Time time, std::string* out) {
  PutBigEndian64(static_cast<uint64_t>(absl::ToUnixNanos(time)) ^ (uint64_t{1} << 63), out);
}
absl::Time GetTime(std::string_view bytes) {
  return absl::FromUnixNanos(static_cast<int64_t>(GetBigEndian64(bytes) ^ (uint64_t{1} << 63)));
}

std::string TenderKey(const std::string& tender_id) { return absl::StrCat("t/", tender_id); }

// The deadline and idle index entries a tender's state calls for: key ->
// value. The values carry what the board shows, so that it reads one range
// and nothing else.
std::map<std::string, std::string> IndexEntries(const v1::TenderView& view,
                                                const std::string& own_party_id) {
  std::map<std::string, std::string> entries;
  if (!view.has_details() || view.status() != v1::TENDER_STATUS_OPEN) return entries;
  const v1::TenderDiscovered& details = view.details();
  const std::string& tender_id = details.tender_id();
  const v1::KeyDates& dates = details.key_dates();
  if (!view.no_bid_decided()) {
    bool our_bid = false;
    for (const v1::LotView& lot : view.lots()) {
      for (const v1::BidView& bid : lot.bids()) {
        our_bid |=
            bid.bid().bidder().id() == own_party_id && bid.status() != v1::BID_STATUS_WITHDRAWN;
      }
    }
    // What every deadline of the tender shows, built once.
    v1::DeadlineItem item;
    item.set_tender_id(tender_id);
    item.set_title(details.title());
    *item.mutable_buyer() = details.buyer();
    item.set_territory(details.territory());
    item.set_owner_team(details.owner_team());
    auto add = [&](bool present, const google::protobuf::Timestamp& due, const char* kind,
                   bool done) {
      if (!present) return;
      std::string key = "d/";
      PutTime(FromProtoTime(due), &key);
      absl::StrAppend(&key, "/", tender_id, "/", kind);
      item.set_kind(kind);
      *item.mutable_due() = due;
      item.set_done(done);
      std::string value = item.SerializeAsString();
      // Deadlines not done yet are also indexed on their own, so that the
      // board's look back for overdue ones reads only those.
      if (!done && std::string_view(kind) != "bid_opening_at") {
        entries["o/" + key.substr(2)] = value;
      }
      entries[std::move(key)] = std::move(value);
    };
    add(dates.has_documents_available_until(), dates.documents_available_until(),
        "documents_available_until", view.documents_obtained());
    add(dates.has_submission_deadline(), dates.submission_deadline(), "submission_deadline",
        our_bid);
    add(dates.has_bid_opening_at(), dates.bid_opening_at(), "bid_opening_at", false);
  }
  const bool undecided =
      std::any_of(view.lots().begin(), view.lots().end(),
                  [](const v1::LotView& lot) { return lot.status() == v1::LOT_STATUS_OPEN; });
  // A tender we decided not to bid on has left our pipeline: never stale.
  if (undecided && !view.no_bid_decided() && view.has_last_event_at()) {
    std::string key = "s/";
    PutTime(FromProtoTime(view.last_event_at()), &key);
    absl::StrAppend(&key, "/", tender_id);
    v1::StaleTender stale;
    stale.set_tender_id(tender_id);
    stale.set_title(details.title());
    stale.set_territory(details.territory());
    stale.set_owner_team(details.owner_team());
    *stale.mutable_buyer() = details.buyer();
    *stale.mutable_last_event_at() = view.last_event_at();
    entries[std::move(key)] = stale.SerializeAsString();
  }
  return entries;
}

// Read-model writes skip RocksDB's write-ahead log: the read models are
// derived from the log, and without a WAL a crash loses only writes whose
// memtable was not yet flushed, always a suffix of them, checkpoint
// included (one column family; each write lands in one memtable whole), so
// the runner resumes from an older checkpoint and folds those events again.
// Closing the database flushes the memtables; a rebuild flushes them before
// it makes the new generation active.
rocksdb::WriteOptions NoWal() {
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  return options;
}

// Tenders kept in a runner's cache at most.
constexpr size_t kMaxCachedTenders = 200000;

struct CachedTender {
  tender::TenderState state;
  uint64_t revision = 0;
  // The index entries last written for this tender.
  std::map<std::string, std::string> index;
  // Changed since the last write (listed in Staged::dirty).
  bool dirty = false;
};

// Changes applied to the runner's cache and not written yet.
struct Staged {
  uint64_t events = 0;
  uint64_t next_position = 0;
  // Unknown events counted, including the staged ones.
  uint64_t unknown = 0;
  // Tenders changed, in the order first touched.
  std::vector<std::string> dirty;
  // Actor records to append: key -> records (node map: the runner keeps a
  // pointer to the chunk it is appending to).
  absl::node_hash_map<std::string, std::string> actor_chunks;
  // Per actor, the chunk of actor_chunks being appended to and its number:
  // a batch interleaves a few actors, and building a chunk key for every
  // event cost more than appending the record.
  absl::flat_hash_map<std::string, std::pair<uint64_t, std::string*>> actor_cursors;
};

// Records of what each actor recorded are kept in chunks of 4,096 positions:
// a/<actor>\0<position >> 12>, whose value is the chunk's records
// (actor_record.h) in position order. Each write appends to a chunk with a
// merge, so the stored bytes do not depend on where batches end, and an event
// costs no key of its own.
constexpr int kActorChunkBits = 12;

// An event of a delivered batch, decoded for the runner.
struct DecodedEvent {
  // On the heap when Apply keeps its payload (it is moved from), otherwise on
  // the delivery's arena; null: not a tender event (skipped, counted).
  v1::TenderEvent* event = nullptr;
  std::unique_ptr<v1::TenderEvent> owned;  // the event, when on the heap
  // Where its actor record ends in Delivery::actor_records.
  size_t record_end = 0;
};

// A subscription item, and once decoded, its events ready to apply.
struct Delivery {
  explicit Delivery(absl::StatusOr<eventlog::SubscriptionItem> item) : item(std::move(item)) {}
  absl::StatusOr<eventlog::SubscriptionItem> item;
  bool decoded = false;
  // Events only read by Apply: their strings and messages are freed at once.
  google::protobuf::Arena arena;
  std::vector<DecodedEvent> events;  // one per event of the batch
  // Each event's actor record (actor_record.h), in position order.
  std::string actor_records;
};

// The number of events in a batch, and the i-th, packed or not (a remote
// store delivers them unpacked).
size_t EventCount(const eventlog::EventBatch& batch) {
  return batch.packed.empty() ? batch.events.size() : batch.packed.size();
}
eventlog::EventView EventAt(const eventlog::EventBatch& batch, size_t i) {
  return batch.packed.empty() ? eventlog::ViewOf(batch.events[i]) : batch.packed[i];
}

// Decodes a delivered batch: the half of the runner's work that needs no
// read model, so that the reader thread can take it on when it is ahead.
void Decode(Delivery* delivery) {
  if (delivery->decoded) return;
  delivery->decoded = true;
  if (!delivery->item.ok()) return;
  const auto* batch = std::get_if<eventlog::EventBatch>(&*delivery->item);
  if (batch == nullptr) return;
  const size_t count = EventCount(*batch);
  delivery->events.resize(count);
  // About 35 bytes a record: grown once or twice rather than a dozen times.
  delivery->actor_records.reserve(count * 40);
  for (size_t i = 0; i < count; ++i) {
    const eventlog::EventView event = EventAt(*batch, i);
    DecodedEvent& decoded = delivery->events[i];
    AppendActorRecord(event.stream_id, event.position, event.type, event.occurred_at,
                      event.recorded_at, &delivery->actor_records);
    decoded.record_end = delivery->actor_records.size();
    decoded.event = tender::DecodeForFold(event.type, event.data, &delivery->arena, &decoded.owned);
  }
}

// Reads a subscription on a thread of its own, up to eight batches ahead, so
// that reading overlaps applying (measured: reading a batch costs about as
// much as decoding and applying it), and goes on while the runner prepares a
// write. When the runner is the slower one (the queue is at least half
// full), the reader also decodes what it read; otherwise the runner decodes,
// so the work balances between the two threads.
class Prefetcher {
 public:
  explicit Prefetcher(eventlog::Subscription* subscription)
      : subscription_(subscription), thread_([this] { Loop(); }) {}
  // Cancels the subscription (it is being abandoned) and waits for the thread.
  ~Prefetcher() {
    {
      absl::MutexLock lock(&mu_);
      closing_ = true;
    }
    subscription_->Cancel();
    thread_.join();
  }

  // Hands a delivery back to the reader thread to be freed there: freeing a
  // batch of events costs about as much as allocating it.
  void Recycle(std::unique_ptr<Delivery> delivery) {
    absl::MutexLock lock(&mu_);
    used_.push_back(std::move(delivery));
  }

  // The next item, decoded, or the subscription's error (after which there is
  // nothing more).
  std::unique_ptr<Delivery> Pop() {
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

 private:
  static constexpr size_t kAhead = 8;

  void Loop() {
    pthread_setname_np(pthread_self(), "proj-reader");
    while (true) {
      {
        std::vector<std::unique_ptr<Delivery>> used;
        {
          absl::MutexLock lock(&mu_);
          used.swap(used_);
        }
      }
      auto delivery = std::make_unique<Delivery>(subscription_->Next());
      const bool last = !delivery->item.ok();
      bool runner_behind;
      {
        absl::MutexLock lock(&mu_);
        runner_behind = queue_.size() >= kAhead / 2;
      }
      if (runner_behind) Decode(delivery.get());
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &Prefetcher::HasRoomOrClosing));
      if (closing_) return;
      queue_.push_back(std::move(delivery));
      if (last) return;
    }
  }
  bool HasRoomOrClosing() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return closing_ || queue_.size() < kAhead;
  }

  eventlog::Subscription* const subscription_;
  absl::Mutex mu_;
  std::deque<std::unique_ptr<Delivery>> queue_ ABSL_GUARDED_BY(mu_);
  std::vector<std::unique_ptr<Delivery>> used_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

struct Generation;

// A write prepared by the runner: the read models' changes, the checkpoint
// they reach, and what becomes visible once they are written.
struct PendingWrite {
  enum class Kind : uint8_t { kPut, kDelete, kMerge };
  struct Change {
    std::string key;
    // Into `stored`, `actor_chunks`, the encodings below, or the runner's
    // cached index entries (which the runner leaves alone until the write
    // has landed).
    const std::string* value;
    Kind kind;
    static bool ByKey(const Change& a, const Change& b) { return a.key < b.key; }
  };
  Generation* generation = nullptr;
  // Each changed tender's stored form, in the order of Staged::dirty.
  std::vector<std::string> stored;
  absl::node_hash_map<std::string, std::string> actor_chunks;
  // Runs of changes, each in key order (keys are unique across runs).
  std::vector<std::vector<Change>> runs;
  uint64_t checkpoint = 0;
  uint64_t unknown = 0;
  // Written once the runner has caught up with the log.
  bool caught_up = false;
  std::string encoded_checkpoint;
  std::string encoded_unknown;
  std::vector<std::pair<std::string, std::shared_ptr<const std::vector<analytics::Competition>>>>
      competitions;
};

// The batch a writer builds its writes in, kept from one write to the next
// while catching up: a catch-up write is a hundred MB or more, and fresh
// memory for each would be paid in page faults, the last time at the very end
// of a rebuild, when nothing else is left to do (measured: building the last
// write's batch took half the time in a batch kept from the write before).
struct WriteBuffer {
  std::unique_ptr<rocksdb::WriteBatch> batch;
  size_t reserved = 0;

  // An empty batch with room for `bytes`.
  rocksdb::WriteBatch* Take(size_t bytes) {
    if (batch == nullptr || reserved < bytes) {
      batch.reset();  // freed before the next is allocated
      batch = std::make_unique<rocksdb::WriteBatch>(bytes);
      reserved = bytes;
    } else {
      batch->Clear();  // keeps its memory
    }
    return batch.get();
  }
  // Lets the memory go (once caught up: writes are small from then on).
  void Release() {
    batch.reset();
    reserved = 0;
  }
};

// Writes prepared writes on a thread of its own, one at a time and in order,
// so that the runner folds the next events while RocksDB takes the last ones
// in (measured: a catch-up write left the runner's other core idle for a
// third of a rebuild). A write that fails stops every later one: the runner
// learns it from Submit or Drain and starts again from the checkpoint
// written last.
class Writer {
 public:
  explicit Writer(std::function<absl::Status(PendingWrite*, WriteBuffer*)> write)
      : write_(std::move(write)), thread_([this] { Loop(); }) {}
  ~Writer() {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &Writer::Idle));
      closing_ = true;
    }
    thread_.join();
  }

  // Hands over a write once the one before has landed; the error of an
  // earlier write, and then `pending` is dropped.
  absl::Status Submit(std::unique_ptr<PendingWrite> pending) {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Writer::Idle));
    if (!status_.ok()) return status_;
    pending_ = std::move(pending);
    return absl::OkStatus();
  }

  // Waits until every write handed over has landed; the first error.
  absl::Status Drain() {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Writer::Idle));
    return status_;
  }

 private:
  bool Idle() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return pending_ == nullptr; }
  bool HasWork() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return pending_ != nullptr || closing_;
  }

  void Loop() {
    pthread_setname_np(pthread_self(), "proj-writer");
    while (true) {
      PendingWrite* pending;
      {
        absl::MutexLock lock(&mu_);
        mu_.Await(absl::Condition(this, &Writer::HasWork));
        if (pending_ == nullptr) return;  // closing, nothing left
        pending = pending_.get();
      }
      absl::Status written = write_(pending, &buffer_);
      std::unique_ptr<PendingWrite> done;  // freed here, off the runner's thread
      {
        absl::MutexLock lock(&mu_);
        if (status_.ok()) status_ = written;
        done = std::move(pending_);
      }
    }
  }

  const std::function<absl::Status(PendingWrite*, WriteBuffer*)> write_;
  WriteBuffer buffer_;  // used by the writer thread only
  absl::Mutex mu_;
  // The write being written; null when idle.
  std::unique_ptr<PendingWrite> pending_ ABSL_GUARDED_BY(mu_);
  absl::Status status_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

// Concatenates merge operands (appends to actor chunks).
class AppendOperator final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& input, MergeOperationOutput* output) const override {
    size_t size = input.existing_value != nullptr ? input.existing_value->size() : 0;
    for (const rocksdb::Slice& operand : input.operand_list) size += operand.size();
    output->new_value.clear();
    output->new_value.reserve(size);
    if (input.existing_value != nullptr) {
      output->new_value.append(input.existing_value->data(), input.existing_value->size());
    }
    for (const rocksdb::Slice& operand : input.operand_list) {
      output->new_value.append(operand.data(), operand.size());
    }
    return true;
  }
  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    new_value->clear();
    for (const rocksdb::Slice& operand : operands)
      new_value->append(operand.data(), operand.size());
    return true;
  }
  const char* Name() const override { return "bidtrail.Append"; }
};

// One generation of read models and its runner's state.
struct Generation {
  explicit Generation(uint32_t id) : id(id), prefix(GenerationPrefix(id)) {}
  const uint32_t id;
  const std::string prefix;

  std::atomic<uint64_t> checkpoint{0};
  std::atomic<uint64_t> unknown{0};
  std::atomic<bool> caught_up{false};

  absl::Mutex mu;
  absl::flat_hash_map<std::string, std::shared_ptr<const std::vector<analytics::Competition>>>
      competitions ABSL_GUARDED_BY(mu);
  std::shared_ptr<const analytics::CompetitionSet> snapshot ABSL_GUARDED_BY(mu);

  // Used by the runner thread only: the committed state of recently touched
  // tenders, so that a tender is not read and parsed again for every batch.
  absl::flat_hash_map<std::string, CachedTender> cache;
  // The cache holds every tender this generation has stored (it was filled
  // from position 1 and never cleared since): a tender not in it is new, and
  // is not looked up in the database.
  bool cache_complete = false;

  // The runner following the log for this generation.
  std::thread runner;
  std::atomic<bool> stop{false};
  absl::Mutex subscription_mu;
  eventlog::Subscription* subscription ABSL_GUARDED_BY(subscription_mu) = nullptr;
};

void ClearCache(Generation* generation) {
  generation->cache.clear();
  generation->cache_complete = false;
}

}  // namespace

class ProjectionEngine::Impl {
 public:
  Impl(eventlog::EventStore* store, const Options& options, std::unique_ptr<rocksdb::DB> db)
      : store_(store), options_(options), db_(std::move(db)) {}

  ~Impl() {
    {
      // A rebuild in progress gives up, and is waited for.
      absl::MutexLock lock(&mu_);
      closing_ = true;
      mu_.Await(absl::Condition(
          +[](int* running) { return *running == 0; }, &rebuilds_running_));
    }
    Stop();
    std::shared_ptr<Generation> building;
    {
      absl::MutexLock lock(&mu_);
      building = building_;
    }
    if (building) StopRunner(building.get());
    // Ignored on purpose: the last batch and checkpoint are already written.
    (void)db_->Close();
  }

  absl::Status Load();
  void Start();
  void Stop();
  bool WaitForPosition(uint64_t position, absl::Duration timeout);
  absl::StatusOr<std::optional<v1::GetTenderResponse>> GetTender(const std::string& tender_id);
  absl::Status ScanDeadlines(absl::Time as_of, absl::Time from, absl::Time to,
                             const std::string& after,
                             const std::function<bool(const DeadlineKey&)>& visit);
  absl::Status ScanIdle(absl::Time before,
                        const std::function<bool(const v1::StaleTender&)>& visit);
  absl::Status ScanActor(const std::string& actor, uint64_t after_position,
                         const std::function<bool(const v1::ActorRecord&)>& visit);
  std::shared_ptr<const analytics::CompetitionSet> Competitions();
  absl::Status Rebuild(const std::function<void(uint64_t, uint64_t)>& progress);
  ProjectionStatus Status();
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Dump();
  const Options& options() const { return options_; }

 private:
  std::shared_ptr<Generation> Active() {
    absl::MutexLock lock(&mu_);
    return active_;
  }
  absl::Status LoadGeneration(Generation* generation);
  void StartRunner(std::shared_ptr<Generation> generation);
  void StopRunner(Generation* generation);
  void Run(Generation* generation);
  // Applies a delivered batch to the runner's cache and stages its changes.
  absl::Status Stage(Generation* generation, Delivery* delivery, Staged* staged);
  // Prepares the staged changes and the new checkpoint as one atomic write,
  // and hands it to `writer`.
  absl::Status Flush(Generation* generation, Staged* staged, Writer* writer);
  // Writes a prepared write and makes its changes visible (on the writer
  // thread).
  absl::Status Write(PendingWrite* pending, WriteBuffer* buffer);
  absl::Status ScanPrefix(const std::string& from, const std::string& to,
                          const std::function<bool(std::string_view, std::string_view)>& visit);

  eventlog::EventStore* const store_;
  const Options options_;
  const std::unique_ptr<rocksdb::DB> db_;

  absl::Mutex mu_;
  std::shared_ptr<Generation> active_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Generation> building_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  int rebuilds_running_ ABSL_GUARDED_BY(mu_) = 0;

  // Signalled whenever a generation's checkpoint moves.
  absl::Mutex progress_mu_;
  absl::CondVar progress_cv_;
};

absl::Status ProjectionEngine::Impl::Load() {
  std::string value;
  rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), kFormatKey, &value);
  if (got.ok() && value != kFormat) {
    got = rocksdb::Status::NotFound();
  } else if (!got.ok() && !got.IsNotFound()) {
    return FromRocks(got, "reading the format");
  }
  if (got.IsNotFound()) {
    // A new database, or one of another layout: read models are derived from
    // the log, so they are cleared and the runner folds the log again.
    rocksdb::WriteBatch reset;
    reset.DeleteRange(rocksdb::Slice("\0", 1), rocksdb::Slice("\xff"));
    reset.Put(kFormatKey, kFormat);
    RETURN_IF_ERROR(FromRocks(db_->Write(rocksdb::WriteOptions(), &reset), "writing the format"));
  }
  got = db_->Get(rocksdb::ReadOptions(), kActiveKey, &value);
  uint32_t active = 1;
  if (got.ok()) {
    active = static_cast<uint32_t>(GetBigEndian64(value));
  } else if (got.IsNotFound()) {
    std::string encoded;
    PutBigEndian64(active, &encoded);
    RETURN_IF_ERROR(FromRocks(db_->Put(rocksdb::WriteOptions(), kActiveKey, encoded),
                              "writing the active generation"));
  } else {
    return FromRocks(got, "reading the active generation");
  }
  auto generation = std::make_shared<Generation>(active);
  RETURN_IF_ERROR(LoadGeneration(generation.get()));
  absl::MutexLock lock(&mu_);
  active_ = std::move(generation);
  return absl::OkStatus();
}

absl::Status ProjectionEngine::Impl::LoadGeneration(Generation* generation) {
  std::string value;
  rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), CheckpointKey(generation->id), &value);
  if (got.ok()) generation->checkpoint = GetBigEndian64(value);
  got = db_->Get(rocksdb::ReadOptions(), UnknownKey(generation->id), &value);
  if (got.ok()) generation->unknown = GetBigEndian64(value);
  // The competitions of every stored tender, for the analytics.
  absl::flat_hash_map<std::string, std::shared_ptr<const std::vector<analytics::Competition>>>
      competitions;
  const std::string from = generation->prefix + "t/";
  const std::string to = generation->prefix + "t0";
  RETURN_IF_ERROR(ScanPrefix(from, to, [&](std::string_view key, std::string_view value) {
    v1::GetTenderResponse stored;
    if (stored.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      competitions[std::string(key.substr(from.size()))] =
          std::make_shared<const std::vector<analytics::Competition>>(
              analytics::CompetitionsOf(stored.tender()));
    }
    return true;
  }));
  absl::MutexLock lock(&generation->mu);
  generation->competitions = std::move(competitions);
  generation->snapshot = nullptr;
  return absl::OkStatus();
}

absl::Status ProjectionEngine::Impl::ScanPrefix(
    const std::string& from, const std::string& to,
    const std::function<bool(std::string_view, std::string_view)>& visit) {
  const rocksdb::Slice upper(to);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(read_options));
  for (it->Seek(from); it->Valid(); it->Next()) {
    if (!visit(std::string_view(it->key().data(), it->key().size()),
               std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "reading the read models");
}

void ProjectionEngine::Impl::Start() {
  std::shared_ptr<Generation> active;
  {
    absl::MutexLock lock(&mu_);
    if (started_) return;
    started_ = true;
    active = active_;
  }
  StartRunner(std::move(active));
}

void ProjectionEngine::Impl::Stop() {
  std::shared_ptr<Generation> active;
  {
    absl::MutexLock lock(&mu_);
    if (!started_) return;
    started_ = false;
    active = active_;
  }
  StopRunner(active.get());
}

void ProjectionEngine::Impl::StartRunner(std::shared_ptr<Generation> generation) {
  generation->stop = false;
  Generation* raw = generation.get();
  raw->runner = std::thread([this, raw] { Run(raw); });
}

void ProjectionEngine::Impl::StopRunner(Generation* generation) {
  generation->stop = true;
  {
    absl::MutexLock lock(&generation->subscription_mu);
    if (generation->subscription != nullptr) generation->subscription->Cancel();
  }
  if (generation->runner.joinable()) generation->runner.join();
}

void ProjectionEngine::Impl::Run(Generation* generation) {
  pthread_setname_np(pthread_self(), "proj-runner");
  while (!generation->stop) {
    eventlog::SubscribeRequest request;
    request.from_position = generation->checkpoint + 1;
    request.max_batch = options_.batch_events;
    request.max_batch_bytes = uint64_t{16} << 20;
    request.lean = true;  // the read models use no event id, hash or correlation
    request.packed = true;
    absl::StatusOr<std::unique_ptr<eventlog::Subscription>> subscribed = store_->Subscribe(request);
    if (!subscribed.ok()) {
      absl::SleepFor(absl::Milliseconds(500));  // the store may be restarting; try again
      continue;
    }
    {
      absl::MutexLock lock(&generation->subscription_mu);
      generation->subscription = subscribed->get();
    }
    if (generation->stop) (*subscribed)->Cancel();
    generation->caught_up = false;
    if (generation->checkpoint == 0) generation->cache_complete = generation->cache.empty();
    bool failed = false;
    {
      Writer writer(
          [this](PendingWrite* pending, WriteBuffer* buffer) { return Write(pending, buffer); });
      Prefetcher prefetch(subscribed->get());
      Staged staged;
      staged.unknown = generation->unknown;
      while (!failed) {
        std::unique_ptr<Delivery> delivery = prefetch.Pop();
        if (!delivery->item.ok()) break;  // cancelled, or the store went away: resubscribe
        if (std::holds_alternative<eventlog::CaughtUp>(*delivery->item)) {
          generation->caught_up = true;
        } else {
          failed = !Stage(generation, delivery.get(), &staged).ok();
          prefetch.Recycle(std::move(delivery));
        }
        // While catching up, changes accumulate over many batches, so that a
        // tender touched by many of them is turned into its stored form once;
        // once caught up, every batch is written as it comes.
        if (!failed && staged.events > 0 &&
            (generation->caught_up || staged.events >= options_.catch_up_events ||
             staged.dirty.size() >= kMaxCachedTenders / 2)) {
          failed = !Flush(generation, &staged, &writer).ok();
        }
        absl::MutexLock lock(&progress_mu_);
        progress_cv_.SignalAll();
      }
      // The cache may hold changes that were never written: the next
      // subscription starts again from the checkpoint with an empty cache.
      if (!writer.Drain().ok()) failed = true;
      if (failed || staged.events > 0) ClearCache(generation);
    }
    {
      absl::MutexLock lock(&generation->subscription_mu);
      generation->subscription = nullptr;
    }
    if (!generation->stop) absl::SleepFor(absl::Milliseconds(200));
  }
}

absl::Status ProjectionEngine::Impl::Stage(Generation* generation, Delivery* delivery,
                                           Staged* staged) {
  const eventlog::EventBatch& batch = std::get<eventlog::EventBatch>(*delivery->item);
  auto& cache = generation->cache;
  size_t record_begin = 0;
  const size_t count = EventCount(batch);
  for (size_t i = 0; i < count; ++i) {
    const eventlog::EventView event = EventAt(batch, i);
    const absl::string_view actor(event.actor.data(), event.actor.size());
    DecodedEvent& decoded = delivery->events[i];
    // What the actor recorded, appended to the actor's chunk of positions.
    auto [cursor, added] = staged->actor_cursors.try_emplace(actor, 0, nullptr);
    auto& [chunk_number, chunk] = cursor->second;
    if (added || event.position >> kActorChunkBits != chunk_number) {
      chunk_number = event.position >> kActorChunkBits;
      std::string key = absl::StrCat(generation->prefix, "a/", actor, std::string(1, '\0'));
      PutBigEndian64(chunk_number, &key);
      chunk = &staged->actor_chunks[std::move(key)];
      // A chunk grows to several KB within a catch-up write: start at a
      // page rather than at a few bytes.
      if (chunk->capacity() < 4096) chunk->reserve(4096);
    }
    chunk->append(delivery->actor_records, record_begin, decoded.record_end - record_begin);
    record_begin = decoded.record_end;

    if (!decoded.event) {
      ++staged->unknown;
      continue;
    }
    // Into the event: used before the event is applied (moved from).
    const std::string& tender_id = tender::TenderIdOf(*decoded.event);
    auto it = cache.find(tender_id);
    if (it == cache.end() && generation->cache_complete) {
      it = cache.emplace(tender_id, CachedTender()).first;
    } else if (it == cache.end()) {
      CachedTender loaded;
      std::string value;
      const rocksdb::Status got =
          db_->Get(rocksdb::ReadOptions(), generation->prefix + TenderKey(tender_id), &value);
      if (got.ok()) {
        v1::GetTenderResponse stored;
        if (!stored.ParseFromString(value)) {
          return absl::DataLossError(absl::StrCat("read model of tender ", tender_id));
        }
        loaded.index = IndexEntries(stored.tender(), options_.own_party_id);
        loaded.state = tender::FromView(stored.tender());
        loaded.revision = stored.revision();
      } else if (!got.IsNotFound()) {
        return FromRocks(got, "reading a tender read model");
      }
      it = cache.emplace(tender_id, std::move(loaded)).first;
    }
    if (!it->second.dirty) {
      it->second.dirty = true;
      staged->dirty.push_back(tender_id);
    }
    if (decoded.owned) {
      tender::Apply(std::move(*decoded.owned), &it->second.state);
    } else {
      tender::Apply(*decoded.event, &it->second.state);
    }
    it->second.revision = event.revision;
  }
  staged->events += count;
  staged->next_position = batch.next_position;
  return absl::OkStatus();
}

absl::Status ProjectionEngine::Impl::Flush(Generation* generation, Staged* staged, Writer* writer) {
  // The write in flight may still read the index entries below.
  RETURN_IF_ERROR(writer->Drain());
  auto& cache = generation->cache;
  auto pending = std::make_unique<PendingWrite>();
  pending->generation = generation;
  using Change = PendingWrite::Change;
  using Kind = PendingWrite::Kind;
  // Each changed tender's stored form, index entries, competitions and
  // changes; the tenders are independent, so a large write prepares them on
  // two threads, each producing a run of changes in key order.
  const size_t tenders = staged->dirty.size();
  pending->stored.resize(tenders);
  pending->competitions.resize(tenders);
  auto prepare = [&](size_t begin, size_t end, std::vector<Change>* changes) {
    changes->reserve((end - begin) * 4);
    // One view for every tender: it points at each state's messages in turn,
    // and keeps its lot and bid entries from one to the next.
    v1::GetTenderResponse stored;
    for (size_t i = begin; i < end; ++i) {
      const std::string& tender_id = staged->dirty[i];
      CachedTender& entry = cache.find(tender_id)->second;
      tender::LendView(&entry.state, options_.own_party_id, stored.mutable_tender());
      stored.set_revision(entry.revision);
      std::map<std::string, std::string> index =
          IndexEntries(stored.tender(), options_.own_party_id);
      pending->stored[i] = stored.SerializeAsString();
      pending->competitions[i] = {tender_id,
                                  std::make_shared<const std::vector<analytics::Competition>>(
                                      analytics::CompetitionsOf(stored.tender()))};
      tender::GiveBack(stored.mutable_tender());

      entry.dirty = false;
      for (const auto& [key, value] : entry.index) {
        if (!index.contains(key)) {
          changes->push_back({generation->prefix + key, nullptr, Kind::kDelete});
        }
      }
      for (const auto& [key, value] : index) {
        auto old = entry.index.find(key);
        if (old == entry.index.end() || old->second != value) {
          changes->push_back({generation->prefix + key, &value, Kind::kPut});
        }
      }
      // If the write fails the whole cache is dropped, so the entry may
      // already describe what is being written. (Moving a map leaves its
      // values where they are: the changes' pointers stay valid until the
      // next Flush, which first waits for this write.)
      entry.index = std::move(index);
      changes->push_back(
          {generation->prefix + TenderKey(tender_id), &pending->stored[i], Kind::kPut});
    }
    // Every key is changed once: the order of equal keys never matters.
    std::sort(changes->begin(), changes->end(), Change::ByKey);
  };
  std::vector<std::vector<Change>>& runs = pending->runs;
  constexpr size_t kParallelFrom = 512;
  if (tenders >= kParallelFrom) {
    runs.resize(3);
    const size_t half = tenders / 2;
    std::thread helper(prepare, half, tenders, &runs[1]);
    prepare(0, half, &runs[0]);
    helper.join();
  } else {
    runs.resize(2);
    prepare(0, tenders, &runs[0]);
  }
  std::vector<Change>& rest = runs.back();
  pending->actor_chunks = std::move(staged->actor_chunks);
  staged->actor_chunks.clear();
  staged->actor_cursors.clear();
  for (const auto& [key, records] : pending->actor_chunks) {
    rest.push_back({key, &records, Kind::kMerge});
  }
  pending->checkpoint = staged->next_position - 1;
  pending->caught_up = generation->caught_up;
  pending->unknown = staged->unknown;
  PutBigEndian64(pending->checkpoint, &pending->encoded_checkpoint);
  rest.push_back({CheckpointKey(generation->id), &pending->encoded_checkpoint, Kind::kPut});
  PutBigEndian64(pending->unknown, &pending->encoded_unknown);
  rest.push_back({UnknownKey(generation->id), &pending->encoded_unknown, Kind::kPut});
  std::sort(rest.begin(), rest.end(), Change::ByKey);
  staged->events = 0;
  staged->dirty.clear();
  RETURN_IF_ERROR(writer->Submit(std::move(pending)));
  // Bounded memory: a cache over its size starts again (tenders are active
  // for weeks, so the working set refills quickly). The runner then reads
  // tenders back from the database: the write must have landed.
  if (cache.size() > kMaxCachedTenders) {
    RETURN_IF_ERROR(writer->Drain());
    ClearCache(generation);
  }
  return absl::OkStatus();
}

absl::Status ProjectionEngine::Impl::Write(PendingWrite* pending, WriteBuffer* buffer) {
  Generation* generation = pending->generation;
  // A catch-up write is a hundred MB or more: sized once rather than grown by
  // doubling (each step a copy into freshly faulted pages).
  size_t bytes = 4096;
  for (const std::vector<PendingWrite::Change>& run : pending->runs) {
    for (const PendingWrite::Change& change : run) {
      bytes += change.key.size() + (change.value != nullptr ? change.value->size() : 0) + 16;
    }
  }
  // The changes go into the batch in key order, merged from the sorted runs:
  // RocksDB's memtable inserts a key next to the one inserted before it in a
  // few steps, where a key in random order costs a search of the whole skip
  // list (measured: key order halves the cost of a catch-up write).
  rocksdb::WriteBatch& write = *buffer->Take(bytes);
  std::vector<size_t> next(pending->runs.size(), 0);
  while (true) {
    const PendingWrite::Change* change = nullptr;
    size_t from = 0;
    for (size_t r = 0; r < pending->runs.size(); ++r) {
      if (next[r] == pending->runs[r].size()) continue;
      const PendingWrite::Change& candidate = pending->runs[r][next[r]];
      if (change == nullptr || PendingWrite::Change::ByKey(candidate, *change)) {
        change = &candidate;
        from = r;
      }
    }
    if (change == nullptr) break;
    ++next[from];
    switch (change->kind) {
      case PendingWrite::Kind::kPut:
        write.Put(change->key, *change->value);
        break;
      case PendingWrite::Kind::kDelete:
        write.Delete(change->key);
        break;
      case PendingWrite::Kind::kMerge:
        write.Merge(change->key, *change->value);
        break;
    }
  }
  RETURN_IF_ERROR(FromRocks(db_->Write(NoWal(), &write), "writing read models"));
  if (pending->caught_up) buffer->Release();
  {
    absl::MutexLock lock(&generation->mu);
    for (auto& [tender_id, list] : pending->competitions) {
      generation->competitions[tender_id] = std::move(list);
    }
    if (!pending->competitions.empty()) generation->snapshot = nullptr;
  }
  generation->unknown = pending->unknown;
  generation->checkpoint = pending->checkpoint;
  absl::MutexLock lock(&progress_mu_);
  progress_cv_.SignalAll();
  return absl::OkStatus();
}

bool ProjectionEngine::Impl::WaitForPosition(uint64_t position, absl::Duration timeout) {
  const absl::Time deadline = absl::Now() + timeout;
  absl::MutexLock lock(&progress_mu_);
  while (Active()->checkpoint < position) {
    if (progress_cv_.WaitWithDeadline(&progress_mu_, deadline)) {
      return Active()->checkpoint >= position;
    }
  }
  return true;
}

absl::StatusOr<std::optional<v1::GetTenderResponse>> ProjectionEngine::Impl::GetTender(
    const std::string& tender_id) {
  const std::shared_ptr<Generation> active = Active();
  std::string value;
  const rocksdb::Status got =
      db_->Get(rocksdb::ReadOptions(), active->prefix + TenderKey(tender_id), &value);
  if (got.IsNotFound()) return std::optional<v1::GetTenderResponse>();
  RETURN_IF_ERROR(FromRocks(got, "reading a tender"));
  v1::GetTenderResponse stored;
  if (!stored.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("read model of tender ", tender_id));
  }
  return std::optional<v1::GetTenderResponse>(std::move(stored));
}

absl::Status ProjectionEngine::Impl::ScanDeadlines(
    absl::Time as_of, absl::Time from, absl::Time to, const std::string& after,
    const std::function<bool(const DeadlineKey&)>& visit) {
  const std::shared_ptr<Generation> active = Active();
  const size_t skip = active->prefix.size();
  bool stopped = false;
  auto scan = [&](const std::string& index, absl::Time begin, absl::Time end) {
    std::string start = active->prefix + index;
    PutTime(begin, &start);
    if (!after.empty() && after.compare(0, 2, index) == 0 && active->prefix + after >= start) {
      start = active->prefix + after + '\0';
    }
    std::string limit = active->prefix + index;
    PutTime(end, &limit);
    return ScanPrefix(start, limit, [&](std::string_view key, std::string_view value) {
      DeadlineKey entry;
      if (!entry.item.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
      entry.due = GetTime(key.substr(skip + 2));
      entry.key = std::string(key.substr(skip));
      stopped = !visit(entry);
      return !stopped;
    });
  };
  // Before as_of only what is not done (overdue), then everything ahead.
  if (after.empty() || after.compare(0, 2, "o/") == 0) {
    RETURN_IF_ERROR(scan("o/", from, std::min(as_of, to)));
    if (stopped) return absl::OkStatus();
  }
  return scan("d/", std::max(as_of, from), to);
}

absl::Status ProjectionEngine::Impl::ScanIdle(
    absl::Time before, const std::function<bool(const v1::StaleTender&)>& visit) {
  const std::shared_ptr<Generation> active = Active();
  const std::string start = active->prefix + "s/";
  std::string end = start;
  PutTime(before, &end);
  return ScanPrefix(start, end, [&](std::string_view, std::string_view value) {
    v1::StaleTender stale;
    if (!stale.ParseFromArray(value.data(), static_cast<int>(value.size()))) return true;
    return visit(stale);
  });
}

absl::Status ProjectionEngine::Impl::ScanActor(
    const std::string& actor, uint64_t after_position,
    const std::function<bool(const v1::ActorRecord&)>& visit) {
  const std::shared_ptr<Generation> active = Active();
  const std::string prefix = absl::StrCat(active->prefix, "a/", actor, std::string(1, '\0'));
  std::string start = prefix;
  PutBigEndian64((after_position + 1) >> kActorChunkBits, &start);
  std::string end = prefix;
  end.back() = '\1';
  absl::Status corrupt;
  RETURN_IF_ERROR(ScanPrefix(start, end, [&](std::string_view, std::string_view records) {
    v1::ActorRecord record;
    while (!records.empty()) {
      if (!ReadActorRecord(&records, &record)) {
        corrupt = absl::DataLossError(absl::StrCat("actor records of ", actor));
        return false;
      }
      if (record.position() > after_position && !visit(record)) return false;
    }
    return true;
  }));
  return corrupt;
}

std::shared_ptr<const analytics::CompetitionSet> ProjectionEngine::Impl::Competitions() {
  const std::shared_ptr<Generation> active = Active();
  absl::MutexLock lock(&active->mu);
  if (active->snapshot == nullptr) {
    // Pointers to the per-tender lists, which are immutable: taking a
    // snapshot copies no competition. Any tender order gives the same
    // results: every result the analytics build is ordered by its own keys,
    // and sums and medians do not depend on order.
    // They are added in the order of their addresses: the analytics pass
    // over every competition then walks memory mostly forwards (the lists
    // were allocated in the order tenders were written), which the hardware
    // prefetches, instead of in hash order.
    std::vector<const std::shared_ptr<const std::vector<analytics::Competition>>*> lists;
    lists.reserve(active->competitions.size());
    for (const auto& [id, list] : active->competitions) lists.push_back(&list);
    std::sort(lists.begin(), lists.end(), [](const auto* a, const auto* b) {
      return std::less<const void*>()((*a)->data(), (*b)->data());
    });
    auto snapshot = std::make_shared<analytics::CompetitionSet>();
    for (const auto* list : lists) snapshot->Add(*list);
    active->snapshot = std::move(snapshot);
  }
  return active->snapshot;
}

absl::Status ProjectionEngine::Impl::Rebuild(
    const std::function<void(uint64_t, uint64_t)>& progress) {
  std::shared_ptr<Generation> old;
  std::shared_ptr<Generation> fresh;
  {
    absl::MutexLock lock(&mu_);
    if (building_ != nullptr) {
      return absl::FailedPreconditionError("a rebuild is already running");
    }
    if (closing_) return absl::CancelledError("the projection engine is closing");
    ++rebuilds_running_;
    old = active_;
    fresh = std::make_shared<Generation>(old->id + 1);
    building_ = fresh;
  }
  // Counted out on every return, after the last touch of the engine.
  struct Running {
    Impl* impl;
    ~Running() {
      absl::MutexLock lock(&impl->mu_);
      --impl->rebuilds_running_;
    }
  } running{this};
  auto finish = [&](absl::Status status) {
    absl::MutexLock lock(&mu_);
    building_ = nullptr;
    return status;
  };
  // Leftovers of an earlier, interrupted rebuild of this generation go first.
  rocksdb::WriteBatch clear;
  clear.DeleteRange(fresh->prefix, GenerationPrefix(fresh->id + 1));
  clear.Delete(CheckpointKey(fresh->id));
  clear.Delete(UnknownKey(fresh->id));
  if (absl::Status cleared = FromRocks(db_->Write(rocksdb::WriteOptions(), &clear), "clearing");
      !cleared.ok()) {
    return finish(cleared);
  }
  StartRunner(fresh);
  while (true) {
    absl::StatusOr<uint64_t> head = store_->HeadPosition();
    if (!head.ok()) {
      StopRunner(fresh.get());
      return finish(head.status());
    }
    progress(fresh->checkpoint, *head);
    if (fresh->caught_up && fresh->checkpoint >= *head) break;
    bool closing;
    {
      absl::MutexLock lock(&mu_);
      closing = closing_;
    }
    if (closing) {
      StopRunner(fresh.get());
      return finish(absl::CancelledError("the projection engine is closing"));
    }
    absl::MutexLock lock(&progress_mu_);
    progress_cv_.WaitWithTimeout(&progress_mu_, absl::Milliseconds(200));
  }
  // Switch: the old runner stops, the new generation becomes active in one
  // write, and its runner goes on following the log.
  bool was_started;
  {
    absl::MutexLock lock(&mu_);
    was_started = started_;
  }
  if (was_started) StopRunner(old.get());
  std::string encoded;
  PutBigEndian64(fresh->id, &encoded);
  rocksdb::WriteOptions sync;
  sync.sync = true;
  // The new generation's writes skipped the WAL: they reach the disk before
  // the switch that makes them the ones queries read.
  absl::Status switched = FromRocks(db_->Flush(rocksdb::FlushOptions()), "flushing");
  if (switched.ok()) switched = FromRocks(db_->Put(sync, kActiveKey, encoded), "switching");
  if (!switched.ok()) {
    StopRunner(fresh.get());
    if (was_started) StartRunner(old);
    return finish(switched);
  }
  {
    absl::MutexLock lock(&mu_);
    active_ = fresh;
    building_ = nullptr;
    if (!was_started) {
      // Nobody follows the log in this engine: the rebuild's runner stops too.
      fresh->stop = true;
    }
  }
  if (!was_started) StopRunner(fresh.get());
  progress(fresh->checkpoint, fresh->checkpoint);
  rocksdb::WriteBatch drop;
  drop.DeleteRange(old->prefix, GenerationPrefix(old->id + 1));
  drop.Delete(CheckpointKey(old->id));
  drop.Delete(UnknownKey(old->id));
  // Ignored on purpose: the old generation is no longer read; a failed
  // delete leaves garbage that the next rebuild of that id clears.
  (void)db_->Write(rocksdb::WriteOptions(), &drop);
  return absl::OkStatus();
}

ProjectionStatus ProjectionEngine::Impl::Status() {
  ProjectionStatus status;
  const std::shared_ptr<Generation> active = Active();
  status.checkpoint = active->checkpoint;
  status.unknown_events_skipped = active->unknown;
  status.head_position = store_->HeadPosition().value_or(0);
  absl::MutexLock lock(&mu_);
  if (building_ != nullptr) {
    status.rebuilding = true;
    status.rebuild_position = building_->checkpoint;
  }
  return status;
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ProjectionEngine::Impl::Dump() {
  const std::shared_ptr<Generation> active = Active();
  std::vector<std::pair<std::string, std::string>> dump;
  const size_t skip = active->prefix.size();
  RETURN_IF_ERROR(ScanPrefix(active->prefix, GenerationPrefix(active->id + 1),
                             [&](std::string_view key, std::string_view value) {
                               dump.emplace_back(std::string(key.substr(skip)), std::string(value));
                               return true;
                             }));
  return dump;
}

ProjectionEngine::ProjectionEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
ProjectionEngine::~ProjectionEngine() = default;

absl::StatusOr<std::unique_ptr<ProjectionEngine>> ProjectionEngine::Open(
    eventlog::EventStore* store, const Options& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("path: required");
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.IncreaseParallelism(2);
  db_options.merge_operator = std::make_shared<AppendOperator>();
  // A catch-up write carries up to 1,048,576 events' changes (hundreds of MB):
  // larger memtables mean fewer flushes and compactions competing with the
  // runner while it catches up.
  db_options.write_buffer_size = size_t{128} << 20;
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(db_options, options.path, &raw),
                            absl::StrCat("opening ", options.path)));
  auto impl = std::make_unique<Impl>(store, options, std::unique_ptr<rocksdb::DB>(raw));
  RETURN_IF_ERROR(impl->Load());
  return std::unique_ptr<ProjectionEngine>(new ProjectionEngine(std::move(impl)));
}

void ProjectionEngine::Start() { impl_->Start(); }
void ProjectionEngine::Stop() { impl_->Stop(); }
bool ProjectionEngine::WaitForPosition(uint64_t position, absl::Duration timeout) {
  return impl_->WaitForPosition(position, timeout);
}
absl::StatusOr<std::optional<v1::GetTenderResponse>> ProjectionEngine::GetTender(
    const std::string& tender_id) {
  return impl_->GetTender(tender_id);
}
absl::Status ProjectionEngine::ScanDeadlines(absl::Time as_of, absl::Time from, absl::Time to,
                                             const std::string& after,
                                             const std::function<bool(const DeadlineKey&)>& visit) {
  return impl_->ScanDeadlines(as_of, from, to, after, visit);
}
absl::Status ProjectionEngine::ScanIdle(absl::Time before,
                                        const std::function<bool(const v1::StaleTender&)>& visit) {
  return impl_->ScanIdle(before, visit);
}
absl::Status ProjectionEngine::ScanActor(const std::string& actor, uint64_t after_position,
                                         const std::function<bool(const v1::ActorRecord&)>& visit) {
  return impl_->ScanActor(actor, after_position, visit);
}
std::shared_ptr<const analytics::CompetitionSet> ProjectionEngine::Competitions() {
  return impl_->Competitions();
}
absl::Status ProjectionEngine::Rebuild(const std::function<void(uint64_t, uint64_t)>& progress) {
  return impl_->Rebuild(progress);
}
ProjectionStatus ProjectionEngine::Status() { return impl_->Status(); }
absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ProjectionEngine::Dump() {
  return impl_->Dump();
}
const ProjectionEngine::Options& ProjectionEngine::options() const { return impl_->options(); }

}  // namespace bidtrail::projection
