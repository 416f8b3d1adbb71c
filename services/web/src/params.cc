#include "bidtrail/web/params.h"

#include <algorithm>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bidtrail/common/enum_names.h"
#include "bidtrail/common/nearest.h"
#include "bidtrail/common/proto_time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace bidtrail::web {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

bool IsTime(const FieldDescriptor& field) {
  return field.message_type() != nullptr &&
         field.message_type()->full_name() == "google.protobuf.Timestamp";
}
bool IsDuration(const FieldDescriptor& field) {
  return field.message_type() != nullptr &&
         field.message_type()->full_name() == "google.protobuf.Duration";
}

void CollectNames(const Descriptor& type, const std::string& prefix,
                  std::vector<std::string>* names) {
  for (int i = 0; i < type.field_count(); ++i) {
    const FieldDescriptor& field = *type.field(i);
    const std::string name = prefix + field.name();
    if (field.message_type() != nullptr && !IsTime(field) && !IsDuration(field) &&
        !field.is_repeated()) {
      CollectNames(*field.message_type(), name + ".", names);
    } else if (field.message_type() == nullptr || IsTime(field) || IsDuration(field)) {
      names->push_back(name);
    }
  }
}

// "quarter" or "WIN_LOSS_GROUP_BY_QUARTER" for an enum of type WinLossGroupBy
// ("deal-size" as the CLI spells it, too).
const google::protobuf::EnumValueDescriptor* FindEnumValue(
    const google::protobuf::EnumDescriptor& type, const std::string& text) {
  if (const auto* exact = type.FindValueByName(text)) return exact;
  const int number = EnumValueOfWord(type, text);
  return number != 0 ? type.FindValueByNumber(number) : nullptr;
}

absl::StatusOr<absl::Time> ParseWhen(std::string text, absl::TimeZone zone) {
  // A "+" left unencoded in a URL arrives as a space: "T09:00:00 08:00".
  if (const size_t space = text.find(' '); space != std::string::npos && space > 10) {
    text[space] = '+';
  }
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return time;
  if (absl::ParseTime("%Y-%m-%d", text, zone, &time, &error)) return time;
  return absl::InvalidArgumentError(
      "an RFC 3339 time (2026-12-05T09:00:00+08:00) or a date "
      "(2026-12-05)");
}

class Filler {
 public:
  Filler(absl::TimeZone zone, Message* request) : zone_(zone), request_(request) {}

