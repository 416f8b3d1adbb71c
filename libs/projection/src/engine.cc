#include "bidtrail/projection/engine.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "actor_record.h"
#include "bidtrail/analytics/signals.h"
#include "bidtrail/common/big_endian.h"
#include "bidtrail/common/log.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/readmodel/tender_record.h"
#include "generation.h"
#include "keys.h"
#include "runner.h"

namespace bidtrail::projection {
namespace {

constexpr char kComponent[] = "projection";

using Durability = storage::KvStore::Durability;

// A generation and the runner that writes it.
struct Live {
  Live(uint32_t id, eventlog::EventStore* log, storage::KvStore* store,
       const ProjectionEngine::Options& options, std::function<void()> on_progress)
      : generation(id), runner(log, store, &generation, options, std::move(on_progress)) {}
  Generation generation;
  Runner runner;  // after `generation`: stopped and destroyed first
};

// "<what> of <key>: does not parse", for a stored value that does not.
absl::Status Corrupt(std::string_view what, std::string_view key) {
  return absl::DataLossError(absl::StrCat("the stored ", std::string(what), " at key \"",
                                          absl::CHexEscape(std::string(key)),
                                          "\" does not parse; rebuild the read models "
                                          "(bidtrail rebuild)"));
}

// The engine: generations and their runners, rebuilds, and the queries'
// reads. The read models' rules are libs/readmodel's, their layout keys.h's,
// and the folding runner.h's.
class Engine final : public ProjectionEngine {
 public:
  Engine(eventlog::EventStore* log, std::unique_ptr<storage::KvStore> store, const Options& options)
      : log_(log), store_(std::move(store)), options_(options) {}

  ~Engine() override {
    {
      // A rebuild in progress gives up, and is waited for.
      absl::MutexLock lock(&mu_);
      closing_ = true;
      mu_.Await(absl::Condition(
          +[](int* running) { return *running == 0; }, &rebuilds_running_));
    }
    Stop();
  }

  // Reads the layout, the active generation and its checkpoint and
  // competitions.
  absl::Status Load() {
    ASSIGN_OR_RETURN(std::optional<std::string> format, store_->Get(keys::kFormatKey));
    if (format != keys::kLayoutVersion) {
      // A new store, or one of another layout: read models are derived from
      // the log, so they are cleared and the runner folds the log again.
      if (format) {
        log::Info(kComponent, "read models of another layout: folding them again from the log",
                  {{"layout", *format}, {"now", keys::kLayoutVersion}});
      }
      RETURN_IF_ERROR(Reset());
    }
    ASSIGN_OR_RETURN(std::optional<std::string> active_value, store_->Get(keys::kActiveKey));
    uint32_t active = 1;
    if (active_value) {
      active = static_cast<uint32_t>(GetBigEndian64(*active_value));
    } else {
      std::unique_ptr<storage::KvStore::Batch> write = store_->NewBatch();
      std::string encoded;
      PutBigEndian64(active, &encoded);
      write->Put(keys::kActiveKey, encoded);
      RETURN_IF_ERROR(store_->Write(*write, Durability::kSynced));
    }
    std::shared_ptr<Live> live = NewLive(active);
    absl::Status loaded = LoadGeneration(&live->generation);
    if (loaded.code() == absl::StatusCode::kDataLoss) {
      // Derived data that does not parse is folded again from the log rather
      // than served or skipped; the error stays in Status().
      log::Error(kComponent,
                 "read models do not parse: clearing them and folding them again from "
                 "the log",
                 {{"error", loaded}});
      RunnerError error;
      error.status = loaded;
      error.at = absl::Now();
      error.total_failures = 1;
      {
        absl::MutexLock lock(&mu_);
        open_error_ = error;
      }
      RETURN_IF_ERROR(Reset());
      RETURN_IF_ERROR(Load());
      return absl::OkStatus();
    }
    RETURN_IF_ERROR(loaded);
    absl::MutexLock lock(&mu_);
    active_ = std::move(live);
    return absl::OkStatus();
  }

