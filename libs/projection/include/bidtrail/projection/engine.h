// ProjectionEngine: folds the event log into read models kept in a RocksDB
// database of its own (not the log's), and answers the reads queries need.
// Thread-safe.
//
// A runner thread subscribes to the log from the checkpoint (a second thread
// reads and decodes ahead) and applies the delivered batches of events to the
// read models; their changes and the new checkpoint are one atomic write, so a
// restart resumes exactly where the last write ended and a crash loses or
// doubles nothing. Once caught up every batch is written as it comes; while
// catching up, many batches are folded in memory into one write.
//
// Read models live in a generation (a key prefix). A rebuild folds a new
// generation from position 1 while queries keep reading the active one; when
// the new one has caught up with the log, the engine stops the old runner,
// makes the new generation active in one write, and deletes the old one.
//
// Read models (keys inside a generation):
//   t/<tender_id>                     the tender's state (GetTenderResponse)
//   d/<due>/<tender_id>/<kind>        deadlines of open tenders we still bid on,
//                                     with what the board shows (DeadlineItem)
//   o/<due>/<tender_id>/<kind>        the same, for those not done yet
//   s/<last_event_at>/<tender_id>     open tenders with a competition undecided
//                                     (StaleTender)
//   a/<actor>\0<position / 4096>      what each actor recorded in those 4,096
//                                     positions (length-prefixed ActorRecords,
//                                     appended by a merge operator)
//   m/format                          the layout version; a database of another
//                                     layout is cleared and rebuilt from the log
// and, in memory, every tender's competitions for the analytics.
#ifndef BIDTRAIL_PROJECTION_ENGINE_H_
#define BIDTRAIL_PROJECTION_ENGINE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/analytics/competition.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/v1/queries.pb.h"
#include "bidtrail/v1/tenders.pb.h"

namespace bidtrail::projection {

struct ProjectionStatus {
  uint64_t checkpoint = 0;
  uint64_t head_position = 0;
  uint64_t unknown_events_skipped = 0;
  bool rebuilding = false;
  uint64_t rebuild_position = 0;
};

// One deadline index entry.
struct DeadlineKey {
  absl::Time due;
  // tender_id, title, buyer, territory, owner_team, kind, due, and done (our
  // part of it done: documents obtained, our bid in).
  v1::DeadlineItem item;
  std::string key;  // opaque; pass back as `after` to continue
};

class ProjectionEngine {
 public:
  struct Options {
    // Folder of the projection database; created when missing.
    std::string path;
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
  };

  // Opens the database and loads the active generation's competitions.
  // `store` must outlive the engine. Errors: INVALID_ARGUMENT for an empty
  // path; UNAVAILABLE when RocksDB cannot open it.
  static absl::StatusOr<std::unique_ptr<ProjectionEngine>> Open(eventlog::EventStore* store,
                                                                const Options& options);
  // Stops the runner and any rebuild.
  ~ProjectionEngine();

  // Starts following the log. Idempotent.
  void Start();
  // Stops following the log (a restart resumes from the checkpoint).
  void Stop();

  // Blocks until the read models include `position`; false on timeout.
  bool WaitForPosition(uint64_t position, absl::Duration timeout);

  // The tender's stored state, or std::nullopt for an unknown tender.
  absl::StatusOr<std::optional<v1::GetTenderResponse>> GetTender(const std::string& tender_id);

  // Calls `visit` for deadline entries due in [from, to), in time order: those
  // due before `as_of` only when not done (they are overdue), all those from
  // `as_of` on. Starts after `after` (a DeadlineKey::key, or ""); stops when
  // `visit` returns false.
  absl::Status ScanDeadlines(absl::Time as_of, absl::Time from, absl::Time to,
                             const std::string& after,
                             const std::function<bool(const DeadlineKey&)>& visit);
  // Calls `visit` for open undecided tenders whose last event is before
  // `before`, oldest first (tender_id, title, territory, owner_team,
  // last_event_at set).
  absl::Status ScanIdle(absl::Time before,
                        const std::function<bool(const v1::StaleTender&)>& visit);
  // Calls `visit` for the actor's records after `after_position`, in order.
  absl::Status ScanActor(const std::string& actor, uint64_t after_position,
                         const std::function<bool(const v1::ActorRecord&)>& visit);

  // Every competition of the active generation, as of the last applied batch.
  std::shared_ptr<const analytics::CompetitionSet> Competitions();

  // Rebuilds every read model from position 1 while queries keep answering;
  // calls `progress(position, head)` now and then; returns once the rebuilt
  // models are active. FAILED_PRECONDITION when a rebuild is already running.
  absl::Status Rebuild(const std::function<void(uint64_t, uint64_t)>& progress);

  ProjectionStatus Status();

  // The active generation's read models, keys without the generation prefix,
  // in key order: what "rebuilt equals incremental" compares.
  absl::StatusOr<std::vector<std::pair<std::string, std::string>>> Dump();

  const Options& options() const;

  class Impl;

 private:
  explicit ProjectionEngine(std::unique_ptr<Impl> impl);
  const std::unique_ptr<Impl> impl_;
};

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_ENGINE_H_
