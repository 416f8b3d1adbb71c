// The commands that record facts about tenders (TendersService).
#include <cstdio>
#include <random>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bidtrail/common/enum_names.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/tender/codec.h"
#include "commands.h"
#include "google/protobuf/descriptor.h"

namespace bidtrail::cli {
namespace {

// --at: when it happened (default now).
absl::StatusOr<absl::Time> At(const Args& args, const NamedZone* zone = nullptr) {
  absl::StatusOr<std::optional<absl::Time>> at = args.Time("at", zone);
  if (!at.ok()) return at.status();
  return at->value_or(absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now())));
}

// The key dates typed; a date typed alone is midnight in `tender_zone` (the
// buyer's, when known) else in the display zone.
absl::Status SetDates(const Args& args, v1::KeyDates* dates, const std::string& tender_zone = "") {
  std::optional<NamedZone> zone;
  if (!tender_zone.empty()) {
    absl::StatusOr<NamedZone> parsed = ParseZone(tender_zone);
    if (parsed.ok()) zone = *parsed;
  }
  const std::pair<const char*, google::protobuf::Timestamp*> fields[] = {
      {"documents-until", dates->mutable_documents_available_until()},
      {"enquiry-deadline", dates->mutable_enquiry_deadline()},
      {"submission-deadline", dates->mutable_submission_deadline()},
      {"opening", dates->mutable_bid_opening_at()},
      {"award-expected-by", dates->mutable_award_expected_by()},
  };
  for (const auto& [flag, field] : fields) {
    absl::StatusOr<std::optional<absl::Time>> time = args.Time(flag, zone ? &*zone : nullptr);
    if (!time.ok()) return time.status();
    if (*time) ToProtoTime(**time, field);
  }
  // Unset Timestamps must stay unset: clear the ones no flag gave.
  if (!args.Has("documents-until")) dates->clear_documents_available_until();
  if (!args.Has("enquiry-deadline")) dates->clear_enquiry_deadline();
  if (!args.Has("submission-deadline")) dates->clear_submission_deadline();
  if (!args.Has("opening")) dates->clear_bid_opening_at();
  if (!args.Has("award-expected-by")) dates->clear_award_expected_by();
  return absl::OkStatus();
}

// --lot ID[:TITLE[:AMOUNT CUR]]
absl::StatusOr<v1::Lot> ParseLot(const std::string& text) {
  std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits(':', 2));
  v1::Lot lot;
  lot.set_id(parts[0]);
  if (parts.size() > 1) lot.set_title(parts[1]);
  if (parts.size() > 2 && !parts[2].empty()) {
    absl::StatusOr<v1::Money> value = ParseMoney(parts[2]);
    if (!value.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--lot: ", value.status().message()));
    }
    *lot.mutable_value() = *value;
  }
  return lot;
}

