#include "bidtrail/analytics/competition.h"

#include <algorithm>

#include "bidtrail/common/proto_time.h"

namespace bidtrail::analytics {

// Four bids to a cache line (competition.h).
static_assert(sizeof(Competition::BidFacts) == 32);

int Competition::BidIndexOf(Symbol bidder) const {
  int found = -1;
  for (size_t i = 0; i < bid_facts.size(); ++i) {
    const BidFacts& bid = bid_facts[i];
    if (bid.bidder != bidder || bid.status == v1::BID_STATUS_WITHDRAWN) continue;
    // A valid bid speaks for the bidder over an earlier disqualified one.
    if (found < 0 || bid.status == v1::BID_STATUS_VALID) found = static_cast<int>(i);
  }
  return found;
}

bool Competition::Won(Symbol bidder) const {
  return status == Status::kDecided &&
         std::find(winners.begin(), winners.end(), bidder) != winners.end();
}

std::vector<Competition> CompetitionsOf(const tender::TenderState& tender) {
  std::vector<Competition> competitions;
  if (!tender.exists) return competitions;
  competitions.reserve(tender.lots.size());
  const v1::TenderDiscovered& details = tender.details;
  const bool tender_void = tender.status == v1::TENDER_STATUS_CANCELLED ||
                           tender.status == v1::TENDER_STATUS_UNSUCCESSFUL;
  for (const tender::LotState& lot : tender.lots) {
    Competition competition;
    competition.tender_id = details.tender_id();
    competition.lot_id = lot.id;
    competition.buyer_id = Symbol::Intern(details.buyer().id());
    competition.buyer_name = details.buyer().name();
    competition.territory = Symbol::Intern(details.territory());
    competition.category = Symbol::Intern(details.category());
    competition.owner_team = Symbol::Intern(details.owner_team());
    competition.procurement_method = details.procurement_method();
    competition.discovery_channel = details.discovery_channel();
    competition.discovered_at = FromProtoTime(details.occurred_at());
    if (details.key_dates().has_submission_deadline()) {
      competition.submission_deadline = FromProtoTime(details.key_dates().submission_deadline());
    }
    competition.date = details.key_dates().has_submission_deadline()
                           ? competition.submission_deadline
                           : competition.discovered_at;
    // A lot's value when it has one (an empty Money is none), else the
    // tender's estimate.
    const v1::Money& value = lot.value.ByteSizeLong() > 0 ? lot.value : details.estimated_value();
    competition.estimated_currency = Symbol::Intern(value.currency());
    competition.estimated_value = Decimal::Parse(value.amount());
    competition.no_bid = tender.no_bid_decided;
    for (const tender::AwardRecord& award : lot.awards) {
      const absl::Time at = FromProtoTime(award.award.occurred_at());
      competition.first_award_at = std::min(
          competition.first_award_at == absl::InfinitePast() ? at : competition.first_award_at, at);
      if (award.cancelled) continue;
      competition.winners.clear();
      for (const v1::Party& supplier : award.award.suppliers()) {
        competition.winners.push_back(Symbol::Intern(supplier.id()));
      }
      competition.award_currency = Symbol::Intern(award.award.amount().currency());
      competition.award_value = Decimal::Parse(award.award.amount().amount());
      competition.award_at = at;
    }
    if (tender_void || lot.Void()) {
      competition.status = Competition::Status::kVoid;
    } else if (!competition.winners.empty()) {
      competition.status = Competition::Status::kDecided;
    }
    for (const tender::BidRecord& bid : lot.bids) {
      const v1::BidSubmitted& submitted = bid.bid;
      Competition::BidFacts facts;
      facts.bidder = Symbol::Intern(submitted.bidder().id());
      facts.currency = Symbol::Intern(submitted.amount().currency());
      facts.status = bid.status;
      if (std::optional<Decimal> amount = Decimal::Parse(submitted.amount().amount())) {
        facts.has_amount = true;
        facts.amount = *amount;
      }
      if (competition.submission_deadline != absl::InfinitePast() &&
          competition.bid_facts.size() < 64 &&
          FromProtoTime(submitted.occurred_at()) > competition.submission_deadline) {
        competition.late_bids |= uint64_t{1} << competition.bid_facts.size();
      }
      competition.bid_facts.push_back(facts);
      competition.bidder_names.push_back(Symbol::Intern(submitted.bidder().name()));
    }
    competitions.push_back(std::move(competition));
  }
  return competitions;
}

}  // namespace bidtrail::analytics
