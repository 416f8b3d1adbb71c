#include "bidtrail/readmodel/tender_list.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "bidtrail/common/proto_time.h"

namespace bidtrail::readmodel {

std::string_view StatusWord(const tender::TenderState& state) {
  switch (state.status) {
    case v1::TENDER_STATUS_CANCELLED:
      return "cancelled";
    case v1::TENDER_STATUS_UNSUCCESSFUL:
      return "unsuccessful";
    default:
      break;
  }
  // Awarded once every lot is decided and at least one went to a bidder
  // (the others cancelled or unsuccessful); open while any lot is not.
  bool any_awarded = false;
  for (const tender::LotState& lot : state.lots) {
    if (lot.status == v1::LOT_STATUS_AWARDED) {
      any_awarded = true;
    } else if (!lot.Void()) {
      return "open";
    }
  }
  return any_awarded ? "awarded" : "open";
}

std::string_view OurOutcome(const tender::TenderState& state, std::string_view own_party_id,
                            absl::Time now) {
  bool won = false;
  bool pending = false;
  bool lost = false;
  bool entered = false;
  for (const tender::LotState& lot : state.lots) {
    const tender::BidRecord* ours = nullptr;
    for (const tender::BidRecord& bid : lot.bids) {
      if (bid.bid.bidder().id() == own_party_id && bid.status != v1::BID_STATUS_WITHDRAWN) {
        ours = &bid;
      }
    }
    if (ours == nullptr) continue;
    entered = true;
    if (lot.Void() || ours->status == v1::BID_STATUS_DISQUALIFIED) continue;
    const tender::AwardRecord* award = lot.AwardInForce();
    if (award == nullptr) {
      pending = true;
      continue;
    }
    bool ours_won = false;
    for (const v1::Party& supplier : award->award.suppliers()) {
      ours_won |= supplier.id() == own_party_id;
    }
    (ours_won ? won : lost) = true;
  }
  if (won) return "won";
  if (pending) return "pending";
  if (lost) return "lost";
  if (entered) return "void";
  if (state.no_bid_decided) return "no_bid";
  const v1::KeyDates& dates = state.details.key_dates();
  const bool deadline_passed =
      dates.has_submission_deadline() && FromProtoTime(dates.submission_deadline()) <= now;
  return StatusWord(state) == "open" && !deadline_passed ? "not_yet" : "not_bid";
}

std::string_view SourceWord(const tender::TenderState& state) {
  return state.details.discovery_channel() == v1::DISCOVERY_CHANNEL_IMPORT ? "import" : "own";
}

namespace {

// `word` in `text`, ignoring ASCII case (other bytes compare as they are).
bool ContainsIgnoringCase(const std::string& text, const std::string& word) {
  return absl::StrContains(absl::AsciiStrToLower(text), absl::AsciiStrToLower(word));
}

}  // namespace

bool Matches(const tender::TenderState& state, const TenderFilter& filter,
             std::string_view own_party_id, absl::Time now) {
  const v1::TenderDiscovered& details = state.details;
  if (!filter.buyer.empty() && details.buyer().id() != filter.buyer &&
      !ContainsIgnoringCase(details.buyer().name(), filter.buyer)) {
    return false;
  }
  if (!filter.territory.empty() && details.territory() != filter.territory) return false;
  if (!filter.owner_team.empty() && details.owner_team() != filter.owner_team) return false;
  if (!filter.status.empty() && StatusWord(state) != filter.status) return false;
  if (!filter.source.empty() && SourceWord(state) != filter.source) return false;
  const absl::Time discovered = FromProtoTime(details.occurred_at());
  if (discovered < filter.discovered_from || discovered >= filter.discovered_to) return false;
  for (const std::string& word : filter.words) {
    if (!ContainsIgnoringCase(details.title(), word) &&
        !ContainsIgnoringCase(details.tender_id(), word) &&
        !ContainsIgnoringCase(details.buyer().name(), word)) {
      return false;
    }
  }
  // Last: the dearest test.
  return filter.outcome.empty() || OurOutcome(state, own_party_id, now) == filter.outcome;
}

}  // namespace bidtrail::readmodel
