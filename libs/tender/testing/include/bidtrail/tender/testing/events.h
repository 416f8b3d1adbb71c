// Builders of tender events for tests (target bidtrail::tender_testing).
// Test-only; header-only.
#ifndef BIDTRAIL_TENDER_TESTING_EVENTS_H_
#define BIDTRAIL_TENDER_TESTING_EVENTS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/v1/tender_events.pb.h"

namespace bidtrail::tender::testing {

// 2026-03-01T00:00:00Z; key dates and events are placed relative to it.
inline absl::Time T0() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 1), absl::UTCTimeZone());
}
inline absl::Time Day(double days) { return T0() + absl::Hours(24 * days); }

inline constexpr char kTender[] = "T-1";
inline constexpr char kUs[] = "us";

inline v1::Money Money(const std::string& amount, const std::string& currency = "CNY") {
  v1::Money money;
  money.set_amount(amount);
  money.set_currency(currency);
  return money;
}

inline v1::Party Party(const std::string& id) {
  v1::Party party;
  party.set_id(id);
  party.set_name("Name of " + id);
  return party;
}

// Documents until day 10, submission deadline day 20, opening day 20 + 2h.
inline v1::TenderEvent Discovered(const std::vector<std::string>& lot_ids = {},
                                  v1::ProcurementMethod method = v1::PROCUREMENT_METHOD_OPEN) {
  v1::TenderEvent event;
  v1::TenderDiscovered* tender = event.mutable_tender_discovered();
  tender->set_tender_id(kTender);
  tender->set_title("Substation monitoring software");
  *tender->mutable_buyer() = Party("BUYER-1");
  tender->set_territory("north");
  tender->set_category("software");
  tender->set_procurement_method(method);
  *tender->mutable_estimated_value() = Money("1000000.00");
  for (const std::string& id : lot_ids) {
    v1::Lot* lot = tender->add_lots();
    lot->set_id(id);
    lot->set_title("Lot " + id);
    *lot->mutable_value() = Money("500000.00");
  }
  ToProtoTime(Day(10), tender->mutable_key_dates()->mutable_documents_available_until());
  ToProtoTime(Day(20), tender->mutable_key_dates()->mutable_submission_deadline());
  ToProtoTime(Day(20) + absl::Hours(2), tender->mutable_key_dates()->mutable_bid_opening_at());
  tender->set_discovery_channel(v1::DISCOVERY_CHANNEL_PORTAL);
  tender->set_owner_team("team-north");
  ToProtoTime(T0(), tender->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent Document(absl::Time at, const std::string& approver = "") {
  v1::TenderEvent event;
  v1::DocumentObtained* document = event.mutable_document_obtained();
  document->set_tender_id(kTender);
  document->set_kind(v1::DOCUMENT_KIND_TENDER_DOCUMENTS);
  document->set_obtained_by("alice");
  document->set_exception_approver(approver);
  ToProtoTime(at, document->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent NoBid(absl::Time at) {
  v1::TenderEvent event;
  event.mutable_no_bid_decided()->set_tender_id(kTender);
  event.mutable_no_bid_decided()->set_reason("no product fit");
  ToProtoTime(at, event.mutable_no_bid_decided()->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent Bid(const std::string& bidder, const std::string& amount, absl::Time at,
                           const std::string& lot = "") {
  v1::TenderEvent event;
  v1::BidSubmitted* bid = event.mutable_bid_submitted();
  bid->set_tender_id(kTender);
  *bid->mutable_bidder() = Party(bidder);
  bid->set_lot_id(lot);
  *bid->mutable_amount() = Money(amount);
  ToProtoTime(at, bid->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent Withdrawn(const std::string& bidder, absl::Time at,
                                 const std::string& lot = "") {
  v1::TenderEvent event;
  v1::BidWithdrawn* withdrawn = event.mutable_bid_withdrawn();
  withdrawn->set_tender_id(kTender);
  withdrawn->set_bidder_id(bidder);
  withdrawn->set_lot_id(lot);
  withdrawn->set_reason("price too low to deliver");
  ToProtoTime(at, withdrawn->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent Disqualified(const std::string& bidder, absl::Time at,
                                    const std::string& lot = "") {
  v1::TenderEvent event;
  v1::BidDisqualified* disqualified = event.mutable_bid_disqualified();
  disqualified->set_tender_id(kTender);
  disqualified->set_bidder_id(bidder);
  disqualified->set_lot_id(lot);
  disqualified->set_reason("missing bank guarantee");
  ToProtoTime(at, disqualified->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent Award(const std::string& award_id, const std::string& supplier,
                             const std::string& amount, absl::Time at,
                             const std::string& lot = "") {
  v1::TenderEvent event;
  v1::AwardAnnounced* award = event.mutable_award_announced();
  award->set_tender_id(kTender);
  award->set_award_id(award_id);
  award->set_lot_id(lot);
  *award->add_suppliers() = Party(supplier);
  *award->mutable_amount() = Money(amount);
  ToProtoTime(at, award->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent AwardCancelled(const std::string& award_id, absl::Time at) {
  v1::TenderEvent event;
  event.mutable_award_cancelled()->set_tender_id(kTender);
  event.mutable_award_cancelled()->set_award_id(award_id);
  event.mutable_award_cancelled()->set_reason("complaint upheld");
  ToProtoTime(at, event.mutable_award_cancelled()->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent Cancelled(absl::Time at, const std::vector<std::string>& lots = {}) {
  v1::TenderEvent event;
  event.mutable_tender_cancelled()->set_tender_id(kTender);
  for (const std::string& lot : lots) event.mutable_tender_cancelled()->add_lot_ids(lot);
  event.mutable_tender_cancelled()->set_reason("budget withdrawn");
  ToProtoTime(at, event.mutable_tender_cancelled()->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent Unsuccessful(absl::Time at, const std::vector<std::string>& lots = {}) {
  v1::TenderEvent event;
  event.mutable_tender_unsuccessful()->set_tender_id(kTender);
  for (const std::string& lot : lots) event.mutable_tender_unsuccessful()->add_lot_ids(lot);
  event.mutable_tender_unsuccessful()->set_reason("no valid bids");
  ToProtoTime(at, event.mutable_tender_unsuccessful()->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent Activity(absl::Time at, v1::BuyingRole role = v1::BUYING_ROLE_EXECUTIVE) {
  v1::TenderEvent event;
  v1::ActivityLogged* activity = event.mutable_activity_logged();
  activity->set_tender_id(kTender);
  activity->set_kind(v1::ACTIVITY_KIND_VISIT);
  activity->set_contact_name("Director Wang");
  activity->set_role(role);
  ToProtoTime(at, activity->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent Amended(absl::Time at) {
  v1::TenderEvent event;
  event.mutable_tender_amended()->set_tender_id(kTender);
  event.mutable_tender_amended()->set_reason("buyer extended the deadline");
  ToProtoTime(at, event.mutable_tender_amended()->mutable_occurred_at());
  return event;
}

// A voiding of the entry at `position` (tender::PrepareVoid fills in its
// revision and type; tests of Fold set `revision` themselves).
inline v1::TenderEvent Voided(uint64_t position, absl::Time at, uint64_t revision = 0,
                              const std::string& type = "") {
  v1::TenderEvent event;
  v1::EntryVoided* voiding = event.mutable_entry_voided();
  voiding->set_tender_id(kTender);
  voiding->set_position(position);
  voiding->set_revision(revision);
  voiding->set_voided_type(type);
  voiding->set_reason("typed into the wrong tender");
  ToProtoTime(at, voiding->mutable_occurred_at());
  return event;
}

// The discovery as the OCDS import records it: channel IMPORT.
inline v1::TenderEvent Imported() {
  v1::TenderEvent event = Discovered();
  event.mutable_tender_discovered()->set_discovery_channel(v1::DISCOVERY_CHANNEL_IMPORT);
  return event;
}

inline v1::TenderEvent Tracked(absl::Time at) {
  v1::TenderEvent event;
  event.mutable_tender_tracked()->set_tender_id(kTender);
  event.mutable_tender_tracked()->set_reason("the buyer is in our territory");
  ToProtoTime(at, event.mutable_tender_tracked()->mutable_occurred_at());
  return event;
}

inline v1::TenderEvent HandedOver(const std::string& territory, absl::Time at) {
  v1::TenderEvent event;
  event.mutable_tender_handed_over()->set_tender_id(kTender);
  event.mutable_tender_handed_over()->set_territory(territory);
  event.mutable_tender_handed_over()->set_reason("the south team takes it over");
  ToProtoTime(at, event.mutable_tender_handed_over()->mutable_occurred_at());
  return event;
}

// The same event for another tender.
inline v1::TenderEvent ForTender(const std::string& tender_id, v1::TenderEvent event) {
  const auto* oneof = v1::TenderEvent::descriptor()->oneof_decl(0);
  const auto* field = event.GetReflection()->GetOneofFieldDescriptor(event, oneof);
  auto* held = event.GetReflection()->MutableMessage(&event, field);
  held->GetReflection()->SetString(held, held->GetDescriptor()->FindFieldByName("tender_id"),
                                   tender_id);
  return event;
}

}  // namespace bidtrail::tender::testing

#endif  // BIDTRAIL_TENDER_TESTING_EVENTS_H_
