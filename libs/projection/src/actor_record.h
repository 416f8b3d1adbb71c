// The encoding of actor records (v1::ActorRecord) as the projection stores
// them, written without building a message: the runner encodes one record
// per event of the log, and building and serialising a message for each cost
// a third of decoding the event itself.
#ifndef BIDTRAIL_PROJECTION_ACTOR_RECORD_H_
#define BIDTRAIL_PROJECTION_ACTOR_RECORD_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace bidtrail::projection {

// Appends the length (varint) and the bytes of the v1::ActorRecord with these
// fields, byte for byte what v1::ActorRecord::AppendToString writes for it
// with both times set. `scratch` is working space, reused between calls.
void AppendActorRecord(std::string_view stream_id, uint64_t position, std::string_view type,
                       absl::Time occurred_at, absl::Time recorded_at, std::string* scratch,
                       std::string* out);

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_ACTOR_RECORD_H_
