#include "bidtrail/tender/codec.h"

#include "absl/container/flat_hash_map.h"
#include "bidtrail/common/proto_time.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/timestamp.pb.h"

namespace bidtrail::tender {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;

// Every member of TenderEvent's oneof, by the full name of its message type.
const absl::flat_hash_map<std::string, const FieldDescriptor*>& FieldsByType() {
  static const auto* fields = [] {
    auto* map = new absl::flat_hash_map<std::string, const FieldDescriptor*>();
    const Descriptor* descriptor = v1::TenderEvent::descriptor();
    for (int i = 0; i < descriptor->field_count(); ++i) {
      const FieldDescriptor* field = descriptor->field(i);
      (*map)[field->message_type()->full_name()] = field;
    }
    return map;
  }();
  return *fields;
}

// The message held by the oneof, or nullptr.
const Message* Held(const v1::TenderEvent& event) {
  const google::protobuf::OneofDescriptor* oneof = v1::TenderEvent::descriptor()->oneof_decl(0);
  const FieldDescriptor* field = event.GetReflection()->GetOneofFieldDescriptor(event, oneof);
  if (field == nullptr) return nullptr;
  return &event.GetReflection()->GetMessage(event, field);
}

}  // namespace

std::string EventTypeName(const v1::TenderEvent& event) {
  const Message* held = Held(event);
  return held == nullptr ? "" : held->GetDescriptor()->full_name();
}

std::string EncodeEventData(const v1::TenderEvent& event) {
  const Message* held = Held(event);
  return held == nullptr ? "" : held->SerializeAsString();
}

std::optional<v1::TenderEvent> DecodeEvent(const std::string& type, const std::string& data) {
  auto it = FieldsByType().find(type);
  if (it == FieldsByType().end()) return std::nullopt;
  v1::TenderEvent event;
  Message* target = event.GetReflection()->MutableMessage(&event, it->second);
  if (!target->ParseFromString(data)) return std::nullopt;
  return event;
}

bool IsTenderEventType(const std::string& type) { return FieldsByType().contains(type); }

std::string TenderIdOf(const v1::TenderEvent& event) {
  const Message* held = Held(event);
  if (held == nullptr) return "";
  const FieldDescriptor* field = held->GetDescriptor()->FindFieldByName("tender_id");
  return field == nullptr ? "" : held->GetReflection()->GetString(*held, field);
}

absl::Time OccurredAtOf(const v1::TenderEvent& event) {
  const Message* held = Held(event);
  if (held == nullptr) return absl::InfinitePast();
  const FieldDescriptor* field = held->GetDescriptor()->FindFieldByName("occurred_at");
  if (field == nullptr || !held->GetReflection()->HasField(*held, field)) {
    return absl::InfinitePast();
  }
  const auto& timestamp = static_cast<const google::protobuf::Timestamp&>(
      held->GetReflection()->GetMessage(*held, field));
  return FromProtoTime(timestamp);
}

}  // namespace bidtrail::tender
