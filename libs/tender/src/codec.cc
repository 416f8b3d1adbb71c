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

// Calls `visit` with the message the oneof holds; returns `none` when empty.
// A switch rather than reflection: the runner calls this for every event.
template <typename Result, typename Visit>
Result VisitHeld(const v1::TenderEvent& event, Result none, Visit visit) {
  switch (event.event_case()) {
    case v1::TenderEvent::kTenderDiscovered:
      return visit(event.tender_discovered());
    case v1::TenderEvent::kTenderAmended:
      return visit(event.tender_amended());
    case v1::TenderEvent::kDocumentObtained:
      return visit(event.document_obtained());
    case v1::TenderEvent::kNoBidDecided:
      return visit(event.no_bid_decided());
    case v1::TenderEvent::kBidSubmitted:
      return visit(event.bid_submitted());
    case v1::TenderEvent::kBidWithdrawn:
      return visit(event.bid_withdrawn());
    case v1::TenderEvent::kBidDisqualified:
      return visit(event.bid_disqualified());
    case v1::TenderEvent::kAwardAnnounced:
      return visit(event.award_announced());
    case v1::TenderEvent::kAwardCancelled:
      return visit(event.award_cancelled());
    case v1::TenderEvent::kTenderCancelled:
      return visit(event.tender_cancelled());
    case v1::TenderEvent::kTenderUnsuccessful:
      return visit(event.tender_unsuccessful());
    case v1::TenderEvent::kActivityLogged:
      return visit(event.activity_logged());
    case v1::TenderEvent::EVENT_NOT_SET:
      break;
  }
  return none;
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

const std::string& TenderIdOf(const v1::TenderEvent& event) {
  static const std::string* const kNone = new std::string();
  return *VisitHeld(event, kNone, [](const auto& held) { return &held.tender_id(); });
}

absl::Time OccurredAtOf(const v1::TenderEvent& event) {
  return VisitHeld(event, absl::InfinitePast(), [](const auto& held) {
    return held.has_occurred_at() ? FromProtoTime(held.occurred_at()) : absl::InfinitePast();
  });
}

}  // namespace bidtrail::tender
