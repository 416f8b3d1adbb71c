#include "actor_record.h"

#include <array>

#include "bidtrail/common/varint.h"

namespace bidtrail::projection {
namespace {

// Never reorder or remove: stored records refer to these by index.
constexpr std::array<std::string_view, 13> kTypes = {
    "",  // 0: the type follows as text
    "bidtrail.v1.TenderDiscovered",
    "bidtrail.v1.TenderAmended",
    "bidtrail.v1.DocumentObtained",
    "bidtrail.v1.NoBidDecided",
    "bidtrail.v1.BidSubmitted",
    "bidtrail.v1.BidWithdrawn",
    "bidtrail.v1.BidDisqualified",
    "bidtrail.v1.AwardAnnounced",
    "bidtrail.v1.AwardCancelled",
    "bidtrail.v1.TenderCancelled",
    "bidtrail.v1.TenderUnsuccessful",
    "bidtrail.v1.ActivityLogged",
};

uint8_t TypeCode(std::string_view type) {
  constexpr std::string_view kPrefix = "bidtrail.v1.";
  if (type.substr(0, kPrefix.size()) != kPrefix) return 0;
  for (uint8_t code = 1; code < kTypes.size(); ++code) {
    if (kTypes[code] == type) return code;
  }
  return 0;
}

void PutTime(absl::Time time, std::string* out) {
  absl::Duration remainder;
  int64_t seconds = absl::IDivDuration(time - absl::UnixEpoch(), absl::Seconds(1), &remainder);
  int64_t nanos = absl::ToInt64Nanoseconds(remainder);
  if (nanos < 0) {
    nanos += 1000000000;
    --seconds;
  }
  PutVarint(ZigZag(seconds), out);
  PutVarint(static_cast<uint64_t>(nanos), out);
}

bool GetTime(std::string_view* in, absl::Time* time) {
  uint64_t seconds;
  uint64_t nanos;
  if (!GetVarint(in, &seconds) || !GetVarint(in, &nanos) || nanos >= 1000000000) return false;
  *time = absl::FromUnixSeconds(UnZigZag(seconds)) + absl::Nanoseconds(static_cast<int64_t>(nanos));
  return true;
}

bool GetString(std::string_view* in, std::string* out) {
  uint64_t size;
  if (!GetVarint(in, &size) || size > in->size()) return false;
  out->assign(in->data(), size);
  in->remove_prefix(size);
  return true;
}

}  // namespace

void AppendActorRecord(std::string_view stream_id, uint64_t position, std::string_view type,
                       absl::Time occurred_at, absl::Time recorded_at, std::string* out) {
  // Written after a one-byte size, then moved up in the rare case the size
  // takes more (a record over 127 bytes: long stream ids or types).
  const size_t start = out->size();
  out->push_back('\0');
  PutVarint(position, out);
  PutVarint(stream_id.size(), out);
  out->append(stream_id);
  const uint8_t code = TypeCode(type);
  out->push_back(static_cast<char>(code));
  if (code == 0) {
    PutVarint(type.size(), out);
    out->append(type);
  }
  PutTime(occurred_at, out);
  PutTime(recorded_at, out);
  const size_t size = out->size() - start - 1;
  if (size < 0x80) {
    (*out)[start] = static_cast<char>(size);
    return;
  }
  std::string prefix;
  PutVarint(size, &prefix);
  out->replace(start, 1, prefix);
}

bool ReadActorRecord(std::string_view* records, readmodel::ActorEntry* entry) {
  uint64_t size;
  if (!GetVarint(records, &size) || size > records->size()) return false;
  std::string_view in = records->substr(0, size);
  records->remove_prefix(size);
  if (!GetVarint(&in, &entry->position) || !GetString(&in, &entry->stream_id) || in.empty()) {
    return false;
  }
  const uint8_t code = static_cast<uint8_t>(in.front());
  in.remove_prefix(1);
  if (code >= kTypes.size()) return false;
  if (code == 0) {
    if (!GetString(&in, &entry->type)) return false;
  } else {
    entry->type.assign(kTypes[code]);
  }
  return GetTime(&in, &entry->occurred_at) && GetTime(&in, &entry->recorded_at) && in.empty();
}

}  // namespace bidtrail::projection
