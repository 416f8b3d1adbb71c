#include "bidtrail/rpc/check.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
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

// What checking a message of one type looks at, worked out once per type
// (CheckRequest runs on every request: no field listing, sorting or lookup
// by name per message).
struct Plan {
  struct Field {
    const FieldDescriptor* field = nullptr;
    bool repeated = false;
    const Plan* message = nullptr;  // null for a string field
  };
  google::protobuf::Descriptor::WellKnownType well_known =
      google::protobuf::Descriptor::WELLKNOWNTYPE_UNSPECIFIED;
  // Timestamp and Duration: seconds and nanos.
  const FieldDescriptor* seconds = nullptr;
  const FieldDescriptor* nanos = nullptr;
  // String and message fields, in field number order (as ListFields gives
  // them: the first field in error is the one reported). Maps: none in
  // requests today. Other scalars hold no text.
  std::vector<Field> fields;
};

class Plans {
 public:
  const Plan& Of(const google::protobuf::Descriptor* type) ABSL_LOCKS_EXCLUDED(mu_) {
    {
      absl::ReaderMutexLock lock(&mu_);
      if (auto found = plans_.find(type); found != plans_.end()) return *found->second;
    }
    absl::MutexLock lock(&mu_);
    return OfLocked(type);
  }

 private:
  const Plan& OfLocked(const google::protobuf::Descriptor* type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    auto [found, inserted] = plans_.try_emplace(type, nullptr);
    if (!inserted) return *found->second;
    // In the map before its fields are worked out: a type that holds itself
    // finds its own plan.
    found->second = std::make_unique<Plan>();
    Plan& plan = *found->second;
    plan.well_known = type->well_known_type();
    if (plan.well_known == google::protobuf::Descriptor::WELLKNOWNTYPE_TIMESTAMP ||
        plan.well_known == google::protobuf::Descriptor::WELLKNOWNTYPE_DURATION) {
      plan.seconds = type->FindFieldByNumber(kSecondsField);
      plan.nanos = type->FindFieldByNumber(kNanosField);
      return plan;
    }
    for (int i = 0; i < type->field_count(); ++i) {
      const FieldDescriptor* field = type->field(i);
      const bool message = field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE;
      if (field->is_map() || (!message && field->type() != FieldDescriptor::TYPE_STRING)) continue;
      // Plans never move: this one stays where it is while its fields' are made.
      plan.fields.push_back(
          {field, field->is_repeated(), message ? &OfLocked(field->message_type()) : nullptr});
    }
    std::sort(plan.fields.begin(), plan.fields.end(),
              [](const Plan::Field& a, const Plan::Field& b) {
                return a.field->number() < b.field->number();
              });
    return plan;
  }

  absl::Mutex mu_;
  // Plans never move or go: a plan points to its fields' plans.
  absl::flat_hash_map<const google::protobuf::Descriptor*, std::unique_ptr<Plan>> plans_
      ABSL_GUARDED_BY(mu_);
};

absl::Status CheckTimestamp(const Message& message, const Plan& plan, const FieldPath& path) {
  const Reflection& reflection = *message.GetReflection();
  return rpc::CheckTimestamp(reflection.GetInt64(message, plan.seconds),
                             reflection.GetInt32(message, plan.nanos),
                             [&path] { return path.ToString(); });
}

absl::Status CheckDuration(const Message& message, const Plan& plan, const FieldPath& path) {
  const Reflection& reflection = *message.GetReflection();
  const int64_t seconds = reflection.GetInt64(message, plan.seconds);
  const int32_t nanos = reflection.GetInt32(message, plan.nanos);
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
  return rpc::CheckText(text, [&path] { return path.ToString(); });
}

absl::Status Check(const Message& message, const Plan& plan, const FieldPath& prefix) {
  switch (plan.well_known) {
    case google::protobuf::Descriptor::WELLKNOWNTYPE_TIMESTAMP:
      return CheckTimestamp(message, plan, prefix);
    case google::protobuf::Descriptor::WELLKNOWNTYPE_DURATION:
      return CheckDuration(message, plan, prefix);
    default:
      break;
  }
  const Reflection& reflection = *message.GetReflection();
  std::string scratch;
  for (const Plan::Field& each : plan.fields) {
    const FieldDescriptor* field = each.field;
    int count = 1;
    if (each.repeated) {
      count = reflection.FieldSize(message, field);
    } else if (each.message != nullptr && !reflection.HasField(message, field)) {
      continue;  // an unset message (an unset string reads as "", which passes)
    }
    for (int i = 0; i < count; ++i) {
      const FieldPath path{&prefix, field, each.repeated ? i : -1};
      absl::Status status;
      if (each.message != nullptr) {
        status = Check(each.repeated ? reflection.GetRepeatedMessage(message, field, i)
                                     : reflection.GetMessage(message, field),
                       *each.message, path);
      } else {
        status = CheckText(each.repeated
                               ? reflection.GetRepeatedStringReference(message, field, i, &scratch)
                               : reflection.GetStringReference(message, field, &scratch),
                           path);
      }
      if (!status.ok()) return status;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CheckText(std::string_view text, absl::FunctionRef<std::string()> path) {
  for (size_t i = 0; i < text.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7f) {
      return absl::InvalidArgumentError(absl::StrCat(
          path(), ": byte ", i, " is a control character (0x", absl::Hex(c, absl::kZeroPad2),
          "); text may hold tabs and line breaks, no other control characters"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckTimestamp(int64_t seconds, int32_t nanos, absl::FunctionRef<std::string()> path) {
  if (nanos < 0 || nanos > kMaxNanos) {
    return absl::InvalidArgumentError(
        absl::StrCat(path(), ".nanos: ", nanos, "; must be 0 to 999,999,999"));
  }
  if (seconds < kMinTimestampSeconds || seconds > kMaxTimestampSeconds) {
    return absl::InvalidArgumentError(absl::StrCat(
        path(), ".seconds: ", seconds, "; must be a time from 0001-01-01 to 9999-12-31 UTC (",
        kMinTimestampSeconds, " to ", kMaxTimestampSeconds, ")"));
  }
  return absl::OkStatus();
}

absl::Status CheckRequest(const Message& request) {
  static Plans* const plans = new Plans();
  return Check(request, plans->Of(request.GetDescriptor()), FieldPath());
}

}  // namespace bidtrail::rpc
