#include "bidtrail/rpc/check.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/descriptor.h"

namespace bidtrail::rpc {
namespace {

using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// Seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
constexpr int64_t kMinTimestampSeconds = -62135596800;
constexpr int64_t kMaxTimestampSeconds = 253402300799;
// About 10,000 years, as google/protobuf/duration.proto allows.
constexpr int64_t kMaxDurationSeconds = 315576000000;
constexpr int32_t kMaxNanos = 999999999;
// Field numbers of google.protobuf.Timestamp and Duration (seconds, nanos).
constexpr int kSecondsField = 1;
constexpr int kNanosField = 2;

// Where a field is in the request, rendered ("events[3].occurred_at") only
// for an error message: checking a large request builds no strings.
struct FieldPath {
  const FieldPath* parent = nullptr;  // null at the request itself
  const FieldDescriptor* field = nullptr;
  int index = -1;  // in a repeated field; -1 otherwise

  std::string ToString() const {
    if (field == nullptr) return "";
    std::string path = parent == nullptr ? "" : parent->ToString();
    if (!path.empty()) path += ".";
    path += field->name();
    if (index >= 0) absl::StrAppend(&path, "[", index, "]");
    return path;
  }
};

absl::Status CheckTimestamp(const Message& message, const FieldPath& path) {
  const Reflection& reflection = *message.GetReflection();
  const google::protobuf::Descriptor& type = *message.GetDescriptor();
  const int64_t seconds = reflection.GetInt64(message, type.FindFieldByNumber(kSecondsField));
  const int32_t nanos = reflection.GetInt32(message, type.FindFieldByNumber(kNanosField));
  if (nanos < 0 || nanos > kMaxNanos) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.ToString(), ".nanos: ", nanos, "; must be 0 to 999,999,999"));
  }
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.ToString(), ".seconds: ", seconds,
                     "; must be a time from 0001-01-01 to 9999-12-31 UTC (", kMinTimestampSeconds,
                     " to ", kMaxTimestampSeconds, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckDuration(const Message& message, const FieldPath& path) {
  const Reflection& reflection = *message.GetReflection();
  const google::protobuf::Descriptor& type = *message.GetDescriptor();
  const int64_t seconds = reflection.GetInt64(message, type.FindFieldByNumber(kSecondsField));
  const int32_t nanos = reflection.GetInt32(message, type.FindFieldByNumber(kNanosField));
  if (seconds < -kMaxDurationSeconds || seconds > kMaxDurationSeconds) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.ToString(), ".seconds: ", seconds,
                     "; must be within ±315,576,000,000 (10,000 years)"));
  }
  if (nanos < -kMaxNanos || nanos > kMaxNanos) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.ToString(), ".nanos: ", nanos, "; must be within ±999,999,999"));
  }
  if ((seconds > 0 && nanos < 0) || (seconds < 0 && nanos > 0)) {
    return absl::InvalidArgumentError(absl::StrCat(path.ToString(), ": seconds ", seconds,
                                                   " and nanos ", nanos,
                                                   " have different signs; give both "
                                                   "the same sign"));
  }
  return absl::OkStatus();
}

absl::Status CheckText(const std::string& text, const FieldPath& path) {
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return absl::InvalidArgumentError(
          absl::StrCat(path.ToString(), ": byte ", i, " is a control character (0x",
                       absl::Hex(c, absl::kZeroPad2),
                       "); text may hold tabs and line breaks, no other control characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status Check(const Message& message, const FieldPath& prefix) {
  switch (message.GetDescriptor()->well_known_type()) {
    case google::protobuf::Descriptor::WELLKNOWNTYPE_TIMESTAMP:
      return CheckTimestamp(message, prefix);
    case google::protobuf::Descriptor::WELLKNOWNTYPE_DURATION:
      return CheckDuration(message, prefix);
    default:
      break;
  }
  const Reflection& reflection = *message.GetReflection();
  std::vector<const FieldDescriptor*> fields;
  reflection.ListFields(message, &fields);  // the fields that are set
  for (const FieldDescriptor* field : fields) {
    const bool message_field = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
    // Maps: none in requests today. Other scalars hold no text.
    if (field->is_map() || (!message_field && field->type() != FieldDescriptor::TYPE_STRING)) {
      continue;
    }
    const bool repeated = field->is_repeated();
    const int count = repeated ? reflection.FieldSize(message, field) : 1;
    for (int i = 0; i < count; ++i) {
      const FieldPath path{&prefix, field, repeated ? i : -1};
      absl::Status status;
      if (message_field) {
        status = Check(repeated ? reflection.GetRepeatedMessage(message, field, i)
                                : reflection.GetMessage(message, field),
                       path);
      } else {
        std::string scratch;
        status =
            CheckText(repeated ? reflection.GetRepeatedStringReference(message, field, i, &scratch)
                               : reflection.GetStringReference(message, field, &scratch),
                      path);
      }
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckRequest(const Message& request) { return Check(request, FieldPath()); }

}  // namespace bidtrail::rpc
