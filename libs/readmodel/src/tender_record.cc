#include "bidtrail/readmodel/tender_record.h"

#include "bidtrail/common/proto_time.h"

namespace bidtrail::readmodel {
namespace {

// The record's message fields are pointed at the state's messages with
// protobuf's unsafe_arena_set_allocated_*, which on the heap just sets the
// pointer (and would delete it with the record), and taken back with
// unsafe_arena_release_*, which just clears it: no copy, no allocation. The
// record never changes what it points at; the const_cast is only because
// protobuf's setters take non-const pointers.
template <typename Message>
Message* Borrow(const Message& message) {
  return const_cast<Message*>(&message);
}

}  // namespace

void LendRecord(const tender::TenderState& state, uint64_t revision,
                storage::v1::TenderRecord* record) {
  record->Clear();  // keeps the lot, bid and award entries for reuse
  record->set_revision(revision);
  if (!state.exists) return;
  record->unsafe_arena_set_allocated_details(Borrow(state.details));
  record->set_status(state.status);
  record->set_documents_obtained(state.documents_obtained);
  record->set_documents_exception(state.documents_exception);
  record->set_no_bid_decided(state.no_bid_decided);
  for (const tender::LotState& lot : state.lots) {
    storage::v1::LotRecord* out = record->add_lots();
    out->set_lot_id(lot.id);
    out->set_title(lot.title);
    if (lot.value.ByteSizeLong() > 0) out->unsafe_arena_set_allocated_value(Borrow(lot.value));
    out->set_status(lot.status);
    for (const tender::BidRecord& bid : lot.bids) {
      storage::v1::BidRecord* bid_record = out->add_bids();
      bid_record->unsafe_arena_set_allocated_bid(Borrow(bid.bid));
      bid_record->set_status(bid.status);
    }
    for (const tender::AwardRecord& award : lot.awards) {
      storage::v1::AwardRecord* award_record = out->add_awards();
      award_record->unsafe_arena_set_allocated_award(Borrow(award.award));
      award_record->set_cancelled(award.cancelled);
      award_record->set_cancel_reason(award.cancel_reason);
    }
  }
  record->set_amendment_count(state.amendment_count);
  record->set_activity_count(state.activity_count);
  record->set_tracked(state.tracked);
  if (state.last_event_at != absl::InfinitePast()) {
    ToProtoTime(state.last_event_at, record->mutable_last_event_at());
  }
  if (state.documents_obtained_at != absl::InfinitePast()) {
    ToProtoTime(state.documents_obtained_at, record->mutable_documents_obtained_at());
  }
}

void GiveBack(storage::v1::TenderRecord* record) {
  if (record->has_details()) (void)record->unsafe_arena_release_details();
  for (storage::v1::LotRecord& lot : *record->mutable_lots()) {
    if (lot.has_value()) (void)lot.unsafe_arena_release_value();
    for (storage::v1::BidRecord& bid : *lot.mutable_bids()) (void)bid.unsafe_arena_release_bid();
    for (storage::v1::AwardRecord& award : *lot.mutable_awards()) {
      (void)award.unsafe_arena_release_award();
    }
  }
}

storage::v1::TenderRecord RecordOf(const tender::TenderState& state, uint64_t revision) {
  storage::v1::TenderRecord lent;
  LendRecord(state, revision, &lent);
  storage::v1::TenderRecord copy = lent;
  GiveBack(&lent);
  return copy;
}

tender::TenderState StateOf(const storage::v1::TenderRecord& record) {
  tender::TenderState state;
  if (!record.has_details()) return state;
  state.exists = true;
  state.details = record.details();
  state.status = record.status();
  state.documents_obtained = record.documents_obtained();
  state.documents_exception = record.documents_exception();
  state.no_bid_decided = record.no_bid_decided();
  for (const storage::v1::LotRecord& lot_record : record.lots()) {
    tender::LotState lot;
    lot.id = lot_record.lot_id();
    lot.title = lot_record.title();
    lot.value = lot_record.value();
    lot.status = lot_record.status();
    for (const storage::v1::BidRecord& bid : lot_record.bids()) {
      lot.bids.push_back({bid.bid(), bid.status()});
    }
    for (const storage::v1::AwardRecord& award : lot_record.awards()) {
      lot.awards.push_back({award.award(), award.cancelled(), award.cancel_reason()});
    }
    state.lots.push_back(std::move(lot));
  }
  state.amendment_count = record.amendment_count();
  state.activity_count = record.activity_count();
  state.tracked = record.tracked();
  if (record.has_last_event_at()) state.last_event_at = FromProtoTime(record.last_event_at());
  if (record.has_documents_obtained_at()) {
    state.documents_obtained_at = FromProtoTime(record.documents_obtained_at());
  }
  return state;
}

}  // namespace bidtrail::readmodel
