#include "bidtrail/eventlog/limits.h"

#include <algorithm>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"

namespace bidtrail::eventlog {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Business times outside this range are almost certainly unit mistakes
// (seconds read as milliseconds, an unset field read as zero).
const absl::Time kEarliestOccurredAt =
    absl::FromCivil(absl::CivilSecond(1900, 1, 1), absl::UTCTimeZone());
const absl::Time kLatestOccurredAt =
    absl::FromCivil(absl::CivilSecond(2200, 1, 1), absl::UTCTimeZone());

absl::Status ValidateMetadata(const std::string& value, const std::string& field,
                              const Limits& limits) {
  if (value.size() > limits.max_metadata_bytes) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": ", value.size(), " bytes; at most ", limits.max_metadata_bytes));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Uuid> ParseUuid(const std::string& text, const std::string& field) {
  if (text.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": required; a UUID such as 0b6f1c9e-3d2a-4f5b-9c8d-7e6f5a4b3c2d"));
  }
  static constexpr int kDashAt[] = {8, 13, 18, 23};
  Uuid uuid{};
  bool well_formed = text.size() == 36;
  size_t out = 0;
  for (size_t i = 0; well_formed && i < text.size(); ++i) {
    if (std::find(std::begin(kDashAt), std::end(kDashAt), static_cast<int>(i)) !=
        std::end(kDashAt)) {
      well_formed = text[i] == '-';
      continue;
    }
    const int hi = HexValue(text[i]);
    const int lo = i + 1 < text.size() ? HexValue(text[i + 1]) : -1;
    well_formed = hi >= 0 && lo >= 0;
    if (well_formed) uuid[out++] = static_cast<uint8_t>(hi << 4 | lo);
    ++i;
  }
  if (!well_formed) {
    return absl::InvalidArgumentError(
        absl::StrCat(field, ": \"", text.substr(0, 64),
                     "\" is not a UUID; expected 36 characters, 8-4-4-4-12 hex digits"));
  }
  if (std::all_of(uuid.begin(), uuid.end(), [](uint8_t b) { return b == 0; })) {
    return absl::InvalidArgumentError(absl::StrCat(field, ": the nil UUID is not an event id"));
  }
  return uuid;
}

std::string FormatUuid(const Uuid& uuid) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  text.reserve(36);
  for (size_t i = 0; i < uuid.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) text.push_back('-');
    text.push_back(kHex[uuid[i] >> 4]);
    text.push_back(kHex[uuid[i] & 0xf]);
  }
  return text;
}

absl::Status ValidateStreamId(const std::string& stream_id, const Limits& limits) {
  if (stream_id.empty() || stream_id.size() > limits.max_stream_id_bytes) {
    return absl::InvalidArgumentError(absl::StrCat("stream_id: ", stream_id.size(),
                                                   " bytes; must be 1 to ",
                                                   limits.max_stream_id_bytes, " bytes"));
  }
  if (stream_id[0] == '$') {
    return absl::InvalidArgumentError(
        "stream_id: must not start with '$' (reserved for system streams)");
  }
  for (size_t i = 0; i < stream_id.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(stream_id[i]);
    if (c < 0x20 || c > 0x7e) {
      return absl::InvalidArgumentError(
          absl::StrCat("stream_id: byte ", i, " (0x", absl::Hex(c, absl::kZeroPad2),
                       ") is not printable ASCII; allowed are 0x20 to 0x7e"));
    }
  }
  return absl::OkStatus();
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
  absl::flat_hash_set<std::string> seen;
  for (size_t i = 0; i < events.size(); ++i) {
    const ProposedEvent& event = events[i];
    const std::string field = absl::StrCat("events[", i, "]");
    absl::StatusOr<Uuid> id = ParseUuid(event.event_id, absl::StrCat(field, ".event_id"));
    if (!id.ok()) return id.status();
    if (!seen.insert(std::string(id->begin(), id->end())).second) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".event_id: ", FormatUuid(*id), " appears twice in this append"));
    }
    ids.push_back(*id);
    if (event.type.empty() || event.type.size() > limits.max_type_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(field, ".type: ", event.type.size(),
                                                     " bytes; must be 1 to ", limits.max_type_bytes,
                                                     " bytes"));
    }
    if (event.data.size() > limits.max_event_data_bytes) {
      return absl::InvalidArgumentError(absl::StrCat(
          field, ".data: ", event.data.size(), " bytes; at most ", limits.max_event_data_bytes));
    }
    if (event.occurred_at == absl::InfinitePast()) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".occurred_at: required (the business time of the event)"));
    }
    if (event.occurred_at < kEarliestOccurredAt || event.occurred_at >= kLatestOccurredAt) {
      return absl::InvalidArgumentError(
          absl::StrCat(field, ".occurred_at: ", absl::FormatTime(event.occurred_at),
                       " is out of range; must be from 1900-01-01 to before 2200-01-01 UTC"));
    }
    for (const auto& [value, name] :
         {std::pair<const std::string&, const char*>{event.actor, ".actor"},
          {event.correlation_id, ".correlation_id"},
          {event.causation_id, ".causation_id"}}) {
      if (absl::Status status = ValidateMetadata(value, absl::StrCat(field, name), limits);
          !status.ok()) {
        return status;
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