// One line about an event, for people.
std::string Describe(const v1::TenderEvent& event) {
  auto money = [](const v1::Money& m) { return HumanMoney(m); };
  auto lot = [](const std::string& id) {
    return id.empty() ? "" : absl::StrCat(" (lot ", id, ")");
  };
  switch (event.event_case()) {
    case v1::TenderEvent::kTenderDiscovered: {
      // The deadline as stored, in the tender's zone with --tz tender: what
      // was typed, read back.
      const v1::TenderDiscovered& tender = event.tender_discovered();
      return absl::StrCat(
          "discovered: ", tender.title(),
          tender.key_dates().has_submission_deadline()
              ? absl::StrCat(" (submission deadline ",
                             HumanTime(FromProtoTime(tender.key_dates().submission_deadline()),
                                       tender.time_zone()),
                             ")")
              : std::string());
    }
    case v1::TenderEvent::kTenderAmended: {
      // What changed, then why.
      const v1::TenderAmended& amended = event.tender_amended();
      std::vector<std::string> changes;
      const v1::KeyDates& dates = amended.key_dates();
      const std::pair<bool, const char*> named[] = {
          {dates.has_documents_available_until(), "documents cut-off"},
          {dates.has_enquiry_deadline(), "enquiry deadline"},
          {dates.has_submission_deadline(), "submission deadline"},
          {dates.has_bid_opening_at(), "opening"},
          {dates.has_award_expected_by(), "award expected by"}};
      const google::protobuf::Timestamp* stamps[] = {
          &dates.documents_available_until(), &dates.enquiry_deadline(),
          &dates.submission_deadline(), &dates.bid_opening_at(), &dates.award_expected_by()};
      for (size_t i = 0; i < 5; ++i) {
        if (named[i].first) {
          changes.push_back(
              absl::StrCat(named[i].second, " ", HumanTime(FromProtoTime(*stamps[i]))));
        }
      }
      if (amended.has_estimated_value()) {
        changes.push_back(absl::StrCat("estimated ", money(amended.estimated_value())));
      }
      if (amended.has_lots())
        changes.push_back(absl::StrCat(amended.lots().lots_size(), " lot(s)"));
      return absl::StrCat("amended", changes.empty() ? "" : " (", absl::StrJoin(changes, "; "),
                          changes.empty() ? "" : ")", ": ", amended.reason());
    }
    case v1::TenderEvent::kDocumentObtained:
      return absl::StrCat("documents obtained",
                          event.document_obtained().obtained_by().empty()
                              ? ""
                              : absl::StrCat(" by ", event.document_obtained().obtained_by()),
                          event.document_obtained().exception()
                              ? absl::StrCat(" (late, approved by ",
                                             event.document_obtained().exception_approver(), ")")
                              : "");
    case v1::TenderEvent::kNoBidDecided:
      return absl::StrCat("no bid: ", event.no_bid_decided().reason());
    case v1::TenderEvent::kBidSubmitted:
      return absl::StrCat("bid ", money(event.bid_submitted().amount()), " by ",
                          event.bid_submitted().bidder().id(), lot(event.bid_submitted().lot_id()));
    case v1::TenderEvent::kBidWithdrawn:
      return absl::StrCat("bid withdrawn by ", event.bid_withdrawn().bidder_id(),
                          lot(event.bid_withdrawn().lot_id()));
    case v1::TenderEvent::kBidDisqualified:
      return absl::StrCat("bid of ", event.bid_disqualified().bidder_id(), " disqualified",
                          lot(event.bid_disqualified().lot_id()), ": ",
                          event.bid_disqualified().reason());
    case v1::TenderEvent::kAwardAnnounced: {
      std::vector<std::string> suppliers;
      for (const v1::Party& p : event.award_announced().suppliers()) suppliers.push_back(p.id());
      return absl::StrCat(
          "award ", event.award_announced().award_id(), " to ", absl::StrJoin(suppliers, ", "),
          " for ", money(event.award_announced().amount()), lot(event.award_announced().lot_id()));
    }
    case v1::TenderEvent::kAwardCancelled:
      return absl::StrCat("award ", event.award_cancelled().award_id(),
                          " cancelled: ", event.award_cancelled().reason());
    case v1::TenderEvent::kTenderCancelled:
      return absl::StrCat("cancelled", event.tender_cancelled().lot_ids().empty() ? "" : " lots ",
                          absl::StrJoin(event.tender_cancelled().lot_ids(), ", "), ": ",
                          event.tender_cancelled().reason());
    case v1::TenderEvent::kTenderUnsuccessful:
      return absl::StrCat("unsuccessful",
                          event.tender_unsuccessful().lot_ids().empty() ? "" : " lots ",
                          absl::StrJoin(event.tender_unsuccessful().lot_ids(), ", "), ": ",
                          event.tender_unsuccessful().reason());
    case v1::TenderEvent::kActivityLogged:
      return absl::StrCat("activity with ", event.activity_logged().contact_id().empty()
                                                ? event.activity_logged().contact_name()
                                                : event.activity_logged().contact_id());
    case v1::TenderEvent::kRecordedLate: {
      const v1::RecordedLate& late = event.recorded_late();
      return absl::StrCat(
          "recorded late: ", late.reason(),
          late.deadline().empty()
              ? ""
              : absl::StrCat(" (claims to meet the ",
                             late.deadline() == "submission_deadline" ? "submission deadline"
                                                                      : "documents cut-off",
                             ", approved by ", late.approver(), ")"));
    }
    case v1::TenderEvent::kTenderHandedOver: {
      const v1::TenderHandedOver& handover = event.tender_handed_over();
      std::vector<std::string> to;
      if (!handover.territory().empty()) to.push_back("territory " + handover.territory());
      if (!handover.owner_team().empty()) to.push_back("team " + handover.owner_team());
      return absl::StrCat("handed over to ", absl::StrJoin(to, ", "), ": ", handover.reason());
    }
    case v1::TenderEvent::kTenderTracked:
      return absl::StrCat("taken up into our pipeline",
                          event.tender_tracked().reason().empty()
                              ? ""
                              : absl::StrCat(": ", event.tender_tracked().reason()));
    case v1::TenderEvent::kEntryVoided: {
      const v1::EntryVoided& voiding = event.entry_voided();
      std::string type = voiding.voided_type();
      if (const size_t dot = type.rfind('.'); dot != std::string::npos) type = type.substr(dot + 1);
      return absl::StrCat("voided position ", voiding.position(),
                          type.empty() ? "" : absl::StrCat(" (", type, ")"), ": ",
                          voiding.reason());
    }
    case v1::TenderEvent::EVENT_NOT_SET:
      break;
  }
  return "";
}

// Sends the command and prints what it appended.
int Record(const Client& client, const Args& args, const v1::TenderEvent& event) {
  const std::string request_id = args.Get("request-id", NewRequestId());
  v1::LateRecording late;
  late.set_reason(args.Get("late-reason"));
  late.set_approver(args.Get("manager"));
  v1::CommandResult result;
  const grpc::Status status = SendCommand(client, request_id, event, &result, late);
  if (!status.ok()) return client.Fail(status);
  Table table({"tender_id", "revision", "position", "event", "already_applied"});
  // The events' own revisions and positions: a fact and its late-recording
  // explanation are two entries, and `correct` wants the fact's.
  const uint64_t count = static_cast<uint64_t>(result.events_size());
  for (uint64_t i = 0; i < count; ++i) {
    const v1::TenderEvent& appended = result.events(static_cast<int>(i));
    const uint64_t revision = result.revision() - (count - 1 - i);
    const uint64_t position = result.first_position() + i;
    if (client.format == Format::kTable) {
      std::printf("%s %s: %s (revision %llu, position %llu)\n",
                  result.already_applied() ? "already recorded" : "recorded",
                  result.tender_id().c_str(), Describe(appended).c_str(),
                  static_cast<unsigned long long>(revision),
                  static_cast<unsigned long long>(position));
      continue;
    }
    table.Add({Cell::Text(result.tender_id()), Cell::Position(revision), Cell::Position(position),
               Cell::Text(Describe(appended)), Cell::Bool(result.already_applied())});
  }
  if (client.format == Format::kTable) return 0;
  table.Print(client.format);
  return 0;
}

// Sets the event's business time from --at (default now), then records it.
// "2027-01-20": a date typed alone.
bool DateAlone(const std::string& text) {
  if (text.size() != 10) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == 4 || i == 7 ? text[i] != '-' : !std::isdigit(static_cast<unsigned char>(text[i]))) {
      return false;
    }
  }
  return true;
}

