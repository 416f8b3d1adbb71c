// The view of a server whose log is the replica of a JetStream stream
// (docs/nats.md) as a test sets it: stream reads show the log as it stood
// at position `seen`, until a fresh read (eventlog::ReadStreamRequest::fresh)
// catches up with the head. For tests of what is decided again on a fresh
// view; nats_log_test.cc tests the real replica. Header-only: link
// bidtrail::eventlog.
#ifndef BIDTRAIL_TESTING_LAGGING_REPLICA_H_
#define BIDTRAIL_TESTING_LAGGING_REPLICA_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/eventlog/forwarding_event_store.h"

namespace bidtrail::testing {

class LaggingReplica : public eventlog::ForwardingEventStore {
 public:
  using ForwardingEventStore::ForwardingEventStore;

  absl::StatusOr<eventlog::ReadStreamResult> ReadStream(
      const eventlog::ReadStreamRequest& request) override {
    if (request.fresh) {
      ++fresh_reads;
      if (!fresh_failure.ok()) return fresh_failure;
      ASSIGN_OR_RETURN(seen, HeadPosition());
    }
    ASSIGN_OR_RETURN(eventlog::ReadStreamResult result, ForwardingEventStore::ReadStream(request));
    std::erase_if(result.events,
                  [this](const eventlog::RecordedEvent& event) { return event.position > seen; });
    if (result.events.empty() && !request.has_from_revision) {
      return absl::NotFoundError(absl::StrCat("stream ", request.stream_id, " does not exist"));
    }
    return result;
  }

  uint64_t seen = 0;    // the position the view stands at
  int fresh_reads = 0;  // fresh reads asked for
  // When not OK: what fresh reads fail with (the upstream unreachable).
  absl::Status fresh_failure = absl::OkStatus();
};

}  // namespace bidtrail::testing

#endif  // BIDTRAIL_TESTING_LAGGING_REPLICA_H_