  void Start() override {
    std::shared_ptr<Live> active;
    {
      absl::MutexLock lock(&mu_);
      if (started_) return;
      started_ = true;
      active = active_;
    }
    active->runner.Start();
  }

  void Stop() override {
    std::shared_ptr<Live> active;
    {
      absl::MutexLock lock(&mu_);
      started_ = false;
      active = active_;
    }
    // A rebuild's runner goes on: the rebuild stops it when it switches.
    if (active) active->runner.Stop();
  }

  bool WaitForPosition(uint64_t position, absl::Duration timeout) override {
    const absl::Time deadline = absl::Now() + timeout;
    absl::MutexLock lock(&progress_mu_);
    while (Active()->generation.checkpoint < position) {
      if (progress_cv_.WaitWithDeadline(&progress_mu_, deadline)) {
        return Active()->generation.checkpoint >= position;
      }
    }
    return true;
  }

  absl::StatusOr<std::optional<storage::v1::TenderRecord>> GetTender(
      const std::string& tender_id) override {
    const std::shared_ptr<Live> active = Active();
    const std::string key = keys::TenderKey(tender_id);
    ASSIGN_OR_RETURN(std::optional<std::string> value,
                     store_->Get(active->generation.prefix + key));
    if (!value) return std::optional<storage::v1::TenderRecord>();
    storage::v1::TenderRecord record;
    if (!record.ParseFromString(*value)) return Corrupt("tender record", key);
    return std::optional<storage::v1::TenderRecord>(std::move(record));
  }

  absl::Status ScanTenders(
      const std::string& after_id,
      const std::function<bool(const storage::v1::TenderRecord&)>& visit) override {
    const std::shared_ptr<Live> active = Active();
    const std::string& prefix = active->generation.prefix;
    const std::string start =
        prefix + (after_id.empty() ? std::string(keys::kTendersBegin)
                                   : keys::TenderKey(after_id) + std::string(1, '\0'));
    absl::Status corrupt;
    storage::v1::TenderRecord record;
    RETURN_IF_ERROR(store_->Scan(
        start, prefix + keys::kTendersEnd, [&](std::string_view key, std::string_view value) {
          if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            corrupt = Corrupt("tender record", key.substr(prefix.size()));
            return false;
          }
          return visit(record);
        }));
    return corrupt;
  }

  absl::Status ScanDeadlines(absl::Time as_of, absl::Time from, absl::Time to,
                             const std::string& after,
                             const std::function<bool(const DeadlineEntry&)>& visit) override {
    const std::shared_ptr<Live> active = Active();
    const std::string& prefix = active->generation.prefix;
    bool stopped = false;
    absl::Status corrupt;
    auto scan = [&](std::string_view index, absl::Time begin, absl::Time end) {
      std::string start = prefix + keys::IndexAt(index, begin);
      if (!after.empty() && after.compare(0, index.size(), index) == 0 && prefix + after >= start) {
        start = prefix + after + '\0';
      }
      const std::string limit = prefix + keys::IndexAt(index, end);
      return store_->Scan(start, limit, [&](std::string_view key, std::string_view value) {
        DeadlineEntry entry;
        entry.key = std::string(key.substr(prefix.size()));
        if (!entry.record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
          corrupt = Corrupt("deadline", entry.key);
          return false;
        }
        entry.deadline.kind = static_cast<readmodel::DeadlineKind>(entry.record.kind());
        entry.deadline.due = keys::GetTime(key.substr(prefix.size() + index.size()));
        entry.deadline.done = entry.record.done();
        stopped = !visit(entry);
        return !stopped;
      });
    };
    // Before as_of only what is outstanding (overdue), then everything ahead.
    if (after.empty() || after.compare(0, 2, keys::kOutstandingIndex) == 0) {
      RETURN_IF_ERROR(scan(keys::kOutstandingIndex, from, std::min(as_of, to)));
      RETURN_IF_ERROR(corrupt);
      if (stopped) return absl::OkStatus();
    }
    RETURN_IF_ERROR(scan(keys::kDeadlineIndex, std::max(as_of, from), to));
    return corrupt;
  }