// The zone of an existing tender, for dates typed alone on it; nullopt when
// it has none (or cannot be read: the command then says what is wrong).
std::optional<NamedZone> ZoneOfTender(const Client& client, const std::string& tender_id) {
  v1::GetTenderRequest request;
  request.set_tender_id(tender_id);
  v1::GetTenderResponse response;
  auto context = client.Context();
  if (!client.tenders->GetTender(context.get(), request, &response).ok()) return std::nullopt;
  const std::string& zone = response.tender().details().time_zone();
  if (zone.empty()) return std::nullopt;
  absl::StatusOr<NamedZone> parsed = ParseZone(zone);
  return parsed.ok() ? std::optional<NamedZone>(*parsed) : std::nullopt;
}

int RecordAt(const Client& client, const Args& args, v1::TenderEvent& event,
             google::protobuf::Timestamp* occurred_at) {
  // A date typed alone is midnight in the buyer's zone, as at discovery.
  std::optional<NamedZone> zone;
  if (args.Has("at") && DateAlone(args.Get("at"))) {
    zone = ZoneOfTender(client, tender::TenderIdOf(event));
  }
  absl::StatusOr<absl::Time> at = At(args, zone ? &*zone : nullptr);
  if (!at.ok()) return Usage(at.status());
  ToProtoTime(*at, occurred_at);
  return Record(client, args, event);
}

const FlagSpec kRequestId{"request-id", "ID",
                          "id of this command; repeat it to retry safely (default: a new UUID)"};
const FlagSpec kAt{"at", "TIME", "when it happened (default now)"};
const FlagSpec kLateReason{"late-reason", "TEXT",
                           "why it is recorded only now (needed more than 24h after it happened)"};
const FlagSpec kManager{"manager", "NAME",
                        "the manager who approves recording it after a deadline it claims to have "
                        "met"};

std::vector<FlagSpec> DateFlags() {
  return {{"documents-until", "TIME", "last moment to obtain the tender documents"},
          {"enquiry-deadline", "TIME", "last moment for questions"},
          {"submission-deadline", "TIME", "bids must be in before this"},
          {"opening", "TIME", "bid opening"},
          {"award-expected-by", "TIME", "when the buyer expects to decide"}};
}

template <typename... More>
std::vector<FlagSpec> With(std::vector<FlagSpec> flags, More... more) {
  (flags.push_back(more), ...);
  return flags;
}

// The buyer's zone: --tender-tz, else the UTC offset the key dates were
// typed with ("" when they were typed as dates alone). Dates typed with
// different offsets need --tender-tz: a zone with summer time has two.
absl::StatusOr<std::string> TenderZone(const Args& args) {
  if (args.Has("tender-tz")) {
    absl::StatusOr<NamedZone> zone = ParseZone(args.Get("tender-tz"));
    if (!zone.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--tender-tz: ", zone.status().message()));
    }
    // A time typed with an offset the zone does not have then (+01:00 for
    // Paris in July) is a misreading of summer time: refused, not stored.
    for (const FlagSpec& flag : DateFlags()) {
      if (!args.Has(flag.name)) continue;
      const std::optional<std::string> offset = TypedOffset(args.Get(flag.name));
      if (!offset) continue;
      absl::StatusOr<std::optional<absl::Time>> time = args.Time(flag.name);
      if (!time.ok() || !*time) continue;
      const std::string actual = OffsetAt(**time, zone->zone);
      const std::string typed = *offset == "UTC" ? "+00:00" : *offset;
      if (typed != actual) {
        // The wall time as typed, and the same instant in the buyer's zone.
        absl::StatusOr<NamedZone> typed_zone = ParseZone(typed);
        const std::string wall = absl::FormatTime("%Y-%m-%dT%H:%M:%S", **time,
                                                  typed_zone.ok() ? typed_zone->zone : zone->zone);
        return absl::InvalidArgumentError(absl::StrCat(
            "--", flag.name, ": typed with UTC offset ", typed, ", but ", zone->name, " is at ",
            actual, " then (summer time?); write ", wall, actual, " for that time of day in ",
            zone->name, ", or ", absl::FormatTime("%Y-%m-%dT%H:%M:%S", **time, zone->zone), actual,
            " for the moment typed"));
      }
    }
    return zone->name;
  }
  std::string zone;
  std::string first;
  for (const FlagSpec& flag : DateFlags()) {
    if (!args.Has(flag.name)) continue;
    const std::optional<std::string> offset = TypedOffset(args.Get(flag.name));
    if (!offset) continue;
    if (!zone.empty() && *offset != zone) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the key dates were typed with different UTC offsets (", zone, " in --", first, ", ",
          *offset, " in --", flag.name,
          "); say the buyer's time zone with --tender-tz (an IANA name such as Europe/Paris "
          "when it has summer time)"));
    }
    zone = *offset;
    first = flag.name;
  }
  return zone;
}

