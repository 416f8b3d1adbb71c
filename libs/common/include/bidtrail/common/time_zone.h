// Time zones as people name them, and times written with their offset.
// A zone is an IANA name ("Asia/Shanghai", "Europe/Paris", "UTC") or a fixed
// UTC offset ("+08:00", "-05:30"): the buyer's zone of a tender, or the zone
// the CLI prints in. Pure functions; thread-safe.
#ifndef BIDTRAIL_COMMON_TIME_ZONE_H_
#define BIDTRAIL_COMMON_TIME_ZONE_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bidtrail {

struct NamedZone {
  absl::TimeZone zone;
  // Canonical form: the IANA name, "UTC", or "+08:00".
  std::string name;
};

// "UTC" (also "Z", "utc"), an IANA name, or an offset "+08:00", "+0800",
// "+08" within ±18:00. INVALID_ARGUMENT naming what was typed otherwise
// (an unknown name, or a name this machine's tz database lacks).
absl::StatusOr<NamedZone> ParseZone(std::string_view text);

// The offset of `zone` at `time`: "+08:00", "-05:30", "+00:00".
std::string OffsetAt(absl::Time time, absl::TimeZone zone);

// RFC 3339 with the zone's offset, to the second (fractions when present):
// "2026-03-01T12:00:00+08:00".
std::string FormatRfc3339(absl::Time time, absl::TimeZone zone);

// The UTC offset written at the end of a typed RFC 3339 time, as a zone
// name ("+08:00"; "UTC" for "Z" or "+00:00"); nullopt when the text has none
// (a date alone).
std::optional<std::string> TypedOffset(std::string_view text);

// This machine's zone: $TZ, else /etc/timezone, else where /etc/localtime
// points; "UTC" when none of them says.
NamedZone SystemZone();

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_TIME_ZONE_H_
