// Conversions between google.protobuf.Timestamp and absl::Time, exact to the
// nanosecond. Pure functions; thread-safe.
#ifndef BIDTRAIL_COMMON_PROTO_TIME_H_
#define BIDTRAIL_COMMON_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/timestamp.pb.h"

namespace bidtrail {

absl::Time FromProtoTime(const google::protobuf::Timestamp& timestamp);
void ToProtoTime(absl::Time time, google::protobuf::Timestamp* out);
google::protobuf::Timestamp ToProtoTime(absl::Time time);

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_PROTO_TIME_H_