int Discover(const Client& client, const Args& args) {
  v1::TenderEvent event;
  v1::TenderDiscovered* tender = event.mutable_tender_discovered();
  tender->set_tender_id(args.positional()[0]);
  if (!args.Has("title") || !args.Has("buyer") || !args.Has("territory")) {
    return Usage("--title, --buyer and --territory are required");
  }
  tender->set_title(args.Get("title"));
  ASSIGN_OR_USAGE(*tender->mutable_buyer(), PartyFlag("buyer", args.Get("buyer")));
  tender->set_territory(args.Get("territory"));
  tender->set_category(args.Get("category"));
  ASSIGN_OR_USAGE(
      const v1::ProcurementMethod method,
      EnumFlag<v1::ProcurementMethod>(args, "method", v1::ProcurementMethod_descriptor(), "open"));
  tender->set_procurement_method(method);
  ASSIGN_OR_USAGE(
      const v1::DiscoveryChannel channel,
      EnumFlag<v1::DiscoveryChannel>(args, "channel", v1::DiscoveryChannel_descriptor(), "portal"));
  tender->set_discovery_channel(channel);
  ASSIGN_OR_USAGE(const std::optional<v1::Money> estimated, args.Money("estimated"));
  if (estimated) *tender->mutable_estimated_value() = *estimated;
  for (const std::string& text : args.GetAll("lot")) {
    ASSIGN_OR_USAGE(const v1::Lot lot, ParseLot(text));
    *tender->add_lots() = lot;
  }
  ASSIGN_OR_USAGE(const std::string zone, TenderZone(args));
  RETURN_USAGE_IF_ERROR(SetDates(args, tender->mutable_key_dates(), zone));
  tender->set_time_zone(zone);
  tender->set_owner_team(args.Get("team"));
  tender->set_source_reference(args.Get("source"));
  return RecordAt(client, args, event, tender->mutable_occurred_at());
}

int Amend(const Client& client, const Args& args) {
  v1::TenderEvent event;
  v1::TenderAmended* amended = event.mutable_tender_amended();
  amended->set_tender_id(args.positional()[0]);
  amended->set_reason(args.Get("reason"));
  // Dates typed alone are midnight in the buyer's zone, as at discovery.
  std::string tender_zone;
  for (const char* flag : {"documents-until", "enquiry-deadline", "submission-deadline", "opening",
                           "award-expected-by"}) {
    if (args.Has(flag) && DateAlone(args.Get(flag))) {
      if (std::optional<NamedZone> zone = ZoneOfTender(client, amended->tender_id())) {
        tender_zone = zone->name;
      }
      break;
    }
  }
  RETURN_USAGE_IF_ERROR(SetDates(args, amended->mutable_key_dates(), tender_zone));
  if (amended->key_dates().ByteSizeLong() == 0) amended->clear_key_dates();
  ASSIGN_OR_USAGE(const std::optional<v1::Money> estimated, args.Money("estimated"));
  if (estimated) *amended->mutable_estimated_value() = *estimated;
  if (args.Has("lot")) {
    for (const std::string& text : args.GetAll("lot")) {
      ASSIGN_OR_USAGE(const v1::Lot lot, ParseLot(text));
      *amended->mutable_lots()->add_lots() = lot;
    }
  }
  return RecordAt(client, args, event, amended->mutable_occurred_at());
}

template <typename Ending>
int End(const Client& client, const Args& args, Ending* ending, v1::TenderEvent* event) {
  ending->set_tender_id(args.positional()[0]);
  for (const std::string& lot : args.GetAll("lot")) ending->add_lot_ids(lot);
  ending->set_reason(args.Get("reason"));
  return RecordAt(client, args, *event, ending->mutable_occurred_at());
}

int Document(const Client& client, const Args& args) {
  v1::TenderEvent event;
  v1::DocumentObtained* document = event.mutable_document_obtained();
  document->set_tender_id(args.positional()[0]);
  ASSIGN_OR_USAGE(
      const v1::DocumentKind kind,
      EnumFlag<v1::DocumentKind>(args, "kind", v1::DocumentKind_descriptor(), "tender-documents"));
  document->set_kind(kind);
  document->set_obtained_by(args.Get("by"));
  document->set_exception_approver(args.Get("approver"));
  return RecordAt(client, args, event, document->mutable_occurred_at());
}

int NoBid(const Client& client, const Args& args) {
  v1::TenderEvent event;
  event.mutable_no_bid_decided()->set_tender_id(args.positional()[0]);
  event.mutable_no_bid_decided()->set_reason(args.Get("reason"));
  return RecordAt(client, args, event, event.mutable_no_bid_decided()->mutable_occurred_at());
}

int SubmitBid(const Client& client, const Args& args) {
  v1::TenderEvent event;
  v1::BidSubmitted* bid = event.mutable_bid_submitted();
  bid->set_tender_id(args.positional()[0]);
  if (!args.Has("bidder") || !args.Has("amount"))
    return Usage("--bidder and --amount are required");
  ASSIGN_OR_USAGE(*bid->mutable_bidder(), PartyFlag("bidder", args.Get("bidder")));
  ASSIGN_OR_USAGE(const std::optional<v1::Money> amount, args.Money("amount"));
  *bid->mutable_amount() = *amount;
  bid->set_lot_id(args.Get("lot"));
  for (const std::string& partner : args.GetAll("partner")) {
    ASSIGN_OR_USAGE(*bid->add_partners(), PartyFlag("partner", partner));
  }
  return RecordAt(client, args, event, bid->mutable_occurred_at());
}

template <typename Leaving>
int LeaveBid(const Client& client, const Args& args, Leaving* leaving, v1::TenderEvent* event) {
  leaving->set_tender_id(args.positional()[0]);
  if (!args.Has("bidder")) return Usage("--bidder is required");
  leaving->set_bidder_id(args.Get("bidder"));
  leaving->set_lot_id(args.Get("lot"));
  leaving->set_reason(args.Get("reason"));
  return RecordAt(client, args, *event, leaving->mutable_occurred_at());
}

int Announce(const Client& client, const Args& args) {
  v1::TenderEvent event;
  v1::AwardAnnounced* award = event.mutable_award_announced();
  award->set_tender_id(args.positional()[0]);
  if (!args.Has("supplier") || !args.Has("amount")) {
    return Usage("--supplier and --amount are required");
  }
  award->set_award_id(args.Get("award-id", absl::StrCat("A-", NewRequestId().substr(0, 8))));
  for (const std::string& supplier : args.GetAll("supplier")) {
    ASSIGN_OR_USAGE(*award->add_suppliers(), PartyFlag("supplier", supplier));
  }
  ASSIGN_OR_USAGE(const std::optional<v1::Money> amount, args.Money("amount"));
  *award->mutable_amount() = *amount;
  award->set_lot_id(args.Get("lot"));
  return RecordAt(client, args, event, award->mutable_occurred_at());
}

