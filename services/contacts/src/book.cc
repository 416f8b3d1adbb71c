#include "bidtrail/contacts/book.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bidtrail/common/log.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/retry.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/uuid.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/contacts/seal.h"

namespace bidtrail::contacts {
namespace {

constexpr size_t kMaxTerritoryBytes = 200;
constexpr size_t kMaxReasonBytes = 500;
constexpr uint32_t kDefaultNotMetDays = 90;
// A business time this far ahead of the server's clock is a mistake.
constexpr absl::Duration kFutureGrace = absl::Minutes(5);

// The request's business time, or `now` when it has none.
absl::StatusOr<absl::Time> OccurredAt(const google::protobuf::Timestamp& at, bool given,
                                      absl::Time now) {
  // Now to the second, as the CLI's --at: an activity typed in the same
  // second compares as it reads.
  if (!given) return absl::FromUnixSeconds(absl::ToUnixSeconds(now));
  const absl::Time time = FromProtoTime(at);
  RETURN_IF_ERROR(CheckPlausibleTime(time, "occurred_at"));
  if (time > now + kFutureGrace) {
    return absl::InvalidArgumentError(absl::StrCat("occurred_at: ", FormatUtc(time),
                                                   " is in the future (the server's clock says ",
                                                   FormatUtc(now), "); record what has happened"));
  }
  return time;
}

absl::Status MayDo(const ContactBook::Caller& caller, auth::Action action,
                   std::string_view territory) {
  if (caller.access == nullptr) return absl::OkStatus();
  if (action == auth::Action::kRecord && caller.access->Has(caller.principal, v1::ROLE_SERVICE)) {
    return absl::OkStatus();
  }
  return auth::Allow(*caller.access, caller.principal, action, territory);
}

const Contact* FindIn(const std::map<std::string, Contact, std::less<>>& contacts,
                      std::string_view id) {
  auto found = contacts.find(id);
  return found == contacts.end() ? nullptr : &found->second;
}

absl::Status NotInNotebook(std::string_view contact_id) {
  return absl::NotFoundError(absl::StrCat(
      "contact ", std::string(contact_id),
      " is not in the notebook (`bidtrail contact list --buyer ID` shows a buyer's contacts)"));
}

absl::Status Erased(const Contact& contact) {
  return absl::FailedPreconditionError(
      absl::StrCat("contact ", contact.id, " was forgotten on ", FormatUtc(contact.erased_at),
                   " (its personal data erased); nothing more can be recorded about it"));
}

// The event types the notebook folds.
const eventlog::EventFilter& NotebookFilter() {
  static const eventlog::EventFilter* filter = [] {
    auto* made = new eventlog::EventFilter();
    made->event_types = ContactEventTypes();
    made->event_types.push_back(v1::ActivityLogged::descriptor()->full_name());
    made->event_types.push_back(v1::EntryVoided::descriptor()->full_name());
    return made;
  }();
  return *filter;
}

uint32_t WholeDays(absl::Duration duration) {
  if (duration < absl::ZeroDuration()) return 0;
  return static_cast<uint32_t>(absl::ToInt64Hours(duration) / 24);
}

}  // namespace

ContactBook::ContactBook(eventlog::EventStore* store, KeyStore* keys, Options options)
    : store_(store), keys_(keys), options_(std::move(options)) {}

ContactBook::~ContactBook() {
  if (starting_.joinable()) starting_.join();
}

void ContactBook::Start() {
  starting_ = std::thread([this] {
    absl::MutexLock lock(&mu_);
    const absl::Time began = absl::Now();
    if (absl::Status read = CatchUp(); !read.ok()) {
      log::Warn("contacts", "notebook not read yet; the next call tries again", {{"error", read}});
      return;
    }
    log::Info("contacts", "notebook read",
              {{"contacts", notebook_.contacts().size()},
               {"position", cursor_ - 1},
               {"ms", absl::ToInt64Milliseconds(absl::Now() - began)}});
  });
}

absl::Status ContactBook::CatchUp() {
  ASSIGN_OR_RETURN(const uint64_t head, store_->HeadPosition());
  const std::string forgotten_type = v1::ContactForgotten::descriptor()->full_name();
  while (cursor_ <= head) {
    eventlog::ReadAllRequest request;
    request.from_position = cursor_;
    request.max_count = 1000;
    request.filter = NotebookFilter();
    request.lean = true;
    ASSIGN_OR_RETURN(eventlog::ReadAllResult read, store_->ReadAll(request));
    for (const eventlog::RecordedEvent& event : read.events) {
      notebook_.Apply(event);
      // A key that outlived its ContactForgotten (a crash between the two,
      // a key store restored from an older backup) goes now.
      if (keys_ != nullptr && event.type == forgotten_type) {
        if (std::optional<v1::ContactEvent> forgotten =
                DecodeContactEvent(event.type, event.data)) {
          RETURN_IF_ERROR(keys_->Destroy(ContactIdOf(*forgotten)));
        }
      }
    }
    if (read.next_position <= cursor_) break;
    cursor_ = read.next_position;
  }
  return absl::OkStatus();
}

absl::StatusOr<const Contact*> ContactBook::Known(std::string_view contact_id) {
  RETURN_IF_ERROR(ValidateContactId(contact_id));
  RETURN_IF_ERROR(CatchUp());
  const Contact* contact = notebook_.Find(contact_id);
  if (contact == nullptr) return NotInNotebook(contact_id);
  return contact;
}

absl::StatusOr<std::string> ContactBook::BuyerOf(const std::string& contact_id) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const Contact* contact, Known(contact_id));
  return contact->buyer_id;
}

