#include "record_codec.h"

#include <openssl/evp.h>

#include <cstring>
#include <memory>

#include "absl/time/time.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/varint.h"

namespace bidtrail::eventlog::internal {
namespace {

void PutFixed64(uint64_t value, std::string* out) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(value >> (8 * i));
  out->append(buf, 8);
}

void PutLengthPrefixed(std::string_view bytes, std::string* out) {
  PutVarint(bytes.size(), out);
  out->append(bytes.data(), bytes.size());
}

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool Fixed64(uint64_t* value) {
    if (in_.size() < 8) return false;
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(in_[i]);
    *value = v;
    in_.remove_prefix(8);
    return true;
  }
  bool Varint(uint64_t* value) { return GetVarint(&in_, value); }
  bool Bytes(size_t n, std::string_view* out) {
    if (in_.size() < n) return false;
    *out = in_.substr(0, n);
    in_.remove_prefix(n);
    return true;
  }
  bool LengthPrefixed(std::string_view* out) {
    uint64_t n = 0;
    return Varint(&n) && Bytes(n, out);
  }
  size_t remaining() const { return in_.size(); }

 private:
  std::string_view in_;
};

}  // namespace

void EncodeRecordBytes(const Placement& placement, const Uuid& event_id, const ProposedEvent& event,
                       std::string* out) {
  PutFixed64(placement.position, out);
  PutVarint(placement.revision, out);
  out->append(reinterpret_cast<const char*>(event_id.data()), event_id.size());
  PutLengthPrefixed(placement.stream_id, out);
  PutLengthPrefixed(event.type, out);
  PutFixed64(static_cast<uint64_t>(absl::ToUnixNanos(event.occurred_at)), out);
  PutFixed64(static_cast<uint64_t>(absl::ToUnixNanos(placement.recorded_at)), out);
  PutLengthPrefixed(event.actor, out);
  PutLengthPrefixed(event.correlation_id, out);
  PutLengthPrefixed(event.causation_id, out);
  PutLengthPrefixed(event.data, out);
  if (!event.written_by.empty()) PutLengthPrefixed(event.written_by, out);
}

absl::Status ParseRecord(std::string_view value, RecordView* view) {
  if (value.size() < kHashBytes) return absl::DataLossError("record shorter than its hash");
  view->record_bytes = value.substr(0, value.size() - kHashBytes);
  view->hash = value.substr(value.size() - kHashBytes);
  Reader reader(view->record_bytes);
  uint64_t occurred = 0;
  uint64_t recorded = 0;
  const bool ok =
      reader.Fixed64(&view->position) && reader.Varint(&view->revision) &&
      reader.Bytes(16, &view->event_id) && reader.LengthPrefixed(&view->stream_id) &&
      reader.LengthPrefixed(&view->type) && reader.Fixed64(&occurred) &&
      reader.Fixed64(&recorded) && reader.LengthPrefixed(&view->actor) &&
      reader.LengthPrefixed(&view->correlation_id) && reader.LengthPrefixed(&view->causation_id) &&
      reader.LengthPrefixed(&view->data) &&
      (reader.remaining() == 0 || (reader.LengthPrefixed(&view->written_by) &&
                                   !view->written_by.empty() && reader.remaining() == 0));
  if (!ok) return absl::DataLossError("record bytes are truncated or malformed");
  view->occurred_at_ns = static_cast<int64_t>(occurred);
  view->recorded_at_ns = static_cast<int64_t>(recorded);
  return absl::OkStatus();
}

void ToRecordedEvent(const RecordView& view, RecordedEvent* out, bool lean) {
  if (!lean) {
    Uuid id;
    std::memcpy(id.data(), view.event_id.data(), id.size());
    out->event_id = FormatUuid(id);
    out->correlation_id.assign(view.correlation_id);
    out->causation_id.assign(view.causation_id);
    out->written_by.assign(view.written_by);
    out->hash.assign(view.hash);
  }
  AssignEventView(ToEventView(view), out);
}

EventView ToEventView(const RecordView& view) {
  EventView event;
  event.stream_id = view.stream_id;
  event.revision = view.revision;
  event.position = view.position;
  event.type = view.type;
  event.data = view.data;
  event.occurred_at = absl::FromUnixNanos(view.occurred_at_ns);
  event.recorded_at = absl::FromUnixNanos(view.recorded_at_ns);
  event.actor = view.actor;
  return event;
}

std::string ChainHash(std::string_view previous_hash, std::string_view record_bytes) {
  // One digest context per thread, reused: allocating one per record would
  // cost more than hashing a typical record.
  struct ContextDeleter {
    void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
  };
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());
  // Fetched once: EVP_sha256() looks the algorithm up in OpenSSL's provider
  // tables on every Init (a shared lock and a search), which cost 40 % more
  // than hashing a 400-byte record. Kept for the life of the process.
  static const EVP_MD* const sha256 = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  std::string hash(kHashBytes, '\0');
  unsigned int length = 0;
  EVP_DigestInit_ex(ctx.get(), sha256, nullptr);
  EVP_DigestUpdate(ctx.get(), previous_hash.data(), previous_hash.size());
  EVP_DigestUpdate(ctx.get(), record_bytes.data(), record_bytes.size());
  EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(hash.data()), &length);
  return hash;
}

std::string PositionKey(uint64_t position) {
  std::string key;
  PutBigEndian64(position, &key);
  return key;
}

std::string StreamPrefix(std::string_view stream_id) {
  std::string key(stream_id);
  key.push_back('\0');
  return key;
}

std::string StreamRevisionKey(std::string_view stream_id, uint64_t revision) {
  std::string key = StreamPrefix(stream_id);
  PutBigEndian64(revision, &key);
  return key;
}

std::string EventIdKey(std::string_view stream_id, const Uuid& event_id) {
  std::string key = StreamPrefix(stream_id);
  key.append(reinterpret_cast<const char*>(event_id.data()), event_id.size());
  return key;
}

void AppendToGroup(std::string_view record_value, std::string* group) {
  if (group->empty()) group->push_back(kGroupFormat);
  PutVarint(record_value.size(), group);
  group->append(record_value);
}

absl::Status ForEachRecordInGroup(std::string_view group,
                                  const std::function<absl::Status(std::string_view)>& record) {
  if (group.empty() || group[0] != kGroupFormat) {
    return absl::DataLossError("a group of records of an unknown format");
  }
  group.remove_prefix(1);
  while (!group.empty()) {
    uint64_t size = 0;
    if (!GetVarint(&group, &size) || size > group.size()) {
      return absl::DataLossError("a group of records cut short");
    }
    RETURN_IF_ERROR(record(group.substr(0, size)));
    group.remove_prefix(size);
  }
  return absl::OkStatus();
}

}  // namespace bidtrail::eventlog::internal
