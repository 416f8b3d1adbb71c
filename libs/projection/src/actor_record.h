// How the projection stores what each actor recorded: one record per event
// of the log (a readmodel::ActorEntry), in a compact encoding rather than as
// a protobuf message: a record is about half a message's size (no field
// tags, the common event types as one byte, times as varints), and actor
// records are nearly half of what a rebuild writes. Pure.
//
// record := varint(size of the rest) varint(position) varint(size) stream_id
//           byte(type code) [varint(size) type, when the code is 0]
//           zigzag varint(occurred_at seconds) varint(occurred_at nanos)
//           zigzag varint(recorded_at seconds) varint(recorded_at nanos)
//
// Times split as google.protobuf.Timestamp does (seconds rounded down,
// 0 <= nanos < 1e9). Type codes 1 to 12 stand for the tender event types, in
// a fixed order that never changes (stored data depends on it).
#ifndef BIDTRAIL_PROJECTION_ACTOR_RECORD_H_
#define BIDTRAIL_PROJECTION_ACTOR_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "bidtrail/readmodel/actor_history.h"

namespace bidtrail::projection {

// Appends the record of one event to `out`.
void AppendActorRecord(std::string_view stream_id, uint64_t position, std::string_view type,
                       absl::Time occurred_at, absl::Time recorded_at, std::string* out);

// Reads the record at the front of `*records` into `entry` and moves past
// it; false when the bytes are not a whole record.
bool ReadActorRecord(std::string_view* records, readmodel::ActorEntry* entry);

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_ACTOR_RECORD_H_
