#include "bidtrail/api/views.h"

#include <string>

#include "bidtrail/common/proto_time.h"
#include "bidtrail/readmodel/tender_record.h"

namespace bidtrail::api {

v1::TenderView TenderViewOf(const storage::v1::TenderRecord& record,
                            std::string_view own_party_id) {
  v1::TenderView view;
  if (!record.has_details()) return view;
  *view.mutable_details() = record.details();
  view.set_status(record.status());
  view.set_documents_obtained(record.documents_obtained());
  view.set_documents_exception(record.documents_exception());
  view.set_no_bid_decided(record.no_bid_decided());
  for (const storage::v1::LotRecord& lot : record.lots()) {
    v1::LotView* out = view.add_lots();
    out->set_lot_id(lot.lot_id());
    out->set_title(lot.title());
    if (lot.has_value()) *out->mutable_value() = lot.value();
    out->set_status(lot.status());
    for (const storage::v1::BidRecord& bid : lot.bids()) {
      v1::BidView* bid_view = out->add_bids();
      *bid_view->mutable_bid() = bid.bid();
      bid_view->set_status(bid.status());
      bid_view->set_ours(!own_party_id.empty() && bid.bid().bidder().id() == own_party_id);
    }
    for (const storage::v1::AwardRecord& award : lot.awards()) {
      v1::AwardView* award_view = out->add_awards();
      *award_view->mutable_award() = award.award();
      award_view->set_cancelled(award.cancelled());
      award_view->set_cancel_reason(award.cancel_reason());
    }
  }
  view.set_amendment_count(record.amendment_count());
  view.set_activity_count(record.activity_count());
  if (record.has_last_event_at()) *view.mutable_last_event_at() = record.last_event_at();
  return view;
}

v1::TenderView TenderViewOf(const tender::TenderState& state, std::string_view own_party_id) {
  storage::v1::TenderRecord lent;
  readmodel::LendRecord(state, 0, &lent);
  v1::TenderView view = TenderViewOf(lent, own_party_id);
  readmodel::GiveBack(&lent);
  return view;
}

v1::DeadlineItem DeadlineItemOf(const storage::v1::DeadlineRecord& stored,
                                const readmodel::DeadlineMark& mark) {
  v1::DeadlineItem item;
  item.set_tender_id(stored.tender_id());
  item.set_title(stored.title());
  *item.mutable_buyer() = stored.buyer();
  item.set_territory(stored.territory());
  item.set_owner_team(stored.owner_team());
  item.set_kind(std::string(
      readmodel::DeadlineKindName(static_cast<readmodel::DeadlineKind>(stored.kind()))));
  *item.mutable_due() = stored.due();
  item.set_done(stored.done());
  item.set_at_risk(mark.at_risk);
  item.set_overdue(mark.overdue);
  item.set_time_zone(stored.time_zone());
  return item;
}

v1::StaleTender StaleTenderOf(const storage::v1::StaleRecord& stored, absl::Time as_of) {
  v1::StaleTender stale;
  stale.set_tender_id(stored.tender_id());
  stale.set_title(stored.title());
  stale.set_territory(stored.territory());
  stale.set_owner_team(stored.owner_team());
  *stale.mutable_buyer() = stored.buyer();
  *stale.mutable_last_event_at() = stored.last_event_at();
  ToProtoDuration(as_of - FromProtoTime(stored.last_event_at()), stale.mutable_idle());
  stale.set_time_zone(stored.time_zone());
  return stale;
}

v1::PhaseDuration PhaseDurationOf(const readmodel::PhaseSpan& span) {
  v1::PhaseDuration duration;
  duration.set_from_phase(std::string(readmodel::PhaseName(span.from)));
  duration.set_to_phase(std::string(readmodel::PhaseName(span.to)));
  ToProtoDuration(span.duration, duration.mutable_duration());
  return duration;
}

v1::DeadlineOutcome DeadlineOutcomeOf(const readmodel::DeadlineOutcome& outcome) {
  v1::DeadlineOutcome out;
  out.set_deadline(std::string(readmodel::DeadlineKindName(outcome.kind)));
  ToProtoTime(outcome.due, out.mutable_due());
  if (outcome.done_at) ToProtoTime(*outcome.done_at, out.mutable_done_at());
  out.set_met(outcome.met);
  out.set_open(outcome.open);
  ToProtoDuration(outcome.margin, out.mutable_margin());
  out.set_approved_late_by(outcome.approved_late_by);
  return out;
}

v1::ActorRecord ActorRecordOf(const readmodel::ActorEntry& entry) {
  v1::ActorRecord record;
  record.set_stream_id(entry.stream_id);
  record.set_position(entry.position);
  record.set_type(entry.type);
  ToProtoTime(entry.occurred_at, record.mutable_occurred_at());
  ToProtoTime(entry.recorded_at, record.mutable_recorded_at());
  return record;
}

}  // namespace bidtrail::api