absl::StatusOr<v1::ContactCommandResult> ContactBook::Record(
    const Caller& caller, const std::string& request_id, const std::string& buyer_id,
    const std::function<absl::StatusOr<v1::ContactEvent>(
        const std::map<std::string, Contact, std::less<>>& contacts)>& decide) {
  RETURN_IF_ERROR(CheckRequestId(request_id));
  RETURN_IF_ERROR(CheckName(caller.actor, "actor", 200));
  const std::string stream_id = BuyerStreamOf(buyer_id);
  for (int attempt = 1;; ++attempt) {
    ASSIGN_OR_RETURN(std::vector<eventlog::RecordedEvent> records,
                     eventlog::ReadWholeStream(*store_, stream_id));
    v1::ContactCommandResult result;
    result.set_buyer_id(buyer_id);
    // A retried command: what it appended the first time.
    for (const eventlog::RecordedEvent& record : records) {
      if (record.causation_id != request_id) continue;
      if (std::optional<v1::ContactEvent> event = DecodeContactEvent(record.type, record.data)) {
        result.set_contact_id(ContactIdOf(*event));
      }
      result.set_position(record.position);
      result.set_already_applied(true);
      return result;
    }
    ASSIGN_OR_RETURN(const v1::ContactEvent event, decide(FoldBuyerStream(records)));
    eventlog::ProposedEvent proposed;
    proposed.event_id = NameBasedUuid(absl::StrCat(stream_id, std::string(1, '\0'), request_id));
    proposed.type = ContactEventType(event);
    proposed.data = EncodeContactEventData(event);
    proposed.occurred_at = ContactOccurredAt(event);
    proposed.actor = caller.actor;
    proposed.written_by = caller.written_by;
    proposed.correlation_id = request_id;
    proposed.causation_id = request_id;
    const eventlog::ExpectedRevision expected =
        records.empty() ? eventlog::ExpectedRevision::NoStream()
                        : eventlog::ExpectedRevision::Exact(records.back().revision);
    absl::StatusOr<eventlog::AppendResult> appended =
        store_->Append(stream_id, expected, {proposed});
    if (appended.status().code() == absl::StatusCode::kAborted) {
      if (attempt >= options_.max_attempts) {
        return absl::AbortedError(absl::StrCat("buyer ", buyer_id, ": other writers won ", attempt,
                                               " times in a row; try again"));
      }
      BackoffBeforeRetry(attempt);
      continue;
    }
    RETURN_IF_ERROR(appended.status());
    result.set_contact_id(ContactIdOf(event));
    result.set_position(appended->last_position);
    result.set_already_applied(appended->already_recorded);
    return result;
  }
}

