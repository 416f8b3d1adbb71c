#include "bidtrail/analytics/competition.h"

#include <algorithm>
#include <mutex>

#include "bidtrail/common/proto_time.h"

namespace bidtrail::analytics {

// Four bids to a cache line (competition.h).
static_assert(sizeof(Competition::BidFacts) == 32);

namespace {

v1::BidStatus StatusOf(const Competition::BidFacts& bid) { return bid.status; }
v1::BidStatus StatusOf(const CompetitionRows::Bid& bid) { return bid.status(); }

// The index in [begin, end) of `bids` of the bidder's bid that is not
// withdrawn, or -1: for Competition and CompetitionRows alike.
template <typename Bids>
int64_t BidIndexIn(const Bids& bids, size_t begin, size_t end, Symbol bidder) {
  int64_t found = -1;
  for (size_t i = begin; i < end; ++i) {
    const auto& bid = bids[i];
    if (bid.bidder != bidder || StatusOf(bid) == v1::BID_STATUS_WITHDRAWN) continue;
    // A valid bid speaks for the bidder over an earlier disqualified one.
    if (found < 0 || StatusOf(bid) == v1::BID_STATUS_VALID) found = static_cast<int64_t>(i);
  }
  return found;
}

}  // namespace

int Competition::BidIndexOf(Symbol bidder) const {
  return static_cast<int>(BidIndexIn(bid_facts, 0, bid_facts.size(), bidder));
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
    competition.buyer_name = Symbol::Intern(details.buyer().name());
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
    competition.bid_facts.reserve(lot.bids.size());
    for (const tender::BidRecord& bid : lot.bids) {
      const v1::BidSubmitted& submitted = bid.bid;
      Competition::BidFacts facts;
      facts.bidder = Symbol::Intern(submitted.bidder().id());
      facts.name = Symbol::Intern(submitted.bidder().name());
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
    }
    competitions.push_back(std::move(competition));
  }
  return competitions;
}

struct CompetitionSet::LazyRows {
  std::once_flag once;
  std::vector<std::shared_ptr<const CompetitionRows>> parts;
};

std::shared_ptr<CompetitionSet::LazyRows> CompetitionSet::NewRows() {
  return std::make_shared<LazyRows>();
}

const std::vector<std::shared_ptr<const CompetitionRows>>& CompetitionSet::Rows() const {
  LazyRows& lazy = *rows_;
  std::call_once(lazy.once, [&] {
    if (lazy.parts.empty()) lazy.parts.push_back(std::make_shared<const CompetitionRows>(items_));
  });
  return lazy.parts;
}

void CompetitionSet::SetRows(std::vector<std::shared_ptr<const CompetitionRows>> parts) {
  rows_ = NewRows();
  rows_->parts = std::move(parts);
  if (of_rows_) {
    of_rows_size_ = 0;
    for (const std::shared_ptr<const CompetitionRows>& part : rows_->parts) {
      of_rows_size_ += part->size();
    }
    items_of_rows_ = std::make_shared<LazyItems>();
  }
}

struct CompetitionSet::LazyItems {
  std::once_flag once;
  std::vector<const Competition*> items;
};

CompetitionSet CompetitionSet::OfRows(std::vector<std::shared_ptr<const CompetitionRows>> parts) {
  CompetitionSet set;
  set.of_rows_ = true;
  set.SetRows(std::move(parts));
  return set;
}

void CompetitionSet::LeaveRows() {
  items_ = ItemsOfRows();
  owner_rows_ = Rows();
  of_rows_ = false;
  of_rows_size_ = 0;
  items_of_rows_ = nullptr;
}

const std::vector<const Competition*>& CompetitionSet::ItemsOfRows() const {
  LazyItems& lazy = *items_of_rows_;
  std::call_once(lazy.once, [&] {
    lazy.items.reserve(of_rows_size_);
    for (const std::shared_ptr<const CompetitionRows>& part : Rows()) {
      for (size_t i = 0; i < part->size(); ++i) lazy.items.push_back(part->detail(i).competition);
    }
  });
  return lazy.items;
}

// One cache line (competition.h).
static_assert(sizeof(CompetitionRows::Row) == 64);
static_assert(sizeof(CompetitionRows::Bid) == 12);

