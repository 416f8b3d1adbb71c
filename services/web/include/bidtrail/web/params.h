// URL query parameters onto a request message, by field name: the HTTP API
// takes exactly the fields of the gRPC request (docs/api.md), so that the
// two cannot drift apart. Nested fields are named with dots
// ("reporting.currency"); a repeated field takes the parameter once per
// value.
#ifndef BIDTRAIL_WEB_PARAMS_H_
#define BIDTRAIL_WEB_PARAMS_H_

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace bidtrail::web {

// Sets each (name, value) on `request`. Values: strings as they are;
// integers and numbers in decimal; booleans true/false (or 1/0); enums as
// their word ("quarter" for WIN_LOSS_GROUP_BY_QUARTER) or full name; times in
// RFC 3339 ("2026-12-05T09:00:00+08:00") or as a date (midnight in
// `zone`); durations as "14d", "36h", "90m", "1h30m". INVALID_ARGUMENT
// naming the parameter and what it takes; nothing is set then. Names in
// `ignored` are skipped (the API's own parameters, such as tz).
absl::Status FillRequest(const std::vector<std::pair<std::string, std::string>>& params,
                         const std::set<std::string>& ignored, absl::TimeZone zone,
                         google::protobuf::Message* request);

// The parameters `request`'s type takes ("from", "reporting.currency", ...),
// for error messages and docs.
std::vector<std::string> ParameterNames(const google::protobuf::Descriptor& request);

// "14d", "36h", "90m", "1h30m", "2d12h": a length of time; INVALID_ARGUMENT
// otherwise.
absl::StatusOr<absl::Duration> ParseLength(const std::string& text);

}  // namespace bidtrail::web

#endif  // BIDTRAIL_WEB_PARAMS_H_
