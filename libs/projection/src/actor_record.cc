#include "actor_record.h"

#include "bidtrail/common/varint.h"

namespace bidtrail::projection {
namespace {

// Protobuf tags (field number << 3 | wire type) of ActorRecord and Timestamp.
constexpr char kStreamIdTag = (1 << 3) | 2;
constexpr char kPositionTag = (2 << 3) | 0;
constexpr char kTypeTag = (3 << 3) | 2;
constexpr char kOccurredAtTag = (4 << 3) | 2;
constexpr char kRecordedAtTag = (5 << 3) | 2;
constexpr char kSecondsTag = (1 << 3) | 0;
constexpr char kNanosTag = (2 << 3) | 0;

void AppendString(char tag, std::string_view value, std::string* out) {
  if (value.empty()) return;  // proto3: a default value is not written
  out->push_back(tag);
  PutVarint(value.size(), out);
  out->append(value);
}

// A google.protobuf.Timestamp field, as bidtrail::ToProtoTime fills it:
// whole seconds rounded down, and 0 <= nanos < 1e9.
void AppendTime(char tag, absl::Time time, std::string* out) {
  absl::Duration remainder;
  int64_t seconds = absl::IDivDuration(time - absl::UnixEpoch(), absl::Seconds(1), &remainder);
  int64_t nanos = absl::ToInt64Nanoseconds(remainder);
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  char body[24];
  size_t size = 0;
  auto put = [&](char field, uint64_t value) {
    body[size++] = field;
    while (value >= 0x80) {
      body[size++] = static_cast<char>(value | 0x80);
      value >>= 7;
    }
    body[size++] = static_cast<char>(value);
  };
  if (seconds != 0) put(kSecondsTag, static_cast<uint64_t>(seconds));
  if (nanos != 0) put(kNanosTag, static_cast<uint64_t>(nanos));
  out->push_back(tag);
  out->push_back(static_cast<char>(size));  // at most 22 bytes: one varint byte
  out->append(body, size);
}

}  // namespace

void AppendActorRecord(std::string_view stream_id, uint64_t position, std::string_view type,
                       absl::Time occurred_at, absl::Time recorded_at, std::string* scratch,
                       std::string* out) {
  scratch->clear();
  AppendString(kStreamIdTag, stream_id, scratch);
  if (position != 0) {
    scratch->push_back(kPositionTag);
    PutVarint(position, scratch);
  }
  AppendString(kTypeTag, type, scratch);
  AppendTime(kOccurredAtTag, occurred_at, scratch);
  AppendTime(kRecordedAtTag, recorded_at, scratch);
  PutVarint(scratch->size(), out);
  out->append(*scratch);
}

}  // namespace bidtrail::projection
