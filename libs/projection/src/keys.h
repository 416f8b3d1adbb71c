// The projection's key layout in its KvStore (docs/architecture.md, "Read
// models"). Pure functions; thread-safe.
//
//   m/format                             the layout version (kLayoutVersion)
//   m/active                             the active generation (big-endian)
//   m/checkpoint/g<id>                   a generation's checkpoint
//   m/unknown/g<id>                      its count of unknown events skipped
//   g<id>t/<tender_id>                   TenderRecord
//   g<id>d/<due>/<tender_id>/<kind>      DeadlineRecord: the board's deadlines
//   g<id>o/<due>/<tender_id>/<kind>      the same, for outstanding ones only
//   g<id>s/<last_event_at>/<tender_id>   StaleRecord: tenders that can go stale
//   g<id>a/<actor>\0<position >> 12>     actor records (actor_record.h), one
//                                        chunk per 4,096 positions, appended
//
// <id> is 4 bytes big-endian; <due> and <last_event_at> are times as 8
// bytes that sort in time order (PutTime); <kind> is the deadline kind's
// name (readmodel/board.h).
#ifndef BIDTRAIL_PROJECTION_KEYS_H_
#define BIDTRAIL_PROJECTION_KEYS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "bidtrail/readmodel/board.h"

namespace bidtrail::projection::keys {

// The read models' layout version: a database of another layout is cleared
// and folded again from the log at open. History: 2, actor records in
// chunks; 3, actor records in their compact encoding; 4, bidtrail's own
// storage messages (storage/v1/read_models.proto) instead of the API's; 5,
// tender records carry when the documents were obtained; 6, board and
// stale records carry the tender's time zone; 7, imported tenders outside
// our pipeline are off the board (TenderTracked, readmodel::InOurPipeline).
inline constexpr char kLayoutVersion[] = "9";
inline constexpr char kFormatKey[] = "m/format";
inline constexpr char kActiveKey[] = "m/active";

// Actor records are kept in chunks of 2^kActorChunkBits positions.
inline constexpr int kActorChunkBits = 12;

// Times as keys: nanoseconds since the epoch, sign bit flipped, big-endian,
// so that they sort in time order.
void PutTime(absl::Time time, std::string* out);
// The time at the front of `bytes` (8 bytes).
absl::Time GetTime(std::string_view bytes);

// "g" and the id, 4 bytes big-endian: every key of a generation starts so.
std::string GenerationPrefix(uint32_t generation);
// The end of a generation's keys (the next generation's prefix).
std::string GenerationEnd(uint32_t generation);
std::string CheckpointKey(uint32_t generation);
std::string UnknownKey(uint32_t generation);

// Keys within a generation (without its prefix).
std::string TenderKey(std::string_view tender_id);
inline constexpr char kTendersBegin[] = "t/";
inline constexpr char kTendersEnd[] = "t0";  // '0' follows '/'
inline constexpr char kDeadlineIndex[] = "d/";
inline constexpr char kOutstandingIndex[] = "o/";
inline constexpr char kStaleIndex[] = "s/";
// d/<due>/<tender_id>/<kind>, or o/… when `outstanding`.
std::string DeadlineKey(bool outstanding, absl::Time due, std::string_view tender_id,
                        readmodel::DeadlineKind kind);
// Whether `key` has the shape DeadlineKey gives (bidtrail/projection/engine.h).
bool IsDeadlineKey(std::string_view key);
// s/<last_event_at>/<tender_id>.
std::string StaleKey(absl::Time last_event_at, std::string_view tender_id);
// The start of an index at `time`: "d/<time>", "o/<time>", "s/<time>".
std::string IndexAt(std::string_view index, absl::Time time);
// a/<actor>\0<chunk>, and the range of one actor's chunks.
std::string ActorChunkKey(std::string_view actor, uint64_t chunk);
std::string ActorChunksEnd(std::string_view actor);

}  // namespace bidtrail::projection::keys

#endif  // BIDTRAIL_PROJECTION_KEYS_H_