absl::StatusOr<v1::Sealed> ContactBook::SealNote(const std::string& contact_id,
                                                 const std::string& text) {
  ASSIGN_OR_RETURN(const std::string key, keys_->Get(contact_id));
  v1::ContactPersonal note;
  note.set_note(text);
  return Seal(key, contact_id, note);
}

absl::StatusOr<v1::ContactCommandResult> ContactBook::RecordAbout(
    const Caller& caller, const std::string& request_id, const std::string& contact_id,
    const std::function<absl::StatusOr<v1::ContactEvent>(const Contact* contact)>& decide) {
  ASSIGN_OR_RETURN(const std::string buyer_id, BuyerOf(contact_id));
  return Record(caller, request_id, buyer_id,
                [&](const std::map<std::string, Contact, std::less<>>& contacts)
                    -> absl::StatusOr<v1::ContactEvent> {
                  const Contact* contact = FindIn(contacts, contact_id);
                  if (contact == nullptr) return NotInNotebook(contact_id);
                  RETURN_IF_ERROR(MayDo(caller, auth::Action::kRecord, contact->territory));
                  if (contact->erased) return Erased(*contact);
                  return decide(contact);
                });
}

absl::StatusOr<v1::ContactCommandResult> ContactBook::Add(const Caller& caller,
                                                          const v1::AddContactRequest& request) {
  RETURN_IF_ERROR(CheckRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateBuyerId(request.buyer_id()));
  RETURN_IF_ERROR(ValidateRole(request.role(), "role", /*required=*/true));
  RETURN_IF_ERROR(ValidatePersonal(request.personal(), /*name_required=*/true));
  std::string territory = request.territory();
  if (territory.empty()) {
    // The one territory the caller records in.
    std::vector<std::string> mine;
    if (caller.access != nullptr) {
      for (v1::Role role : {v1::ROLE_BIDDER, v1::ROLE_MANAGER}) {
        for (std::string& held : caller.access->TerritoriesOf(caller.principal, role)) {
          if (std::find(mine.begin(), mine.end(), held) == mine.end()) {
            mine.push_back(std::move(held));
          }
        }
      }
    }
    if (mine.size() != 1 || mine[0] == auth::kAllTerritories) {
      const bool everywhere =
          std::find(mine.begin(), mine.end(), auth::kAllTerritories) != mine.end();
      return absl::InvalidArgumentError(absl::StrCat(
          "territory: required: the territory whose team keeps this contact (bidtrail contact "
          "add --territory T, such as the territory of the buyer's tenders)",
          everywhere     ? "; you record in every territory, so name one"
          : mine.empty() ? ""
                         : absl::StrCat("; you record in ", absl::StrJoin(mine, ", "))));
    }
    territory = mine[0];
  }
  RETURN_IF_ERROR(CheckName(territory, "territory", kMaxTerritoryBytes));
  RETURN_IF_ERROR(CheckPrintableAscii(territory, "territory"));
  RETURN_IF_ERROR(MayDo(caller, auth::Action::kRecord, territory));
  ASSIGN_OR_RETURN(const absl::Time at,
                   OccurredAt(request.occurred_at(), request.has_occurred_at(), options_.clock()));
  const std::string contact_id = ContactIdFor(request.buyer_id(), request.request_id());
  return Record(caller, request.request_id(), request.buyer_id(),
                [&](const std::map<std::string, Contact, std::less<>>& contacts)
                    -> absl::StatusOr<v1::ContactEvent> {
                  if (FindIn(contacts, contact_id) != nullptr) {
                    return absl::AlreadyExistsError(
                        absl::StrCat("contact ", contact_id, " is in the notebook already"));
                  }
                  // The key first, synced: nothing is sealed under a key that could
                  // be lost.
                  ASSIGN_OR_RETURN(const std::string key, keys_->GetOrCreate(contact_id));
                  ASSIGN_OR_RETURN(v1::Sealed sealed, Seal(key, contact_id, request.personal()));
                  v1::ContactEvent event;
                  v1::ContactAdded* added = event.mutable_contact_added();
                  added->set_contact_id(contact_id);
                  added->set_buyer_id(request.buyer_id());
                  added->set_role(request.role());
                  added->set_territory(territory);
                  *added->mutable_personal() = std::move(sealed);
                  ToProtoTime(at, added->mutable_occurred_at());
                  return event;
                });
}

