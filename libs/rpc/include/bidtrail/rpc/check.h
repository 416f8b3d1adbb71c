// Checks every request gets before any service looks at it, whatever its
// type: the well-known types hold what they promise, and text holds no
// control bytes. Walks the message by reflection. Pure; thread-safe.
#ifndef BIDTRAIL_RPC_CHECK_H_
#define BIDTRAIL_RPC_CHECK_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace bidtrail::rpc {

// INVALID_ARGUMENT naming the field (as a path: "tender_discovered.key_dates.
// submission_deadline.nanos", "events[2].actor") and the valid range, for:
// - a google.protobuf.Timestamp whose nanos are outside 0 to 999,999,999 or
//   whose seconds are outside years 0001 to 9999;
// - a google.protobuf.Duration whose seconds are beyond ±10,000 years,
//   whose nanos are outside ±999,999,999, or whose signs differ;
// - a string field holding a control byte (0x00 to 0x1f, 0x7f) other than
//   tab, line feed and carriage return.
// Bytes fields (event payloads) are not looked into.
absl::Status CheckRequest(const google::protobuf::Message& request);

// The same checks for values that arrive in another encoding than their
// message (AppendRequest.packed_events): a string field's text, and a
// Timestamp's seconds and nanos. `path` names the field for the error
// ("events[3].actor"); it is called only then.
absl::Status CheckText(std::string_view text, absl::FunctionRef<std::string()> path);
absl::Status CheckTimestamp(int64_t seconds, int32_t nanos, absl::FunctionRef<std::string()> path);

}  // namespace bidtrail::rpc

#endif  // BIDTRAIL_RPC_CHECK_H_
