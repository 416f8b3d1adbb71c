// The customer notebook (ContactsService): who we know at each buyer, in
// which buying role, when we last met them; erasable on request
// (docs/notebook.md).
#include <algorithm>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "bidtrail/common/proto_time.h"
#include "commands.h"

namespace bidtrail::cli {
namespace {

const FlagSpec kRoleFlag{"role", "ROLE",
                         "executive, using-department-management, technical-department-management, "
                         "procurement, user, technical-staff"};
const FlagSpec kContactRequestId{
    "request-id", "ID", "id of this command; repeat it to retry safely (default: a new UUID)"};

std::string RoleText(v1::BuyingRole role) {
  return absl::StrReplaceAll(EnumWord(*v1::BuyingRole_descriptor(), role), {{"_", " "}});
}

std::optional<absl::Time> TimeIf(bool set, const google::protobuf::Timestamp& at) {
  if (!set) return std::nullopt;
  return FromProtoTime(at);
}

// --at, when given, into `at`.
absl::Status AtFlag(const Args& args, google::protobuf::Timestamp* at) {
  absl::StatusOr<std::optional<absl::Time>> time = args.Time("at");
  if (!time.ok()) return time.status();
  if (*time) ToProtoTime(**time, at);
  return absl::OkStatus();
}

// The personal fields the flags give.
v1::ContactPersonal PersonalFlags(const Args& args) {
  v1::ContactPersonal personal;
  personal.set_name(args.Get("name"));
  personal.set_department(args.Get("department"));
  personal.set_phone(args.Get("phone"));
  personal.set_email(args.Get("email"));
  return personal;
}

int Done(const Client& client, const v1::ContactCommandResult& result, const std::string& what) {
  if (client.format != Format::kTable) {
    std::printf("%s\n", MessageJson(result).c_str());
    return 0;
  }
  std::printf("%s %s: %s (buyer %s, position %llu)\n",
              result.already_applied() ? "already recorded" : "recorded",
              result.contact_id().c_str(), what.c_str(), result.buyer_id().c_str(),
              static_cast<unsigned long long>(result.position()));
  return 0;
}

std::string StatusText(const v1::ContactView& view) {
  switch (view.status()) {
    case v1::CONTACT_STATUS_LEFT:
      return absl::StrCat("left ", HumanTime(FromProtoTime(view.left_at())));
    case v1::CONTACT_STATUS_ERASED:
      return "erased";
    default:
      return "active";
  }
}

std::string NameText(const v1::ContactView& view) {
  return view.status() == v1::CONTACT_STATUS_ERASED ? "(erased)" : view.name();
}

int Add(const Client& client, const Args& args) {
  v1::AddContactRequest request;
  request.set_request_id(args.Get("request-id", NewRequestId()));
  request.set_buyer_id(args.positional()[0]);
  if (!args.Has("name") || !args.Has("role")) return Usage("--name and --role are required");
  ASSIGN_OR_USAGE(const v1::BuyingRole role,
                  EnumFlag<v1::BuyingRole>(args, "role", v1::BuyingRole_descriptor(), ""));
  request.set_role(role);
  request.set_territory(args.Get("territory"));
  *request.mutable_personal() = PersonalFlags(args);
  request.mutable_personal()->set_note(args.Get("note"));
  RETURN_USAGE_IF_ERROR(AtFlag(args, request.mutable_occurred_at()));
  if (!args.Has("at")) request.clear_occurred_at();
  v1::AddContactResponse response;
  auto context = client.Context();
  const grpc::Status status = client.contacts->AddContact(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  return Done(client, response.result(), absl::StrCat("added, ", RoleText(role)));
}

int Change(const Client& client, const Args& args) {
  v1::ChangeContactRequest request;
  request.set_request_id(args.Get("request-id", NewRequestId()));
  request.set_contact_id(args.positional()[0]);
  if (args.Has("role")) {
    ASSIGN_OR_USAGE(const v1::BuyingRole role,
                    EnumFlag<v1::BuyingRole>(args, "role", v1::BuyingRole_descriptor(), ""));
    request.set_role(role);
  }
  *request.mutable_personal() = PersonalFlags(args);
  if (request.personal().ByteSizeLong() == 0) request.clear_personal();
  RETURN_USAGE_IF_ERROR(AtFlag(args, request.mutable_occurred_at()));
  if (!args.Has("at")) request.clear_occurred_at();
  v1::ChangeContactResponse response;
  auto context = client.Context();
  const grpc::Status status = client.contacts->ChangeContact(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  return Done(client, response.result(), "changed");
}

int NoteCommand(const Client& client, const Args& args) {
  v1::NoteContactRequest request;
  request.set_request_id(args.Get("request-id", NewRequestId()));
  request.set_contact_id(args.positional()[0]);
  request.set_text(args.positional()[1]);
  RETURN_USAGE_IF_ERROR(AtFlag(args, request.mutable_occurred_at()));
  if (!args.Has("at")) request.clear_occurred_at();
  v1::NoteContactResponse response;
  auto context = client.Context();
  const grpc::Status status = client.contacts->NoteContact(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  return Done(client, response.result(), "note added");
}

int LeftCommand(const Client& client, const Args& args) {
  v1::RecordContactLeftRequest request;
  request.set_request_id(args.Get("request-id", NewRequestId()));
  request.set_contact_id(args.positional()[0]);
  request.set_note(args.Get("note"));
  RETURN_USAGE_IF_ERROR(AtFlag(args, request.mutable_occurred_at()));
  if (!args.Has("at")) request.clear_occurred_at();
  v1::RecordContactLeftResponse response;
  auto context = client.Context();
  const grpc::Status status = client.contacts->RecordContactLeft(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  return Done(client, response.result(), "left the buyer");
}

int Forget(const Client& client, const Args& args) {
  if (!args.Has("reason")) {
    return Usage(
        "--reason is required: the request this answers (\"erasure request 2026-114\"); it is "
        "kept in clear, so not the person's name");
  }
  v1::ForgetContactRequest request;
  request.set_request_id(args.Get("request-id", NewRequestId()));
  request.set_contact_id(args.positional()[0]);
  request.set_reason(args.Get("reason"));
  v1::ForgetContactResponse response;
  auto context = client.Context();
  const grpc::Status status = client.contacts->ForgetContact(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (response.result().already_applied() && response.result().position() == 0 &&
      client.format == Format::kTable) {
    std::printf("%s was forgotten already: its key is gone, nothing more was recorded\n",
                response.result().contact_id().c_str());
    return 0;
  }
  const int code = Done(client, response.result(), "forgotten");
  if (code == 0 && client.format == Format::kTable) {
    std::printf(
        "its key is destroyed: name, details and notes can no longer be read anywhere; the "
        "events stay in the log and `bidtrail verify` still passes\n");
  }
  return code;
}

int Show(const Client& client, const Args& args) {
  v1::GetContactRequest request;
  request.set_contact_id(args.positional()[0]);
  v1::GetContactResponse response;
  auto context = client.Context();
  const grpc::Status status = client.contacts->GetContact(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (client.format == Format::kJson) {
    std::printf("%s\n", MessageJson(response).c_str());
    return 0;
  }
  const v1::ContactView& view = response.contact();
  if (client.format == Format::kTable) {
    std::printf("%s  %s, %s at %s (territory %s)\n", view.contact_id().c_str(),
                NameText(view).c_str(), RoleText(view.role()).c_str(), view.buyer_id().c_str(),
                view.territory().c_str());
    std::vector<std::string> reach;
    if (!view.department().empty()) reach.push_back("department " + view.department());
    if (!view.phone().empty()) reach.push_back("phone " + view.phone());
    if (!view.email().empty()) reach.push_back("email " + view.email());
    if (!reach.empty()) std::printf("  %s\n", absl::StrJoin(reach, "; ").c_str());
    std::printf("  added by %s %s; %s\n", view.added_by().c_str(),
                HumanTime(FromProtoTime(view.added_at())).c_str(),
                view.has_last_met_at()
                    ? absl::StrCat("last met ", HumanTime(FromProtoTime(view.last_met_at())),
                                   " by ", view.last_met_by(), " (", view.meetings(),
                                   view.meetings() == 1 ? " meeting)" : " meetings)")
                          .c_str()
                    : "never met");
    if (view.status() == v1::CONTACT_STATUS_ERASED) {
      std::printf("  erased%s%s%s\n",
                  view.has_erased_at()
                      ? absl::StrCat(" ", HumanTime(FromProtoTime(view.erased_at()))).c_str()
                      : "",
                  view.erased_by().empty() ? "" : (" by " + view.erased_by()).c_str(),
                  view.erased_reason().empty() ? "" : (": " + view.erased_reason()).c_str());
    } else if (view.status() == v1::CONTACT_STATUS_LEFT) {
      std::printf("  %s\n", StatusText(view).c_str());
    }
  }
  Table notes({"at", "by", "note"});
  for (const v1::ContactNote& note : response.notes()) {
    notes.Add({Cell::Time(FromProtoTime(note.occurred_at())), Cell::Text(note.recorded_by()),
               Cell::Text(note.text())});
  }
  Table meetings({"at", "tender_id", "kind", "by", "position"});
  for (const v1::ContactMeeting& meeting : response.meetings()) {
    meetings.Add({Cell::Time(FromProtoTime(meeting.occurred_at())), Cell::Text(meeting.tender_id()),
                  Cell::Text(EnumWord(*v1::ActivityKind_descriptor(), meeting.kind())),
                  Cell::Text(meeting.recorded_by()), Cell::Position(meeting.position())});
  }
  if (client.format == Format::kCsv) {
    meetings.Print(client.format);
    return 0;
  }
  std::printf("\nNotes\n");
  notes.Print(client.format, view.status() == v1::CONTACT_STATUS_ERASED ? "(erased)" : "(none)");
  std::printf("\nMeetings (activities logged with --contact-id)\n");
  meetings.Print(client.format, "(none)");
  return 0;
}

int List(const Client& client, const Args& args) {
  v1::ListContactsRequest request;
  request.set_buyer_id(args.Get("buyer"));
  request.set_territory(args.Get("territory"));
  request.set_representative(args.Get("rep"));
  ASSIGN_OR_USAGE(const std::optional<uint64_t> days, args.Number("not-seen"));
  if (days) request.set_not_seen_days(static_cast<uint32_t>(*days));
  request.set_include_inactive(args.Has("all"));
  v1::ListContactsResponse response;
  auto context = client.Context();
  const grpc::Status status = client.contacts->ListContacts(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  Table table({"contact_id", "buyer_id", "role", "name", "department", "territory", "status",
               "last_met", "days_since_met", "added_by"});
  for (const v1::ContactView& view : response.contacts()) {
    table.Add({Cell::Text(view.contact_id()), Cell::Text(view.buyer_id()),
               Cell::Text(RoleText(view.role())), Cell::Text(NameText(view)),
               Cell::Text(view.department()), Cell::Text(view.territory()),
               Cell::Text(StatusText(view)),
               Cell::Time(TimeIf(view.has_last_met_at(), view.last_met_at())),
               Cell::Integer(view.days_since_met()), Cell::Text(view.added_by())});
  }
  if (client.format == Format::kTable && days) {
    std::printf("Active contacts not met for %llu days or more (never met: since added)\n",
                static_cast<unsigned long long>(*days));
  }
  table.Print(client.format, "(no contact)");
  return 0;
}

int Coverage(const Client& client, const Args& args) {
  v1::BuyerCoverageRequest request;
  request.set_buyer_id(args.positional()[0]);
  ASSIGN_OR_USAGE(const std::optional<uint64_t> days, args.Number("not-met-days"));
  if (days) request.set_not_met_days(static_cast<uint32_t>(*days));
  v1::BuyerCoverageResponse response;
  auto context = client.Context();
  const grpc::Status status = client.contacts->BuyerCoverage(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (client.format == Format::kJson) {
    std::printf("%s\n", MessageJson(response).c_str());
    return 0;
  }
  Table table({"role", "contacts", "last_met", "gap"});
  for (const v1::RoleCoverage& role : response.roles()) {
    std::vector<std::string> people;
    for (const v1::ContactView& view : role.contacts()) {
      people.push_back(absl::StrCat(NameText(view), " (", view.contact_id(), ")"));
    }
    table.Add({Cell::Text(RoleText(role.role())), Cell::Text(absl::StrJoin(people, ", ")),
               Cell::Time(TimeIf(role.has_last_met_at(), role.last_met_at())),
               Cell::Text(role.gap())});
  }
  if (client.format == Format::kTable) {
    std::printf(
        "Whom we know at %s, by buying role (a gap: no one known, never met, or not met "
        "for %u days)\n",
        response.buyer_id().c_str(), response.not_met_days());
  }
  table.Print(client.format);
  const bool nobody =
      std::all_of(response.roles().begin(), response.roles().end(),
                  [](const v1::RoleCoverage& role) { return role.contacts().empty(); });
  if (client.format == Format::kTable && nobody) {
    std::printf(
        "\nNo one in the notebook at %s now (none added yet, all forgotten, or none you may "
        "read). If that is not the buyer you meant: buyers are named by their party id, as on "
        "their tenders, and `bidtrail tender list --buyer NAME` finds it.\n",
        response.buyer_id().c_str());
    return 0;
  }
  if (client.format == Format::kTable) {
    std::printf("\n%s\n",
                response.gaps().empty()
                    ? "No gap."
                    : absl::StrCat("Gaps: ", absl::StrJoin(response.gaps(), "; "), ".").c_str());
  }
  return 0;
}

}  // namespace

void AddContactCommands(std::vector<Subcommand>* commands) {
  const FlagSpec at{"at", "TIME", "when it happened (default now)"};
  commands->push_back(
      {{"contact", "add"},
       "BUYER_ID --name NAME --role ROLE [--territory T] [--department D] [--phone P] "
       "[--email E] [--note TEXT]",
       "add a person at a buyer to the notebook (prints the contact id)",
       "Adds a person at the buyer to the customer notebook and prints the contact's id, which "
       "`activity log --contact-id` names. Name, department, phone, email and notes are sealed "
       "with the person's own key and can be erased with `contact forget`.",
       {{"name", "NAME", "the person's name"},
        kRoleFlag,
        {"department", "D", "their department"},
        {"phone", "P", "digits, spaces, + - ( ) ."},
        {"email", "E", "their email address"},
        {"note", "TEXT", "a first note (interests, itinerary, birthday, whom they trust)"},
        {"territory", "T", "the territory whose team keeps the contact (default: yours, if one)"},
        at,
        kContactRequestId},
       1,
       1,
       Add});
  commands->push_back(
      {{"contact", "change"},
       "CONTACT_ID [--role ROLE] [--name NAME] [--department D] [--phone P] [--email E]",
       "record a new role or new details",
       "",
       {kRoleFlag,
        {"name", "NAME", "a new name"},
        {"department", "D", "a new department"},
        {"phone", "P", "a new phone number"},
        {"email", "E", "a new email address"},
        at,
        kContactRequestId},
       1,
       1,
       Change});
  commands->push_back({{"contact", "note"},
                       "CONTACT_ID TEXT",
                       "add a note about a contact",
                       "",
                       {at, kContactRequestId},
                       2,
                       2,
                       NoteCommand});
  commands->push_back({{"contact", "left"},
                       "CONTACT_ID [--note TEXT]",
                       "record that the person left the buyer",
                       "",
                       {{"note", "TEXT", "why, or where to"}, at, kContactRequestId},
                       1,
                       1,
                       LeftCommand});
  commands->push_back(
      {{"contact", "forget"},
       "CONTACT_ID --reason TEXT",
       "erase a person on request: destroys their key (the log stays verifiable)",
       "Erases the person (the right to erasure): destroys the key that seals their name, "
       "details and notes, so that they can no longer be read anywhere, and records that it was "
       "done (ContactForgotten, with the reason and no personal data). The log is not changed: "
       "`bidtrail verify` still passes.",
       {{"reason", "TEXT", "the request this answers; kept in clear, so not the person's name"},
        kContactRequestId},
       1,
       1,
       Forget});
  commands->push_back({{"contact", "show"},
                       "CONTACT_ID",
                       "a contact: details, notes and meetings",
                       "",
                       {},
                       1,
                       1,
                       Show});
  commands->push_back({{"contact", "list"},
                       "[--buyer ID] [--territory T] [--rep NAME] [--not-seen DAYS] [--all]",
                       "list contacts; --not-seen: those not met for that many days",
                       "",
                       {{"buyer", "ID", "at this buyer"},
                        {"territory", "T", "kept by this territory's team"},
                        {"rep", "NAME", "added or met by this representative"},
                        {"not-seen", "DAYS", "only active contacts not met for at least DAYS days"},
                        {"all", "", "also those who left and those erased"}},
                       0,
                       0,
                       List});
  commands->push_back({{"contact", "coverage"},
                       "BUYER_ID [--not-met-days N]",
                       "whom we know at a buyer in each of the six buying roles, and the gaps",
                       "",
                       {{"not-met-days", "N", "a role not met for N days is a gap (default 90)"}},
                       1,
                       1,
                       Coverage});
}

}  // namespace bidtrail::cli