absl::StatusOr<v1::ContactCommandResult> ContactBook::Change(
    const Caller& caller, const v1::ChangeContactRequest& request) {
  RETURN_IF_ERROR(CheckRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateContactId(request.contact_id()));
  RETURN_IF_ERROR(ValidateRole(request.role(), "role", /*required=*/false));
  RETURN_IF_ERROR(ValidatePersonal(request.personal(), /*name_required=*/false));
  if (!request.personal().note().empty()) {
    return absl::InvalidArgumentError(
        "personal.note: a note is recorded with NoteContact (bidtrail contact note), not as a "
        "change");
  }
  const bool personal = request.personal().ByteSizeLong() > 0;
  if (request.role() == v1::BUYING_ROLE_UNSPECIFIED && !personal) {
    return absl::InvalidArgumentError(
        "role, personal: nothing to change; give a new role, name, department, phone or email");
  }
  ASSIGN_OR_RETURN(const absl::Time at,
                   OccurredAt(request.occurred_at(), request.has_occurred_at(), options_.clock()));
  return RecordAbout(caller, request.request_id(), request.contact_id(),
                     [&](const Contact* contact) -> absl::StatusOr<v1::ContactEvent> {
                       v1::ContactEvent event;
                       v1::ContactChanged* changed = event.mutable_contact_changed();
                       changed->set_contact_id(contact->id);
                       changed->set_role(request.role());
                       if (personal) {
                         ASSIGN_OR_RETURN(const std::string key, keys_->Get(contact->id));
                         ASSIGN_OR_RETURN(*changed->mutable_personal(),
                                          Seal(key, contact->id, request.personal()));
                       }
                       ToProtoTime(at, changed->mutable_occurred_at());
                       return event;
                     });
}

absl::StatusOr<v1::ContactCommandResult> ContactBook::Note(const Caller& caller,
                                                           const v1::NoteContactRequest& request) {
  RETURN_IF_ERROR(CheckRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateContactId(request.contact_id()));
  RETURN_IF_ERROR(ValidateNoteText(request.text(), "text"));
  ASSIGN_OR_RETURN(const absl::Time at,
                   OccurredAt(request.occurred_at(), request.has_occurred_at(), options_.clock()));
  return RecordAbout(caller, request.request_id(), request.contact_id(),
                     [&](const Contact* contact) -> absl::StatusOr<v1::ContactEvent> {
                       v1::ContactEvent event;
                       v1::ContactNoted* noted = event.mutable_contact_noted();
                       noted->set_contact_id(contact->id);
                       ASSIGN_OR_RETURN(*noted->mutable_note(),
                                        SealNote(contact->id, request.text()));
                       ToProtoTime(at, noted->mutable_occurred_at());
                       return event;
                     });
}

absl::StatusOr<v1::ContactCommandResult> ContactBook::Left(
    const Caller& caller, const v1::RecordContactLeftRequest& request) {
  RETURN_IF_ERROR(CheckRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateContactId(request.contact_id()));
  if (!request.note().empty()) RETURN_IF_ERROR(ValidateNoteText(request.note(), "note"));
  ASSIGN_OR_RETURN(const absl::Time at,
                   OccurredAt(request.occurred_at(), request.has_occurred_at(), options_.clock()));
  return RecordAbout(caller, request.request_id(), request.contact_id(),
                     [&](const Contact* contact) -> absl::StatusOr<v1::ContactEvent> {
                       if (contact->left_at) {
                         return absl::FailedPreconditionError(
                             absl::StrCat("contact ", contact->id, " left the buyer on ",
                                          FormatUtc(*contact->left_at), " already"));
                       }
                       v1::ContactEvent event;
                       v1::ContactLeftBuyer* left = event.mutable_contact_left_buyer();
                       left->set_contact_id(contact->id);
                       if (!request.note().empty()) {
                         ASSIGN_OR_RETURN(*left->mutable_note(),
                                          SealNote(contact->id, request.note()));
                       }
                       ToProtoTime(at, left->mutable_occurred_at());
                       return event;
                     });
}