CompetitionRows::CompetitionRows(const std::vector<const Competition*>& competitions,
                                 std::shared_ptr<const void> owner)
    : owner_(std::move(owner)) {
  rows_.reserve(competitions.size() + 1);
  details_.reserve(competitions.size());
  size_t bids = 0;
  for (const Competition* competition : competitions) bids += competition->bid_facts.size();
  bids_.reserve(bids);
  amounts_.reserve(bids);
  const Competition* last = nullptr;
  uint32_t tender = 0;
  for (size_t i = 0; i < competitions.size(); ++i) {
    // The competitions are scattered over the heap: ask for those a few
    // ahead while packing this one (as a pass over them does, metrics.cc).
    if (i + 8 < competitions.size()) {
      const char* ahead = reinterpret_cast<const char*>(competitions[i + 8]);
      for (size_t line = 0; line < sizeof(Competition) / 64; ++line) {
        __builtin_prefetch(ahead + line * 64);
      }
    }
    // And the bids of one whose front asked for earlier has arrived.
    if (i + 4 < competitions.size()) {
      const std::vector<Competition::BidFacts>& bids = competitions[i + 4]->bid_facts;
      if (!bids.empty()) __builtin_prefetch(bids.data());
      if (bids.size() > 2) __builtin_prefetch(bids.data() + 2);
    }
    const Competition* competition = competitions[i];
    if (last == nullptr || competition->tender_id != last->tender_id) ++tender;
    last = competition;
    Row& row = rows_.emplace_back();
    row.date = competition->date;
    row.tender = tender;
    row.first_bid = static_cast<uint32_t>(bids_.size());
    row.first_winner = static_cast<uint32_t>(winners_.size());
    row.status = competition->status;
    row.no_bid = competition->no_bid;
    if (competition->status == Competition::Status::kDecided) {
      const absl::Duration cycle = competition->first_award_at - competition->discovered_at;
      row.cycle_nanos = absl::ToInt64Nanoseconds(cycle);
      row.cycle = absl::Nanoseconds(row.cycle_nanos) == cycle ? Cycle::kNanos : Cycle::kWide;
    }
    if (competition->award_value) {
      row.has_award_value = true;
      row.award_value = *competition->award_value;
    }
    row.award_currency = competition->award_currency;
    details_.push_back(Detail{competition->buyer_id, competition->territory, competition->category,
                              competition->owner_team, competition->procurement_method,
                              competition->discovery_channel, competition});
    for (const Competition::BidFacts& facts : competition->bid_facts) {
      bids_.push_back(Bid{facts.bidder, facts.currency, facts.status, facts.has_amount});
      amounts_.push_back(facts.has_amount ? facts.amount : Decimal());
      if (facts.status != v1::BID_STATUS_WITHDRAWN) ++row.bidders;
    }
    winners_.insert(winners_.end(), competition->winners.begin(), competition->winners.end());
  }
  tenders_ = tender;
  Row& end = rows_.emplace_back();
  end.first_bid = static_cast<uint32_t>(bids_.size());
  end.first_winner = static_cast<uint32_t>(winners_.size());

  // Postings: count each bidder's rows, place each bidder's after those of
  // the bidders before it, then fill them in row order. A bidder with two
  // bids in a row (a disqualified one and a valid one) has one posting.
  auto first_of_bidder = [&](size_t i, size_t bid) {
    if (bids_[bid].withdrawn()) return false;
    for (size_t before = bids_begin(i); before < bid; ++before) {
      if (bids_[before].bidder == bids_[bid].bidder && !bids_[before].withdrawn()) return false;
    }
    return true;
  };
  for (size_t i = 0; i < size(); ++i) {
    for (size_t bid = bids_begin(i); bid < bids_end(i); ++bid) {
      if (!first_of_bidder(i, bid)) continue;
      ++postings_of_[bids_[bid].bidder].second;
    }
  }
  uint32_t next = 0;
  for (auto& [bidder, range] : postings_of_) {
    range.first = next;
    next += range.second;
    range.second = range.first;  // where the next posting goes, until filled
  }
  postings_.resize(next);
  for (size_t i = 0; i < size(); ++i) {
    for (size_t bid = bids_begin(i); bid < bids_end(i); ++bid) {
      if (!first_of_bidder(i, bid)) continue;
      const Symbol bidder = bids_[bid].bidder;
      postings_[postings_of_[bidder].second++] =
          Posting{static_cast<uint32_t>(i), static_cast<uint32_t>(BidIndexOf(i, bidder))};
    }
  }
}

absl::Span<const CompetitionRows::Posting> CompetitionRows::PostingsOf(Symbol bidder) const {
  auto found = postings_of_.find(bidder);
  if (found == postings_of_.end()) return {};
  return absl::MakeConstSpan(postings_.data() + found->second.first,
                             found->second.second - found->second.first);
}

absl::Duration CompetitionRows::cycle(size_t i) const {
  if (rows_[i].cycle == Cycle::kNanos) return absl::Nanoseconds(rows_[i].cycle_nanos);
  const Competition& competition = *details_[i].competition;
  return competition.first_award_at - competition.discovered_at;
}

int64_t CompetitionRows::BidIndexOf(size_t i, Symbol bidder) const {
  return BidIndexIn(bids_, bids_begin(i), bids_end(i), bidder);
}

bool CompetitionRows::Won(size_t i, Symbol bidder) const {
  return rows_[i].status == Competition::Status::kDecided &&
         std::find(winners_begin(i), winners_end(i), bidder) != winners_end(i);
}

}  // namespace bidtrail::analytics
