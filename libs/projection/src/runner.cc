#include "runner.h"

#include <pthread.h>

#include <algorithm>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"
#include "bidtrail/common/big_endian.h"
#include "bidtrail/common/log.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/readmodel/tender_record.h"
#include "bidtrail/storage/v1/read_models.pb.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/decide.h"
#include "read_ahead.h"

namespace bidtrail::projection {
namespace {

constexpr char kComponent[] = "projection";

bool Serious(const absl::Status& status) { return status.code() != absl::StatusCode::kUnavailable; }

}  // namespace

Runner::Runner(eventlog::EventStore* log, storage::KvStore* store, Generation* generation,
               const ProjectionEngine::Options& options, std::function<void()> on_progress)
    : log_(log),
      store_(store),
      generation_(generation),
      options_(options),
      on_progress_(std::move(on_progress)) {}

Runner::~Runner() { Stop(); }

void Runner::Start() {
  absl::MutexLock lock(&mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  cancel_compaction_ = false;
  thread_ = std::thread([this] { Run(); });
}

void Runner::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
    if (subscription_ != nullptr) subscription_->Cancel();
  }
  // A compaction at the end of a catch-up (13 s at a million tenders) is
  // not waited for.
  cancel_compaction_ = true;
  thread_.join();
  thread_ = std::thread();
}

bool Runner::Stopping() {
  absl::MutexLock lock(&mu_);
  return stop_;
}

bool Runner::WaitOrStop(absl::Duration delay) {
  absl::MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout(absl::Condition(&stop_), delay);
}

std::optional<RunnerError> Runner::LastError() {
  absl::MutexLock lock(&mu_);
  return last_error_;
}

void Runner::RecordFailure(const absl::Status& status, uint64_t position) {
  bool first_of_its_kind;
  RunnerError error;
  {
    absl::MutexLock lock(&mu_);
    first_of_its_kind =
        !last_error_ || last_error_->failures_in_a_row == 0 || last_error_->status != status;
    error.status = status;
    error.position = position;
    error.at = absl::Now();
    error.failures_in_a_row = last_error_ ? last_error_->failures_in_a_row + 1 : 1;
    error.total_failures = last_error_ ? last_error_->total_failures + 1 : 1;
    last_error_ = error;
  }
  // Once per streak of the same failure: a store down for an hour is one
  // line, not one per retry.
  if (first_of_its_kind) {
    log::Write(Serious(status) ? log::Level::kError : log::Level::kWarning, kComponent,
               "runner failed; it starts again from its checkpoint",
               {{"generation", generation_->id}, {"position", position}, {"error", status}});
  }
}

void Runner::RecordSuccess() {
  uint64_t failures = 0;
  {
    absl::MutexLock lock(&mu_);
    if (!last_error_ || last_error_->failures_in_a_row == 0) return;
    failures = last_error_->failures_in_a_row;
    last_error_->failures_in_a_row = 0;
  }
  log::Info(kComponent, "runner recovered",
            {{"generation", generation_->id},
             {"failures", failures},
             {"checkpoint", generation_->checkpoint.load()}});
}

void Runner::Run() {
  pthread_setname_np(pthread_self(), "proj-runner");
  absl::Duration delay = options_.retry_delay;
  while (!Stopping()) {
    const uint64_t position = generation_->checkpoint + 1;
    // From what the store holds: after a failure it may hold less than was
    // written (and on a start, it is what a restart would find).
    absl::Status followed = Reload();
    if (followed.ok()) followed = Follow();
    if (Stopping()) return;
    RecordFailure(followed.ok() ? absl::UnavailableError("the log's subscription ended") : followed,
                  position);
    if (WaitOrStop(delay)) return;
    delay = std::min(delay * 2, options_.max_retry_delay);
  }
}