  absl::Status ScanStale(
      absl::Time before,
      const std::function<bool(const storage::v1::StaleRecord&)>& visit) override {
    const std::shared_ptr<Live> active = Active();
    const std::string& prefix = active->generation.prefix;
    absl::Status corrupt;
    RETURN_IF_ERROR(
        store_->Scan(prefix + keys::kStaleIndex, prefix + keys::IndexAt(keys::kStaleIndex, before),
                     [&](std::string_view key, std::string_view value) {
                       storage::v1::StaleRecord stale;
                       if (!stale.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
                         corrupt = Corrupt("stale entry", key.substr(prefix.size()));
                         return false;
                       }
                       return visit(stale);
                     }));
    return corrupt;
  }

  absl::Status ScanActor(const std::string& actor, uint64_t after_position,
                         const std::function<bool(const readmodel::ActorEntry&)>& visit) override {
    const std::shared_ptr<Live> active = Active();
    const std::string& prefix = active->generation.prefix;
    absl::Status corrupt;
    RETURN_IF_ERROR(store_->Scan(
        prefix + keys::ActorChunkKey(actor, (after_position + 1) >> keys::kActorChunkBits),
        prefix + keys::ActorChunksEnd(actor), [&](std::string_view key, std::string_view records) {
          readmodel::ActorEntry entry;
          while (!records.empty()) {
            if (!ReadActorRecord(&records, &entry)) {
              corrupt = Corrupt("actor records", key.substr(prefix.size()));
              return false;
            }
            if (entry.position > after_position && !visit(entry)) return false;
          }
          return true;
        }));
    return corrupt;
  }

  std::shared_ptr<const analytics::CompetitionSet> Competitions() override {
    const std::shared_ptr<Live> active = Active();
    Generation& generation = active->generation;
    // The parts to pack, packed without holding the generation's lock, so
    // that the runner's writes go on meanwhile.
    std::vector<Generation::PackJob> jobs;
    {
      absl::MutexLock lock(&generation.mu);
      if (generation.snapshot != nullptr) return generation.snapshot;
      jobs = generation.ToPack();
    }
    for (Generation::PackJob& job : jobs) job.Pack();
    absl::MutexLock lock(&generation.mu);
    for (Generation::PackJob& job : jobs) generation.Packed(std::move(job));
    if (generation.snapshot == nullptr) {
      // The generation's parts, each packed once and again only after one
      // of its tenders changed (Generation::Rows), each keeping the
      // immutable per-tender lists it was packed from: a snapshot copies a
      // pointer per part, no competition and no list (copying the lists'
      // pointers, a million of them, took a tenth of a second after every
      // change). Any tender order gives the same results: every result the
      // analytics build is ordered by its own keys, and sums and medians do
      // not depend on order. A pass over the competitions themselves walks
      // them in the parts' order, mostly the order tenders were written and
      // their lists allocated.
      generation.snapshot = std::make_shared<analytics::CompetitionSet>(
          analytics::CompetitionSet::OfRows(generation.Rows()));
    }
    return generation.snapshot;
  }

  std::shared_ptr<const analytics::CompetitionSet> LatestAwards(
      const absl::flat_hash_set<analytics::Symbol>& buyers, size_t per_buyer) override {
    const std::shared_ptr<Live> active = Active();
    Generation& generation = active->generation;
    absl::MutexLock lock(&generation.mu);
    return LatestAwardsOf(generation, buyers, per_buyer);
  }

