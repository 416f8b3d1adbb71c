#include "bidtrail/eventstore/convert.h"

#include "absl/strings/str_cat.h"
#include "bidtrail/common/proto_time.h"

namespace bidtrail::eventstore {

absl::StatusOr<eventlog::ExpectedRevision> FromProto(v1::ExpectedRevisionKind kind,
                                                     uint64_t revision) {
  switch (kind) {
    case v1::EXPECTED_REVISION_KIND_ANY:
      return eventlog::ExpectedRevision::Any();
    case v1::EXPECTED_REVISION_KIND_NO_STREAM:
      return eventlog::ExpectedRevision::NoStream();
    case v1::EXPECTED_REVISION_KIND_STREAM_EXISTS:
      return eventlog::ExpectedRevision::StreamExists();
    case v1::EXPECTED_REVISION_KIND_EXACT:
      return eventlog::ExpectedRevision::Exact(revision);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("expected_kind: ", static_cast<int>(kind),
                       " is not one of ANY (1), NO_STREAM (2), STREAM_EXISTS (3), EXACT (4)"));
  }
}

void ToProto(const eventlog::ExpectedRevision& expected, v1::AppendRequest* out) {
  switch (expected.kind()) {
    case eventlog::ExpectedRevision::Kind::kAny:
      out->set_expected_kind(v1::EXPECTED_REVISION_KIND_ANY);
      break;
    case eventlog::ExpectedRevision::Kind::kNoStream:
      out->set_expected_kind(v1::EXPECTED_REVISION_KIND_NO_STREAM);
      break;
    case eventlog::ExpectedRevision::Kind::kStreamExists:
      out->set_expected_kind(v1::EXPECTED_REVISION_KIND_STREAM_EXISTS);
      break;
    case eventlog::ExpectedRevision::Kind::kExact:
      out->set_expected_kind(v1::EXPECTED_REVISION_KIND_EXACT);
      out->set_expected_revision(expected.revision());
      break;
  }
}

eventlog::ProposedEvent FromProto(const v1::ProposedEvent& event) {
  eventlog::ProposedEvent out;
  out.event_id = event.event_id();
  out.type = event.type();
  out.data = event.data();
  // An unset Timestamp becomes "not set", which the log rejects by name.
  out.occurred_at =
      event.has_occurred_at() ? FromProtoTime(event.occurred_at()) : absl::InfinitePast();
  out.actor = event.actor();
  out.correlation_id = event.correlation_id();
  out.causation_id = event.causation_id();
  out.written_by = event.written_by();
  return out;
}

void ToProto(const eventlog::ProposedEvent& event, v1::ProposedEvent* out) {
  out->set_event_id(event.event_id);
  out->set_type(event.type);
  out->set_data(event.data);
  if (event.occurred_at != absl::InfinitePast()) {
    ToProtoTime(event.occurred_at, out->mutable_occurred_at());
  }
  out->set_actor(event.actor);
  out->set_correlation_id(event.correlation_id);
  out->set_causation_id(event.causation_id);
  out->set_written_by(event.written_by);
}

// The copying conversions copy the whole message or event once and move from
// the copy: one list of fields each way.
eventlog::RecordedEvent FromProto(const v1::RecordedEvent& event) {
  return FromProto(v1::RecordedEvent(event));
}

eventlog::RecordedEvent FromProto(v1::RecordedEvent&& event) {
  eventlog::RecordedEvent out;
  out.event_id = std::move(*event.mutable_event_id());
  out.stream_id = std::move(*event.mutable_stream_id());
  out.revision = event.revision();
  out.position = event.position();
  out.type = std::move(*event.mutable_type());
  out.data = std::move(*event.mutable_data());
  out.occurred_at = FromProtoTime(event.occurred_at());
  out.recorded_at = FromProtoTime(event.recorded_at());
  out.actor = std::move(*event.mutable_actor());
  out.correlation_id = std::move(*event.mutable_correlation_id());
  out.causation_id = std::move(*event.mutable_causation_id());
  out.written_by = std::move(*event.mutable_written_by());
  out.hash = std::move(*event.mutable_hash());
  return out;
}

void ToProto(eventlog::RecordedEvent&& event, v1::RecordedEvent* out) {
  out->set_event_id(std::move(event.event_id));
  out->set_stream_id(std::move(event.stream_id));
  out->set_revision(event.revision);
  out->set_position(event.position);
  out->set_type(std::move(event.type));
  out->set_data(std::move(event.data));
  ToProtoTime(event.occurred_at, out->mutable_occurred_at());
  ToProtoTime(event.recorded_at, out->mutable_recorded_at());
  out->set_actor(std::move(event.actor));
  out->set_correlation_id(std::move(event.correlation_id));
  out->set_causation_id(std::move(event.causation_id));
  out->set_written_by(std::move(event.written_by));
  out->set_hash(std::move(event.hash));
}

void ToProto(const eventlog::RecordedEvent& event, v1::RecordedEvent* out) {
  ToProto(eventlog::RecordedEvent(event), out);
}

eventlog::EventFilter FromProto(const v1::EventFilter& filter) {
  eventlog::EventFilter out;
  out.stream_prefix = filter.stream_prefix();
  out.event_types.assign(filter.event_types().begin(), filter.event_types().end());
  return out;
}

void ToProto(const eventlog::EventFilter& filter, v1::EventFilter* out) {
  out->set_stream_prefix(filter.stream_prefix);
  for (const std::string& type : filter.event_types) out->add_event_types(type);
}

}  // namespace bidtrail::eventstore
