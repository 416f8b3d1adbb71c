// Conversions between the event log's C++ types and the wire messages of
// bidtrail.v1.EventStoreService. Pure functions; thread-safe.
#ifndef BIDTRAIL_EVENTSTORE_CONVERT_H_
#define BIDTRAIL_EVENTSTORE_CONVERT_H_

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

eventlog::ProposedEvent FromProto(const v1::ProposedEvent& event);
void ToProto(const eventlog::ProposedEvent& event, v1::ProposedEvent* out);

eventlog::RecordedEvent FromProto(const v1::RecordedEvent& event);
// Moves the strings out of `event` (the big ones: data, hash).
eventlog::RecordedEvent FromProto(v1::RecordedEvent&& event);
void ToProto(const eventlog::RecordedEvent& event, v1::RecordedEvent* out);
// Moves the strings out of `event`.
void ToProto(eventlog::RecordedEvent&& event, v1::RecordedEvent* out);

eventlog::EventFilter FromProto(const v1::EventFilter& filter);
void ToProto(const eventlog::EventFilter& filter, v1::EventFilter* out);

}  // namespace bidtrail::eventstore

#endif  // BIDTRAIL_EVENTSTORE_CONVERT_H_
