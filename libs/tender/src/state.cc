#include "bidtrail/tender/state.h"

#include <algorithm>
#include <vector>

#include "bidtrail/tender/codec.h"
#include "google/protobuf/descriptor.h"

namespace bidtrail::tender {
namespace {

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
      if (document.kind() == v1::DOCUMENT_KIND_TENDER_DOCUMENTS) {
        if (!state->documents_obtained || occurred_at < state->documents_obtained_at) {
          state->documents_obtained_at = occurred_at;
        }
        state->documents_obtained = true;
      }
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
    case v1::TenderEvent::kRecordedLate:
      return;  // explains the fact before it; changes nothing
    case v1::TenderEvent::kTenderTracked:
      state->tracked = true;
      return;
    case v1::TenderEvent::kTenderHandedOver: {
      const v1::TenderHandedOver& handover = event.tender_handed_over();
      if (!handover.territory().empty()) state->details.set_territory(handover.territory());
      if (!handover.owner_team().empty()) state->details.set_owner_team(handover.owner_team());
      return;
    }
    case v1::TenderEvent::kEntryVoided:
      // Folds leave the voided event out (FoldStream); applied one by one,
      // the caller folds the stream again (the projection runner does).
      return;
    case v1::TenderEvent::EVENT_NOT_SET:
      return;
  }
}

}  // namespace

void Apply(const v1::TenderEvent& event, TenderState* state) { ApplyEvent(event, nullptr, state); }

void Apply(v1::TenderEvent&& event, TenderState* state) { ApplyEvent(event, &event, state); }

std::vector<bool> VoidedOf(const std::vector<const v1::TenderEvent*>& events,
                           const std::vector<uint64_t>& revisions) {
  std::vector<bool> voided(events.size(), false);
  for (size_t j = 0; j < events.size(); ++j) {
    if (events[j] == nullptr || !events[j]->has_entry_voided()) continue;
    const uint64_t target = events[j]->entry_voided().revision();
    // Revisions grow along the stream: the target is before the voiding.
    const auto at = std::lower_bound(revisions.begin(), revisions.begin() + j, target);
    if (at == revisions.begin() + j || *at != target) continue;
    const size_t i = static_cast<size_t>(at - revisions.begin());
    voided[i] = true;
    // The explanation of a late recording goes with its fact.
    if (i + 1 < j && revisions[i + 1] == target + 1 && events[i + 1] != nullptr &&
        events[i + 1]->has_recorded_late()) {
      voided[i + 1] = true;
    }
  }
  return voided;
}

TenderState FoldStream(const std::vector<v1::TenderEvent>& events,
                       const std::vector<uint64_t>& revisions) {
  std::vector<const v1::TenderEvent*> pointers;
  pointers.reserve(events.size());
  for (const v1::TenderEvent& event : events) pointers.push_back(&event);
  const std::vector<bool> voided = VoidedOf(pointers, revisions);
  TenderState state;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!voided[i]) Apply(events[i], &state);
  }
  return state;
}

TenderState Fold(const std::vector<v1::TenderEvent>& events) {
  std::vector<uint64_t> revisions(events.size());
  for (size_t i = 0; i < events.size(); ++i) revisions[i] = i;
  return FoldStream(events, revisions);
}

void MergeKeyDates(const v1::KeyDates& change, v1::KeyDates* dates) {
  // The fields `change` sets are cleared first, so that merging copies each
  // of them whole.
  std::vector<const google::protobuf::FieldDescriptor*> set;
  change.GetReflection()->ListFields(change, &set);
  for (const google::protobuf::FieldDescriptor* field : set) {
    dates->GetReflection()->ClearField(dates, field);
  }
  dates->MergeFrom(change);
}

}  // namespace bidtrail::tender