int CancelAward(const Client& client, const Args& args) {
  v1::TenderEvent event;
  v1::AwardCancelled* cancelled = event.mutable_award_cancelled();
  cancelled->set_tender_id(args.positional()[0]);
  if (!args.Has("award-id")) return Usage("--award-id is required");
  cancelled->set_award_id(args.Get("award-id"));
  cancelled->set_reason(args.Get("reason"));
  return RecordAt(client, args, event, cancelled->mutable_occurred_at());
}

int Activity(const Client& client, const Args& args) {
  v1::TenderEvent event;
  v1::ActivityLogged* activity = event.mutable_activity_logged();
  activity->set_tender_id(args.positional()[0]);
  ASSIGN_OR_USAGE(const v1::ActivityKind kind,
                  EnumFlag<v1::ActivityKind>(args, "kind", v1::ActivityKind_descriptor(), "visit"));
  activity->set_kind(kind);
  if (!args.Has("role") && !args.Has("contact-id")) {
    return Usage("--role is required (or --contact-id, whose role it takes)");
  }
  if (args.Has("role")) {
    ASSIGN_OR_USAGE(const v1::BuyingRole role,
                    EnumFlag<v1::BuyingRole>(args, "role", v1::BuyingRole_descriptor(), ""));
    activity->set_role(role);
  }
  activity->set_contact_name(args.Get("contact"));
  activity->set_contact_id(args.Get("contact-id"));
  activity->set_notes(args.Get("notes"));
  return RecordAt(client, args, event, activity->mutable_occurred_at());
}

// Voids an entry recorded by mistake; the right fact is recorded after, as
// any other.
int Correct(const Client& client, const Args& args) {
  if (!args.Has("reason")) return Usage("--reason is required: why the entry is a mistake");
  uint64_t position = 0;
  if (!absl::SimpleAtoi(args.positional()[1], &position) || position == 0) {
    return Usage(absl::StrCat("POSITION: \"", args.positional()[1],
                              "\" is not a log position (a whole number from 1; `bidtrail "
                              "timeline ",
                              args.positional()[0], "` shows each entry's)"));
  }
  v1::TenderEvent event;
  v1::EntryVoided* voiding = event.mutable_entry_voided();
  voiding->set_tender_id(args.positional()[0]);
  voiding->set_position(position);
  voiding->set_reason(args.Get("reason"));
  ToProtoTime(absl::Now(), voiding->mutable_occurred_at());
  const int code = Record(client, args, event);
  if (code == 0 && client.format == Format::kTable) {
    std::printf(
        "the entry stays in the log and the audit, marked as voided; now record the right "
        "fact, if any, as usual\n");
  }
  return code;
}

