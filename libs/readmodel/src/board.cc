#include "bidtrail/readmodel/board.h"

#include <algorithm>

#include "bidtrail/common/proto_time.h"
#include "bidtrail/readmodel/tender_list.h"

namespace bidtrail::readmodel {

std::string_view DeadlineKindName(DeadlineKind kind) {
  switch (kind) {
    case DeadlineKind::kDocumentsAvailableUntil:
      return "documents_available_until";
    case DeadlineKind::kSubmissionDeadline:
      return "submission_deadline";
    case DeadlineKind::kBidOpeningAt:
      return "bid_opening_at";
  }
  return "unknown";
}

bool Actionable(DeadlineKind kind) { return kind != DeadlineKind::kBidOpeningAt; }

bool InOurPipeline(const tender::TenderState& state, std::string_view own_party_id) {
  if (state.details.discovery_channel() != v1::DISCOVERY_CHANNEL_IMPORT || state.tracked ||
      state.documents_obtained || state.no_bid_decided || state.activity_count > 0) {
    return true;
  }
  for (const tender::LotState& lot : state.lots) {
    for (const tender::BidRecord& bid : lot.bids) {
      if (bid.bid.bidder().id() == own_party_id) return true;
    }
  }
  return false;
}

std::vector<TenderDeadline> BoardDeadlines(const tender::TenderState& state,
                                           std::string_view own_party_id) {
  std::vector<TenderDeadline> deadlines;
  // Off the board: ended, declined, not ours, or every competition decided
  // (awarded: its deadlines are history, never OVERDUE).
  if (!state.exists || state.status != v1::TENDER_STATUS_OPEN || state.no_bid_decided ||
      !InOurPipeline(state, own_party_id) || StatusWord(state) == "awarded") {
    return deadlines;
  }
  bool our_bid = false;
  for (const tender::LotState& lot : state.lots) {
    for (const tender::BidRecord& bid : lot.bids) {
      our_bid |= bid.bid.bidder().id() == own_party_id && bid.status != v1::BID_STATUS_WITHDRAWN;
    }
  }
  const v1::KeyDates& dates = state.details.key_dates();
  if (dates.has_documents_available_until()) {
    deadlines.push_back({DeadlineKind::kDocumentsAvailableUntil,
                         FromProtoTime(dates.documents_available_until()),
                         state.documents_obtained});
  }
  if (dates.has_submission_deadline()) {
    deadlines.push_back(
        {DeadlineKind::kSubmissionDeadline, FromProtoTime(dates.submission_deadline()), our_bid});
  }
  if (dates.has_bid_opening_at()) {
    deadlines.push_back(
        {DeadlineKind::kBidOpeningAt, FromProtoTime(dates.bid_opening_at()), false});
  }
  return deadlines;
}

bool Outstanding(const TenderDeadline& deadline) {
  return Actionable(deadline.kind) && !deadline.done;
}

std::optional<absl::Time> StaleClock(const tender::TenderState& state,
                                     std::string_view own_party_id) {
  if (!state.exists || state.status != v1::TENDER_STATUS_OPEN || state.no_bid_decided ||
      state.last_event_at == absl::InfinitePast() || !InOurPipeline(state, own_party_id)) {
    return std::nullopt;
  }
  const bool undecided =
      std::any_of(state.lots.begin(), state.lots.end(),
                  [](const tender::LotState& lot) { return lot.status == v1::LOT_STATUS_OPEN; });
  if (!undecided) return std::nullopt;
  return state.last_event_at;
}

DeadlineMark MarkDeadline(const TenderDeadline& deadline, absl::Time as_of,
                          const BoardWindows& windows) {
  DeadlineMark mark;
  const bool past = deadline.due < as_of;
  if (!Actionable(deadline.kind)) {
    mark.shown = !past;  // a past opening is no longer on the board
    return mark;
  }
  if (past && deadline.done) return mark;  // met, and past
  mark.shown = true;
  if (deadline.done) return mark;
  const absl::Duration window = deadline.kind == DeadlineKind::kDocumentsAvailableUntil
                                    ? windows.documents_risk
                                    : windows.submission_risk;
  mark.overdue = past;
  mark.at_risk = !past && deadline.due - as_of <= window;
  return mark;
}

}  // namespace bidtrail::readmodel
