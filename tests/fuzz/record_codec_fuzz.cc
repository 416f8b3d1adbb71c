// Fuzz target: the log's stored record format. Any bytes either fail to parse
// with DATA_LOSS or parse into a record that encodes back to the very same
// bytes (the hash chain depends on it).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "record_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bidtrail::eventlog;
  const std::string_view value(reinterpret_cast<const char*>(data), size);
  internal::RecordView view;
  if (!internal::ParseRecord(value, &view).ok()) return 0;
  RecordedEvent event;
  internal::ToRecordedEvent(view, &event, /*lean=*/false);
  ProposedEvent proposed;
  proposed.type = std::string(view.type);
  proposed.data = std::string(view.data);
  proposed.occurred_at = absl::FromUnixNanos(view.occurred_at_ns);
  proposed.actor = std::string(view.actor);
  proposed.correlation_id = std::string(view.correlation_id);
  proposed.causation_id = std::string(view.causation_id);
  proposed.written_by = std::string(view.written_by);
  bidtrail::Uuid id;
  for (size_t i = 0; i < id.size(); ++i) id[i] = static_cast<uint8_t>(view.event_id[i]);
  const internal::Placement placement{view.stream_id, view.revision, view.position,
                                      absl::FromUnixNanos(view.recorded_at_ns)};
  std::string encoded;
  internal::EncodeRecordBytes(placement, id, proposed, &encoded);
  if (encoded != view.record_bytes) std::abort();  // parse and encode disagree
  return 0;
}
