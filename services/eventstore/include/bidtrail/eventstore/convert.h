// Conversions between the event log's C++ types and the wire messages of
// bidtrail.v1.EventStoreService (and the verify result of QueriesService). Pure functions;
// thread-safe.
#ifndef BIDTRAIL_EVENTSTORE_CONVERT_H_
#define BIDTRAIL_EVENTSTORE_CONVERT_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/v1/eventstore.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace bidtrail::eventstore {

// INVALID_ARGUMENT for EXPECTED_REVISION_KIND_UNSPECIFIED or an unknown value.
absl::StatusOr<eventlog::ExpectedRevision> FromProto(v1::ExpectedRevisionKind kind,
                                                     uint64_t revision);
void ToProto(const eventlog::ExpectedRevision& expected, v1::AppendRequest* out);
void ToProto(const eventlog::ExpectedRevision& expected, v1::AppendPackedRequest* out);

eventlog::ProposedEvent FromProto(const v1::ProposedEvent& event);
void ToProto(const eventlog::ProposedEvent& event, v1::ProposedEvent* out);

// AppendPackedRequest.events (docs/api.md, "Packed events"): each event as
// a varint byte count, then its event id, type, data, actor, correlation id,
// causation id and writer, each a varint byte count and the bytes, then 1 and
// occurred_at as a zigzag varint of seconds and a varint of nanos, or 0 when
// it is not set. Appends `events` to `out`.
void ToPacked(const std::vector<eventlog::ProposedEvent>& events, std::string* out);
// The events packed in `packed`, each checked as CheckRequest and protobuf's
// parsing check an AppendRequest's events (text fields in UTF-8 without
// control bytes, occurred_at a valid Timestamp), errors naming the event's
// field as they do ("events[3].actor: ..."). INVALID_ARGUMENT naming the
// packed event ("events: packed event 3 is cut short") for bytes that do not
// decode.
absl::StatusOr<std::vector<eventlog::ProposedEvent>> FromPacked(std::string_view packed);

eventlog::RecordedEvent FromProto(const v1::RecordedEvent& event);
// Moves the strings out of `event` (the big ones: data, hash).
eventlog::RecordedEvent FromProto(v1::RecordedEvent&& event);
void ToProto(const eventlog::RecordedEvent& event, v1::RecordedEvent* out);
// Moves the strings out of `event`.
void ToProto(eventlog::RecordedEvent&& event, v1::RecordedEvent* out);

eventlog::EventFilter FromProto(const v1::EventFilter& filter);
void ToProto(const eventlog::EventFilter& filter, v1::EventFilter* out);

// A chain check's result into v1::VerifyResponse, or into the query
// service's v1::VerifyLogResponse, which carries the same fields.
template <typename Response>
void ToProto(const eventlog::VerifyResult& result, Response* out) {
  out->set_ok(result.ok);
  out->set_records_checked(result.records_checked);
  out->set_first_bad_position(result.first_bad_position);
  out->set_problem(result.problem);
  out->set_head_hash(result.head_hash);
}

}  // namespace bidtrail::eventstore

#endif  // BIDTRAIL_EVENTSTORE_CONVERT_H_