absl::StatusOr<v1::ContactCommandResult> ContactBook::Forget(
    const Caller& caller, const v1::ForgetContactRequest& request) {
  RETURN_IF_ERROR(CheckRequestId(request.request_id()));
  RETURN_IF_ERROR(ValidateContactId(request.contact_id()));
  RETURN_IF_ERROR(CheckNotBlank(request.reason(), "reason", kMaxReasonBytes));
  std::string buyer_id;
  {
    absl::MutexLock lock(&mu_);
    ASSIGN_OR_RETURN(const Contact* contact, Known(request.contact_id()));
    RETURN_IF_ERROR(MayDo(caller, auth::Action::kForgetContact, contact->territory));
    buyer_id = contact->buyer_id;
    if (contact->erased) {
      // Forgotten already: make sure of the key, record nothing more.
      RETURN_IF_ERROR(keys_->Destroy(contact->id));
      v1::ContactCommandResult result;
      result.set_contact_id(contact->id);
      result.set_buyer_id(buyer_id);
      result.set_already_applied(true);
      return result;
    }
  }
  const absl::Time now = absl::FromUnixSeconds(absl::ToUnixSeconds(options_.clock()));
  ASSIGN_OR_RETURN(v1::ContactCommandResult result,
                   Record(caller, request.request_id(), buyer_id,
                          [&](const std::map<std::string, Contact, std::less<>>& contacts)
                              -> absl::StatusOr<v1::ContactEvent> {
                            const Contact* contact = FindIn(contacts, request.contact_id());
                            if (contact == nullptr) return NotInNotebook(request.contact_id());
                            v1::ContactEvent event;
                            v1::ContactForgotten* forgotten = event.mutable_contact_forgotten();
                            forgotten->set_contact_id(contact->id);
                            forgotten->set_reason(request.reason());
                            ToProtoTime(now, forgotten->mutable_occurred_at());
                            return event;
                          }));
  // Recorded first, then the key: were the key destroyed first and the
  // append lost, nothing would say why the person is unreadable. A key that
  // survives a crash here goes at the next start (CatchUp).
  if (absl::Status destroyed = keys_->Destroy(request.contact_id()); !destroyed.ok()) {
    return absl::InternalError(absl::StrCat(
        "contact ", request.contact_id(),
        " is recorded as forgotten, but its key could not be destroyed yet (", destroyed.message(),
        "); the server destroys it at its next start, or try again"));
  }
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(CatchUp());
  return result;
}

v1::ContactView ContactBook::ViewOf(const Contact& contact, absl::Time as_of) {
  v1::ContactView view;
  view.set_contact_id(contact.id);
  view.set_buyer_id(contact.buyer_id);
  view.set_role(contact.role);
  view.set_territory(contact.territory);
  view.set_added_by(contact.added_by);
  ToProtoTime(contact.added_at, view.mutable_added_at());
  const Meeting* last = contact.LastMeeting();
  if (last != nullptr) {
    ToProtoTime(last->at, view.mutable_last_met_at());
    view.set_last_met_by(last->by);
  }
  view.set_meetings(static_cast<uint32_t>(contact.meetings.size()));
  view.set_days_since_met(WholeDays(as_of - (last != nullptr ? last->at : contact.added_at)));
  if (contact.left_at) ToProtoTime(*contact.left_at, view.mutable_left_at());
  view.set_status(contact.left_at ? v1::CONTACT_STATUS_LEFT : v1::CONTACT_STATUS_ACTIVE);
  if (contact.erased) {
    view.set_status(v1::CONTACT_STATUS_ERASED);
    ToProtoTime(contact.erased_at, view.mutable_erased_at());
    view.set_erased_reason(contact.erased_reason);
    view.set_erased_by(contact.erased_by);
    return view;
  }
  absl::StatusOr<std::string> key = keys_->Get(contact.id);
  absl::StatusOr<v1::ContactPersonal> personal =
      key.ok() ? MergePersonal(
                     contact.personal,
                     [&](const v1::Sealed& sealed) { return Unseal(*key, contact.id, sealed); })
               : absl::StatusOr<v1::ContactPersonal>(key.status());
  if (!personal.ok()) {
    // No key (a key store lost or restored without it) or a key that does
    // not open the fields: unreadable, said as such, never guessed.
    view.set_status(v1::CONTACT_STATUS_ERASED);
    view.set_erased_reason(
        absl::IsNotFound(personal.status())
            ? "its key is not in the key store (lost, or restored from a backup without it)"
            : absl::StrCat("its sealed fields do not open: ", personal.status().message()));
    return view;
  }
  view.set_name(personal->name());
  view.set_department(personal->department());
  view.set_phone(personal->phone());
  view.set_email(personal->email());
  return view;
}

