#include "bidtrail/common/proto_time.h"

namespace bidtrail {

absl::Time FromProtoTime(const google::protobuf::Timestamp& timestamp) {
  return absl::FromUnixSeconds(timestamp.seconds()) + absl::Nanoseconds(timestamp.nanos());
}

void ToProtoTime(absl::Time time, google::protobuf::Timestamp* out) {
  const absl::Duration since_epoch = time - absl::UnixEpoch();
  absl::Duration remainder;
  const int64_t seconds = absl::IDivDuration(since_epoch, absl::Seconds(1), &remainder);
  int64_t nanos = absl::ToInt64Nanoseconds(remainder);
  int64_t whole = seconds;
  if (nanos < 0) {  // Timestamp wants 0 <= nanos < 1e9
    nanos += 1000000000;
    --whole;
  }
  out->set_seconds(whole);
  out->set_nanos(static_cast<int32_t>(nanos));
}

google::protobuf::Timestamp ToProtoTime(absl::Time time) {
  google::protobuf::Timestamp timestamp;
  ToProtoTime(time, &timestamp);
  return timestamp;
}

absl::Duration FromProtoDuration(const google::protobuf::Duration& duration) {
  return absl::Seconds(duration.seconds()) + absl::Nanoseconds(duration.nanos());
}

void ToProtoDuration(absl::Duration duration, google::protobuf::Duration* out) {
  const int64_t nanos = absl::ToInt64Nanoseconds(duration);
  out->set_seconds(nanos / 1000000000);
  out->set_nanos(static_cast<int32_t>(nanos % 1000000000));
}

}  // namespace bidtrail
