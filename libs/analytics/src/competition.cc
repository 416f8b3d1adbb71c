#include "bidtrail/analytics/competition.h"

#include <algorithm>

#include "bidtrail/common/proto_time.h"

namespace bidtrail::analytics {

const CompetitionBid* Competition::BidOf(std::string_view bidder_id) const {
  const CompetitionBid* found = nullptr;
  for (const CompetitionBid& bid : bids) {
    if (bid.bidder_id != bidder_id || bid.status == v1::BID_STATUS_WITHDRAWN) continue;
    // A valid bid speaks for the bidder over an earlier disqualified one.
    if (found == nullptr || bid.status == v1::BID_STATUS_VALID) found = &bid;
  }
  return found;
}

bool Competition::Won(std::string_view bidder_id) const {
  return status == Status::kDecided &&
         std::find(winners.begin(), winners.end(), bidder_id) != winners.end();
}

std::vector<Competition> CompetitionsOf(const v1::TenderView& tender) {
  std::vector<Competition> competitions;
  const v1::TenderDiscovered& details = tender.details();
  const bool tender_void = tender.status() == v1::TENDER_STATUS_CANCELLED ||
                           tender.status() == v1::TENDER_STATUS_UNSUCCESSFUL;
  for (const v1::LotView& lot : tender.lots()) {
    Competition competition;
    competition.tender_id = details.tender_id();
    competition.lot_id = lot.lot_id();
    competition.buyer_id = details.buyer().id();
    competition.buyer_name = details.buyer().name();
    competition.territory = details.territory();
    competition.category = details.category();
    competition.owner_team = details.owner_team();
    competition.procurement_method = details.procurement_method();
    competition.discovery_channel = details.discovery_channel();
    competition.discovered_at = FromProtoTime(details.occurred_at());
    competition.date = details.key_dates().has_submission_deadline()
                           ? FromProtoTime(details.key_dates().submission_deadline())
                           : competition.discovered_at;
    const v1::Money& value = lot.has_value() ? lot.value() : details.estimated_value();
    competition.estimated_amount = value.amount();
    competition.estimated_currency = value.currency();
    competition.estimated_value = Decimal::Parse(competition.estimated_amount);
    competition.no_bid = tender.no_bid_decided();
    const bool lot_void =
        lot.status() == v1::LOT_STATUS_CANCELLED || lot.status() == v1::LOT_STATUS_UNSUCCESSFUL;
    for (const v1::AwardView& award : lot.awards()) {
      const absl::Time at = FromProtoTime(award.award().occurred_at());
      competition.first_award_at = std::min(
          competition.first_award_at == absl::InfinitePast() ? at : competition.first_award_at, at);
      if (award.cancelled()) continue;
      competition.winners.clear();
      for (const v1::Party& supplier : award.award().suppliers()) {
        competition.winners.push_back(supplier.id());
      }
      competition.award_amount = award.award().amount().amount();
      competition.award_currency = award.award().amount().currency();
      competition.award_value = Decimal::Parse(competition.award_amount);
      competition.award_at = at;
    }
    if (tender_void || lot_void) {
      competition.status = Competition::Status::kVoid;
    } else if (!competition.winners.empty()) {
      competition.status = Competition::Status::kDecided;
    }
    for (const v1::BidView& bid : lot.bids()) {
      competition.bids.push_back(CompetitionBid{bid.bid().bidder().id(), bid.bid().bidder().name(),
                                                bid.bid().amount().amount(),
                                                bid.bid().amount().currency(), bid.status(),
                                                Decimal::Parse(bid.bid().amount().amount())});
    }
    competitions.push_back(std::move(competition));
  }
  return competitions;
}

}  // namespace bidtrail::analytics