absl::StatusOr<v1::GetContactResponse> ContactBook::Get(const Caller& caller,
                                                        const v1::GetContactRequest& request) {
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const Contact* contact, Known(request.contact_id()));
  RETURN_IF_ERROR(MayDo(caller, auth::Action::kReadContacts, contact->territory));
  v1::GetContactResponse response;
  *response.mutable_contact() = ViewOf(*contact, options_.clock());
  if (response.contact().status() != v1::CONTACT_STATUS_ERASED) {
    absl::StatusOr<std::string> key = keys_->Get(contact->id);
    for (const contacts::Note& note : contact->notes) {
      if (!key.ok()) break;
      ASSIGN_OR_RETURN(const v1::ContactPersonal opened, Unseal(*key, contact->id, note.sealed));
      v1::ContactNote* out = response.add_notes();
      ToProtoTime(note.at, out->mutable_occurred_at());
      out->set_recorded_by(note.by);
      out->set_text(opened.note());
      out->set_position(note.position);
    }
  }
  std::vector<const Meeting*> meetings;
  for (const auto& [position, meeting] : contact->meetings) meetings.push_back(&meeting);
  std::stable_sort(meetings.begin(), meetings.end(),
                   [](const Meeting* a, const Meeting* b) { return a->at < b->at; });
  for (const Meeting* meeting : meetings) {
    v1::ContactMeeting* out = response.add_meetings();
    out->set_tender_id(meeting->tender_id);
    out->set_kind(meeting->kind);
    ToProtoTime(meeting->at, out->mutable_occurred_at());
    out->set_recorded_by(meeting->by);
    out->set_position(meeting->position);
  }
  return response;
}

absl::StatusOr<v1::ListContactsResponse> ContactBook::List(const Caller& caller,
                                                           const v1::ListContactsRequest& request) {
  if (!request.buyer_id().empty()) RETURN_IF_ERROR(ValidateBuyerId(request.buyer_id()));
  RETURN_IF_ERROR(MayDo(caller, auth::Action::kReadContacts, request.territory()));
  const absl::Time as_of = request.has_as_of() ? FromProtoTime(request.as_of()) : options_.clock();
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(CatchUp());
  v1::ListContactsResponse response;
  for (const auto& [id, contact] : notebook_.contacts()) {
    if (!request.buyer_id().empty() && contact.buyer_id != request.buyer_id()) continue;
    if (!request.territory().empty() && contact.territory != request.territory()) continue;
    const bool inactive = contact.erased || contact.left_at.has_value();
    if (inactive && (!request.include_inactive() || request.not_seen_days() > 0)) continue;
    if (!request.representative().empty() && contact.added_by != request.representative() &&
        std::none_of(contact.meetings.begin(), contact.meetings.end(), [&](const auto& meeting) {
          return meeting.second.by == request.representative();
        })) {
      continue;
    }
    // A bidder sees its territories' contacts only, as on the board.
    if (!MayDo(caller, auth::Action::kReadContacts, contact.territory).ok()) continue;
    v1::ContactView view = ViewOf(contact, as_of);
    if (request.not_seen_days() > 0 && view.days_since_met() < request.not_seen_days()) continue;
    *response.add_contacts() = std::move(view);
  }
  auto* contacts = response.mutable_contacts();
  if (request.not_seen_days() > 0) {
    std::stable_sort(contacts->begin(), contacts->end(),
                     [](const v1::ContactView& a, const v1::ContactView& b) {
                       return a.days_since_met() > b.days_since_met();
                     });
  } else {
    std::stable_sort(contacts->begin(), contacts->end(),
                     [](const v1::ContactView& a, const v1::ContactView& b) {
                       if (a.buyer_id() != b.buyer_id()) return a.buyer_id() < b.buyer_id();
                       if (a.role() != b.role()) return a.role() < b.role();
                       return a.name() < b.name();
                     });
  }
  return response;
}