absl::Status Runner::Reload() {
  // Noted first: writes are made for this epoch, and fail once the store has
  // dropped any of what is read back below.
  const uint64_t epoch = store_->Epoch();
  ASSIGN_OR_RETURN(std::optional<std::string> checkpoint,
                   store_->Get(keys::CheckpointKey(generation_->id)));
  ASSIGN_OR_RETURN(std::optional<std::string> unknown,
                   store_->Get(keys::UnknownKey(generation_->id)));
  const uint64_t durable = checkpoint ? GetBigEndian64(*checkpoint) : 0;
  if (durable != generation_->checkpoint) {
    log::Warn(kComponent, "read models hold less than was written; folding the rest again",
              {{"generation", generation_->id},
               {"written", generation_->checkpoint.load()},
               {"held", durable}});
  }
  const bool same = durable == generation_->checkpoint && epoch == epoch_;
  generation_->checkpoint = durable;
  generation_->unknown = unknown ? GetBigEndian64(*unknown) : 0;
  epoch_ = epoch;
  // The cache holds what was written: still true unless the store dropped
  // some of it.
  if (!same) ClearCache();
  on_progress_();
  return absl::OkStatus();
}

void Runner::Interrupt() {
  absl::MutexLock lock(&mu_);
  if (subscription_ != nullptr) subscription_->Cancel();
}

absl::Status Runner::Follow() {
  // The read models are a second witness of how far the log reached: a log
  // that ends before their checkpoint lost events (or was put back from an
  // older copy). Folding on would skip whatever is appended at the lost
  // positions; nothing is folded until an admin rebuilds from the log as it
  // is.
  const absl::StatusOr<uint64_t> head_or = log_->HeadPosition();
  if (!head_or.ok()) {
    return absl::Status(head_or.status().code(),
                        absl::StrCat("reading the log's head: ", head_or.status().message()));
  }
  const uint64_t head = *head_or;
  if (head < generation_->checkpoint) {
    return absl::DataLossError(absl::StrCat(
        "the read models hold the log up to position ", generation_->checkpoint.load(),
        ", but the log ends at position ", head,
        ": it lost events, or was restored from an older copy. The read models are not updated "
        "until an admin rebuilds them from the log as it is (bidtrail rebuild)"));
  }
  eventlog::SubscribeRequest request;
  request.from_position = generation_->checkpoint + 1;
  request.max_batch = options_.batch_events;
  request.max_batch_bytes = uint64_t{16} << 20;
  request.lean = true;  // the read models use no event id, hash or correlation
  request.packed = true;
  absl::StatusOr<std::unique_ptr<eventlog::Subscription>> subscribed = log_->Subscribe(request);
  if (!subscribed.ok()) {
    return absl::Status(subscribed.status().code(),
                        absl::StrCat("subscribing to the log: ", subscribed.status().message()));
  }
  {
    absl::MutexLock lock(&mu_);
    if (stop_) return absl::OkStatus();
    subscription_ = subscribed->get();
  }
  generation_->caught_up = false;
  if (generation_->checkpoint == 0) cache_complete_ = cache_.empty();
  absl::Status failure;
  bool staged_left = false;
  {
    Writer writer(
        store_, epoch_, [this](PendingWrite& write) { Publish(write); }, [this] { Interrupt(); },
        &cancel_compaction_);
    ReadAhead read_ahead(subscribed->get());
    Staged staged;
    staged.unknown = generation_->unknown;
    while (failure.ok()) {
      std::unique_ptr<Delivery> delivery = read_ahead.Pop();
      if (!delivery->item.ok()) {
        // Cancelled (the runner stops, or a write failed: Interrupt), or
        // the log went away.
        if (!Stopping()) {
          failure =
              absl::Status(delivery->item.status().code(),
                           absl::StrCat("reading the log: ", delivery->item.status().message()));
        }
        break;
      }
      if (std::holds_alternative<eventlog::CaughtUp>(*delivery->item)) {
        generation_->caught_up = true;
      } else {
        failure = Stage(*delivery, &staged);
        read_ahead.Recycle(std::move(delivery));
      }
      // While catching up, changes accumulate over many batches, so that a
      // tender touched by many of them is turned into its stored form once;
      // once caught up, every batch is written as it comes.
      // A long catch-up ends with a write that compacts the indexes, even
      // one with nothing left to change (Flush).
      if (failure.ok() && (EndsLongCatchUp(staged) ||
                           (staged.events > 0 &&
                            (generation_->caught_up || staged.events >= options_.catch_up_events ||
                             staged.dirty.size() >= kMaxCachedTenders / 2)))) {
        failure = Flush(&staged, &writer);
      }
      on_progress_();
    }
    // A failed write is the failure, over the cancellation it caused.
    if (absl::Status drained = writer.Drain(); !drained.ok()) failure = drained;
    staged_left = staged.events > 0;
  }
  {
    absl::MutexLock lock(&mu_);
    subscription_ = nullptr;
  }
  // The cache may hold changes that were never written: the next
  // subscription starts again from the checkpoint with an empty cache.
  if (!failure.ok() || staged_left) ClearCache();
  return failure;
}

