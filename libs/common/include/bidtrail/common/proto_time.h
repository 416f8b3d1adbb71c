// Conversions between google.protobuf.Timestamp / Duration and absl::Time /
// absl::Duration, exact to the nanosecond. Pure functions; thread-safe.
#ifndef BIDTRAIL_COMMON_PROTO_TIME_H_
#define BIDTRAIL_COMMON_PROTO_TIME_H_

#include "absl/time/time.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace bidtrail {

absl::Time FromProtoTime(const google::protobuf::Timestamp& timestamp);
void ToProtoTime(absl::Time time, google::protobuf::Timestamp* out);
google::protobuf::Timestamp ToProtoTime(absl::Time time);

absl::Duration FromProtoDuration(const google::protobuf::Duration& duration);
// Seconds and nanos carry the same sign, as google.protobuf.Duration wants;
// durations beyond about 292 years are clamped to that.
void ToProtoDuration(absl::Duration duration, google::protobuf::Duration* out);

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_PROTO_TIME_H_