  absl::flat_hash_map<analytics::Symbol, v1::IncumbentRecord> Incumbents(
      const absl::flat_hash_set<analytics::Symbol>& buyers,
      std::string_view own_party_id) override {
    const std::shared_ptr<Live> active = Active();
    Generation& generation = active->generation;
    absl::flat_hash_map<analytics::Symbol, v1::IncumbentRecord> found;
    absl::MutexLock lock(&generation.mu);
    if (generation.incumbents_own != own_party_id ||
        generation.incumbents.size() > Generation::kMaxIncumbents) {
      generation.incumbents.clear();
      generation.incumbents_own = std::string(own_party_id);
    }
    absl::flat_hash_set<analytics::Symbol> missing;
    for (const analytics::Symbol& buyer : buyers) {
      auto cached = generation.incumbents.find(buyer);
      if (cached == generation.incumbents.end()) {
        missing.insert(buyer);
      } else if (cached->second.has_value()) {
        found.emplace(buyer, *cached->second);
      }
    }
    if (missing.empty()) return found;
    // Computed under the lock: the awards cannot change meanwhile.
    auto computed =
        analytics::Incumbents(*LatestAwardsOf(generation, missing, analytics::kIncumbentAwards),
                              analytics::Source::kAll, &missing, own_party_id);
    for (const analytics::Symbol& buyer : missing) {
      std::optional<v1::IncumbentRecord>& entry = generation.incumbents[buyer];  // new: empty
      if (auto it = computed.find(buyer); it != computed.end()) {
        entry = it->second;
        found.emplace(buyer, std::move(it->second));
      }
    }
    return found;
  }

  static std::shared_ptr<const analytics::CompetitionSet> LatestAwardsOf(
      Generation& generation, const absl::flat_hash_set<analytics::Symbol>& buyers,
      size_t per_buyer) ABSL_EXCLUSIVE_LOCKS_REQUIRED(generation.mu) {
    auto set = std::make_shared<analytics::CompetitionSet>();
    for (const analytics::Symbol& buyer : buyers) {
      auto found = generation.buyer_awards.find(buyer);
      if (found == generation.buyer_awards.end()) continue;
      size_t taken = 0;
      for (auto it = found->second.begin(); it != found->second.end() && taken < per_buyer;
           ++it, ++taken) {
        // Its list, which keeps it alive in the set.
        auto place = generation.places.find(it->competition->tender_id);
        if (place == generation.places.end()) continue;  // never: SetCompetitions keeps both
        set->AddOne(generation.parts[place->second.part].lists[place->second.slot],
                    it->competition);
      }
    }
    return set;
  }

