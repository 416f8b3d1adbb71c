#include "bidtrail/contacts/notebook.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "bidtrail/common/enum_names.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/uuid.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/tender/codec.h"

namespace bidtrail::contacts {
namespace {

constexpr size_t kMaxBuyerIdBytes = 190;
constexpr size_t kMaxNameBytes = 200;
constexpr size_t kMaxPhoneBytes = 40;
constexpr size_t kMaxEmailBytes = 254;
constexpr size_t kMaxNoteBytes = 10000;

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;

const Descriptor& EventDescriptor() { return *v1::ContactEvent::descriptor(); }

// The message the event holds, nullptr when empty.
const google::protobuf::Message* Held(const v1::ContactEvent& event) {
  const FieldDescriptor* field = event.GetReflection()->GetOneofFieldDescriptor(
      event, EventDescriptor().FindOneofByName("event"));
  return field == nullptr ? nullptr : &event.GetReflection()->GetMessage(event, field);
}

absl::Time TimeOf(const google::protobuf::Timestamp& at) { return FromProtoTime(at); }

// Applies one contact event to the contact it names (adding it for
// ContactAdded).
void ApplyContact(const v1::ContactEvent& event, const eventlog::RecordedEvent& record,
                  std::map<std::string, Contact, std::less<>>* contacts) {
  if (event.has_contact_added()) {
    const v1::ContactAdded& added = event.contact_added();
    if (contacts->count(added.contact_id()) > 0) return;  // the first one stands
    Contact& contact = (*contacts)[added.contact_id()];
    contact.id = added.contact_id();
    contact.buyer_id = added.buyer_id();
    contact.territory = added.territory();
    contact.role = added.role();
    contact.added_by = record.actor;
    contact.added_at = TimeOf(added.occurred_at());
    contact.personal.push_back(added.personal());
    return;
  }
  auto found = contacts->find(ContactIdOf(event));
  if (found == contacts->end()) return;
  Contact& contact = found->second;
  switch (event.event_case()) {
    case v1::ContactEvent::kContactChanged:
      if (contact.erased) break;
      if (event.contact_changed().role() != v1::BUYING_ROLE_UNSPECIFIED) {
        contact.role = event.contact_changed().role();
      }
      if (event.contact_changed().has_personal()) {
        contact.personal.push_back(event.contact_changed().personal());
      }
      break;
    case v1::ContactEvent::kContactNoted:
      if (contact.erased) break;
      contact.notes.push_back(Note{TimeOf(event.contact_noted().occurred_at()), record.actor,
                                   event.contact_noted().note(), record.position});
      break;
    case v1::ContactEvent::kContactLeftBuyer:
      if (contact.erased) break;
      contact.left_at = TimeOf(event.contact_left_buyer().occurred_at());
      if (event.contact_left_buyer().has_note()) {
        contact.notes.push_back(Note{*contact.left_at, record.actor,
                                     event.contact_left_buyer().note(), record.position});
      }
      break;
    case v1::ContactEvent::kContactForgotten:
      if (contact.erased) break;
      contact.erased = true;
      contact.erased_at = TimeOf(event.contact_forgotten().occurred_at());
      contact.erased_by = record.actor;
      contact.erased_reason = event.contact_forgotten().reason();
      // Nothing sealed is kept once the key is gone.
      contact.personal.clear();
      contact.notes.clear();
      break;
    default:
      break;
  }
}

}  // namespace

std::string BuyerStreamOf(std::string_view buyer_id) {
  return absl::StrCat(kBuyerStreamPrefix, std::string(buyer_id));
}

absl::Status ValidateBuyerId(std::string_view buyer_id, std::string_view field) {
  RETURN_IF_ERROR(CheckName(buyer_id, field, kMaxBuyerIdBytes));
  return CheckPrintableAscii(buyer_id, field);
}

std::string ContactIdFor(std::string_view buyer_id, std::string_view request_id) {
  std::string uuid =
      NameBasedUuid(absl::StrCat("contact", std::string(1, '\0'), std::string(buyer_id),
                                 std::string(1, '\0'), std::string(request_id)));
  uuid.erase(std::remove(uuid.begin(), uuid.end(), '-'), uuid.end());
  return absl::StrCat("ct-", uuid.substr(0, 16));
}

absl::Status ValidateContactId(std::string_view contact_id, std::string_view field) {
  bool valid = contact_id.size() == 19 && contact_id.substr(0, 3) == "ct-";
  for (size_t i = 3; valid && i < contact_id.size(); ++i) {
    const char c = contact_id[i];
    valid = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
  }
  if (valid) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field), ": \"", Prefix(contact_id),
                   "\" is not a contact id: \"ct-\" and 16 hex digits, as `bidtrail contact add` "
                   "printed it (`bidtrail contact list --buyer ID` shows them)"));
}

