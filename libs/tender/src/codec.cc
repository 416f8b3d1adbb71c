#include "bidtrail/tender/codec.h"

#include <algorithm>
#include <cstdint>

#include "absl/container/flat_hash_map.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/varint.h"
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
    case v1::TenderEvent::kRecordedLate:
      return visit(event.recorded_late());
    case v1::TenderEvent::kEntryVoided:
      return visit(event.entry_voided());
    case v1::TenderEvent::kTenderTracked:
      return visit(event.tender_tracked());
    case v1::TenderEvent::kTenderHandedOver:
      return visit(event.tender_handed_over());
    case v1::TenderEvent::EVENT_NOT_SET:
      break;
  }
  return none;
}

bool Ascii(std::string_view bytes) {
  return std::all_of(bytes.begin(), bytes.end(),
                     [](char c) { return (static_cast<uint8_t>(c) & 0x80) == 0; });
}

// Walks the fields of a message in wire format, calling field(number,
// wire_type, varint, bytes) for each: `varint` for wire type 0, `bytes` for
// wire type 2, and other wire types skipped. False when the bytes are not a
// plain message (malformed, or groups), or `field` returns false; the caller
// then lets protobuf decide.
template <typename Field>
bool WalkFields(std::string_view data, Field field) {
  while (!data.empty()) {
    uint64_t tag;
    if (!GetVarint(&data, &tag)) return false;
    const uint64_t number = tag >> 3;
    const int wire_type = static_cast<int>(tag & 7);
    if (number == 0 || number > 536870911) return false;
    uint64_t varint = 0;
    std::string_view bytes;
    switch (wire_type) {
      case 0:
        if (!GetVarint(&data, &varint)) return false;
        break;
      case 1:
      case 5: {
        const size_t width = wire_type == 1 ? 8 : 4;
        if (data.size() < width) return false;
        data.remove_prefix(width);
        break;
      }
      case 2: {
        uint64_t length;
        if (!GetVarint(&data, &length) || length > data.size()) return false;
        bytes = data.substr(0, length);
        data.remove_prefix(length);
        break;
      }
      default:
        return false;  // groups (3, 4) and invalid wire types
    }
    if (!field(number, wire_type, varint, bytes)) return false;
  }
  return true;
}

// Decodes of an ActivityLogged only what Apply reads, its tender id and
// business time, into `event`: 46% of a typical log is activity, and its
// contact and notes strings cost more to decode and free than the rest of
// folding it. False when the bytes are anything but plain (a string not in
// ASCII, which protobuf would check to be UTF-8; malformed bytes; groups):
// then protobuf decodes it whole.
bool SkimActivity(std::string_view data, v1::TenderEvent* event) {
  std::string_view tender_id;
  bool has_time = false;
  uint64_t seconds = 0;
  uint64_t nanos = 0;
  const bool plain = WalkFields(data, [&](uint64_t number, int wire_type, uint64_t,
                                          std::string_view bytes) {
    // Another wire type than the field's makes it an unknown field.
    if (wire_type != 2) return true;
    if (number == 1 || number == 3 || number == 5 || number == 7) {
      if (!Ascii(bytes)) return false;
      if (number == 1) tender_id = bytes;  // the last one counts
    } else if (number == 6) {
      has_time = true;  // repeated occurrences merge, field by field
      return WalkFields(bytes, [&](uint64_t field, int type, uint64_t varint, std::string_view) {
        if (type == 0 && field == 1) seconds = varint;
        if (type == 0 && field == 2) nanos = varint;
        return true;
      });
    }
    return true;
  });
  if (!plain) return false;
  v1::ActivityLogged* activity = event->mutable_activity_logged();
  activity->set_tender_id(tender_id.data(), tender_id.size());
  if (has_time) {
    activity->mutable_occurred_at()->set_seconds(static_cast<int64_t>(seconds));
    activity->mutable_occurred_at()->set_nanos(static_cast<int32_t>(nanos));
  }
  return true;
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

v1::TenderEvent* DecodeForFold(std::string_view type, std::string_view data,
                               google::protobuf::Arena* arena,
                               std::unique_ptr<v1::TenderEvent>* owned) {
  owned->reset();
  auto it = FieldsByType().find(absl::string_view(type.data(), type.size()));
  if (it == FieldsByType().end()) return nullptr;
  const int number = it->second->number();
  const bool kept = number == v1::TenderEvent::kTenderDiscoveredFieldNumber ||
                    number == v1::TenderEvent::kBidSubmittedFieldNumber ||
                    number == v1::TenderEvent::kAwardAnnouncedFieldNumber;
  v1::TenderEvent* event;
  if (kept) {
    owned->reset(new v1::TenderEvent());
    event = owned->get();
  } else {
    event = google::protobuf::Arena::CreateMessage<v1::TenderEvent>(arena);
  }
  if (number == v1::TenderEvent::kActivityLoggedFieldNumber && SkimActivity(data, event)) {
    return event;
  }
  Message* target = event->GetReflection()->MutableMessage(event, it->second);
  if (!target->ParseFromArray(data.data(), static_cast<int>(data.size()))) {
    owned->reset();
    return nullptr;
  }
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