  absl::Status Rebuild(const std::function<void(uint64_t, uint64_t)>& progress) override {
    std::shared_ptr<Live> old;
    std::shared_ptr<Live> fresh;
    {
      absl::MutexLock lock(&mu_);
      if (building_ != nullptr) {
        return absl::FailedPreconditionError("a rebuild is already running");
      }
      if (closing_) return absl::CancelledError("the projection engine is closing");
      ++rebuilds_running_;
      old = active_;
      fresh = NewLive(old->generation.id + 1);
      building_ = fresh;
    }
    // Counted out on every return, after the last touch of the engine.
    struct Running {
      Engine* impl;
      ~Running() {
        absl::MutexLock lock(&impl->mu_);
        --impl->rebuilds_running_;
      }
    } running{this};
    const uint32_t id = fresh->generation.id;
    auto give_up = [&](absl::Status status) {
      fresh->runner.Stop();
      absl::MutexLock lock(&mu_);
      building_ = nullptr;
      log::Warn(kComponent, "rebuild ended without switching",
                {{"generation", id}, {"error", status}});
      return status;
    };
    // Leftovers of an earlier, interrupted rebuild of this generation go first.
    if (absl::Status dropped = Drop(id, Durability::kSynced); !dropped.ok()) {
      return give_up(dropped);
    }
    log::Info(kComponent,
              "rebuild started: a new generation of read models folds the log from position 1",
              {{"generation", id}});
    const absl::Time started = absl::Now();
    fresh->runner.Start();
    int logged_tenth = 0;
    while (true) {
      absl::StatusOr<uint64_t> head = log_->HeadPosition();
      if (!head.ok()) return give_up(head.status());
      const uint64_t position = fresh->generation.checkpoint;
      progress(position, *head);
      if (fresh->generation.caught_up && position >= *head) break;
      // Progress for the operator: each tenth of the log once.
      const int tenth = *head == 0 ? 10 : static_cast<int>(position * 10 / *head);
      if (tenth > logged_tenth) {
        logged_tenth = tenth;
        log::Info(kComponent, "rebuild progress",
                  {{"generation", id}, {"position", position}, {"head", *head}});
      }
      if (Closing()) return give_up(absl::CancelledError("the projection engine is closing"));
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
    if (was_started) old->runner.Stop();
    std::unique_ptr<storage::KvStore::Batch> activate = store_->NewBatch();
    std::string encoded;
    PutBigEndian64(id, &encoded);
    activate->Put(keys::kActiveKey, encoded);
    // The new generation's writes were buffered: they reach the disk before
    // the switch that makes them the ones queries read.
    // Made for the epoch the rebuild's runner wrote in: if the store dropped
    // buffered writes since, the switch fails rather than activate models
    // with a hole.
    absl::Status switched = store_->Flush();
    if (switched.ok()) {
      switched = store_->Write(*activate, Durability::kSynced, fresh->runner.Epoch());
    }
    if (!switched.ok()) {
      if (was_started) old->runner.Start();
      return give_up(switched);
    }
    {
      absl::MutexLock lock(&mu_);
      active_ = fresh;
      building_ = nullptr;
      // Nobody follows the log in this engine: the rebuild's runner stops too.
      was_started = started_;
    }
    if (!was_started) fresh->runner.Stop();
    progress(fresh->generation.checkpoint, fresh->generation.checkpoint);
    log::Info(kComponent, "rebuild switched: queries read the new generation",
              {{"generation", id},
               {"position", fresh->generation.checkpoint.load()},
               {"elapsed", absl::Now() - started}});
    // The old generation is no longer read; a failed delete leaves garbage
    // that the next rebuild of that id clears first.
    if (absl::Status dropped = Drop(old->generation.id, Durability::kBuffered); !dropped.ok()) {
      log::Warn(kComponent, "dropping the old read models failed; the next rebuild clears them",
                {{"generation", old->generation.id}, {"error", dropped}});
    }
    return absl::OkStatus();
  }

  ProjectionStatus Status() override {
    ProjectionStatus status;
    const std::shared_ptr<Live> active = Active();
    status.checkpoint = active->generation.checkpoint;
    status.unknown_events_skipped = active->generation.unknown;
    status.last_error = active->runner.LastError();
    // The status is also what an operator reads when the log is unreachable:
    // the head is then the last one read (the runner's error says why).
    if (absl::StatusOr<uint64_t> head = log_->HeadPosition(); head.ok()) {
      last_head_ = *head;
    }
    status.head_position = std::max<uint64_t>(last_head_, status.checkpoint);
    absl::MutexLock lock(&mu_);
    if (!status.last_error) status.last_error = open_error_;
    if (building_ != nullptr) {
      status.rebuilding = true;
      status.rebuild_position = building_->generation.checkpoint;
    }
    return status;
  }

  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Dump() override {
    const std::shared_ptr<Live> active = Active();
    const uint32_t id = active->generation.id;
    const size_t skip = active->generation.prefix.size();
    std::vector<std::pair<std::string, std::string>> dump;
    RETURN_IF_ERROR(store_->Scan(keys::GenerationPrefix(id), keys::GenerationEnd(id),
                                 [&](std::string_view key, std::string_view value) {
                                   dump.emplace_back(std::string(key.substr(skip)),
                                                     std::string(value));
                                   return true;
                                 }));
    return dump;
  }

  const Options& options() const override { return options_; }

 private:
  std::shared_ptr<Live> Active() {
    absl::MutexLock lock(&mu_);
    return active_;
  }
  std::shared_ptr<Live> NewLive(uint32_t id) {
    return std::make_shared<Live>(id, log_, store_.get(), options_, [this] { SignalProgress(); });
  }
  void SignalProgress() {
    absl::MutexLock lock(&progress_mu_);
    progress_cv_.SignalAll();
  }
  bool Closing() {
    absl::MutexLock lock(&mu_);
    return closing_;
  }

  // Clears every read model and marks the store with the current layout.
  absl::Status Reset() {
    std::unique_ptr<storage::KvStore::Batch> reset = store_->NewBatch();
    reset->DeleteRange(std::string_view("\0", 1), "\xff");
    reset->Put(keys::kFormatKey, keys::kLayoutVersion);
    return store_->Write(*reset, Durability::kSynced);
  }

  // Reads the generation's checkpoint, unknown count and competitions.
  absl::Status LoadGeneration(Generation* generation) {
    // Unreadable counters are an error, never "none yet": folding from
    // position 1 again onto the actor chunks already stored would double them.
    ASSIGN_OR_RETURN(std::optional<std::string> checkpoint,
                     store_->Get(keys::CheckpointKey(generation->id)));
    if (checkpoint) generation->checkpoint = GetBigEndian64(*checkpoint);
    ASSIGN_OR_RETURN(std::optional<std::string> unknown,
                     store_->Get(keys::UnknownKey(generation->id)));
    if (unknown) generation->unknown = GetBigEndian64(*unknown);
    // The competitions of every stored tender, for the analytics.
    absl::flat_hash_map<std::string, CompetitionList> competitions;
    const std::string from = generation->prefix + keys::kTendersBegin;
    const std::string to = generation->prefix + keys::kTendersEnd;
    absl::Status corrupt;
    RETURN_IF_ERROR(store_->Scan(from, to, [&](std::string_view key, std::string_view value) {
      storage::v1::TenderRecord record;
      if (!record.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
        corrupt = Corrupt("tender record", key.substr(generation->prefix.size()));
        return false;
      }
      competitions[std::string(key.substr(from.size()))] =
          std::make_shared<const std::vector<analytics::Competition>>(
              analytics::CompetitionsOf(readmodel::StateOf(record)));
      return true;
    }));
    RETURN_IF_ERROR(corrupt);
    absl::MutexLock lock(&generation->mu);
    generation->ClearCompetitions();
    for (auto& [tender_id, list] : competitions) {
      generation->SetCompetitions(tender_id, std::move(list));
    }
    return absl::OkStatus();
  }

  // Deletes every key of the generation and its counters.
  absl::Status Drop(uint32_t generation, Durability durability) {
    std::unique_ptr<storage::KvStore::Batch> drop = store_->NewBatch();
    drop->DeleteRange(keys::GenerationPrefix(generation), keys::GenerationEnd(generation));
    drop->Delete(keys::CheckpointKey(generation));
    drop->Delete(keys::UnknownKey(generation));
    return store_->Write(*drop, durability);
  }

  eventlog::EventStore* const log_;
  const std::unique_ptr<storage::KvStore> store_;
  const Options options_;

  absl::Mutex mu_;
  std::shared_ptr<Live> active_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<Live> building_ ABSL_GUARDED_BY(mu_);
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  int rebuilds_running_ ABSL_GUARDED_BY(mu_) = 0;
  // The read models found corrupt at open (and folded again), until the
  // runner fails itself.
  std::optional<RunnerError> open_error_ ABSL_GUARDED_BY(mu_);

  // The log's head as last read by Status().
  std::atomic<uint64_t> last_head_{0};

  // Signalled whenever a generation's checkpoint moves.
  absl::Mutex progress_mu_;
  absl::CondVar progress_cv_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<ProjectionEngine>> ProjectionEngine::Open(
    eventlog::EventStore* log, std::unique_ptr<storage::KvStore> models, const Options& options) {
  if (models == nullptr) return absl::InvalidArgumentError("models: a store is required");
  auto engine = std::make_unique<Engine>(log, std::move(models), options);
  RETURN_IF_ERROR(engine->Load());
  return std::unique_ptr<ProjectionEngine>(std::move(engine));
}

}  // namespace bidtrail::projection
