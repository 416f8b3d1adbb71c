#include "bidtrail/tender/decide.h"

#include <algorithm>
#include <optional>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bidtrail/common/decimal.h"
#include "bidtrail/common/enum_names.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/time_zone.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/tender/codec.h"
#include "google/protobuf/descriptor.h"

namespace bidtrail::tender {
namespace {

using absl::StrCat;

constexpr size_t kMaxIdBytes = 200;
constexpr size_t kMaxTextBytes = 2000;
constexpr size_t kMaxNotesBytes = 10000;
constexpr size_t kMaxTenderIdBytes = 100;

std::string Format(absl::Time time) { return FormatUtc(time); }

absl::Status Invalid(std::string message) { return absl::InvalidArgumentError(message); }
absl::Status Refused(std::string message) { return absl::FailedPreconditionError(message); }

absl::Status CheckLength(const std::string& value, const std::string& field, size_t max) {
  return CheckMaxBytes(value, field, max);
}

absl::Status RequireText(const std::string& value, const std::string& field, size_t max) {
  return CheckNotBlank(value, field, max);
}

absl::Status ValidateId(const std::string& value, const std::string& field) {
  RETURN_IF_ERROR(CheckName(value, field, kMaxIdBytes));
  return CheckPrintableAscii(value, field);
}

absl::Status ValidateParty(const v1::Party& party, const std::string& field) {
  RETURN_IF_ERROR(ValidateId(party.id(), StrCat(field, ".id")));
  return CheckLength(party.name(), StrCat(field, ".name"), kMaxTextBytes);
}

// A non-negative decimal (bidtrail/common/decimal.h) and a currency code.
absl::Status ValidateMoney(const v1::Money& money, const std::string& field, bool positive) {
  const std::string& amount = money.amount();
  const std::string amount_field = StrCat(field, ".amount");
  if (amount.empty()) {
    return Invalid(StrCat(amount_field, ": required; a decimal such as 1250000.00"));
  }
  const std::optional<Decimal> value = Decimal::Parse(amount);
  if (value && value->IsNegative()) {
    return Invalid(StrCat(amount_field, ": ", amount, " is negative; amounts are ",
                          positive ? "greater than zero" : "zero or more"));
  }
  if (!value) {
    return Invalid(StrCat(amount_field, ": \"", Prefix(amount),
                          "\" is not a decimal amount; write digits with an optional fraction, "
                          "such as 1250000.00 (at most 18 digits before the point, 9 after)"));
  }
  if (positive && value->IsZero()) {
    return Invalid(StrCat(amount_field, ": must be greater than zero"));
  }
  return CheckCurrencyCode(money.currency(), StrCat(field, ".currency"));
}

absl::Status ValidateEnum(const google::protobuf::EnumDescriptor* descriptor, int value,
                          const std::string& field) {
  const std::string names = absl::StrJoin(EnumWords(*descriptor), ", ");
  if (value == 0) {
    return Invalid(StrCat(field, ": required; one of ", absl::AsciiStrToUpper(names)));
  }
  if (descriptor->FindValueByNumber(value) == nullptr) {
    return Invalid(StrCat(field, ": ", value, " is not one of ", absl::AsciiStrToUpper(names)));
  }
  return absl::OkStatus();
}

absl::Status ValidateKeyDates(const v1::KeyDates& dates, const std::string& context) {
  struct Named {
    const char* name;
    bool present;
    const google::protobuf::Timestamp* time;
  };
  const Named ordered[] = {
      {"documents_available_until", dates.has_documents_available_until(),
       &dates.documents_available_until()},
      {"submission_deadline", dates.has_submission_deadline(), &dates.submission_deadline()},
      {"bid_opening_at", dates.has_bid_opening_at(), &dates.bid_opening_at()},
  };
  for (size_t i = 0; i < std::size(ordered); ++i) {
    for (size_t j = i + 1; j < std::size(ordered); ++j) {
      if (!ordered[i].present || !ordered[j].present) continue;
      const absl::Time earlier = FromProtoTime(*ordered[i].time);
      const absl::Time later = FromProtoTime(*ordered[j].time);
      if (earlier > later) {
        return Invalid(StrCat("key_dates: ", context, ordered[i].name, " (", Format(earlier),
                              ") is after ", ordered[j].name, " (", Format(later),
                              "); the order is documents_available_until <= "
                              "submission_deadline <= bid_opening_at"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateLots(const google::protobuf::RepeatedPtrField<v1::Lot>& lots) {
  std::set<std::string> seen;
  for (int i = 0; i < lots.size(); ++i) {
    const std::string field = StrCat("lots[", i, "]");
    RETURN_IF_ERROR(ValidateId(lots[i].id(), StrCat(field, ".id")));
    if (!seen.insert(lots[i].id()).second) {
      return Invalid(StrCat(field, ".id: ", lots[i].id(), " appears twice"));
    }
    RETURN_IF_ERROR(CheckLength(lots[i].title(), StrCat(field, ".title"), kMaxTextBytes));
    if (lots[i].has_value()) {
      RETURN_IF_ERROR(ValidateMoney(lots[i].value(), StrCat(field, ".value"), false));
    }
  }
  return absl::OkStatus();
}

std::string LotIds(const TenderState& state) {
  std::vector<std::string> ids;
  for (const LotState& lot : state.lots) ids.push_back(lot.id);
  return absl::StrJoin(ids, ", ");
}

std::string LotName(const std::string& lot_id) {
  return lot_id.empty() ? "the tender" : StrCat("lot ", lot_id);
}

// The competition a bid or award belongs to (DOMAIN.md: a bid naming no lot,
// in a tender with exactly one lot, belongs to that lot).
absl::StatusOr<const LotState*> ResolveLot(const TenderState& state, const std::string& lot_id) {
  const std::string& tender_id = state.details.tender_id();
  if (!state.HasDeclaredLots()) {
    if (!lot_id.empty()) {
      return Invalid(StrCat("lot_id: tender ", tender_id, " has no lots; leave lot_id empty"));
    }
    return &state.lots.front();
  }
  if (lot_id.empty()) {
    if (state.lots.size() == 1) return &state.lots.front();
    return Invalid(StrCat("lot_id: required; tender ", tender_id, " has ", state.lots.size(),
                          " lots (", LotIds(state), ")"));
  }
  const LotState* lot = state.FindLot(lot_id);
  if (lot == nullptr) {
    return Invalid(StrCat("lot_id: tender ", tender_id, " has no lot ", lot_id, "; its lots are ",
                          LotIds(state)));
  }
  return lot;
}

absl::Status RequireOpenLot(const LotState& lot) {
  if (lot.status == v1::LOT_STATUS_CANCELLED) {
    return Refused(StrCat(LotName(lot.id), " was cancelled"));
  }
  if (lot.status == v1::LOT_STATUS_UNSUCCESSFUL) {
    return Refused(StrCat(LotName(lot.id), " ended unsuccessful"));
  }
  return absl::OkStatus();
}

absl::Status DecideDiscovery(const v1::TenderDiscovered& tender) {
  RETURN_IF_ERROR(RequireText(tender.title(), "title", kMaxTextBytes));
  RETURN_IF_ERROR(ValidateParty(tender.buyer(), "buyer"));
  RETURN_IF_ERROR(CheckName(tender.territory(), "territory", kMaxIdBytes));
  RETURN_IF_ERROR(CheckOptionalName(tender.category(), "category", kMaxIdBytes));
  RETURN_IF_ERROR(ValidateEnum(v1::ProcurementMethod_descriptor(), tender.procurement_method(),
                               "procurement_method"));
  RETURN_IF_ERROR(ValidateEnum(v1::DiscoveryChannel_descriptor(), tender.discovery_channel(),
                               "discovery_channel"));
  if (tender.has_estimated_value()) {
    RETURN_IF_ERROR(ValidateMoney(tender.estimated_value(), "estimated_value", false));
  }
  RETURN_IF_ERROR(ValidateLots(tender.lots()));
  RETURN_IF_ERROR(ValidateKeyDates(tender.key_dates(), ""));
  RETURN_IF_ERROR(CheckLength(tender.source_reference(), "source_reference", kMaxTextBytes));
  return CheckOptionalName(tender.owner_team(), "owner_team", kMaxIdBytes);
}

absl::Status DecideAmendment(const TenderState& state, const v1::TenderAmended& amended) {
  const v1::KeyDates& change = amended.key_dates();
  const bool changes_dates = amended.has_key_dates() && change.ByteSizeLong() > 0;
  if (!changes_dates && !amended.has_estimated_value() && !amended.has_lots()) {
    return Invalid("amendment changes nothing; set key_dates, estimated_value or lots");
  }
  RETURN_IF_ERROR(RequireText(amended.reason(), "reason", kMaxTextBytes));
  v1::KeyDates merged = state.details.key_dates();
  MergeKeyDates(change, &merged);
  RETURN_IF_ERROR(ValidateKeyDates(merged, "after this amendment, "));
  if (change.has_submission_deadline()) {
    // Bids already in must stay on time: a deadline cannot move before them.
    const absl::Time deadline = FromProtoTime(change.submission_deadline());
    for (const LotState& lot : state.lots) {
      for (const BidRecord& bid : lot.bids) {
        const absl::Time submitted = FromProtoTime(bid.bid.occurred_at());
        if (submitted > deadline) {
          return Refused(StrCat("key_dates.submission_deadline: a bid was submitted at ",
                                Format(submitted), "; the deadline cannot move before it (",
                                Format(deadline), ")"));
        }
      }
    }
  }
  if (amended.has_estimated_value()) {
    RETURN_IF_ERROR(ValidateMoney(amended.estimated_value(), "estimated_value", false));
  }
  if (amended.has_lots()) {
    RETURN_IF_ERROR(ValidateLots(amended.lots().lots()));
    for (const LotState& lot : state.lots) {
      const auto& next = amended.lots().lots();
      const bool kept = std::any_of(next.begin(), next.end(), [&](const v1::Lot& candidate) {
        return candidate.id() == lot.id;
      });
      const bool implicit_kept = lot.id.empty() && next.empty();
      if (!kept && !implicit_kept && (!lot.bids.empty() || !lot.awards.empty())) {
        return Refused(StrCat("lots: ", LotName(lot.id),
                              " has bids or awards; it cannot be removed by an amendment"));
      }
    }
  }
  return absl::OkStatus();
}

// Our own facts happen after we discovered the tender: a business time before
// it is a typing mistake (or a claim to dodge a rule).
absl::Status RequireAfterDiscovery(const TenderState& state, absl::Time occurred_at,
                                   std::string_view what) {
  const absl::Time discovered = FromProtoTime(state.details.occurred_at());
  if (occurred_at >= discovered) return absl::OkStatus();
  return Refused(StrCat(std::string(what), " at ", Format(occurred_at),
                        " is before the tender was discovered (", Format(discovered),
                        "); check occurred_at (--at)"));
}

absl::Status DecideDocument(const TenderState& state, absl::Time occurred_at,
                            v1::DocumentObtained* document) {
  RETURN_IF_ERROR(RequireAfterDiscovery(state, occurred_at, "a document obtained"));
  RETURN_IF_ERROR(ValidateEnum(v1::DocumentKind_descriptor(), document->kind(), "kind"));
  RETURN_IF_ERROR(CheckOptionalName(document->obtained_by(), "obtained_by", kMaxIdBytes));
  RETURN_IF_ERROR(
      CheckOptionalName(document->exception_approver(), "exception_approver", kMaxIdBytes));
  const v1::KeyDates& dates = state.details.key_dates();
  const bool late = dates.has_documents_available_until() &&
                    occurred_at > FromProtoTime(dates.documents_available_until());
  if (late && document->exception_approver().empty()) {
    return Refused(StrCat("documents_available_until was ",
                          Format(FromProtoTime(dates.documents_available_until())),
                          "; a document obtained at ", Format(occurred_at),
                          ", after the cut-off, needs an exception_approver"));
  }
  document->set_exception(late);
  return absl::OkStatus();
}

absl::Status DecideNoBid(const TenderState& state, absl::Time occurred_at,
                         const v1::NoBidDecided& decision, const DomainConfig& config) {
  RETURN_IF_ERROR(RequireText(decision.reason(), "reason", kMaxTextBytes));
  RETURN_IF_ERROR(RequireAfterDiscovery(state, occurred_at, "a no-bid decision"));
  if (state.no_bid_decided) return Refused("a no-bid decision is already recorded");
  for (const LotState& lot : state.lots) {
    if (lot.ValidBid(config.own_party_id) != nullptr) {
      return Refused(StrCat("our bid on ", LotName(lot.id),
                            " is in the competition; withdraw it before deciding not to bid"));
    }
  }
  return absl::OkStatus();
}

absl::Status DecideBid(const TenderState& state, absl::Time occurred_at, const DomainConfig& config,
                       v1::BidSubmitted* bid) {
  RETURN_IF_ERROR(ValidateParty(bid->bidder(), "bidder"));
  RETURN_IF_ERROR(ValidateMoney(bid->amount(), "amount", true));
  for (int i = 0; i < bid->partners_size(); ++i) {
    RETURN_IF_ERROR(ValidateParty(bid->partners(i), StrCat("partners[", i, "]")));
  }
  ASSIGN_OR_RETURN(const LotState* lot, ResolveLot(state, bid->lot_id()));
  bid->set_lot_id(lot->id);
  RETURN_IF_ERROR(RequireOpenLot(*lot));
  const bool ours = bid->bidder().id() == config.own_party_id;
  const v1::KeyDates& dates = state.details.key_dates();
  if (dates.has_submission_deadline()) {
    const absl::Time deadline = FromProtoTime(dates.submission_deadline());
    if (occurred_at > deadline) {
      return Refused(
          ours ? StrCat("submission_deadline was ", Format(deadline), "; our bid at ",
                        Format(occurred_at), " is late, and a late bid is never accepted")
               : StrCat("submission_deadline was ", Format(deadline),
                        "; a competitor's bid may be recorded later, but it must have been "
                        "submitted before the deadline (occurred_at is ",
                        Format(occurred_at), ")"));
    }
  }
  if (ours && state.no_bid_decided) {
    return Refused("a no-bid decision is recorded for this tender; our bid is not allowed");
  }
  if (ours && !state.documents_obtained) {
    return Refused(
        "we have not obtained the tender documents; record DocumentObtained (kind "
        "TENDER_DOCUMENTS) before our bid");
  }
  if (ours) {
    RETURN_IF_ERROR(RequireAfterDiscovery(state, occurred_at, "our bid"));
    if (occurred_at < state.documents_obtained_at) {
      return Refused(StrCat("our bid at ", Format(occurred_at),
                            " is before we obtained the tender documents (",
                            Format(state.documents_obtained_at), "); check occurred_at (--at)"));
    }
  }
  if (lot->ValidBid(bid->bidder().id()) != nullptr) {
    return Refused(StrCat("bidder ", bid->bidder().id(),
                          " already has a bid in the competition for ", LotName(lot->id),
                          "; withdraw it first"));
  }
  return absl::OkStatus();
}

template <typename Leaving>
absl::Status DecideBidLeaving(const TenderState& state, Leaving* leaving, const char* verb) {
  RETURN_IF_ERROR(ValidateId(leaving->bidder_id(), "bidder_id"));
  RETURN_IF_ERROR(RequireText(leaving->reason(), "reason", kMaxTextBytes));
  ASSIGN_OR_RETURN(const LotState* lot, ResolveLot(state, leaving->lot_id()));
  leaving->set_lot_id(lot->id);
  if (lot->ValidBid(leaving->bidder_id()) == nullptr) {
    const bool had_one = std::any_of(lot->bids.begin(), lot->bids.end(), [&](const BidRecord& b) {
      return b.bid.bidder().id() == leaving->bidder_id();
    });
    return Refused(StrCat("cannot ", verb, ": bidder ", leaving->bidder_id(),
                          " has no bid in the competition for ", LotName(lot->id),
                          had_one ? " (its bid already left)" : ""));
  }
  return absl::OkStatus();
}

absl::Status DecideAward(const TenderState& state, absl::Time occurred_at,
                         v1::AwardAnnounced* award) {
  RETURN_IF_ERROR(ValidateId(award->award_id(), "award_id"));
  if (state.LotOfAward(award->award_id()) != nullptr) {
    return Invalid(StrCat("award_id: ", award->award_id(), " is already used in tender ",
                          state.details.tender_id()));
  }
  if (award->suppliers().empty()) return Invalid("suppliers: name at least one supplier");
  for (int i = 0; i < award->suppliers_size(); ++i) {
    RETURN_IF_ERROR(ValidateParty(award->suppliers(i), StrCat("suppliers[", i, "]")));
  }
  RETURN_IF_ERROR(ValidateMoney(award->amount(), "amount", true));
  ASSIGN_OR_RETURN(const LotState* lot, ResolveLot(state, award->lot_id()));
  award->set_lot_id(lot->id);
  RETURN_IF_ERROR(RequireOpenLot(*lot));
  const v1::KeyDates& dates = state.details.key_dates();
  if (dates.has_submission_deadline()) {
    const absl::Time deadline = FromProtoTime(dates.submission_deadline());
    if (occurred_at < deadline) {
      return Refused(StrCat("an award at ", Format(occurred_at), " is before submission_deadline ",
                            Format(deadline)));
    }
  }
  if (dates.has_bid_opening_at()) {
    const absl::Time opening = FromProtoTime(dates.bid_opening_at());
    if (occurred_at < opening) {
      return Refused(StrCat("an award at ", Format(occurred_at), " is before the bid opening (",
                            Format(opening), ")"));
    }
  }
  if (const AwardRecord* in_force = lot->AwardInForce(); in_force != nullptr) {
    return Refused(StrCat(LotName(lot->id), " already has award ", in_force->award.award_id(),
                          " in force; cancel it before announcing another"));
  }
  const v1::ProcurementMethod method = state.details.procurement_method();
  if (method != v1::PROCUREMENT_METHOD_LIMITED && method != v1::PROCUREMENT_METHOD_DIRECT) {
    for (const v1::Party& supplier : award->suppliers()) {
      if (lot->ValidBid(supplier.id()) == nullptr) {
        return Refused(StrCat("supplier ", supplier.id(), " has no valid bid on ", LotName(lot->id),
                              "; only limited and direct procurements award without a bid"));
      }
    }
  }
  return absl::OkStatus();
}

absl::Status DecideAwardCancellation(const TenderState& state,
                                     const v1::AwardCancelled& cancellation) {
  RETURN_IF_ERROR(ValidateId(cancellation.award_id(), "award_id"));
  RETURN_IF_ERROR(RequireText(cancellation.reason(), "reason", kMaxTextBytes));
  const LotState* lot = state.LotOfAward(cancellation.award_id());
  if (lot == nullptr) {
    return Refused(StrCat("award ", cancellation.award_id(), " does not exist in tender ",
                          state.details.tender_id()));
  }
  const AwardRecord* in_force = lot->AwardInForce();
  if (in_force == nullptr || in_force->award.award_id() != cancellation.award_id()) {
    return Refused(StrCat("award ", cancellation.award_id(), " is already cancelled"));
  }
  return absl::OkStatus();
}

absl::Status DecideEnding(const TenderState& state,
                          const google::protobuf::RepeatedPtrField<std::string>& lot_ids,
                          const std::string& reason) {
  RETURN_IF_ERROR(RequireText(reason, "reason", kMaxTextBytes));
  if (!lot_ids.empty() && !state.HasDeclaredLots()) {
    return Invalid(StrCat("lot_ids: tender ", state.details.tender_id(),
                          " has no lots; leave lot_ids empty to end the whole tender"));
  }
  std::set<std::string> named;
  for (int i = 0; i < lot_ids.size(); ++i) {
    if (state.FindLot(lot_ids[i]) == nullptr) {
      return Invalid(StrCat("lot_ids[", i, "]: tender ", state.details.tender_id(), " has no lot ",
                            lot_ids[i], "; its lots are ", LotIds(state)));
    }
    if (!named.insert(lot_ids[i]).second) {
      return Invalid(StrCat("lot_ids[", i, "]: ", lot_ids[i], " appears twice"));
    }
  }
  for (const LotState& lot : state.lots) {
    if (!lot_ids.empty() && !named.contains(lot.id)) continue;
    if (!lot_ids.empty()) RETURN_IF_ERROR(RequireOpenLot(lot));
    if (const AwardRecord* in_force = lot.AwardInForce(); in_force != nullptr) {
      return Refused(StrCat(LotName(lot.id), " has award ", in_force->award.award_id(),
                            " in force; cancel the award first"));
    }
  }
  return absl::OkStatus();
}

absl::Status DecideActivity(const v1::ActivityLogged& activity) {
  RETURN_IF_ERROR(ValidateEnum(v1::ActivityKind_descriptor(), activity.kind(), "kind"));
  RETURN_IF_ERROR(ValidateEnum(v1::BuyingRole_descriptor(), activity.role(), "role"));
  RETURN_IF_ERROR(CheckOptionalName(activity.contact_name(), "contact_name", kMaxIdBytes));
  RETURN_IF_ERROR(CheckOptionalName(activity.contact_id(), "contact_id", kMaxIdBytes));
  if (!activity.contact_id().empty() && !activity.contact_name().empty()) {
    return absl::InvalidArgumentError(
        "contact_name: leave it empty when contact_id names the contact (the name stays in the "
        "notebook, sealed and erasable)");
  }
  return CheckLength(activity.notes(), "notes", kMaxNotesBytes);
}

// The deadline an own fact claims to have met, when that deadline had passed
// by `now` (beyond the clock-skew grace): "documents_available_until" or
// "submission_deadline"; "" otherwise. Sets *own when the fact is one of ours.
std::string ClaimedDeadline(const TenderState& state, const v1::TenderEvent& fact,
                            absl::Time occurred_at, absl::Time now, const DomainConfig& config,
                            bool* own) {
  const v1::KeyDates& dates = state.details.key_dates();
  auto passed = [&](const google::protobuf::Timestamp& deadline) {
    const absl::Time due = FromProtoTime(deadline);
    return occurred_at <= due && now > due + config.max_clock_skew;
  };
  *own = false;
  switch (fact.event_case()) {
    case v1::TenderEvent::kDocumentObtained:
      *own = true;
      if (fact.document_obtained().kind() == v1::DOCUMENT_KIND_TENDER_DOCUMENTS &&
          !state.documents_obtained && dates.has_documents_available_until() &&
          passed(dates.documents_available_until())) {
        return "documents_available_until";
      }
      return "";
    case v1::TenderEvent::kBidSubmitted:
      *own = fact.bid_submitted().bidder().id() == config.own_party_id;
      if (*own && dates.has_submission_deadline() && passed(dates.submission_deadline())) {
        return "submission_deadline";
      }
      return "";
    case v1::TenderEvent::kBidWithdrawn:
      *own = fact.bid_withdrawn().bidder_id() == config.own_party_id;
      return "";
    case v1::TenderEvent::kNoBidDecided:
      *own = true;
      return "";
    default:
      return "";
  }
}

// The RecordedLate our fact needs, if any; FAILED_PRECONDITION when it needs
// a reason or an approver it was not given.
absl::StatusOr<std::optional<v1::TenderEvent>> ExplainLateness(
    const TenderState& state, const v1::TenderEvent& fact, absl::Time occurred_at, absl::Time now,
    const DomainConfig& config, const LateRecording& late) {
  bool own = false;
  const std::string deadline = ClaimedDeadline(state, fact, occurred_at, now, config, &own);
  const bool late_fact = own && now - occurred_at > config.late_window;
  if (!late_fact && deadline.empty()) return std::optional<v1::TenderEvent>();
  RETURN_IF_ERROR(CheckMaxBytes(late.reason, "late.reason", kMaxTextBytes));
  RETURN_IF_ERROR(CheckOptionalName(late.approver, "late.approver", kMaxIdBytes));
  if (IsBlank(late.reason)) {
    return Refused(
        StrCat("occurred_at ", Format(occurred_at), " is ", HumanDuration(now - occurred_at),
               " before it is recorded (", Format(now), ")",
               deadline.empty()
                   ? StrCat("; a fact of ours recorded more than ",
                            HumanDuration(config.late_window), " after it happened needs a reason")
                   : StrCat(", after ", deadline, " had passed; it needs a reason"),
               " (late.reason; bidtrail --late-reason TEXT)"));
  }
  if (!deadline.empty() && late.approver.empty()) {
    return Refused(
        StrCat("it claims to have met ", deadline, " (",
               Format(FromProtoTime(deadline == "submission_deadline"
                                        ? state.details.key_dates().submission_deadline()
                                        : state.details.key_dates().documents_available_until())),
               "), which had passed when it is recorded (", Format(now),
               "); a manager must approve it (late.approver; bidtrail --manager NAME)"));
  }
  v1::TenderEvent explanation;
  v1::RecordedLate* recorded = explanation.mutable_recorded_late();
  recorded->set_tender_id(TenderIdOf(fact));
  recorded->set_fact_type(EventTypeName(fact));
  recorded->set_reason(late.reason);
  recorded->set_deadline(deadline);
  recorded->set_approver(late.approver);
  ToProtoTime(occurred_at, recorded->mutable_occurred_at());
  return std::optional<v1::TenderEvent>(std::move(explanation));
}

}  // namespace

absl::Status PrepareVoid(const std::vector<StreamEntry>& stream, v1::EntryVoided* voiding) {
  const std::string& tender_id = voiding->tender_id();
  std::vector<const v1::TenderEvent*> events;
  std::vector<uint64_t> revisions;
  for (const StreamEntry& entry : stream) {
    events.push_back(entry.event);
    revisions.push_back(entry.revision);
  }
  const std::vector<bool> voided = VoidedOf(events, revisions);
  for (size_t i = 0; i < stream.size(); ++i) {
    const StreamEntry& entry = stream[i];
    if (entry.position != voiding->position()) continue;
    if (entry.event == nullptr) {
      return Refused(StrCat("position ", entry.position, " holds a ", entry.type,
                            ", an event type this server does not know; it cannot be voided"));
    }
    if (entry.event->has_tender_discovered()) {
      return Refused(
          StrCat("position ", entry.position, " is the discovery of tender ", tender_id,
                 "; it cannot be voided: correct its details with an amendment, or cancel a tender "
                 "recorded by mistake"));
    }
    if (entry.event->has_entry_voided()) {
      return Refused(StrCat("position ", entry.position,
                            " voids another entry; record that fact again instead"));
    }
    if (entry.event->has_recorded_late()) {
      return Refused(StrCat("position ", entry.position,
                            " explains the late recording of the fact before it; void that fact "
                            "(position ",
                            i > 0 ? stream[i - 1].position : 0, ") instead"));
    }
    if (voided[i]) {
      return Refused(StrCat("position ", entry.position, " is already voided"));
    }
    voiding->set_revision(entry.revision);
    voiding->set_voided_type(entry.type);
    return absl::OkStatus();
  }
  return absl::NotFoundError(StrCat("position ", voiding->position(), " holds no event of tender ",
                                    tender_id,
                                    " (the audit and the timeline show each event's position)"));
}

absl::Status ValidateTenderId(const std::string& tender_id) {
  if (tender_id.empty() || tender_id.size() > kMaxTenderIdBytes || !IsPrintableAscii(tender_id) ||
      IsBlank(tender_id.substr(0, 1)) || IsBlank(tender_id.substr(tender_id.size() - 1))) {
    return Invalid(
        StrCat("tender_id: \"", Prefix(tender_id, 120),
               "\" must be 1 to 100 printable ASCII bytes, with no space at either end"));
  }
  return absl::OkStatus();
}

std::string StreamIdOf(const std::string& tender_id) { return StrCat("tender-", tender_id); }

absl::StatusOr<std::vector<v1::TenderEvent>> Decide(const TenderState& state,
                                                    const v1::TenderEvent& proposed,
                                                    const DomainConfig& config, absl::Time now,
                                                    const LateRecording& late) {
  if (proposed.event_case() == v1::TenderEvent::EVENT_NOT_SET) {
    return Invalid("event: none given");
  }
  if (proposed.has_recorded_late()) {
    return Invalid("recorded_late: made by the service from a command's late recording, not sent");
  }
  const std::string tender_id = TenderIdOf(proposed);
  RETURN_IF_ERROR(ValidateTenderId(tender_id));
  const absl::Time occurred_at = OccurredAtOf(proposed);
  if (occurred_at == absl::InfinitePast()) {
    return Invalid("occurred_at: required (when it happened, with its UTC offset)");
  }
  RETURN_IF_ERROR(CheckPlausibleTime(occurred_at, "occurred_at"));
  if (occurred_at > now + config.max_clock_skew) {
    return Invalid(StrCat("occurred_at: ", Format(occurred_at), " is in the future (now is ",
                          Format(now), "); record facts once they have happened"));
  }

  v1::TenderEvent decided = proposed;
  if (proposed.has_tender_discovered()) {
    if (state.exists) {
      return absl::AlreadyExistsError(StrCat("tender ", tender_id, " already exists"));
    }
    RETURN_IF_ERROR(DecideDiscovery(proposed.tender_discovered()));
    if (!proposed.tender_discovered().time_zone().empty()) {
      // Stored in its canonical form: "+8" becomes "+08:00", "Z" "UTC".
      absl::StatusOr<NamedZone> zone = ParseZone(proposed.tender_discovered().time_zone());
      if (!zone.ok()) return Invalid(StrCat("time_zone: ", zone.status().message()));
      decided.mutable_tender_discovered()->set_time_zone(zone->name);
    }
    return std::vector<v1::TenderEvent>{decided};
  }
  if (!state.exists) {
    return absl::NotFoundError(StrCat("tender ", tender_id, " not found; discover it first"));
  }
  if (proposed.has_entry_voided()) {
    // A mistake may be voided whatever became of the tender since (a wrong
    // cancellation above all).
    const v1::EntryVoided& voiding = proposed.entry_voided();
    RETURN_IF_ERROR(RequireText(voiding.reason(), "reason", kMaxTextBytes));
    if (voiding.voided_type().empty()) {
      return Invalid(StrCat("position: ", voiding.position(),
                            " was not looked up in the stream (PrepareVoid)"));
    }
    return std::vector<v1::TenderEvent>{decided};
  }
  if (state.status != v1::TENDER_STATUS_OPEN && !proposed.has_activity_logged()) {
    return Refused(
        StrCat("tender ", tender_id, " is ",
               state.status == v1::TENDER_STATUS_CANCELLED ? "cancelled" : "unsuccessful",
               "; it accepts only ActivityLogged (or EntryVoided, for a mistake)"));
  }
  switch (decided.event_case()) {
    case v1::TenderEvent::kTenderAmended:
      RETURN_IF_ERROR(DecideAmendment(state, decided.tender_amended()));
      break;
    case v1::TenderEvent::kDocumentObtained:
      RETURN_IF_ERROR(DecideDocument(state, occurred_at, decided.mutable_document_obtained()));
      break;
    case v1::TenderEvent::kNoBidDecided:
      RETURN_IF_ERROR(DecideNoBid(state, occurred_at, decided.no_bid_decided(), config));
      break;
    case v1::TenderEvent::kBidSubmitted:
      RETURN_IF_ERROR(DecideBid(state, occurred_at, config, decided.mutable_bid_submitted()));
      break;
    case v1::TenderEvent::kBidWithdrawn:
      RETURN_IF_ERROR(DecideBidLeaving(state, decided.mutable_bid_withdrawn(), "withdraw"));
      break;
    case v1::TenderEvent::kBidDisqualified:
      RETURN_IF_ERROR(DecideBidLeaving(state, decided.mutable_bid_disqualified(), "disqualify"));
      break;
    case v1::TenderEvent::kAwardAnnounced:
      RETURN_IF_ERROR(DecideAward(state, occurred_at, decided.mutable_award_announced()));
      break;
    case v1::TenderEvent::kAwardCancelled:
      RETURN_IF_ERROR(DecideAwardCancellation(state, decided.award_cancelled()));
      break;
    case v1::TenderEvent::kTenderCancelled:
      RETURN_IF_ERROR(DecideEnding(state, decided.tender_cancelled().lot_ids(),
                                   decided.tender_cancelled().reason()));
      break;
    case v1::TenderEvent::kTenderUnsuccessful:
      RETURN_IF_ERROR(DecideEnding(state, decided.tender_unsuccessful().lot_ids(),
                                   decided.tender_unsuccessful().reason()));
      break;
    case v1::TenderEvent::kActivityLogged:
      RETURN_IF_ERROR(DecideActivity(decided.activity_logged()));
      break;
    case v1::TenderEvent::kTenderTracked:
      RETURN_IF_ERROR(CheckLength(decided.tender_tracked().reason(), "reason", kMaxTextBytes));
      if (state.tracked) {
        return Refused(StrCat("tender ", tender_id, " is tracked already"));
      }
      break;
    case v1::TenderEvent::kTenderHandedOver: {
      const v1::TenderHandedOver& handover = decided.tender_handed_over();
      if (IsBlank(handover.reason())) return Invalid("reason: required; say why it is handed over");
      RETURN_IF_ERROR(CheckLength(handover.reason(), "reason", kMaxTextBytes));
      RETURN_IF_ERROR(CheckOptionalName(handover.territory(), "territory", kMaxIdBytes));
      RETURN_IF_ERROR(CheckOptionalName(handover.owner_team(), "owner_team", kMaxIdBytes));
      const bool moves =
          (!handover.territory().empty() && handover.territory() != state.details.territory()) ||
          (!handover.owner_team().empty() && handover.owner_team() != state.details.owner_team());
      if (!moves) {
        return Refused(StrCat("tender ", tender_id, " is in territory ", state.details.territory(),
                              ", team ", state.details.owner_team(),
                              " already; name another territory or team"));
      }
      break;
    }
    case v1::TenderEvent::kTenderDiscovered:
    case v1::TenderEvent::kRecordedLate:
    case v1::TenderEvent::kEntryVoided:
    case v1::TenderEvent::EVENT_NOT_SET:
      break;  // handled above
  }
  ASSIGN_OR_RETURN(std::optional<v1::TenderEvent> explanation,
                   ExplainLateness(state, decided, occurred_at, now, config, late));
  std::vector<v1::TenderEvent> events = {std::move(decided)};
  if (explanation) events.push_back(std::move(*explanation));
  return events;
}

absl::Status ValidateQuota(const v1::QuotaSet& quota) {
  if (quota.team().empty() == quota.representative().empty()) {
    return absl::InvalidArgumentError(
        "team, representative: name one of them (a team's quota or a representative's)");
  }
  RETURN_IF_ERROR(CheckOptionalName(quota.team(), "team", kMaxIdBytes));
  RETURN_IF_ERROR(CheckOptionalName(quota.representative(), "representative", kMaxIdBytes));
  const std::string& quarter = quota.quarter();
  int year = 0;
  if (quarter.size() != 7 || quarter[4] != '-' || quarter[5] != 'Q' || quarter[6] < '1' ||
      quarter[6] > '4' || !absl::SimpleAtoi(quarter.substr(0, 4), &year) || year < 1900 ||
      year >= 2200) {
    return absl::InvalidArgumentError(
        StrCat("quarter: \"", Prefix(quarter), "\" is not a quarter; write it as 2026-Q4"));
  }
  if (!quota.has_amount()) return absl::InvalidArgumentError("amount: required");
  return ValidateMoney(quota.amount(), "amount", false);
}

}  // namespace bidtrail::tender
