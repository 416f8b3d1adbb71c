#include "bidtrail/eventlog/limits.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bidtrail/common/validate.h"

namespace bidtrail::eventlog {
absl::Status ValidateStreamId(const std::string& stream_id, const Limits& limits,
                              bool allow_system) {
  if (stream_id.empty() || stream_id.size() > limits.max_stream_id_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("stream_id: ", stream_id.size(),
                                                   " bytes; must be 1 to ",
                                                   limits.max_stream_id_bytes, " bytes"));
  }
  if (stream_id[0] == '$' && !allow_system) {
    return absl::InvalidArgumentError(
        "stream_id: must not start with '$' (reserved for system streams)");
  }
  return CheckPrintableAscii(stream_id, "stream_id");
}

absl::StatusOr<std::vector<Uuid>> ValidateAppend(const std::string& stream_id,
                                                 const std::vector<ProposedEvent>& events,
                                                 const Limits& limits) {
  if (absl::Status status = ValidateStreamId(stream_id, limits); !status.ok()) return status;
  if (events.empty() || events.size() > limits.max_events_per_append) {
    return absl::InvalidArgumentError(absl::StrCat("events: ", events.size(),
                                                   " events; an append carries 1 to ",
                                                   limits.max_events_per_append));
  }
  std::vector<Uuid> ids;
  ids.reserve(events.size());
  absl::flat_hash_set<Uuid> seen;
  seen.reserve(events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    const ProposedEvent& event = events[i];
    // The field's name is only written out for an error (a check that
    // fails is repeated with it).
    auto field = [i](absl::string_view suffix) { return absl::StrCat("events[", i, "]", suffix); };
    absl::StatusOr<Uuid> id = ParseUuid(event.event_id, "");
    if (!id.ok()) return ParseUuid(event.event_id, field(".event_id")).status();
    if (!seen.insert(*id).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field(".event_id: "), FormatUuid(*id), " appears twice in this append"));
    }
    ids.push_back(*id);
    if (event.type.empty() || event.type.size() > limits.max_type_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(field(".type: "), event.type.size(),
                                                     " bytes; must be 1 to ", limits.max_type_bytes,
                                                     " bytes"));
    }
    if (event.data.size() > limits.max_event_data_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field(".data: "), event.data.size(), " bytes; at most ", limits.max_event_data_bytes));
    }
    if (event.occurred_at == absl::InfinitePast()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field(".occurred_at"), ": required (the business time of the event)"));
    }
    if (!IsPlausibleTime(event.occurred_at)) {
      return CheckPlausibleTime(event.occurred_at, field(".occurred_at"));
    }
    for (const auto& [value, name] :
         {std::pair<const std::string&, const char*>{event.actor, ".actor"},
          {event.correlation_id, ".correlation_id"},
          {event.causation_id, ".causation_id"},
          {event.written_by, ".written_by"}}) {
      if (value.size() > limits.max_metadata_bytes) {
        return CheckMaxBytes(value, field(name), limits.max_metadata_bytes);
      }
    }
  }
  return ids;
}

absl::Status ValidateReadCount(uint64_t max_count, const Limits& limits) {
  if (max_count == 0 || max_count > limits.max_read_count) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_count: ", max_count, "; must be 1 to ", limits.max_read_count));
  }
  return absl::OkStatus();
}

std::string ExpectedRevision::ToString() const {
  switch (kind_) {
    case Kind::kAny:
      return "any";
    case Kind::kNoStream:
      return "no stream";
    case Kind::kStreamExists:
      return "stream exists";
    case Kind::kExact:
      return absl::StrCat("revision ", revision_);
  }
  return "unknown";
}

bool EventFilter::Matches(std::string_view stream_id, std::string_view type) const {
  if (!stream_id.starts_with(stream_prefix)) {
    return false;
  }
  return event_types.empty() ||
         std::find(event_types.begin(), event_types.end(), type) != event_types.end();
}

}  // namespace bidtrail::eventlog