absl::StatusOr<Runner::CachedTender*> Runner::Cached(const std::string& tender_id) {
  auto [it, inserted] = cache_.try_emplace(tender_id);
  CachedTender& entry = it->second;
  if (!inserted || cache_complete_) return &entry;
  // Filled in place (a tender state is large: not built, then moved in):
  // from its stored record, if it has one.
  const std::string key = generation_->prefix + keys::TenderKey(tender_id);
  absl::StatusOr<std::optional<std::string>> value = store_->Get(key);
  if (!value.ok()) {
    cache_.erase(it);
    return value.status();
  }
  if (!*value) return &entry;  // a new tender
  storage::v1::TenderRecord record;
  if (!record.ParseFromString(**value)) {
    cache_.erase(it);
    return absl::DataLossError(
        absl::StrCat("the stored record of tender ", tender_id,
                     " does not parse; rebuild the read models (bidtrail rebuild)"));
  }
  entry.state = readmodel::StateOf(record);
  entry.revision = record.revision();
  entry.index = IndexEntriesOf(entry.state, options_.own_party_id);
  return &entry;
}

absl::StatusOr<tender::TenderState> Runner::Refold(const std::string& tender_id,
                                                   uint64_t revision) {
  ASSIGN_OR_RETURN(std::vector<eventlog::RecordedEvent> records,
                   eventlog::ReadWholeStream(*log_, tender::StreamIdOf(tender_id)));
  std::vector<v1::TenderEvent> events;
  std::vector<uint64_t> revisions;
  for (const eventlog::RecordedEvent& record : records) {
    if (record.revision > revision) break;
    if (std::optional<v1::TenderEvent> event = tender::DecodeEvent(record.type, record.data)) {
      events.push_back(std::move(*event));
      revisions.push_back(record.revision);
    }
  }
  return tender::FoldStream(events, revisions);
}

