#include "bidtrail/eventstore/convert.h"

#include <array>

#include "absl/strings/str_cat.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/varint.h"
#include "bidtrail/rpc/check.h"
#include "google/protobuf/stubs/common.h"

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

namespace {

// AppendRequest and AppendPackedRequest carry the same expectation fields.
template <typename Request>
void SetExpected(const eventlog::ExpectedRevision& expected, Request* out) {
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

}  // namespace

void ToProto(const eventlog::ExpectedRevision& expected, v1::AppendRequest* out) {
  SetExpected(expected, out);
}

void ToProto(const eventlog::ExpectedRevision& expected, v1::AppendPackedRequest* out) {
  SetExpected(expected, out);
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

namespace {

// The text fields of a packed event, in their order, with their names in
// v1::ProposedEvent; `data` (bytes) comes third and is not text.
constexpr const char* kPackedFields[] = {"event_id",       "type",         "data",      "actor",
                                         "correlation_id", "causation_id", "written_by"};
constexpr size_t kPackedDataField = 2;

// A packed event's byte fields, in their order (kPackedFields): of a const
// event to write them, of an event being decoded to fill them.
template <typename Event>
auto PackedFieldsOf(Event& event) {
  return std::array{&event.event_id,       &event.type,         &event.data,      &event.actor,
                    &event.correlation_id, &event.causation_id, &event.written_by};
}

void PutBytes(std::string_view bytes, std::string* out) {
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

bool GetBytes(std::string_view* in, std::string_view* bytes) {
  uint64_t size;
  if (!GetVarint(in, &size) || size > in->size()) return false;
  *bytes = in->substr(0, size);
  in->remove_prefix(size);
  return true;
}

// Printable ASCII, tabs and line breaks only: text that passes both the
// control-byte and the UTF-8 check, told in one pass (nearly all text is).
bool PlainText(std::string_view text) {
  for (const char ch : text) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c >= 0x7f) return false;
  }
  return true;
}

}  // namespace

void ToPacked(const std::vector<eventlog::ProposedEvent>& events, std::string* out) {
  std::string entry;
  for (const eventlog::ProposedEvent& event : events) {
    entry.clear();
    for (const std::string* field : PackedFieldsOf(event)) PutBytes(*field, &entry);
    if (event.occurred_at == absl::InfinitePast()) {
      entry.push_back('\0');
    } else {
      // As ToProto sets the Timestamp.
      google::protobuf::Timestamp time;
      ToProtoTime(event.occurred_at, &time);
      entry.push_back('\1');
      const int64_t seconds = time.seconds();
      PutVarint(ZigZag(seconds), &entry);
      PutVarint(static_cast<uint32_t>(time.nanos()), &entry);
    }
    PutBytes(entry, out);
  }
}

absl::StatusOr<std::vector<eventlog::ProposedEvent>> FromPacked(std::string_view packed) {
  std::vector<eventlog::ProposedEvent> events;
  // Counted first (lengths only): the events are made in place, never moved.
  // Reserved for no more than the log's default limit of events per append:
  // the count is the client's word, and a buffer of empty entries would ask
  // for a vast reservation (the log refuses an append over its limit once
  // decoded).
  constexpr size_t kReserveAtMost = 10000;
  size_t count = 0;
  for (std::string_view rest = packed, entry; count < kReserveAtMost && GetBytes(&rest, &entry);) {
    ++count;
  }
  events.reserve(count);
  for (int index = 0; !packed.empty(); ++index) {
    auto malformed = [index](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrCat("events: packed event ", index, " ", what,
                                                     " (docs/api.md, \"Packed events\")"));
    };
    std::string_view entry;
    if (!GetBytes(&packed, &entry)) return malformed("is cut short");
    std::string_view bytes[std::size(kPackedFields)];
    for (size_t f = 0; f < std::size(kPackedFields); ++f) {
      if (!GetBytes(&entry, &bytes[f])) {
        return malformed(absl::StrCat("is cut short in its ", kPackedFields[f]));
      }
    }
    if (entry.empty()) return malformed("is cut short before its occurred_at");
    const char set = entry.front();
    entry.remove_prefix(1);
    bool has_time = false;
    int64_t seconds = 0;
    int32_t nanos32 = 0;
    if (set == '\1') {
      uint64_t zigzag;
      uint64_t nanos;
      if (!GetVarint(&entry, &zigzag) || !GetVarint(&entry, &nanos) || nanos > UINT32_MAX) {
        return malformed("has an occurred_at that does not decode");
      }
      has_time = true;
      seconds = UnZigZag(zigzag);
      nanos32 = static_cast<int32_t>(static_cast<uint32_t>(nanos));
    } else if (set != '\0') {
      return malformed("has an occurred_at flag other than 0 or 1");
    }
    // Checked in field number order, as CheckRequest walks an event message
    // (event_id, type, occurred_at, then the rest): the same first error.
    auto check_text = [&](size_t f) -> absl::Status {
      if (f == kPackedDataField || PlainText(bytes[f])) return absl::OkStatus();
      auto path = [index, f] { return absl::StrCat("events[", index, "].", kPackedFields[f]); };
      RETURN_IF_ERROR(rpc::CheckText(bytes[f], path));
      // The check protobuf's parser makes of a string field.
      if (!google::protobuf::internal::IsStructurallyValidUTF8(bytes[f].data(),
                                                               static_cast<int>(bytes[f].size()))) {
        return absl::InvalidArgumentError(absl::StrCat(path(), ": not valid UTF-8"));
      }
      return absl::OkStatus();
    };
    RETURN_IF_ERROR(check_text(0));
    RETURN_IF_ERROR(check_text(1));
    if (has_time) {
      RETURN_IF_ERROR(rpc::CheckTimestamp(
          seconds, nanos32, [index] { return absl::StrCat("events[", index, "].occurred_at"); }));
    }
    for (size_t f = 3; f < std::size(kPackedFields); ++f) RETURN_IF_ERROR(check_text(f));
    eventlog::ProposedEvent& event = events.emplace_back();
    const auto fields = PackedFieldsOf(event);
    static_assert(fields.size() == std::size(kPackedFields));
    for (size_t f = 0; f < fields.size(); ++f) fields[f]->assign(bytes[f].data(), bytes[f].size());
    // As FromProtoTime reads a Timestamp; not set: the log refuses it by name.
    event.occurred_at = has_time ? absl::FromUnixSeconds(seconds) + absl::Nanoseconds(nanos32)
                                 : absl::InfinitePast();
    if (!entry.empty()) return malformed("has bytes after its occurred_at");
  }
  return events;
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
