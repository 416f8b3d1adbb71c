#include "bidtrail/eventlog/log_copy.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/uuid.h"
#include "record_codec.h"

namespace bidtrail::eventlog {

absl::StatusOr<uint64_t> CopyLogToUpstream(
    EventStore& source, Upstream& upstream,
    const std::function<void(uint64_t copied, uint64_t total)>& progress) {
  ASSIGN_OR_RETURN(uint64_t after, upstream.LastSequence());
  // Sequence 1 is the genesis message of an empty log.
  if (after > 1) {
    return absl::FailedPreconditionError(
        absl::StrCat(upstream.Describe(), " already holds a log (", after,
                     " messages); a log is copied into an empty stream only"));
  }
  ASSIGN_OR_RETURN(const uint64_t total, source.HeadPosition());
  const size_t max_group = upstream.MaxGroupBytes();
  std::string previous(internal::kHashBytes, '\0');
  std::string group;
  uint64_t copied = 0;
  auto flush = [&]() -> absl::Status {
    if (group.empty()) return absl::OkStatus();
    ASSIGN_OR_RETURN(after, upstream.Publish(after, group));
    group.clear();
    if (progress) progress(copied, total);
    return absl::OkStatus();
  };
  ReadAllRequest read;
  read.from_position = 1;
  read.max_count = 1000;
  while (read.from_position <= total) {
    ASSIGN_OR_RETURN(ReadAllResult page, source.ReadAll(read));
    if (page.events.empty()) break;
    for (const RecordedEvent& event : page.events) {
      ASSIGN_OR_RETURN(const Uuid id, ParseUuid(event.event_id, "event_id"));
      ProposedEvent proposed;
      proposed.type = event.type;
      proposed.data = event.data;
      proposed.occurred_at = event.occurred_at;
      proposed.actor = event.actor;
      proposed.correlation_id = event.correlation_id;
      proposed.causation_id = event.causation_id;
      proposed.written_by = event.written_by;
      const internal::Placement placement{event.stream_id, event.revision, event.position,
                                          event.recorded_at};
      std::string record;
      internal::EncodeRecordBytes(placement, id, proposed, &record);
      const std::string hash = internal::ChainHash(previous, record);
      if (hash != event.hash) {
        return absl::DataLossError(absl::StrCat(
            "position ", event.position, ": the record rebuilt for the copy hashes to ",
            absl::BytesToHexString(hash), " where the log says ",
            absl::BytesToHexString(event.hash), "; run `bidtrail verify` on the source"));
      }
      record.append(hash);
      previous = hash;
      if (!group.empty() && group.size() + record.size() + 16 > max_group) RETURN_IF_ERROR(flush());
      internal::AppendToGroup(record, &group);
      ++copied;
    }
    read.from_position = page.next_position;
  }
  RETURN_IF_ERROR(flush());
  return copied;
}

}  // namespace bidtrail::eventlog
