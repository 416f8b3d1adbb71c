#include "bidtrail/tender/state.h"

#include <algorithm>

#include "bidtrail/common/proto_time.h"
#include "bidtrail/tender/codec.h"

namespace bidtrail::tender {
namespace {

void MergeKeyDates(const v1::KeyDates& change, v1::KeyDates* dates) {
  if (change.has_documents_available_until()) {
    *dates->mutable_documents_available_until() = change.documents_available_until();
  }
  if (change.has_enquiry_deadline()) *dates->mutable_enquiry_deadline() = change.enquiry_deadline();
  if (change.has_submission_deadline()) {
    *dates->mutable_submission_deadline() = change.submission_deadline();
  }
  if (change.has_bid_opening_at()) *dates->mutable_bid_opening_at() = change.bid_opening_at();
  if (change.has_award_expected_by()) {
    *dates->mutable_award_expected_by() = change.award_expected_by();
  }
}

LotState NewLot(const v1::Lot& lot) {
  LotState state;
  state.id = lot.id();
  state.title = lot.title();
  state.value = lot.value();
  return state;
}

// Lots named by a cancellation (all when none are named) become `status`;
// when no competition is left open, the whole tender does.
void EndLots(const google::protobuf::RepeatedPtrField<std::string>& lot_ids,
             v1::LotStatus lot_status, v1::TenderStatus tender_status, TenderState* state) {
  for (LotState& lot : state->lots) {
    const bool named =
        lot_ids.empty() || std::find(lot_ids.begin(), lot_ids.end(), lot.id) != lot_ids.end();
    if (named && !lot.Void()) lot.status = lot_status;
  }
  const bool all_void = std::all_of(state->lots.begin(), state->lots.end(),
                                    [](const LotState& lot) { return lot.Void(); });
  if (lot_ids.empty() || all_void) state->status = tender_status;
}

void ApplyAmendment(const v1::TenderAmended& amended, TenderState* state) {
  MergeKeyDates(amended.key_dates(), state->details.mutable_key_dates());
  if (amended.has_estimated_value()) {
    *state->details.mutable_estimated_value() = amended.estimated_value();
  }
  if (amended.has_lots()) {
    std::vector<LotState> lots;
    for (const v1::Lot& lot : amended.lots().lots()) {
      LotState next = NewLot(lot);
      if (const LotState* kept = state->FindLot(lot.id()); kept != nullptr) {
        next.status = kept->status;
        next.bids = kept->bids;
        next.awards = kept->awards;
      }
      lots.push_back(std::move(next));
    }
    if (lots.empty()) lots.push_back(LotState());
    *state->details.mutable_lots() = amended.lots().lots();
    state->lots = std::move(lots);
  }
  ++state->amendment_count;
}

}  // namespace

const AwardRecord* LotState::AwardInForce() const {
  for (const AwardRecord& award : awards) {
    if (!award.cancelled) return &award;
  }
  return nullptr;
}

const BidRecord* LotState::ValidBid(const std::string& bidder_id) const {
  for (const BidRecord& bid : bids) {
    if (bid.status == v1::BID_STATUS_VALID && bid.bid.bidder().id() == bidder_id) return &bid;
  }
  return nullptr;
}

BidRecord* LotState::MutableValidBid(const std::string& bidder_id) {
  return const_cast<BidRecord*>(static_cast<const LotState*>(this)->ValidBid(bidder_id));
}

const LotState* TenderState::FindLot(const std::string& lot_id) const {
  for (const LotState& lot : lots) {
    if (lot.id == lot_id) return &lot;
  }
  return nullptr;
}

LotState* TenderState::MutableLot(const std::string& lot_id) {
  return const_cast<LotState*>(static_cast<const TenderState*>(this)->FindLot(lot_id));
}

const LotState* TenderState::LotOfAward(const std::string& award_id) const {
  for (const LotState& lot : lots) {
    for (const AwardRecord& award : lot.awards) {
      if (award.award.award_id() == award_id) return &lot;
    }
  }
  return nullptr;
}

namespace {

// Applies `event`; when `movable` is not null it is `event`, and what the state
// keeps of it is moved rather than copied.
void ApplyEvent(const v1::TenderEvent& event, v1::TenderEvent* movable, TenderState* state) {
  const absl::Time occurred_at = OccurredAtOf(event);
  if (occurred_at != absl::InfinitePast()) {
    state->last_event_at = std::max(state->last_event_at, occurred_at);
  }
  switch (event.event_case()) {
    case v1::TenderEvent::kTenderDiscovered: {
      if (state->exists) return;  // a second discovery changes nothing
      state->exists = true;
      if (movable != nullptr) {
        state->details = std::move(*movable->mutable_tender_discovered());
      } else {
        state->details = event.tender_discovered();
      }
      state->status = v1::TENDER_STATUS_OPEN;
      state->lots.clear();
      for (const v1::Lot& lot : state->details.lots()) state->lots.push_back(NewLot(lot));
      if (state->lots.empty()) state->lots.push_back(LotState());
      return;
    }
    case v1::TenderEvent::kTenderAmended:
      ApplyAmendment(event.tender_amended(), state);
      return;
    case v1::TenderEvent::kDocumentObtained: {
      const v1::DocumentObtained& document = event.document_obtained();
      if (document.kind() == v1::DOCUMENT_KIND_TENDER_DOCUMENTS) state->documents_obtained = true;
      if (document.exception()) state->documents_exception = true;
      return;
    }
    case v1::TenderEvent::kNoBidDecided:
      state->no_bid_decided = true;
      return;
    case v1::TenderEvent::kBidSubmitted: {
      const v1::BidSubmitted& bid = event.bid_submitted();
      if (LotState* lot = state->MutableLot(bid.lot_id()); lot != nullptr) {
        lot->bids.push_back(
            BidRecord{movable != nullptr ? std::move(*movable->mutable_bid_submitted()) : bid,
                      v1::BID_STATUS_VALID});
      }
      return;
    }
    case v1::TenderEvent::kBidWithdrawn:
    case v1::TenderEvent::kBidDisqualified: {
      const bool withdrawn = event.has_bid_withdrawn();
      const std::string& lot_id =
          withdrawn ? event.bid_withdrawn().lot_id() : event.bid_disqualified().lot_id();
      const std::string& bidder_id =
          withdrawn ? event.bid_withdrawn().bidder_id() : event.bid_disqualified().bidder_id();
      if (LotState* lot = state->MutableLot(lot_id); lot != nullptr) {
        if (BidRecord* bid = lot->MutableValidBid(bidder_id); bid != nullptr) {
          bid->status = withdrawn ? v1::BID_STATUS_WITHDRAWN : v1::BID_STATUS_DISQUALIFIED;
        }
      }
      return;
    }
    case v1::TenderEvent::kAwardAnnounced: {
      const v1::AwardAnnounced& award = event.award_announced();
      if (LotState* lot = state->MutableLot(award.lot_id()); lot != nullptr) {
        if (!lot->Void()) lot->status = v1::LOT_STATUS_AWARDED;
        lot->awards.push_back(
            AwardRecord{movable != nullptr ? std::move(*movable->mutable_award_announced()) : award,
                        false, ""});
      }
      return;
    }
    case v1::TenderEvent::kAwardCancelled: {
      const v1::AwardCancelled& cancelled = event.award_cancelled();
      for (LotState& lot : state->lots) {
        for (AwardRecord& award : lot.awards) {
          if (award.award.award_id() == cancelled.award_id() && !award.cancelled) {
            award.cancelled = true;
            award.cancel_reason = cancelled.reason();
          }
        }
        if (lot.status == v1::LOT_STATUS_AWARDED && lot.AwardInForce() == nullptr) {
          lot.status = v1::LOT_STATUS_OPEN;
        }
      }
      return;
    }
    case v1::TenderEvent::kTenderCancelled:
      EndLots(event.tender_cancelled().lot_ids(), v1::LOT_STATUS_CANCELLED,
              v1::TENDER_STATUS_CANCELLED, state);
      return;
    case v1::TenderEvent::kTenderUnsuccessful:
      EndLots(event.tender_unsuccessful().lot_ids(), v1::LOT_STATUS_UNSUCCESSFUL,
              v1::TENDER_STATUS_UNSUCCESSFUL, state);
      return;
    case v1::TenderEvent::kActivityLogged:
      ++state->activity_count;
      return;
    case v1::TenderEvent::EVENT_NOT_SET:
      return;
  }
}

}  // namespace

void Apply(const v1::TenderEvent& event, TenderState* state) { ApplyEvent(event, nullptr, state); }

void Apply(v1::TenderEvent&& event, TenderState* state) { ApplyEvent(event, &event, state); }

TenderState Fold(const std::vector<v1::TenderEvent>& events) {
  TenderState state;
  for (const v1::TenderEvent& event : events) Apply(event, &state);
  return state;
}

v1::TenderView ToView(const TenderState& state, const std::string& own_party_id) {
  v1::TenderView view;
  if (!state.exists) return view;
  *view.mutable_details() = state.details;
  view.set_status(state.status);
  view.set_documents_obtained(state.documents_obtained);
  view.set_documents_exception(state.documents_exception);
  view.set_no_bid_decided(state.no_bid_decided);
  for (const LotState& lot : state.lots) {
    v1::LotView* out = view.add_lots();
    out->set_lot_id(lot.id);
    out->set_title(lot.title);
    if (lot.value.ByteSizeLong() > 0) *out->mutable_value() = lot.value;
    out->set_status(lot.status);
    for (const BidRecord& bid : lot.bids) {
      v1::BidView* bid_view = out->add_bids();
      *bid_view->mutable_bid() = bid.bid;
      bid_view->set_status(bid.status);
      bid_view->set_ours(!own_party_id.empty() && bid.bid.bidder().id() == own_party_id);
    }
    for (const AwardRecord& award : lot.awards) {
      v1::AwardView* award_view = out->add_awards();
      *award_view->mutable_award() = award.award;
      award_view->set_cancelled(award.cancelled);
      award_view->set_cancel_reason(award.cancel_reason);
    }
  }
  view.set_amendment_count(state.amendment_count);
  view.set_activity_count(state.activity_count);
  if (state.last_event_at != absl::InfinitePast()) {
    ToProtoTime(state.last_event_at, view.mutable_last_event_at());
  }
  return view;
}

// The view's message fields are pointed at the state's messages with
// protobuf's unsafe_arena_set_allocated_*, which on the heap just sets the
// pointer (and would delete it with the view), and taken back with
// unsafe_arena_release_*, which just clears it: no copy, no allocation.
void LendView(TenderState* state, const std::string& own_party_id, v1::TenderView* view) {
  view->Clear();  // keeps the lot, bid and award entries for reuse
  if (!state->exists) return;
  view->unsafe_arena_set_allocated_details(&state->details);
  view->set_status(state->status);
  view->set_documents_obtained(state->documents_obtained);
  view->set_documents_exception(state->documents_exception);
  view->set_no_bid_decided(state->no_bid_decided);
  for (LotState& lot : state->lots) {
    v1::LotView* out = view->add_lots();
    out->set_lot_id(lot.id);
    out->set_title(lot.title);
    if (lot.value.ByteSizeLong() > 0) out->unsafe_arena_set_allocated_value(&lot.value);
    out->set_status(lot.status);
    for (BidRecord& bid : lot.bids) {
      v1::BidView* bid_view = out->add_bids();
      bid_view->unsafe_arena_set_allocated_bid(&bid.bid);
      bid_view->set_status(bid.status);
      bid_view->set_ours(!own_party_id.empty() && bid.bid.bidder().id() == own_party_id);
    }
    for (AwardRecord& award : lot.awards) {
      v1::AwardView* award_view = out->add_awards();
      award_view->unsafe_arena_set_allocated_award(&award.award);
      award_view->set_cancelled(award.cancelled);
      award_view->set_cancel_reason(award.cancel_reason);
    }
  }
  view->set_amendment_count(state->amendment_count);
  view->set_activity_count(state->activity_count);
  if (state->last_event_at != absl::InfinitePast()) {
    ToProtoTime(state->last_event_at, view->mutable_last_event_at());
  }
}

void GiveBack(v1::TenderView* view) {
  if (view->has_details()) (void)view->unsafe_arena_release_details();
  for (v1::LotView& lot : *view->mutable_lots()) {
    if (lot.has_value()) (void)lot.unsafe_arena_release_value();
    for (v1::BidView& bid : *lot.mutable_bids()) (void)bid.unsafe_arena_release_bid();
    for (v1::AwardView& award : *lot.mutable_awards()) (void)award.unsafe_arena_release_award();
  }
}

TenderState FromView(const v1::TenderView& view) {
  TenderState state;
  if (!view.has_details()) return state;
  state.exists = true;
  state.details = view.details();
  state.status = view.status();
  state.documents_obtained = view.documents_obtained();
  state.documents_exception = view.documents_exception();
  state.no_bid_decided = view.no_bid_decided();
  for (const v1::LotView& lot_view : view.lots()) {
    LotState lot;
    lot.id = lot_view.lot_id();
    lot.title = lot_view.title();
    lot.value = lot_view.value();
    lot.status = lot_view.status();
    for (const v1::BidView& bid : lot_view.bids()) lot.bids.push_back({bid.bid(), bid.status()});
    for (const v1::AwardView& award : lot_view.awards()) {
      lot.awards.push_back({award.award(), award.cancelled(), award.cancel_reason()});
    }
    state.lots.push_back(std::move(lot));
  }
  state.amendment_count = view.amendment_count();
  state.activity_count = view.activity_count();
  if (view.has_last_event_at()) state.last_event_at = FromProtoTime(view.last_event_at());
  return state;
}

}  // namespace bidtrail::tender
