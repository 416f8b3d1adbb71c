// A public API message as one line of JSON, with the conventions the CLI's
// --json and the HTTP JSON API share (docs/api.md): proto field names; every
// number a JSON number at full precision (64-bit ones too: positions,
// revisions; a win rate of 47/171 is 0.27485380116959063); times RFC 3339
// in `zone` with its offset; a duration field as its human form ("2d3h")
// plus `<name>_seconds`; enums as their words ("open" for
// TENDER_STATUS_OPEN); bytes (hashes) in lowercase hex; money as
// {"amount": "1210000.00", "currency": "CNY"};
// scalars always present, messages and optional fields only when set.
#ifndef BIDTRAIL_API_MESSAGE_JSON_H_
#define BIDTRAIL_API_MESSAGE_JSON_H_

#include <string>

#include "absl/time/time.h"
#include "google/protobuf/message.h"

namespace bidtrail::api {

std::string MessageJson(const google::protobuf::Message& message, absl::TimeZone zone);

// The shortest text that reads back as the same double.
std::string FullPrecision(double value);

}  // namespace bidtrail::api

#endif  // BIDTRAIL_API_MESSAGE_JSON_H_