int Show(const Client& client, const Args& args) {
  v1::GetTenderRequest request;
  request.set_tender_id(args.positional()[0]);
  v1::GetTenderResponse response;
  auto context = client.Context();
  const grpc::Status status = client.tenders->GetTender(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (client.format == Format::kJson) {
    std::printf("%s\n", MessageJson(response, response.tender().details().time_zone()).c_str());
    return 0;
  }
  const v1::TenderView& view = response.tender();
  const v1::TenderDiscovered& details = view.details();
  if (client.format == Format::kTable) {
    const v1::KeyDates& dates = details.key_dates();
    auto date = [&](bool has, const google::protobuf::Timestamp& t) {
      return has ? HumanTime(FromProtoTime(t), details.time_zone()) : std::string("-");
    };
    std::printf("%s  %s\n", details.tender_id().c_str(), details.title().c_str());
    std::printf("  buyer        %s %s\n", details.buyer().id().c_str(),
                details.buyer().name().c_str());
    auto or_dash = [](const std::string& text) { return text.empty() ? "-" : text.c_str(); };
    std::printf("  territory    %s   team %s   category %s\n", or_dash(details.territory()),
                or_dash(details.owner_team()), or_dash(details.category()));
    // An open tender whose every competition is decided, one at least
    // awarded, reads as awarded (as `tender list` says): open is only what
    // the rules need.
    bool any_awarded = false;
    bool all_decided = view.lots_size() > 0;
    for (const v1::LotView& lot : view.lots()) {
      any_awarded |= lot.status() == v1::LOT_STATUS_AWARDED;
      all_decided &= lot.status() == v1::LOT_STATUS_AWARDED ||
                     lot.status() == v1::LOT_STATUS_CANCELLED ||
                     lot.status() == v1::LOT_STATUS_UNSUCCESSFUL;
    }
    const std::string status =
        view.status() == v1::TENDER_STATUS_OPEN && all_decided && any_awarded
            ? "awarded"
            : absl::AsciiStrToLower(v1::TenderStatus_Name(view.status()).substr(14));
    std::printf("  status       %s   revision %llu%s%s%s\n", status.c_str(),
                static_cast<unsigned long long>(response.revision()),
                view.documents_obtained() ? "   documents obtained" : "",
                view.documents_exception() ? " (late, with approval)" : "",
                view.no_bid_decided() ? "   NO BID" : "");
    std::printf("  estimated    %s\n", details.has_estimated_value()
                                           ? HumanMoney(details.estimated_value()).c_str()
                                           : "-");
    if (!details.source_reference().empty()) {
      std::printf("  source       %s\n", details.source_reference().c_str());
    }
    std::printf(
        "  time zone    %s\n",
        details.time_zone().empty() ? "- (not known; times shown in the --tz zone)"
        : GetTimeDisplay().per_tender
            ? details.time_zone().c_str()
            : absl::StrCat(details.time_zone(), " (times below in ", GetTimeDisplay().zone.name,
                           "; --tz tender shows them in the buyer's)")
                  .c_str());
    std::printf(
        "  documents    until %s\n",
        date(dates.has_documents_available_until(), dates.documents_available_until()).c_str());
    std::printf("  submission   %s   opening %s\n",
                date(dates.has_submission_deadline(), dates.submission_deadline()).c_str(),
                date(dates.has_bid_opening_at(), dates.bid_opening_at()).c_str());
    std::printf("\n");
  }
  Table table({"lot", "status", "bidder", "name", "amount:money", "rank", "vs_winner", "bid_status",
               "ours", "outcome"});
  std::vector<std::string> ours;      // our outcome in each competition we entered
  std::vector<std::string> unranked;  // competitions whose bids are in several currencies
  for (const v1::LotView& lot : view.lots()) {
    const std::string lot_name = lot.lot_id().empty() ? "-" : lot.lot_id();
    const v1::AwardAnnounced* award = nullptr;
    for (const v1::AwardView& a : lot.awards()) {
      if (!a.cancelled()) award = &a.award();
    }
    std::vector<std::string> winners;
    if (award != nullptr) {
      for (const v1::Party& p : award->suppliers()) {
        winners.push_back(p.name().empty() ? p.id() : p.name());
      }
    }
    const std::string lot_status =
        absl::AsciiStrToLower(v1::LotStatus_Name(lot.status()).substr(11));
    const std::string awarded = award == nullptr
                                    ? lot_status
                                    : absl::StrCat("awarded to ", absl::StrJoin(winners, " + "),
                                                   " for ", HumanMoney(award->amount()));
    if (lot.bids().empty()) {
      table.Add({Cell::Text(lot_name), Cell::Text(lot_status), Cell::Null(), Cell::Null(),
                 Cell::NoMoney(), Cell::Null(), Cell::Null(), Cell::Null(), Cell::Bool(false),
                 Cell::Text(awarded)});
    }
    // Bids in several currencies are not ranked: ranking each currency on
    // its own would put a dear bid first (the currencies are named below).
    std::set<std::string> currencies;
    for (const v1::BidView& bid : lot.bids()) {
      if (bid.status() == v1::BID_STATUS_VALID) currencies.insert(bid.bid().amount().currency());
    }
    if (currencies.size() > 1) {
      unranked.push_back(
          absl::StrCat(lot.lot_id().empty() ? std::string("the tender") : "lot " + lot.lot_id(),
                       ": bids in ", absl::StrJoin(currencies, ", ")));
    }
    for (const v1::BidView& bid : lot.bids()) {
      const v1::Money& amount = bid.bid().amount();
      const bool valid = bid.status() == v1::BID_STATUS_VALID && currencies.size() == 1;
      double value = 0;
      (void)absl::SimpleAtod(amount.amount(), &value);
      // Rank among the valid bids in the same currency, lowest first.
      std::optional<int64_t> rank;
      if (valid) {
        rank = 1;
        for (const v1::BidView& other : lot.bids()) {
          double other_value = 0;
          if (other.status() == v1::BID_STATUS_VALID &&
              other.bid().amount().currency() == amount.currency() &&
              absl::SimpleAtod(other.bid().amount().amount(), &other_value) &&
              other_value < value) {
            ++*rank;
          }
        }
      }
      // Against the awarded amount: +3.2% is above the winner's price.
      std::optional<double> versus;
      double won_at = 0;
      if (award != nullptr && award->amount().currency() == amount.currency() &&
          absl::SimpleAtod(award->amount().amount(), &won_at) && won_at > 0) {
        versus = value / won_at - 1;
      }
      bool winner = false;
      if (award != nullptr) {
        for (const v1::Party& p : award->suppliers()) winner |= p.id() == bid.bid().bidder().id();
      }
      const std::string outcome = award == nullptr ? awarded : winner ? "WON" : "lost";
      if (bid.ours()) {
        ours.push_back(
            absl::StrCat(lot.lot_id().empty() ? "" : absl::StrCat("lot ", lot.lot_id(), ": "),
                         award == nullptr ? (lot_status == "open" ? "pending" : lot_status)
                         : winner         ? "won"
                                  : absl::StrCat("lost to ", absl::StrJoin(winners, " + "))));
      }
      table.Add({Cell::Text(lot_name), Cell::Text(lot_status), Cell::Text(bid.bid().bidder().id()),
                 Cell::Text(bid.bid().bidder().name()), Cell::Money(amount),
                 rank ? Cell::Integer(*rank) : Cell::Null(), Cell::Percent(versus),
                 Cell::Text(absl::AsciiStrToLower(v1::BidStatus_Name(bid.status()).substr(11))),
                 Cell::Bool(bid.ours()), Cell::Text(outcome)});
    }
  }
  if (client.format == Format::kTable) {
    // Without a bid of ours: "not yet" while bidding is open.
    const v1::KeyDates& dates = view.details().key_dates();
    const bool bidding_open = view.status() == v1::TENDER_STATUS_OPEN &&
                              (!dates.has_submission_deadline() ||
                               FromProtoTime(dates.submission_deadline()) > absl::Now());
    const std::string none = bidding_open ? "no bid of ours yet" : "we did not bid";
    std::printf("  our outcome  %s\n\n", view.no_bid_decided() ? "no bid"
                                         : ours.empty()        ? none.c_str()
                                                               : absl::StrJoin(ours, "; ").c_str());
  }
  table.Print(client.format);
  if (client.format == Format::kTable && !unranked.empty()) {
    std::printf("\nnot ranked, no common currency: %s\n", absl::StrJoin(unranked, "; ").c_str());
  }
  return 0;
}

}  // namespace

