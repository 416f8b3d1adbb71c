// The byte layout of a stored record (the value in the "log" column family),
// and of the keys. Internal to libs/eventlog. Pure functions; thread-safe.
//
// Record value, format version 1:
//   fixed64 position | varint revision | 16 bytes event id |
//   lp stream_id | lp type | fixed64 occurred_at ns | fixed64 recorded_at ns |
//   lp actor | lp correlation_id | lp causation_id | lp data |
//   [lp written_by] | 32 bytes hash
// where lp is a varint length followed by the bytes, fixed64 is little-endian.
// written_by is there only when not empty, so that records without it are
// the bytes they always were. The hash covers everything before it (the
// "record bytes").
#ifndef BIDTRAIL_EVENTLOG_SRC_RECORD_CODEC_H_
#define BIDTRAIL_EVENTLOG_SRC_RECORD_CODEC_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "bidtrail/common/big_endian.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/eventlog/limits.h"

namespace bidtrail::eventlog::internal {

inline constexpr size_t kHashBytes = 32;

// Where a proposed event lands: the fields the store assigns.
struct Placement {
  std::string_view stream_id;
  uint64_t revision = 0;
  uint64_t position = 0;
  absl::Time recorded_at;
};

// Appends the record bytes (everything but the hash) to *out.
void EncodeRecordBytes(const Placement& placement, const Uuid& event_id, const ProposedEvent& event,
                       std::string* out);

// The fields needed to filter and check a record without copying it.
struct RecordView {
  uint64_t position = 0;
  uint64_t revision = 0;
  std::string_view event_id;  // 16 raw bytes
  std::string_view stream_id;
  std::string_view type;
  int64_t occurred_at_ns = 0;
  int64_t recorded_at_ns = 0;
  std::string_view actor;
  std::string_view correlation_id;
  std::string_view causation_id;
  std::string_view data;
  std::string_view written_by;
  std::string_view record_bytes;  // what the hash covers
  std::string_view hash;
};

// Parses a stored value. DATA_LOSS when it is truncated or malformed.
absl::Status ParseRecord(std::string_view value, RecordView* view);

// Copies a parsed record into an owned RecordedEvent.
// lean: as ReadAllRequest::lean (ids and hash left empty).
void ToRecordedEvent(const RecordView& view, RecordedEvent* out, bool lean = false);

// The fields of a parsed record that an EventView has, viewing the same bytes.
EventView ToEventView(const RecordView& view);

// SHA-256(previous_hash || record_bytes).
std::string ChainHash(std::string_view previous_hash, std::string_view record_bytes);

using ::bidtrail::GetBigEndian64;
using ::bidtrail::PutBigEndian64;

// Key of the log column family: the position.
std::string PositionKey(uint64_t position);
// stream_id '\0': the prefix of a stream's keys in the index column families.
// Stream ids are printable, so '\0' cannot occur in them and keys of one stream
// are contiguous.
std::string StreamPrefix(std::string_view stream_id);
// stream_id '\0' big-endian revision.
std::string StreamRevisionKey(std::string_view stream_id, uint64_t revision);
// stream_id '\0' 16-byte event id.
std::string EventIdKey(std::string_view stream_id, const Uuid& event_id);

// A group commit as an upstream carries it (upstream.h): a format byte (1),
// then each record value (as stored, hash included) length-prefixed.
inline constexpr char kGroupFormat = 1;
void AppendToGroup(std::string_view record_value, std::string* group);
// Calls `record` with each record value of `group`, in order. DATA_LOSS
// when the group is truncated or of another format.
absl::Status ForEachRecordInGroup(std::string_view group,
                                  const std::function<absl::Status(std::string_view)>& record);

}  // namespace bidtrail::eventlog::internal

#endif  // BIDTRAIL_EVENTLOG_SRC_RECORD_CODEC_H_
