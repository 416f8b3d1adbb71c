#include "bidtrail/eventlog/event_store.h"

#include "bidtrail/common/status_macros.h"
#include "record_codec.h"

namespace bidtrail::eventlog {

absl::Status DecodeRecords(std::string_view records, bool lean,
                           std::vector<RecordedEvent>* events) {
  if (records.empty()) return absl::OkStatus();
  return internal::ForEachRecordInGroup(records, [&](std::string_view value) -> absl::Status {
    internal::RecordView view;
    RETURN_IF_ERROR(internal::ParseRecord(value, &view));
    internal::ToRecordedEvent(view, &events->emplace_back(), lean);
    return absl::OkStatus();
  });
}

absl::Status DecodeRecords(std::string_view records, PackedEvents* packed) {
  if (records.empty()) return absl::OkStatus();
  return internal::ForEachRecordInGroup(records, [&](std::string_view value) -> absl::Status {
    internal::RecordView view;
    RETURN_IF_ERROR(internal::ParseRecord(value, &view));
    packed->Add(internal::ToEventView(view));
    return absl::OkStatus();
  });
}

absl::StatusOr<uint64_t> CountRecords(std::string_view records) {
  uint64_t count = 0;
  if (records.empty()) return count;
  RETURN_IF_ERROR(internal::ForEachRecordInGroup(records, [&](std::string_view) {
    ++count;
    return absl::OkStatus();
  }));
  return count;
}

absl::StatusOr<std::vector<RecordedEvent>> ReadWholeStream(EventStore& store,
                                                           const std::string& stream_id,
                                                           bool fresh) {
  std::vector<RecordedEvent> events;
  ReadStreamRequest read;
  read.stream_id = stream_id;
  read.max_count = 1000;
  read.fresh = fresh;
  while (true) {
    absl::StatusOr<ReadStreamResult> page = store.ReadStream(read);
    if (page.status().code() == absl::StatusCode::kNotFound) return events;
    RETURN_IF_ERROR(page.status());
    for (RecordedEvent& event : page->events) events.push_back(std::move(event));
    if (page->end_of_stream || page->events.empty()) return events;
    read.has_from_revision = true;
    read.from_revision = page->next_revision;
    read.fresh = false;  // the first page caught up
  }
}

}  // namespace bidtrail::eventlog
