// Limits on what an append may carry, and the validation of client input
// against them. Pure functions; thread-safe.
#ifndef BIDTRAIL_EVENTLOG_LIMITS_H_
#define BIDTRAIL_EVENTLOG_LIMITS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "bidtrail/common/uuid.h"
#include "bidtrail/eventlog/event_store.h"

namespace bidtrail::eventlog {

struct Limits {
  size_t max_event_data_bytes = size_t{1} << 20;  // 1 MiB
  size_t max_events_per_append = 10000;
  size_t max_stream_id_bytes = 200;
  size_t max_type_bytes = 200;
  // actor, correlation_id, causation_id
  size_t max_metadata_bytes = 200;
  uint32_t max_read_count = 10000;
};

// OK, or INVALID_ARGUMENT naming the rule: 1 to max_stream_id_bytes printable
// ASCII bytes (0x20 to 0x7e), not starting with '$'.
// `allow_system`: a stream of the log's own ("$log") is fine (reads).
absl::Status ValidateStreamId(const std::string& stream_id, const Limits& limits,
                              bool allow_system = false);

// Validates a whole append; on success returns the parsed event ids in order.
// INVALID_ARGUMENT naming the field ("events[3].event_id") and the limit.
absl::StatusOr<std::vector<Uuid>> ValidateAppend(const std::string& stream_id,
                                                 const std::vector<ProposedEvent>& events,
                                                 const Limits& limits);

// INVALID_ARGUMENT when max_count is outside 1..limits.max_read_count.
absl::Status ValidateReadCount(uint64_t max_count, const Limits& limits);

}  // namespace bidtrail::eventlog

#endif  // BIDTRAIL_EVENTLOG_LIMITS_H_
