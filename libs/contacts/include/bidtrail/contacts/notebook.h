// The customer notebook's domain (docs/notebook.md): contact events in the
// buyers' streams, their fold together with the activities that name a
// contact, and the checks of what a command says. Pure; Notebook is a value
// type, not thread-safe (callers lock).
#ifndef BIDTRAIL_CONTACTS_NOTEBOOK_H_
#define BIDTRAIL_CONTACTS_NOTEBOOK_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/v1/contacts.pb.h"
#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::contacts {

// A buyer's stream: "buyer-<buyer id>".
inline constexpr char kBuyerStreamPrefix[] = "buyer-";
std::string BuyerStreamOf(std::string_view buyer_id);

// A buyer id: a party id (DOMAIN.md) of 1 to 190 printable ASCII bytes, no
// white space at either end; INVALID_ARGUMENT naming `field` otherwise.
absl::Status ValidateBuyerId(std::string_view buyer_id, std::string_view field = "buyer_id");

// A contact's id, "ct-" and 16 lower-case hex digits, derived from the buyer
// and the request that added it (a retry names the same contact).
std::string ContactIdFor(std::string_view buyer_id, std::string_view request_id);
// INVALID_ARGUMENT naming `field` for anything but a contact id.
absl::Status ValidateContactId(std::string_view contact_id, std::string_view field = "contact_id");

// The event's full type name ("bidtrail.v1.ContactAdded"), as it is stored.
std::string ContactEventType(const v1::ContactEvent& event);
// Every contact event type name.
const std::vector<std::string>& ContactEventTypes();
// The contact event stored under `type` with `data`; nullopt for other types.
std::optional<v1::ContactEvent> DecodeContactEvent(std::string_view type, std::string_view data);
const std::string& ContactIdOf(const v1::ContactEvent& event);
// The bytes stored for the event: its message's serialization.
std::string EncodeContactEventData(const v1::ContactEvent& event);
// The event's business time.
absl::Time ContactOccurredAt(const v1::ContactEvent& event);

// The checks of personal fields: the name (required when `name_required`),
// department up to 200 bytes, a phone number of digits, spaces and + - ( ) .
// up to 40 bytes, an email address with one '@', a note up to 10,000 bytes.
// INVALID_ARGUMENT naming the field (never quoting the value: it is personal).
absl::Status ValidatePersonal(const v1::ContactPersonal& personal, bool name_required);
// A note's text: 1 to 10,000 bytes, not blank.
absl::Status ValidateNoteText(std::string_view text, std::string_view field);
// A buying role that is one of the six.
absl::Status ValidateRole(v1::BuyingRole role, std::string_view field, bool required);
// "executive", "technical staff", ...: the role as people say it.
std::string RoleWords(v1::BuyingRole role);

// A note about a contact, still sealed.
struct Note {
  absl::Time at;
  std::string by;
  v1::Sealed sealed;
  uint64_t position = 0;
};

// An activity logged with a contact.
struct Meeting {
  std::string tender_id;
  v1::ActivityKind kind = v1::ACTIVITY_KIND_UNSPECIFIED;
  absl::Time at;
  std::string by;
  uint64_t position = 0;
};

// A contact as its events say. Personal fields stay sealed: reading them
// needs the key (KeyStore), which forgetting destroys.
struct Contact {
  std::string id;
  std::string buyer_id;
  std::string territory;
  v1::BuyingRole role = v1::BUYING_ROLE_UNSPECIFIED;
  std::string added_by;
  absl::Time added_at;
  // ContactAdded's sealed fields, then each ContactChanged's, in order: a
  // later non-empty field replaces an earlier one.
  std::vector<v1::Sealed> personal;
  std::vector<Note> notes;
  std::optional<absl::Time> left_at;
  bool erased = false;
  absl::Time erased_at;
  std::string erased_by;
  std::string erased_reason;
  // By log position (a voided activity is removed).
  std::map<uint64_t, Meeting> meetings;

  // The latest meeting, nullptr when never met.
  const Meeting* LastMeeting() const;
};

// The fold of every buyer stream's contact events, and the activities that
// name a contact (with their voidings).
class Notebook {
 public:
  // Applies the next event of the log: contact events, activities naming a
  // contact and voidings; any other event is ignored. Events about an
  // unknown contact are ignored too (an activity naming a contact id before
  // it was added cannot be recorded: ContactsService checks).
  void Apply(const eventlog::RecordedEvent& record);

  const Contact* Find(std::string_view contact_id) const;
  const std::map<std::string, Contact, std::less<>>& contacts() const { return contacts_; }

 private:
  std::map<std::string, Contact, std::less<>> contacts_;
  // Position of each activity with a contact → the contact, for voidings.
  std::map<uint64_t, std::string> meeting_contacts_;
};

// The events of one buyer stream folded into its contacts (the write side's
// view of a stream before it decides).
std::map<std::string, Contact, std::less<>> FoldBuyerStream(
    const std::vector<eventlog::RecordedEvent>& records);

// The fields of `sealed`, in order, merged: a later non-empty field replaces
// an earlier one. `unseal` opens one (or fails).
template <typename Unseal>
absl::StatusOr<v1::ContactPersonal> MergePersonal(const std::vector<v1::Sealed>& sealed,
                                                  Unseal unseal) {
  v1::ContactPersonal merged;
  for (const v1::Sealed& one : sealed) {
    absl::StatusOr<v1::ContactPersonal> opened = unseal(one);
    if (!opened.ok()) return opened.status();
    if (!opened->name().empty()) merged.set_name(opened->name());
    if (!opened->department().empty()) merged.set_department(opened->department());
    if (!opened->phone().empty()) merged.set_phone(opened->phone());
    if (!opened->email().empty()) merged.set_email(opened->email());
    if (!opened->note().empty()) merged.set_note(opened->note());
  }
  return merged;
}

}  // namespace bidtrail::contacts

#endif  // BIDTRAIL_CONTACTS_NOTEBOOK_H_