absl::Status Runner::Stage(Delivery& delivery, Staged* staged) {
  const eventlog::EventBatch& batch = std::get<eventlog::EventBatch>(*delivery.item);
  size_t record_begin = 0;
  const size_t count = EventCount(batch);
  for (size_t i = 0; i < count; ++i) {
    const eventlog::EventView event = EventAt(batch, i);
    const absl::string_view actor(event.actor.data(), event.actor.size());
    DecodedEvent& decoded = delivery.events[i];
    // What the actor recorded, appended to the actor's chunk of positions.
    auto [cursor, added] = staged->actor_cursors.try_emplace(actor, 0, nullptr);
    auto& [chunk_number, chunk] = cursor->second;
    if (added || event.position >> keys::kActorChunkBits != chunk_number) {
      chunk_number = event.position >> keys::kActorChunkBits;
      chunk =
          &staged
               ->actor_chunks[generation_->prefix + keys::ActorChunkKey(event.actor, chunk_number)];
      // A chunk grows to several KB within a catch-up write: start at a
      // page rather than at a few bytes.
      if (chunk->capacity() < 4096) chunk->reserve(4096);
    }
    chunk->append(delivery.actor_records, record_begin, decoded.record_end - record_begin);
    record_begin = decoded.record_end;

    if (!decoded.event) {
      // The access stream's events (docs/security.md), the notebook's in
      // the buyers' streams (docs/notebook.md), the quotas and the log's own ("$log":
      // incidents) are known, and none of the read models' business: not
      // counted as unknown.
      if (event.stream_id != "access" && event.stream_id.substr(0, 1) != "$" &&
          event.stream_id.substr(0, 6) != "buyer-" && event.stream_id != "quotas") {
        ++staged->unknown;
      }
      continue;
    }
    // Into the event: used before the event is applied (moved from).
    const std::string& tender_id = tender::TenderIdOf(*decoded.event);
    ASSIGN_OR_RETURN(CachedTender * cached, Cached(tender_id));
    if (!cached->dirty) {
      cached->dirty = true;
      staged->dirty.push_back(tender_id);
    }
    if (decoded.event->has_entry_voided()) {
      // A voiding takes an earlier event out: the tender is folded again,
      // from the log, up to here (rare: mistakes are).
      ASSIGN_OR_RETURN(cached->state, Refold(tender_id, event.revision));
    } else if (decoded.owned) {
      tender::Apply(std::move(*decoded.owned), &cached->state);
    } else {
      tender::Apply(*decoded.event, &cached->state);
    }
    cached->revision = event.revision;
  }
  staged->events += count;
  staged->next_position = batch.next_position;
  return absl::OkStatus();
}

void Runner::Prepare(const std::vector<std::string>& dirty, size_t begin, size_t end,
                     PendingWrite* write, std::vector<PendingWrite::Change>* changes,
                     BulkBuffer* stored_records) {
  using Kind = PendingWrite::Kind;
  changes->reserve((end - begin) * 4);
  // One record for every tender: it points at each state's messages in
  // turn, and keeps its lot and bid entries from one to the next.
  storage::v1::TenderRecord record;
  for (size_t i = begin; i < end; ++i) {
    const std::string& tender_id = dirty[i];
    CachedTender& entry = cache_.find(tender_id)->second;
    readmodel::LendRecord(entry.state, entry.revision, &record);
    const size_t size = record.ByteSizeLong();
    char* stored = stored_records->Allocate(size);
    record.SerializeWithCachedSizesToArray(reinterpret_cast<uint8_t*>(stored));
    readmodel::GiveBack(&record);
    write->competitions[i] = {tender_id,
                              std::make_shared<const std::vector<analytics::Competition>>(
                                  analytics::CompetitionsOf(entry.state))};
    IndexEntries index = IndexEntriesOf(entry.state, options_.own_party_id);
    entry.dirty = false;
    for (const auto& [key, value] : entry.index) {
      if (!index.contains(key)) {
        changes->push_back({generation_->prefix + key, {}, Kind::kDelete});
      }
    }
    for (const auto& [key, value] : index) {
      auto old = entry.index.find(key);
      if (old == entry.index.end() || old->second != value) {
        changes->push_back({generation_->prefix + key, value, Kind::kPut});
      }
    }
    // If the write fails the whole cache is dropped, so the entry may
    // already describe what is being written. (Moving a map leaves its
    // values where they are: the changes' pointers stay valid until the
    // next Flush, which first waits for this write.)
    entry.index = std::move(index);
    changes->push_back(
        {generation_->prefix + keys::TenderKey(tender_id), {stored, size}, Kind::kPut});
  }
  // Every key is changed once: the order of equal keys never matters.
  std::sort(changes->begin(), changes->end(), PendingWrite::Change::ByKey);
}

