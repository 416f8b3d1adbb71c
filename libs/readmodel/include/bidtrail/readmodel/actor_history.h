// What one actor recorded: an entry per event, in log order. The projection
// keeps these per actor (in a compact encoding of its own); the query service
// pages through them. Plain data.
#ifndef BIDTRAIL_READMODEL_ACTOR_HISTORY_H_
#define BIDTRAIL_READMODEL_ACTOR_HISTORY_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"

namespace bidtrail::readmodel {

struct ActorEntry {
  std::string stream_id;
  uint64_t position = 0;
  // The event's full type name ("bidtrail.v1.BidSubmitted").
  std::string type;
  absl::Time occurred_at;
  absl::Time recorded_at;

  bool operator==(const ActorEntry& other) const {
    return stream_id == other.stream_id && position == other.position && type == other.type &&
           occurred_at == other.occurred_at && recorded_at == other.recorded_at;
  }
};

}  // namespace bidtrail::readmodel

#endif  // BIDTRAIL_READMODEL_ACTOR_HISTORY_H_
