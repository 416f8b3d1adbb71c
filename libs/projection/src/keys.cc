#include "keys.h"

#include "bidtrail/common/big_endian.h"
#include "bidtrail/projection/engine.h"

namespace bidtrail::projection::keys {

void PutTime(absl::Time time, std::string* out) {
  PutBigEndian64(static_cast<uint64_t>(absl::ToUnixNanos(time)) ^ (uint64_t{1} << 63), out);
}

absl::Time GetTime(std::string_view bytes) {
  return absl::FromUnixNanos(static_cast<int64_t>(GetBigEndian64(bytes) ^ (uint64_t{1} << 63)));
}

std::string GenerationPrefix(uint32_t generation) {
  std::string prefix = "g";
  for (int i = 3; i >= 0; --i) prefix.push_back(static_cast<char>(generation >> (8 * i)));
  return prefix;
}

std::string GenerationEnd(uint32_t generation) { return GenerationPrefix(generation + 1); }

std::string CheckpointKey(uint32_t generation) {
  return "m/checkpoint/" + GenerationPrefix(generation);
}

std::string UnknownKey(uint32_t generation) { return "m/unknown/" + GenerationPrefix(generation); }

std::string TenderKey(std::string_view tender_id) {
  std::string key = kTendersBegin;
  key.append(tender_id);
  return key;
}

std::string DeadlineKey(bool outstanding, absl::Time due, std::string_view tender_id,
                        readmodel::DeadlineKind kind) {
  std::string key = IndexAt(outstanding ? kOutstandingIndex : kDeadlineIndex, due);
  key.push_back('/');
  key.append(tender_id);
  key.push_back('/');
  key.append(readmodel::DeadlineKindName(kind));
  return key;
}

bool IsDeadlineKey(std::string_view key) {
  // "d/" | 8 bytes of time | "/" | tender id | "/" | kind
  constexpr size_t kTimeEnd = 2 + 8;
  if (key.size() < kTimeEnd + 3 || key[kTimeEnd] != '/') return false;
  if (key.substr(0, 2) != kDeadlineIndex && key.substr(0, 2) != kOutstandingIndex) return false;
  const size_t kind_at = key.rfind('/');
  if (kind_at <= kTimeEnd + 1) return false;  // an empty tender id
  const std::string_view kind = key.substr(kind_at + 1);
  for (readmodel::DeadlineKind each :
       {readmodel::DeadlineKind::kDocumentsAvailableUntil,
        readmodel::DeadlineKind::kSubmissionDeadline, readmodel::DeadlineKind::kBidOpeningAt}) {
    if (kind == readmodel::DeadlineKindName(each)) return true;
  }
  return false;
}

std::string StaleKey(absl::Time last_event_at, std::string_view tender_id) {
  std::string key = IndexAt(kStaleIndex, last_event_at);
  key.push_back('/');
  key.append(tender_id);
  return key;
}

std::string IndexAt(std::string_view index, absl::Time time) {
  std::string key(index);
  PutTime(time, &key);
  return key;
}

std::string ActorChunkKey(std::string_view actor, uint64_t chunk) {
  std::string key = "a/";
  key.append(actor);
  key.push_back('\0');
  PutBigEndian64(chunk, &key);
  return key;
}

std::string ActorChunksEnd(std::string_view actor) {
  std::string key = "a/";
  key.append(actor);
  key.push_back('\1');
  return key;
}

}  // namespace bidtrail::projection::keys

namespace bidtrail::projection {

bool IsDeadlineKey(std::string_view key) { return keys::IsDeadlineKey(key); }

}  // namespace bidtrail::projection
