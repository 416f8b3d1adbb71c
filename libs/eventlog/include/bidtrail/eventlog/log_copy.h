// Moving a log from one backend to the other, record for record: the same
// positions, revisions, times and chain hashes, so that the copy verifies
// with the same head hash (docs/nats.md, docs/operations.md).
#ifndef BIDTRAIL_EVENTLOG_LOG_COPY_H_
#define BIDTRAIL_EVENTLOG_LOG_COPY_H_

#include <cstdint>
#include <functional>

#include "absl/status/statusor.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/eventlog/upstream.h"

namespace bidtrail::eventlog {

// Publishes every record of `source` to `upstream`, which must hold no log
// yet (FAILED_PRECONDITION otherwise), in groups as large as it takes.
// Each record is rebuilt from the event read and checked against its stored
// chain hash before it is sent: DATA_LOSS if one does not match (the copy
// would not verify). `progress` (optional) hears the records copied so far.
// Returns the number of records copied.
absl::StatusOr<uint64_t> CopyLogToUpstream(
    EventStore& source, Upstream& upstream,
    const std::function<void(uint64_t copied, uint64_t total)>& progress = nullptr);

}  // namespace bidtrail::eventlog

#endif  // BIDTRAIL_EVENTLOG_LOG_COPY_H_
