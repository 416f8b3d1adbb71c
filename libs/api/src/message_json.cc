#include "bidtrail/api/message_json.h"

#include <cctype>
#include <charconv>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bidtrail/common/enum_names.h"
#include "bidtrail/common/json.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/time_zone.h"
#include "bidtrail/common/validate.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace bidtrail::api {

std::string FullPrecision(double value) {
  char buffer[64];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

namespace {

class MessageJsonWriter {
 public:
  explicit MessageJsonWriter(absl::TimeZone zone) : zone_(zone) {}

  std::string Message(const google::protobuf::Message& message) {
    const google::protobuf::Descriptor* descriptor = message.GetDescriptor();
    const google::protobuf::Reflection* reflection = message.GetReflection();
    std::vector<std::string> fields;
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const google::protobuf::FieldDescriptor* field = descriptor->field(i);
      const std::string name = JsonString(field->name());
      if (field->is_repeated()) {
        std::vector<std::string> values;
        const int size = reflection->FieldSize(message, field);
        for (int j = 0; j < size; ++j) values.push_back(Value(message, field, j));
        fields.push_back(absl::StrCat(name, ":[", absl::StrJoin(values, ","), "]"));
        continue;
      }
      // Messages, oneof members and optional fields only when set; plain
      // scalars always, so that every line has the same keys.
      if (field->has_presence() && !reflection->HasField(message, field)) continue;
      if (field->message_type() != nullptr &&
          field->message_type()->full_name() == "google.protobuf.Duration") {
        const auto& duration =
            static_cast<const google::protobuf::Duration&>(reflection->GetMessage(message, field));
        const absl::Duration d = FromProtoDuration(duration);
        fields.push_back(absl::StrCat(name, ":", JsonString(HumanDuration(d))));
        fields.push_back(absl::StrCat(JsonString(field->name() + "_seconds"), ":",
                                      FullPrecision(absl::ToDoubleSeconds(d))));
        continue;
      }
      fields.push_back(absl::StrCat(name, ":", Value(message, field, -1)));
    }
    return absl::StrCat("{", absl::StrJoin(fields, ","), "}");
  }

 private:
  // The value of a singular field (index -1) or of an element of a repeated
  // one.
  std::string Value(const google::protobuf::Message& message,
                    const google::protobuf::FieldDescriptor* field, int index) {
    using FD = google::protobuf::FieldDescriptor;
    const google::protobuf::Reflection* r = message.GetReflection();
    const bool one = index < 0;
    switch (field->cpp_type()) {
      case FD::CPPTYPE_INT32:
        return absl::StrCat(one ? r->GetInt32(message, field)
                                : r->GetRepeatedInt32(message, field, index));
      case FD::CPPTYPE_INT64:
        return absl::StrCat(one ? r->GetInt64(message, field)
                                : r->GetRepeatedInt64(message, field, index));
      case FD::CPPTYPE_UINT32:
        return absl::StrCat(one ? r->GetUInt32(message, field)
                                : r->GetRepeatedUInt32(message, field, index));
      case FD::CPPTYPE_UINT64:
        return absl::StrCat(one ? r->GetUInt64(message, field)
                                : r->GetRepeatedUInt64(message, field, index));
      case FD::CPPTYPE_DOUBLE:
        return FullPrecision(one ? r->GetDouble(message, field)
                                 : r->GetRepeatedDouble(message, field, index));
      case FD::CPPTYPE_FLOAT:
        return FullPrecision(one ? r->GetFloat(message, field)
                                 : r->GetRepeatedFloat(message, field, index));
      case FD::CPPTYPE_BOOL:
        return (one ? r->GetBool(message, field) : r->GetRepeatedBool(message, field, index))
                   ? "true"
                   : "false";
      case FD::CPPTYPE_STRING: {
        const std::string value =
            one ? r->GetString(message, field) : r->GetRepeatedString(message, field, index);
        // Bytes (a hash) as lowercase hex, as people and the API's own
        // parameters (expect_hash) write them.
        if (field->type() == FD::TYPE_BYTES) {
          return JsonString(absl::BytesToHexString(value));
        }
        return JsonString(value);
      }
      case FD::CPPTYPE_ENUM: {
        // The value's word: "open" for TENDER_STATUS_OPEN.
        const google::protobuf::EnumValueDescriptor* value =
            one ? r->GetEnum(message, field) : r->GetRepeatedEnum(message, field, index);
        const std::string word = EnumWord(*value->type(), value->number());
        return JsonString(word.empty() ? absl::AsciiStrToLower(value->name()) : word);
      }
      case FD::CPPTYPE_MESSAGE: {
        const google::protobuf::Message& inner =
            one ? r->GetMessage(message, field) : r->GetRepeatedMessage(message, field, index);
        const std::string& type = inner.GetDescriptor()->full_name();
        if (type == "google.protobuf.Timestamp") {
          const auto& stamp = static_cast<const google::protobuf::Timestamp&>(inner);
          return JsonString(FormatRfc3339(FromProtoTime(stamp), zone_));
        }
        if (type == "google.protobuf.Duration") {
          return FullPrecision(absl::ToDoubleSeconds(
              FromProtoDuration(static_cast<const google::protobuf::Duration&>(inner))));
        }
        return Message(inner);
      }
    }
    return "null";
  }

  const absl::TimeZone zone_;
};

}  // namespace

std::string MessageJson(const google::protobuf::Message& message, absl::TimeZone zone) {
  return MessageJsonWriter(zone).Message(message);
}

}  // namespace bidtrail::api
