// ProjectionEngine: folds the event log into read models kept in a KvStore
// of their own (not the log's), and answers the reads queries need. An
// interface; Open makes the one implementation. Thread-safe.
//
// A runner follows the log from the checkpoint: a reader thread reads (and
// decodes) ahead, the runner applies each batch of events to the tenders'
// states (readmodel/ says what each state means for the board, the stale
// list and the actor history), and a writer thread writes the changes with
// the new checkpoint as one atomic batch, so that a restart resumes exactly
// where the last write ended and a crash loses or doubles nothing. Once
// caught up every batch is written as it comes; while catching up, many
// batches are folded in memory into one write.
//
// A runner that fails (the log unreachable, a write refused, a read model
// that does not parse) keeps its error in Status(), logs it, waits (backing
// off up to a few seconds) and starts again from the checkpoint written
// last: nothing is skipped, and a failure never moves the checkpoint.
//
// Read models live in a generation (a key prefix). A rebuild folds a new
// generation from position 1 while queries keep reading the active one; when
// the new one has caught up with the log, the engine stops the old runner,
// makes the new generation active in one write, and deletes the old one.
// The key layout is in src/keys.h; the stored messages in
// proto/bidtrail/storage/v1/read_models.proto.
#ifndef BIDTRAIL_PROJECTION_ENGINE_H_
#define BIDTRAIL_PROJECTION_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/analytics/competition.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/readmodel/actor_history.h"
#include "bidtrail/readmodel/board.h"
#include "bidtrail/storage/kv_store.h"
#include "bidtrail/storage/v1/read_models.pb.h"
#include "bidtrail/v1/queries.pb.h"

namespace bidtrail::projection {

// The last failure of a generation's runner.
struct RunnerError {
  absl::Status status;
  // The log position the runner was folding from (its checkpoint + 1).
  uint64_t position = 0;
  absl::Time at = absl::InfinitePast();
  // Failures in a row, the last one included; 0 once the runner has written
  // again since.
  uint64_t failures_in_a_row = 0;
  // Failures since the engine opened.
  uint64_t total_failures = 0;
};

struct ProjectionStatus {
  uint64_t checkpoint = 0;
  uint64_t head_position = 0;
  uint64_t unknown_events_skipped = 0;
  bool rebuilding = false;
  uint64_t rebuild_position = 0;
  // The active generation's runner's last failure; std::nullopt when it
  // never failed.
  std::optional<RunnerError> last_error;
};

// One entry of the deadline board.
struct DeadlineEntry {
  readmodel::TenderDeadline deadline;
  // What the board shows of the tender and the deadline.
  storage::v1::DeadlineRecord record;
  // Opaque; pass back as `after` to continue after this entry.
  std::string key;
};

class ProjectionEngine {
 public:
  struct Options {
    // Our party id: marks our bids in the stored tender state.
    std::string own_party_id = "us";
    // Events read from the log per batch at most. Once caught up with the
    // log, each batch is one atomic write.
    uint32_t batch_events = 4096;
    // While catching up (a rebuild, a restart behind the log), batches are
    // applied in memory and written together once this many events (or
    // 100,000 changed tenders) are pending: a tender changed by many batches
    // is then turned into its stored form once. (Measured at 100,000
    // tenders: 1,048,576 rebuilds fastest; 524,288 and one write at the head
    // were 10% slower, and so were windows halving towards the head.)
    uint32_t catch_up_events = 1048576;
    // A failed runner waits this long before starting again, doubling up to
    // `max_retry_delay` while it keeps failing.
    absl::Duration retry_delay = absl::Milliseconds(200);
    absl::Duration max_retry_delay = absl::Seconds(5);
  };

  // Opens the engine over `models` and loads the active generation's
  // checkpoint and competitions. `log` must outlive the engine. A database
  // of another layout is cleared (the runner folds it again from the log);
  // so is one whose read models do not parse, with an error logged and kept
  // in Status(). Errors: UNAVAILABLE when the store cannot be read (never
  // taken for an empty store: the read models would be folded again on top
  // of what they hold).
  static absl::StatusOr<std::unique_ptr<ProjectionEngine>> Open(
      eventlog::EventStore* log, std::unique_ptr<storage::KvStore> models, const Options& options);
  // Stops the runner and any rebuild, and closes the store.
  virtual ~ProjectionEngine() = default;