std::string ContactEventType(const v1::ContactEvent& event) {
  const google::protobuf::Message* held = Held(event);
  return held == nullptr ? "" : held->GetDescriptor()->full_name();
}

const std::vector<std::string>& ContactEventTypes() {
  static const std::vector<std::string>* types = [] {
    auto* names = new std::vector<std::string>();
    const google::protobuf::OneofDescriptor* oneof = EventDescriptor().FindOneofByName("event");
    for (int i = 0; i < oneof->field_count(); ++i) {
      names->push_back(oneof->field(i)->message_type()->full_name());
    }
    return names;
  }();
  return *types;
}

std::optional<v1::ContactEvent> DecodeContactEvent(std::string_view type, std::string_view data) {
  const google::protobuf::OneofDescriptor* oneof = EventDescriptor().FindOneofByName("event");
  for (int i = 0; i < oneof->field_count(); ++i) {
    const FieldDescriptor* field = oneof->field(i);
    if (field->message_type()->full_name() != type) continue;
    v1::ContactEvent event;
    google::protobuf::Message* held = event.GetReflection()->MutableMessage(&event, field);
    if (!held->ParseFromArray(data.data(), static_cast<int>(data.size()))) return std::nullopt;
    return event;
  }
  return std::nullopt;
}

std::string EncodeContactEventData(const v1::ContactEvent& event) {
  const google::protobuf::Message* held = Held(event);
  return held == nullptr ? "" : held->SerializeAsString();
}

absl::Time ContactOccurredAt(const v1::ContactEvent& event) {
  const google::protobuf::Message* held = Held(event);
  if (held == nullptr) return absl::InfinitePast();
  const FieldDescriptor* field = held->GetDescriptor()->FindFieldByName("occurred_at");
  return TimeOf(static_cast<const google::protobuf::Timestamp&>(
      held->GetReflection()->GetMessage(*held, field)));
}

const std::string& ContactIdOf(const v1::ContactEvent& event) {
  switch (event.event_case()) {
    case v1::ContactEvent::kContactAdded:
      return event.contact_added().contact_id();
    case v1::ContactEvent::kContactChanged:
      return event.contact_changed().contact_id();
    case v1::ContactEvent::kContactNoted:
      return event.contact_noted().contact_id();
    case v1::ContactEvent::kContactLeftBuyer:
      return event.contact_left_buyer().contact_id();
    case v1::ContactEvent::kContactForgotten:
      return event.contact_forgotten().contact_id();
    default: {
      static const std::string* none = new std::string();
      return *none;
    }
  }
}

absl::Status ValidatePersonal(const v1::ContactPersonal& personal, bool name_required) {
  if (name_required || !personal.name().empty()) {
    RETURN_IF_ERROR(CheckNotBlank(personal.name(), "name", kMaxNameBytes));
  }
  RETURN_IF_ERROR(CheckMaxBytes(personal.department(), "department", kMaxNameBytes));
  const std::string& phone = personal.phone();
  RETURN_IF_ERROR(CheckMaxBytes(phone, "phone", kMaxPhoneBytes));
  int digits = 0;
  for (char c : phone) {
    if (absl::ascii_isdigit(static_cast<unsigned char>(c))) {
      ++digits;
    } else if (std::string_view(" +-().").find(c) == std::string_view::npos) {
      return absl::InvalidArgumentError(
          "phone: only digits, spaces and + - ( ) . are allowed (for example +86 871 6315 "
          "0000); nothing was recorded");
    }
  }
  if (!phone.empty() && digits < 3) {
    return absl::InvalidArgumentError("phone: needs at least 3 digits; nothing was recorded");
  }
  const std::string& email = personal.email();
  RETURN_IF_ERROR(CheckMaxBytes(email, "email", kMaxEmailBytes));
  if (!email.empty()) {
    const size_t at = email.find('@');
    const bool plausible = at != std::string::npos && at > 0 && at + 1 < email.size() &&
                           email.find('@', at + 1) == std::string::npos &&
                           email.find_first_of(" \t\r\n") == std::string::npos &&
                           IsPrintableAscii(email);
    if (!plausible) {
      return absl::InvalidArgumentError(
          "email: not an email address (one '@', no spaces, like name@buyer.example); nothing "
          "was recorded");
    }
  }
  return CheckMaxBytes(personal.note(), "note", kMaxNoteBytes);
}