std::string DescribeEvent(const v1::TenderEvent& event) { return Describe(event); }

void AddTenderCommands(std::vector<Subcommand>* commands) {
  commands->push_back(
      {{"tender", "discover"},
       "TENDER_ID --title T --buyer ID[:NAME] --territory T [flags]",
       "record a new tender",
       "Records a tender that became known to us (TenderDiscovered).",
       With(DateFlags(), FlagSpec{"title", "TEXT", "the tender's title"},
            FlagSpec{"buyer", "ID[:NAME]", "the buyer's party id and name"},
            FlagSpec{"territory", "NAME", "territory"}, FlagSpec{"category", "NAME", "category"},
            FlagSpec{"method", "M", "open (default), selective, limited, direct"},
            FlagSpec{"channel", "C", "portal (default), field-visit, partner, referral, import"},
            FlagSpec{"estimated", "MONEY", "estimated value, e.g. \"1250000.00 CNY\""},
            FlagSpec{"lot", "ID[:TITLE[:MONEY]]", "a lot", true},
            FlagSpec{"team", "NAME", "owner bid team"},
            FlagSpec{"source", "TEXT", "where it was found (URL, reference)"},
            FlagSpec{"tender-tz", "ZONE",
                     "the buyer's time zone, e.g. Asia/Shanghai or +08:00 (default: the offset "
                     "the dates were typed with)"},
            kAt, kRequestId),
       1,
       1,
       Discover});
  commands->push_back(
      {{"tender", "amend"},
       "TENDER_ID --reason TEXT [date flags] [--estimated MONEY] [--lot ...]",
       "record the buyer's change of dates, value or lots",
       "Records an amendment. Dates given replace those dates; --lot (repeatable) replaces the "
       "whole list of lots.",
       With(DateFlags(), FlagSpec{"reason", "TEXT", "why the buyer changed it"},
            FlagSpec{"estimated", "MONEY", "new estimated value"},
            FlagSpec{"lot", "ID[:TITLE[:MONEY]]", "the new list of lots", true}, kAt, kRequestId),
       1,
       1,
       Amend});
  // `tender cancel` and `tender unsuccessful` take the same flags: they end
  // the tender (or some lots), differently.
  commands->push_back({{"tender", "cancel"},
                       "TENDER_ID --reason TEXT [--lot ID]...",
                       "record that the buyer cancelled the tender (or some lots)",
                       "",
                       {{"reason", "TEXT", "why"},
                        {"lot", "ID", "a lot (default: the whole tender)", true},
                        kAt,
                        kRequestId},
                       1,
                       1,
                       [](const Client& client, const Args& args) {
                         v1::TenderEvent event;
                         return End(client, args, event.mutable_tender_cancelled(), &event);
                       }});
  Subcommand unsuccessful = commands->back();
  unsuccessful.words = {"tender", "unsuccessful"};
  unsuccessful.summary = "record that the tender (or some lots) ended without an award";
  unsuccessful.run = [](const Client& client, const Args& args) {
    v1::TenderEvent event;
    return End(client, args, event.mutable_tender_unsuccessful(), &event);
  };
  commands->push_back(std::move(unsuccessful));
  commands->push_back(
      {{"tender", "show"}, "TENDER_ID", "a tender's current state", "", {}, 1, 1, Show});
  commands->push_back(
      {{"tender", "track"},
       "TENDER_ID [--reason TEXT]",
       "take an imported tender into our pipeline (the board, the stale list)",
       "Imported public tenders (OCDS) are market intelligence: they stay off the deadline board "
       "and the stale list, and their deadlines are never ours to have missed, until we take "
       "them up: with this command, or by obtaining their documents, bidding, deciding not to "
       "bid or logging an activity.",
       {{"reason", "TEXT", "why we take it up"}, kRequestId},
       1,
       1,
       [](const Client& client, const Args& args) {
         v1::TenderEvent event;
         v1::TenderTracked* tracked = event.mutable_tender_tracked();
         tracked->set_tender_id(args.positional()[0]);
         tracked->set_reason(args.Get("reason"));
         ToProtoTime(absl::Now(), tracked->mutable_occurred_at());
         return Record(client, args, event);
       }});
  commands->push_back(
      {{"tender", "handover"},
       "TENDER_ID (--territory T | --team T) --reason TEXT",
       "hand a tender over to another territory or team",
       "From then on the receiving territory's team records on it. Only a manager of the "
       "territory it leaves may hand it over (docs/security.md).",
       {{"territory", "T", "the territory it goes to"},
        {"team", "T", "the owner team it goes to"},
        {"reason", "TEXT", "why"},
        kAt,
        kRequestId},
       1,
       1,
       [](const Client& client, const Args& args) {
         if (!args.Has("territory") && !args.Has("team")) {
           return Usage("give --territory, --team or both: where it goes");
         }
         v1::TenderEvent event;
         v1::TenderHandedOver* handover = event.mutable_tender_handed_over();
         handover->set_tender_id(args.positional()[0]);
         handover->set_territory(args.Get("territory"));
         handover->set_owner_team(args.Get("team"));
         handover->set_reason(args.Get("reason"));
         return RecordAt(client, args, event, handover->mutable_occurred_at());
       }});
  commands->push_back(
      {{"correct"},
       "TENDER_ID POSITION --reason TEXT",
       "void an entry recorded by mistake (then record the right fact)",
       "Voids the tender's entry at POSITION (the log position `bidtrail timeline` and `bidtrail "
       "audit` show) as a mistake: a wrong amount, the wrong tender, a fact that did not happen. "
       "Nothing is rewritten: the entry stays in the log and in the audit, marked as voided with "
       "who voided it, when and why, and the tender's state, the board and the analytics no "
       "longer count it. Then record the right fact, if any, as usual (a late one needs "
       "--late-reason, and --manager when it claims a deadline that has passed). The discovery "
       "cannot be voided: amend the tender, or cancel it.",
       {{"reason", "TEXT", "why the entry is a mistake"}, kRequestId},
       2,
       2,
       Correct});
  commands->push_back({{"doc", "obtained"},
                       "TENDER_ID [--kind K] [--by NAME] [--approver NAME]",
                       "record that we obtained a tender document",
                       "Records a document we obtained. After the documents cut-off it needs "
                       "--approver (who at the buyer allowed it). Recorded more than 24h after "
                       "it happened it needs --late-reason; claiming the cut-off after it "
                       "passed, also --manager.",
                       {{"kind", "K", "tender-documents (default), amendment, clarification"},
                        {"by", "NAME", "who fetched it (default: whoever records it)"},
                        {"approver", "NAME", "who at the buyer allowed it after the cut-off"},
                        kAt,
                        kLateReason,
                        kManager,
                        kRequestId},
                       1,
                       1,
                       Document});
  commands->push_back({{"nobid"},
                       "TENDER_ID --reason TEXT",
                       "record our decision not to bid",
                       "",
                       {{"reason", "TEXT", "why not"}, kAt, kLateReason, kRequestId},
                       1,
                       1,
                       NoBid});
  commands->push_back({{"bid", "submit"},
                       "TENDER_ID --bidder ID[:NAME] --amount MONEY [--lot ID] [--partner ...]",
                       "record a bid, ours or a competitor's",
                       "Records a bid. Our own bids use our party id (bidtraild --own_party_id); "
                       "a competitor's bid may be recorded after the deadline, with --at its "
                       "submission time. Our bid recorded more than 24h after it was submitted "
                       "needs --late-reason; recorded after the deadline, also --manager.",
                       {{"bidder", "ID[:NAME]", "the bidder"},
                        {"amount", "MONEY", "e.g. \"1180000.00 CNY\""},
                        {"lot", "ID", "the lot (needed when the tender has several)"},
                        {"partner", "ID[:NAME]", "an integrator or vendor bidding with it", true},
                        kAt,
                        kLateReason,
                        kManager,
                        kRequestId},
                       1,
                       1,
                       SubmitBid});
  // `bid withdraw` and `bid disqualify` take the same flags: a bid leaves the
  // competition, by its bidder's choice or the buyer's.
  commands->push_back({{"bid", "withdraw"},
                       "TENDER_ID --bidder ID --reason TEXT [--lot ID]",
                       "record that a bidder withdrew its bid",
                       "",
                       {{"bidder", "ID", "the bidder"},
                        {"lot", "ID", "the lot"},
                        {"reason", "TEXT", "why"},
                        kAt,
                        kRequestId},
                       1,
                       1,
                       [](const Client& client, const Args& args) {
                         v1::TenderEvent event;
                         return LeaveBid(client, args, event.mutable_bid_withdrawn(), &event);
                       }});
  Subcommand disqualify = commands->back();
  // Our own withdrawal recorded late needs a reason; a disqualification is
  // the buyer's act.
  commands->back().flags.insert(commands->back().flags.end() - 1, kLateReason);
  disqualify.words = {"bid", "disqualify"};
  disqualify.summary = "record that the buyer disqualified a bid";
  disqualify.run = [](const Client& client, const Args& args) {
    v1::TenderEvent event;
    return LeaveBid(client, args, event.mutable_bid_disqualified(), &event);
  };
  commands->push_back(std::move(disqualify));
  // `award` is a short form of `award announce`: the same command under both.
  Subcommand announce{{"award", "announce"},
                      "TENDER_ID --supplier ID[:NAME] --amount MONEY [--lot ID] [--award-id ID]",
                      "record the award of a lot",
                      "",
                      {{"supplier", "ID[:NAME]", "a supplier", true},
                       {"amount", "MONEY", "awarded amount"},
                       {"lot", "ID", "the lot"},
                       {"award-id", "ID", "names the award (default: generated)"},
                       kAt,
                       kRequestId},
                      1,
                      1,
                      Announce};
  Subcommand short_form = announce;
  short_form.words = {"award"};
  short_form.summary = "record the award of a lot (same as `award announce`)";
  commands->push_back(std::move(short_form));
  commands->push_back(std::move(announce));
  commands->push_back(
      {{"award", "cancel"},
       "TENDER_ID --award-id ID --reason TEXT",
       "record that an award was revoked",
       "",
       {{"award-id", "ID", "the award"}, {"reason", "TEXT", "why"}, kAt, kRequestId},
       1,
       1,
       CancelAward});
  commands->push_back(
      {{"activity", "log"},
       "TENDER_ID (--contact-id ID | --role ROLE [--contact NAME]) [--kind K] [--notes TEXT]",
       "record a contact with someone at the buyer",
       "",
       {{"kind", "K", "visit (default), call, meeting, technical-exchange, site-tour"},
        {"role", "ROLE",
         "executive, using-department-management, technical-department-management, "
         "procurement, user, technical-staff"},
        {"contact-id", "ID",
         "the person met, from the notebook (`contact add`): their name stays there, erasable"},
        {"contact", "NAME", "who, in clear in the log (prefer --contact-id)"},
        {"notes", "TEXT", "what was said"},
        kAt,
        kRequestId},
       1,
       1,
       Activity});
}

}  // namespace bidtrail::cli
