#include "bidtrail/eventlog/event_store.h"

#include "bidtrail/common/status_macros.h"

namespace bidtrail::eventlog {

absl::StatusOr<std::vector<RecordedEvent>> ReadWholeStream(EventStore& store,
                                                           const std::string& stream_id) {
  std::vector<RecordedEvent> events;
  ReadStreamRequest read;
  read.stream_id = stream_id;
  read.max_count = 1000;
  while (true) {
    absl::StatusOr<ReadStreamResult> page = store.ReadStream(read);
    if (page.status().code() == absl::StatusCode::kNotFound) return events;
    RETURN_IF_ERROR(page.status());
    for (RecordedEvent& event : page->events) events.push_back(std::move(event));
    if (page->end_of_stream || page->events.empty()) return events;
    read.has_from_revision = true;
    read.from_revision = page->next_revision;
  }
}

}  // namespace bidtrail::eventlog