  absl::Status Set(const std::string& name, const std::string& value) {
    Message* message = request_;
    const std::vector<std::string> path = absl::StrSplit(name, '.');
    for (size_t i = 0; i < path.size(); ++i) {
      const FieldDescriptor* field = message->GetDescriptor()->FindFieldByName(path[i]);
      const bool last = i + 1 == path.size();
      if (field == nullptr || (!last && (field->message_type() == nullptr || IsTime(*field) ||
                                         IsDuration(*field) || field->is_repeated()))) {
        return Unknown(name);
      }
      if (!last) {
        message = message->GetReflection()->MutableMessage(message, field);
        continue;
      }
      if (field->message_type() != nullptr && !IsTime(*field) && !IsDuration(*field)) {
        return Unknown(name);
      }
      absl::Status set = SetField(message, *field, value);
      if (!set.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat(name, ": \"", value, "\" is not ", set.message()));
      }
      return absl::OkStatus();
    }
    return Unknown(name);
  }

 private:
  absl::Status Unknown(const std::string& name) const {
    std::vector<std::string> names;
    CollectNames(*request_->GetDescriptor(), "", &names);
    const std::string guess = Closest(name, names);
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": not a parameter of this call",
                     guess.empty() ? "." : "; did you mean " + guess + "?", " It takes ",
                     names.empty() ? "none" : absl::StrJoin(names, ", ")));
  }

  // The parameter `name` was most likely meant as: the same letters without
  // separators ("group-by", "groupby" for group_by), the last part of a
  // nested one ("currency" for reporting.currency), or one typo away.
  static std::string Closest(const std::string& name, const std::vector<std::string>& names) {
    auto letters = [](const std::string& text) {
      std::string out;
      for (char c : text) {
        if (c != '_' && c != '-' && c != '.')
          out += absl::ascii_tolower(static_cast<unsigned char>(c));
      }
      return out;
    };
    const std::string wanted = letters(name);
    for (const std::string& candidate : names) {
      if (letters(candidate) == wanted) return candidate;
    }
    for (const std::string& candidate : names) {
      const size_t dot = candidate.rfind('.');
      if (dot != std::string::npos && letters(candidate.substr(dot + 1)) == wanted) {
        return candidate;
      }
    }
    for (const std::string& candidate : names) {
      if (EditDistance(letters(candidate), wanted) <= 1) return candidate;
    }
    return "";
  }

  absl::Status SetField(Message* message, const FieldDescriptor& field, const std::string& value) {
    const Reflection* r = message->GetReflection();
    const bool repeated = field.is_repeated();
    switch (field.cpp_type()) {
      case FieldDescriptor::CPPTYPE_STRING:
        repeated ? r->AddString(message, &field, value) : r->SetString(message, &field, value);
        return absl::OkStatus();
      case FieldDescriptor::CPPTYPE_INT32: {
        int32_t n;
        if (!absl::SimpleAtoi(value, &n)) return absl::InvalidArgumentError("a whole number");
        repeated ? r->AddInt32(message, &field, n) : r->SetInt32(message, &field, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t n;
        if (!absl::SimpleAtoi(value, &n)) return absl::InvalidArgumentError("a whole number");
        repeated ? r->AddInt64(message, &field, n) : r->SetInt64(message, &field, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint32_t n;
        if (!absl::SimpleAtoi(value, &n)) {
          return absl::InvalidArgumentError("a whole number from 0");
        }
        repeated ? r->AddUInt32(message, &field, n) : r->SetUInt32(message, &field, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t n;
        if (!absl::SimpleAtoi(value, &n)) {
          return absl::InvalidArgumentError("a whole number from 0");
        }
        repeated ? r->AddUInt64(message, &field, n) : r->SetUInt64(message, &field, n);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT: {
        double d;
        if (!absl::SimpleAtod(value, &d)) return absl::InvalidArgumentError("a number");
        if (field.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT) {
          repeated ? r->AddFloat(message, &field, static_cast<float>(d))
                   : r->SetFloat(message, &field, static_cast<float>(d));
        } else {
          repeated ? r->AddDouble(message, &field, d) : r->SetDouble(message, &field, d);
        }
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool b;
        if (!absl::SimpleAtob(value, &b)) return absl::InvalidArgumentError("true or false");
        repeated ? r->AddBool(message, &field, b) : r->SetBool(message, &field, b);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const auto* found = FindEnumValue(*field.enum_type(), value);
        if (found == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("one of ", absl::StrJoin(EnumWords(*field.enum_type()), ", ")));
        }
        repeated ? r->AddEnum(message, &field, found) : r->SetEnum(message, &field, found);
        return absl::OkStatus();
      }
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        Message* target =
            repeated ? r->AddMessage(message, &field) : r->MutableMessage(message, &field);
        if (IsTime(field)) {
          absl::StatusOr<absl::Time> time = ParseWhen(value, zone_);
          if (!time.ok()) return time.status();
          *static_cast<google::protobuf::Timestamp*>(target) = ToProtoTime(*time);
          return absl::OkStatus();
        }
        absl::StatusOr<absl::Duration> length = ParseLength(value);
        if (!length.ok()) return length.status();
        ToProtoDuration(*length, static_cast<google::protobuf::Duration*>(target));
        return absl::OkStatus();
      }
    }
    return absl::InvalidArgumentError("a value this API takes");
  }

  const absl::TimeZone zone_;
  Message* const request_;
};

}  // namespace

absl::StatusOr<absl::Duration> ParseLength(const std::string& text) {
  // Days first ("2d12h"), then what absl reads (h, m, s).
  std::string rest = text;
  absl::Duration days;
  if (const size_t d = rest.find('d'); d != std::string::npos) {
    int64_t count;
    if (!absl::SimpleAtoi(rest.substr(0, d), &count) || count < 0 || count > 3650000) {
      return absl::InvalidArgumentError("a length of time (14d, 36h, 90m, 1h30m)");
    }
    days = absl::Hours(24 * count);
    rest = rest.substr(d + 1);
  }
  absl::Duration more;
  if (!rest.empty() && (!absl::ParseDuration(rest, &more) || more < absl::ZeroDuration())) {
    return absl::InvalidArgumentError("a length of time (14d, 36h, 90m, 1h30m)");
  }
  if (text.empty()) return absl::InvalidArgumentError("a length of time (14d, 36h, 90m, 1h30m)");
  return days + more;
}

std::vector<std::string> ParameterNames(const Descriptor& request) {
  std::vector<std::string> names;
  CollectNames(request, "", &names);
  return names;
}

absl::Status FillRequest(const std::vector<std::pair<std::string, std::string>>& params,
                         const std::set<std::string>& ignored, absl::TimeZone zone,
                         Message* request) {
  std::unique_ptr<Message> filled(request->New());
  filled->CopyFrom(*request);
  Filler filler(zone, filled.get());
  for (const auto& [name, value] : params) {
    if (ignored.count(name) > 0) continue;
    if (absl::Status set = filler.Set(name, value); !set.ok()) return set;
  }
  request->CopyFrom(*filled);
  return absl::OkStatus();
}

}  // namespace bidtrail::web