absl::Status Runner::Flush(Staged* staged, Writer* writer) {
  using Change = PendingWrite::Change;
  using Kind = PendingWrite::Kind;
  // The write in flight may still read the cached index entries.
  RETURN_IF_ERROR(writer->Drain());
  auto write = std::make_unique<PendingWrite>();
  // Each changed tender's record, index entries, competitions and changes;
  // the tenders are independent, so a large write prepares them on two
  // threads, each producing a run of changes in key order.
  const std::vector<std::string>& dirty = staged->dirty;
  const size_t tenders = dirty.size();
  write->competitions.resize(tenders);
  // One run per part prepared, and one for the rest (actors, checkpoint).
  const size_t parts = tenders >= kParallelFrom ? 2 : 1;
  std::vector<std::vector<Change>>& runs = write->runs;
  runs.resize(parts + 1);
  write->stored.resize(parts);
  if (parts == 2) {
    const size_t half = tenders / 2;
    absl::BlockingCounter helped(1);
    helper_.Schedule([&] {
      Prepare(dirty, half, tenders, write.get(), &runs[1], &write->stored[1]);
      helped.DecrementCount();
    });
    Prepare(dirty, 0, half, write.get(), &runs[0], &write->stored[0]);
    helped.Wait();
  } else {
    Prepare(dirty, 0, tenders, write.get(), &runs[0], &write->stored[0]);
  }
  std::vector<Change>& rest = runs.back();
  write->actor_chunks = std::move(staged->actor_chunks);
  staged->actor_chunks.clear();
  staged->actor_cursors.clear();
  for (const auto& [key, records] : write->actor_chunks) {
    rest.push_back({key, records, Kind::kAppend});
  }
  write->checkpoint = staged->next_position - 1;
  write->caught_up = generation_->caught_up;
  if (EndsLongCatchUp(*staged)) {
    // The write that ends a long catch-up: each catch-up write replaced the
    // index entries of tenders that changed since the one before (a deadline
    // done leaves the outstanding index, a tender's stale entry moves with
    // its last event), and the deletions stay in the store's upper levels
    // until compactions reach them, while a board's scan steps over each
    // one. Measured at 1,000,000 tenders (21 catch-up writes): 2.6 ms for
    // a page of 100 deadlines, 0.1 ms once compacted. The writer compacts
    // the indexes before it publishes this write.
    write->compact_from = generation_->prefix + keys::kDeadlineIndex;
    write->compact_to = generation_->prefix + keys::kTendersBegin;
    write->catch_up_writes = staged->catch_up_writes;
    staged->catch_up_writes = 0;
  }
  write->unknown = staged->unknown;
  PutBigEndian64(write->checkpoint, &write->encoded_checkpoint);
  rest.push_back({keys::CheckpointKey(generation_->id), write->encoded_checkpoint, Kind::kPut});
  PutBigEndian64(write->unknown, &write->encoded_unknown);
  rest.push_back({keys::UnknownKey(generation_->id), write->encoded_unknown, Kind::kPut});
  std::sort(rest.begin(), rest.end(), Change::ByKey);
  staged->events = 0;
  staged->dirty.clear();
  RETURN_IF_ERROR(writer->Submit(std::move(write)));
  if (!generation_->caught_up) ++staged->catch_up_writes;
  // Bounded memory: a cache over its size starts again (tenders are active
  // for weeks, so the working set refills quickly). The runner then reads
  // tenders back from the store: the write must have landed.
  if (cache_.size() > kMaxCachedTenders) {
    RETURN_IF_ERROR(writer->Drain());
    ClearCache();
  }
  return absl::OkStatus();
}

void Runner::Publish(PendingWrite& write) {
  {
    absl::MutexLock lock(&generation_->mu);
    for (auto& [tender_id, list] : write.competitions) {
      generation_->SetCompetitions(tender_id, std::move(list));
    }
  }
  generation_->unknown = write.unknown;
  generation_->checkpoint = write.checkpoint;
  RecordSuccess();
  on_progress_();
}

void Runner::ClearCache() {
  cache_.clear();
  cache_complete_ = false;
}

}  // namespace bidtrail::projection