  // Starts following the log. Idempotent.
  virtual void Start() = 0;
  // Stops following the log (a restart resumes from the checkpoint).
  virtual void Stop() = 0;

  // Blocks until the read models include `position`; false on timeout.
  virtual bool WaitForPosition(uint64_t position, absl::Duration timeout) = 0;

  // The tender's stored record, or std::nullopt for an unknown tender.
  // DATA_LOSS when the record does not parse; store errors as KvStore.
  virtual absl::StatusOr<std::optional<storage::v1::TenderRecord>> GetTender(
      const std::string& tender_id) = 0;

  // Calls `visit` for every tender's record after `after_id` (a tender id, or
  // ""), in tender id order; stops when `visit` returns false. DATA_LOSS
  // naming the key when a record does not parse.
  virtual absl::Status ScanTenders(
      const std::string& after_id,
      const std::function<bool(const storage::v1::TenderRecord&)>& visit) = 0;

  // Calls `visit` for deadline entries due in [from, to), in time order:
  // those due before `as_of` only when outstanding (readmodel::Outstanding),
  // all those from `as_of` on. Starts after `after` (a DeadlineEntry::key, or
  // ""); stops when `visit` returns false. DATA_LOSS naming the entry when
  // one does not parse.
  virtual absl::Status ScanDeadlines(absl::Time as_of, absl::Time from, absl::Time to,
                                     const std::string& after,
                                     const std::function<bool(const DeadlineEntry&)>& visit) = 0;
  // Calls `visit` for tenders that can go stale whose last event is before
  // `before`, oldest first. DATA_LOSS as ScanDeadlines.
  virtual absl::Status ScanStale(
      absl::Time before, const std::function<bool(const storage::v1::StaleRecord&)>& visit) = 0;
  // Calls `visit` for the actor's entries after `after_position`, in order.
  // DATA_LOSS as ScanDeadlines.
  virtual absl::Status ScanActor(
      const std::string& actor, uint64_t after_position,
      const std::function<bool(const readmodel::ActorEntry&)>& visit) = 0;

  // Every competition of the active generation, as of the last write.
  virtual std::shared_ptr<const analytics::CompetitionSet> Competitions() = 0;
  // Each of these buyers' `per_buyer` latest decided competitions (latest
  // award first, as analytics::Incumbents orders them), as of the last
  // write: a buyer's incumbent without a pass over every competition.
  virtual std::shared_ptr<const analytics::CompetitionSet> LatestAwards(
      const absl::flat_hash_set<analytics::Symbol>& buyers, size_t per_buyer) = 0;
  // Each of these buyers' incumbent (analytics::Incumbents over its
  // analytics::kIncumbentAwards latest awards, every source, `own_party_id`
  // as our own party), as of the last write; a buyer without one is left
  // out. Kept per buyer until a write changes one of its awards.
  virtual absl::flat_hash_map<analytics::Symbol, v1::IncumbentRecord> Incumbents(
      const absl::flat_hash_set<analytics::Symbol>& buyers, std::string_view own_party_id) = 0;

  // Rebuilds every read model from position 1 while queries keep answering;
  // calls `progress(position, head)` now and then; returns once the rebuilt
  // models are active. FAILED_PRECONDITION when a rebuild is already
  // running; CANCELLED when the engine closes first; store errors as KvStore
  // (ABORTED when the store dropped some of the rebuilt models meanwhile).
  virtual absl::Status Rebuild(const std::function<void(uint64_t, uint64_t)>& progress) = 0;

  virtual ProjectionStatus Status() = 0;

  // The active generation's read models, keys without the generation prefix,
  // in key order: what "rebuilt equals incremental" compares.
  virtual absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Dump() = 0;

  virtual const Options& options() const = 0;
};

// Whether `key` has the shape of a deadline board key the engine hands out
// (DeadlineEntry::key): "d/" or "o/", the due time, the tender id and the
// deadline's kind. For checking page tokens clients send back.
bool IsDeadlineKey(std::string_view key);

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_ENGINE_H_