absl::Status ValidateNoteText(std::string_view text, std::string_view field) {
  return CheckNotBlank(text, field, kMaxNoteBytes);
}

absl::Status ValidateRole(v1::BuyingRole role, std::string_view field, bool required) {
  if (role == v1::BUYING_ROLE_UNSPECIFIED && !required) return absl::OkStatus();
  if (role != v1::BUYING_ROLE_UNSPECIFIED && v1::BuyingRole_IsValid(role)) {
    return absl::OkStatus();
  }
  std::string words;
  for (const std::string& word : EnumWords(*v1::BuyingRole_descriptor())) {
    absl::StrAppend(&words, words.empty() ? "" : ", ", absl::StrReplaceAll(word, {{"_", "-"}}));
  }
  return absl::InvalidArgumentError(
      absl::StrCat(std::string(field),
                   role == v1::BUYING_ROLE_UNSPECIFIED ? ": required" : ": not a buying role",
                   "; one of ", words));
}

std::string RoleWords(v1::BuyingRole role) {
  std::string word = EnumWord(*v1::BuyingRole_descriptor(), role);
  return absl::StrReplaceAll(word, {{"_", " "}});
}

const Meeting* Contact::LastMeeting() const {
  const Meeting* last = nullptr;
  for (const auto& [position, meeting] : meetings) {
    if (last == nullptr || meeting.at >= last->at) last = &meeting;
  }
  return last;
}

void Notebook::Apply(const eventlog::RecordedEvent& record) {
  if (record.stream_id.compare(0, sizeof(kBuyerStreamPrefix) - 1, kBuyerStreamPrefix) == 0) {
    if (std::optional<v1::ContactEvent> event = DecodeContactEvent(record.type, record.data)) {
      ApplyContact(*event, record, &contacts_);
    }
    return;
  }
  std::optional<v1::TenderEvent> event = tender::DecodeEvent(record.type, record.data);
  if (!event) return;
  if (event->has_activity_logged() && !event->activity_logged().contact_id().empty()) {
    const v1::ActivityLogged& activity = event->activity_logged();
    auto found = contacts_.find(activity.contact_id());
    if (found == contacts_.end()) return;
    found->second.meetings[record.position] =
        Meeting{activity.tender_id(), activity.kind(), TimeOf(activity.occurred_at()), record.actor,
                record.position};
    meeting_contacts_[record.position] = activity.contact_id();
  } else if (event->has_entry_voided()) {
    auto voided = meeting_contacts_.find(event->entry_voided().position());
    if (voided == meeting_contacts_.end()) return;
    if (auto found = contacts_.find(voided->second); found != contacts_.end()) {
      found->second.meetings.erase(voided->first);
    }
    meeting_contacts_.erase(voided);
  }
}

const Contact* Notebook::Find(std::string_view contact_id) const {
  auto found = contacts_.find(contact_id);
  return found == contacts_.end() ? nullptr : &found->second;
}

std::map<std::string, Contact, std::less<>> FoldBuyerStream(
    const std::vector<eventlog::RecordedEvent>& records) {
  std::map<std::string, Contact, std::less<>> contacts;
  for (const eventlog::RecordedEvent& record : records) {
    if (std::optional<v1::ContactEvent> event = DecodeContactEvent(record.type, record.data)) {
      ApplyContact(*event, record, &contacts);
    }
  }
  return contacts;
}

}  // namespace bidtrail::contacts