absl::StatusOr<v1::BuyerCoverageResponse> ContactBook::Coverage(
    const Caller& caller, const v1::BuyerCoverageRequest& request) {
  RETURN_IF_ERROR(ValidateBuyerId(request.buyer_id()));
  RETURN_IF_ERROR(MayDo(caller, auth::Action::kReadContacts, ""));
  const uint32_t not_met_days =
      request.not_met_days() == 0 ? kDefaultNotMetDays : request.not_met_days();
  const absl::Time as_of = request.has_as_of() ? FromProtoTime(request.as_of()) : options_.clock();
  absl::MutexLock lock(&mu_);
  RETURN_IF_ERROR(CatchUp());
  v1::BuyerCoverageResponse response;
  response.set_buyer_id(request.buyer_id());
  response.set_not_met_days(not_met_days);
  for (int number = 1; number <= 6; ++number) {
    const auto role = static_cast<v1::BuyingRole>(number);
    v1::RoleCoverage* coverage = response.add_roles();
    coverage->set_role(role);
    std::optional<absl::Time> last_met;
    for (const auto& [id, contact] : notebook_.contacts()) {
      if (contact.buyer_id != request.buyer_id() || contact.role != role || contact.erased ||
          contact.left_at.has_value() ||
          !MayDo(caller, auth::Action::kReadContacts, contact.territory).ok()) {
        continue;
      }
      *coverage->add_contacts() = ViewOf(contact, as_of);
      if (const Meeting* meeting = contact.LastMeeting(); meeting != nullptr) {
        if (!last_met || meeting->at > *last_met) last_met = meeting->at;
      }
    }
    const std::string words = RoleWords(role);
    if (coverage->contacts().empty()) {
      coverage->set_gap("no one known");
      response.add_gaps(absl::StrCat("no one in ", words, " known"));
    } else if (!last_met) {
      coverage->set_gap("never met");
      response.add_gaps(absl::StrCat(words, " known but never met"));
    } else {
      ToProtoTime(*last_met, coverage->mutable_last_met_at());
      const uint32_t days = WholeDays(as_of - *last_met);
      if (days >= not_met_days) {
        coverage->set_gap(absl::StrCat("not met for ", days, " days"));
        response.add_gaps(absl::StrCat(words, " not met for ", days, " days"));
      }
    }
  }
  return response;
}

absl::Status ContactBook::ResolveActivity(const tender::TenderState& state,
                                          v1::ActivityLogged* activity) {
  RETURN_IF_ERROR(ValidateContactId(activity->contact_id(), "contact_id"));
  if (!activity->contact_name().empty()) {
    return absl::InvalidArgumentError(
        "contact_name: leave it empty when contact_id names the contact: the person's name "
        "stays in the notebook, sealed and erasable, not in clear in the tender's events");
  }
  absl::MutexLock lock(&mu_);
  ASSIGN_OR_RETURN(const Contact* contact, Known(activity->contact_id()));
  if (contact->erased) return Erased(*contact);
  const std::string& buyer = state.details.buyer().id();
  if (contact->buyer_id != buyer) {
    return absl::FailedPreconditionError(
        absl::StrCat("contact_id: contact ", contact->id, " works at buyer ", contact->buyer_id,
                     "; tender ", activity->tender_id(), "'s buyer is ", buyer));
  }
  const absl::Time at = FromProtoTime(activity->occurred_at());
  if (contact->left_at && at > *contact->left_at) {
    return absl::FailedPreconditionError(
        absl::StrCat("contact ", contact->id, " left the buyer on ", FormatUtc(*contact->left_at)));
  }
  if (activity->role() == v1::BUYING_ROLE_UNSPECIFIED) activity->set_role(contact->role);
  return absl::OkStatus();
}

}  // namespace bidtrail::contacts
