// Every metric against hand-computed expectations on a small history with the
// hard cases: an award cancelled and re-awarded, lots (one cancelled),
// withdrawn and disqualified bids, void tenders, a no-bid decision, mixed
// currencies, an amendment that moves a deadline into the next quarter.
#include "bidtrail/analytics/metrics.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/tender/testing/events.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "gtest/gtest.h"

namespace bidtrail::analytics {
namespace {

using namespace ::bidtrail::tender::testing;  // NOLINT: event builders
using ::testing::DoubleNear;
using ::testing::IsEmpty;

v1::TenderEvent BuyerIs(v1::TenderEvent discovered, const std::string& buyer,
                        const std::string& territory, const std::string& currency = "CNY") {
  *discovered.mutable_tender_discovered()->mutable_buyer() = Party(buyer);
  discovered.mutable_tender_discovered()->set_territory(territory);
  discovered.mutable_tender_discovered()->mutable_estimated_value()->set_currency(currency);
  return discovered;
}

v1::TenderEvent InUsd(v1::TenderEvent event) {
  if (event.has_bid_submitted())
    event.mutable_bid_submitted()->mutable_amount()->set_currency("USD");
  if (event.has_award_announced()) {
    event.mutable_award_announced()->mutable_amount()->set_currency("USD");
  }
  return event;
}

// The competitions of tenders "T-1", "T-2", ... from their events.
CompetitionSet SetOf(const std::vector<std::vector<v1::TenderEvent>>& tenders) {
  std::vector<Competition> competitions;
  for (size_t i = 0; i < tenders.size(); ++i) {
    std::vector<v1::TenderEvent> events;
    for (const v1::TenderEvent& event : tenders[i]) {
      events.push_back(ForTender("T-" + std::to_string(i + 1), event));
    }
    for (Competition& c : CompetitionsOf(tender::Fold(events))) {
      competitions.push_back(std::move(c));
    }
  }
  return CompetitionSet(std::move(competitions));
}

CompetitionSet History() {
  return SetOf({
      // T-1: two lots; L1 awarded to C-1, cancelled, C-1 disqualified, re-awarded to us;
      // L2 cancelled.
      {BuyerIs(Discovered({"L1", "L2"}), "B-1", "north"), Document(Day(5)),
       Bid(kUs, "480000", Day(19), "L1"), Bid("C-1", "450000", Day(19), "L1"),
       Bid("C-2", "470000", Day(19), "L1"), Bid("C-1", "300000", Day(19), "L2"),
       Bid(kUs, "320000", Day(19), "L2"), Award("A1", "C-1", "450000", Day(30), "L1"),
       AwardCancelled("A1", Day(35)), Disqualified("C-1", Day(35), "L1"),
       Award("A2", kUs, "480000", Day(36), "L1"), Cancelled(Day(37), {"L2"})},
      // T-2: in USD, lost to C-1.
      {BuyerIs(Discovered(), "B-2", "south", "USD"), Document(Day(5)),
       InUsd(Bid(kUs, "90000", Day(19))), InUsd(Bid("C-1", "85000", Day(19))),
       InUsd(Award("A1", "C-1", "85000", Day(25)))},
      // T-3: our bid disqualified, not decided yet.
      {BuyerIs(Discovered(), "B-1", "north"), Document(Day(5)), Bid(kUs, "100", Day(19)),
       Bid("C-2", "120", Day(19)), Disqualified(kUs, Day(21))},
      // T-4: we decided not to bid; C-1 won.
      {BuyerIs(Discovered(), "B-2", "south", "USD"), NoBid(Day(3)),
       InUsd(Bid("C-1", "200000", Day(19))), InUsd(Award("A1", "C-1", "200000", Day(26)))},
      // T-5: cancelled after our bid.
      {BuyerIs(Discovered(), "B-1", "north", "USD"), Document(Day(5)),
       InUsd(Bid(kUs, "10", Day(19))), Cancelled(Day(22))},
      // T-6: we bid, then withdrew.
      {BuyerIs(Discovered(), "B-1", "north"), Document(Day(5)), Bid(kUs, "5000", Day(10)),
       Withdrawn(kUs, Day(11))},
      // T-7: pending; its deadline moved from March into April.
      {BuyerIs(Discovered(), "B-2", "south", "USD"), Document(Day(5)),
       [] {
         v1::TenderEvent amended = Amended(Day(6));
         ToProtoTime(
             Day(40),
             amended.mutable_tender_amended()->mutable_key_dates()->mutable_submission_deadline());
         ToProtoTime(
             Day(41),
             amended.mutable_tender_amended()->mutable_key_dates()->mutable_bid_opening_at());
         return amended;
       }(),
       InUsd(Bid(kUs, "1000000", Day(30)))},
  });
}

WinLossOptions Ours(v1::WinLossGroupBy group_by = v1::WIN_LOSS_GROUP_BY_UNSPECIFIED) {
  WinLossOptions options;
  options.bidder_id = kUs;
  options.own_party_id = kUs;
  options.group_by = group_by;
  options.reporting.rates["CNY"] = *Decimal::Parse("0.14");
  return options;
}

const v1::WinLossGroup* Group(const std::vector<v1::WinLossGroup>& groups, const std::string& key) {
  for (const v1::WinLossGroup& group : groups) {
    if (group.group() == key) return &group;
  }
  return nullptr;
}

std::map<std::string, std::string> Totals(
    const google::protobuf::RepeatedPtrField<v1::MoneyTotal>& totals) {
  std::map<std::string, std::string> out;
  for (const v1::MoneyTotal& total : totals) out[total.currency()] = total.amount();
  return out;
}

TEST(CompetitionTest, DerivesStatusWinnersAndCycleStart) {
  const CompetitionSet set = History();
  ASSERT_EQ(set.size(), 8u);  // T-1 has two lots
  const std::vector<const Competition*> competitions(set.begin(), set.end());
  const Competition& l1 = *competitions[0];
  EXPECT_EQ(l1.lot_id, "L1");
  EXPECT_EQ(l1.status, Competition::Status::kDecided);
  ASSERT_EQ(l1.winners.size(), 1u);
  EXPECT_EQ(l1.winners[0].text(), kUs);
  EXPECT_EQ(l1.first_award_at, Day(30)) << "the first award counts, though cancelled";
  // What the analytics read of each bid mirrors the bid as written.
  ASSERT_EQ(l1.bid_facts.size(), 3u);
  const std::vector<std::string> bidders = {kUs, "C-1", "C-2"};
  for (size_t i = 0; i < l1.bid_facts.size(); ++i) {
    EXPECT_EQ(l1.bid_facts[i].bidder.text(), bidders[i]);
    EXPECT_EQ(l1.bid_facts[i].name.text(), "Name of " + bidders[i]);
    EXPECT_EQ(l1.bid_facts[i].currency.text(), "CNY");
  }
  EXPECT_EQ(l1.bid_facts[0].status, v1::BID_STATUS_VALID);
  EXPECT_EQ(l1.bid_facts[1].status, v1::BID_STATUS_DISQUALIFIED);
  EXPECT_EQ(l1.bid_facts[1].value(), Decimal::Parse("450000"));
  EXPECT_EQ(l1.BidIndexOf(Symbol::Intern("C-2")), 2);
  EXPECT_EQ(l1.BidIndexOf(Symbol::Intern("a party that did not bid")), -1);
  EXPECT_TRUE(l1.Won(Symbol::Intern(kUs)));
  EXPECT_EQ(competitions[1]->status, Competition::Status::kVoid);
  EXPECT_EQ(competitions[7]->date, Day(40)) << "the amended deadline dates the competition";
}

// A bid's status is kept in one byte: every status this build knows comes
// back as it went in; any other is neither valid, withdrawn nor
// disqualified, as the packed rows keep it.
TEST(CompetitionTest, BidStatusInOneByte) {
  static_assert(sizeof(Competition::BidFacts) == 32);
  for (int value = 0; value <= 3; ++value) {
    const auto status = static_cast<v1::BidStatus>(value);
    ASSERT_TRUE(v1::BidStatus_IsValid(status));
    Competition::BidFacts facts;
    facts.status = status;
    EXPECT_EQ(static_cast<v1::BidStatus>(facts.status), status);
  }
  for (int value : {4, 254, 255, 300, -1}) {
    Competition::BidFacts facts;
    facts.status = static_cast<v1::BidStatus>(value);
    EXPECT_EQ(facts.status.value(), Competition::PackedStatus::kUnknown) << value;
    for (v1::BidStatus known :
         {v1::BID_STATUS_VALID, v1::BID_STATUS_WITHDRAWN, v1::BID_STATUS_DISQUALIFIED}) {
      EXPECT_NE(facts.status, known) << value;
    }
  }
}

TEST(WinLossTest, AllOfOurCompetitions) {
  const auto groups = WinLoss(History(), Ours());
  ASSERT_EQ(groups.size(), 1u);
  const v1::WinLossGroup& all = groups[0];
  EXPECT_EQ(all.group(), "all");
  EXPECT_EQ(all.bid(), 6u);      // T1L1 T1L2 T2 T3 T5 T7; T6 was withdrawn
  EXPECT_EQ(all.won(), 1u);      // T1L1, after the re-award
  EXPECT_EQ(all.lost(), 2u);     // T2, and T3 whose bid was disqualified
  EXPECT_EQ(all.pending(), 1u);  // T7
  EXPECT_EQ(all.void_(), 2u);    // T1L2, T5
  EXPECT_EQ(all.disqualified(), 1u);
  EXPECT_EQ(all.no_bid(), 1u);  // T4
  EXPECT_DOUBLE_EQ(all.win_rate(), 1.0 / 3);
  EXPECT_DOUBLE_EQ(all.bid_rate(), 5.0 / 6);  // T1 T2 T3 T5 T7 against T4
  // In the currency's minor units, as money is written.
  EXPECT_EQ(Totals(all.value_won()), (std::map<std::string, std::string>{{"CNY", "480000.00"}}));
  EXPECT_EQ(Totals(all.value_lost()),
            (std::map<std::string, std::string>{{"CNY", "100.00"}, {"USD", "90000.00"}}));
  EXPECT_DOUBLE_EQ(all.mean_bidders(), 11.0 / 6);                          // 3 + 2 + 2 + 2 + 1 + 1
  EXPECT_THAT(all.median_price_gap(), DoubleNear(5000.0 / 85000, 1e-12));  // T2 only
  EXPECT_EQ(all.median_cycle_time().seconds(), 27 * 86400 + 43200);        // 30 and 25 days
}

TEST(WinLossTest, HeadToHeadByCompetitor) {
  const auto groups = WinLoss(History(), Ours(v1::WIN_LOSS_GROUP_BY_COMPETITOR));
  const v1::WinLossGroup* c1 = Group(groups, "C-1");
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->bid(), 3u);  // T1L1 (its bid disqualified, not withdrawn), T1L2, T2
  EXPECT_EQ(c1->won(), 1u);
  EXPECT_EQ(c1->lost(), 1u);
  EXPECT_EQ(c1->void_(), 1u);
  EXPECT_FALSE(c1->has_bid_rate()) << "no-bid decisions are not head to head";
  EXPECT_EQ(c1->label(), "Name of C-1");
  const v1::WinLossGroup* c2 = Group(groups, "C-2");
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->bid(), 2u);  // T1L1, T3
  EXPECT_EQ(c2->won(), 1u);
  EXPECT_EQ(c2->lost(), 1u);
  EXPECT_EQ(c2->disqualified(), 1u);
}

TEST(WinLossTest, EveryBidderAtOnce) {
  const auto groups = WinLoss(History(), Ours(v1::WIN_LOSS_GROUP_BY_BIDDER));
  const v1::WinLossGroup* c1 = Group(groups, "C-1");
  ASSERT_NE(c1, nullptr);
  EXPECT_EQ(c1->bid(), 4u);   // T1L1 T1L2 T2 T4
  EXPECT_EQ(c1->won(), 2u);   // T2 T4
  EXPECT_EQ(c1->lost(), 1u);  // T1L1: disqualified, then lost
  EXPECT_EQ(c1->disqualified(), 1u);
  EXPECT_EQ(c1->void_(), 1u);
  EXPECT_FALSE(c1->has_bid_rate()) << "no-bid decisions are ours only";
  const v1::WinLossGroup* us = Group(groups, kUs);
  ASSERT_NE(us, nullptr);
  EXPECT_EQ(us->bid(), 6u);
  EXPECT_EQ(us->no_bid(), 1u);
  EXPECT_DOUBLE_EQ(us->bid_rate(), 5.0 / 6);
  const v1::WinLossGroup* c2 = Group(groups, "C-2");
  ASSERT_NE(c2, nullptr);
  EXPECT_EQ(c2->bid(), 2u);
  EXPECT_EQ(c2->lost(), 1u);
  EXPECT_EQ(c2->pending(), 1u);
}

// Imported data dates some awards before their tender: no cycle time for
// those, counted, and the median is over the others.
TEST(WinLossTest, AwardsDatedBeforeTheTenderAreLeftOutOfCycleTimes) {
  const CompetitionSet set = SetOf({
      {Discovered(), Bid(kUs, "100", Day(19)), Award("A1", kUs, "100", Day(30))},
      {Discovered(), Bid(kUs, "100", Day(19)), Award("A1", kUs, "100", Day(-10))},
  });
  const auto groups = WinLoss(set, Ours());
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].won(), 2u);
  EXPECT_EQ(groups[0].awards_before_tender(), 1u);
  EXPECT_EQ(groups[0].median_cycle_time().seconds(), 30 * 86400);
}

TEST(WinLossTest, GroupsByQuarterBuyerAndDealSize) {
  const auto quarters = WinLoss(History(), Ours(v1::WIN_LOSS_GROUP_BY_QUARTER));
  ASSERT_NE(Group(quarters, "2026-Q1"), nullptr);
  EXPECT_EQ(Group(quarters, "2026-Q1")->bid(), 5u);
  ASSERT_NE(Group(quarters, "2026-Q2"), nullptr);
  EXPECT_EQ(Group(quarters, "2026-Q2")->bid(), 1u) << "T-7's deadline moved into April";
  // In date order, whichever is largest.
  ASSERT_EQ(quarters.size(), 2u);
  EXPECT_EQ(quarters[0].group(), "2026-Q1");
  EXPECT_EQ(quarters[1].group(), "2026-Q2");

  const auto buyers = WinLoss(History(), Ours(v1::WIN_LOSS_GROUP_BY_BUYER));
  EXPECT_EQ(Group(buyers, "B-1")->bid(), 4u);  // T1L1 T1L2 T3 T5
  EXPECT_EQ(Group(buyers, "B-1")->label(), "Name of B-1");
  EXPECT_EQ(Group(buyers, "B-2")->bid(), 2u);     // T2 T7
  EXPECT_EQ(Group(buyers, "B-2")->no_bid(), 1u);  // T4

  const auto sizes = WinLoss(History(), Ours(v1::WIN_LOSS_GROUP_BY_DEAL_SIZE));
  // Award else our bid, in USD at 0.14 per CNY: T1L1 67200 and T2 85000 medium; T3 14, T1L2
  // 44800 and T5 10 small; T7 1,000,000 large.
  EXPECT_EQ(Group(sizes, "medium")->bid(), 2u);
  EXPECT_EQ(Group(sizes, "small")->bid(), 3u);
  EXPECT_EQ(Group(sizes, "large")->bid(), 1u);

  WinLossOptions no_rates = Ours(v1::WIN_LOSS_GROUP_BY_DEAL_SIZE);
  no_rates.reporting.rates.clear();
  const auto unrated = WinLoss(History(), no_rates);
  EXPECT_EQ(Group(unrated, "unrated")->bid(), 3u);  // the CNY ones
}

TEST(WinLossTest, PeriodAndFilters) {
  WinLossOptions april = Ours();
  april.from = absl::FromCivil(absl::CivilDay(2026, 4, 1), absl::UTCTimeZone());
  const auto groups = WinLoss(History(), april);
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].bid(), 1u);
  EXPECT_EQ(groups[0].pending(), 1u);
  EXPECT_FALSE(groups[0].has_win_rate()) << "nothing decided: no win rate";

  WinLossOptions north = Ours();
  north.territory = "north";
  EXPECT_EQ(WinLoss(History(), north)[0].bid(), 4u);
}

TEST(WinLossTest, QuartersOnBothSidesOfTheEpoch) {
  auto due = [](absl::CivilSecond deadline) {
    v1::TenderEvent discovered = Discovered();
    ToProtoTime(
        absl::FromCivil(deadline, absl::UTCTimeZone()),
        discovered.mutable_tender_discovered()->mutable_key_dates()->mutable_submission_deadline());
    return std::vector<v1::TenderEvent>{discovered, Bid(kUs, "100", Day(1))};
  };
  const CompetitionSet set =
      SetOf({due(absl::CivilSecond(1969, 9, 30, 23, 59, 59)), due(absl::CivilSecond(1969, 10, 1)),
             due(absl::CivilSecond(1969, 12, 31, 23, 59, 59)), due(absl::CivilSecond(1970, 1, 1))});
  const auto quarters = WinLoss(set, Ours(v1::WIN_LOSS_GROUP_BY_QUARTER));
  ASSERT_EQ(quarters.size(), 3u);
  ASSERT_NE(Group(quarters, "1969-Q3"), nullptr);
  EXPECT_EQ(Group(quarters, "1969-Q3")->bid(), 1u);
  ASSERT_NE(Group(quarters, "1969-Q4"), nullptr);
  EXPECT_EQ(Group(quarters, "1969-Q4")->bid(), 2u);
  ASSERT_NE(Group(quarters, "1970-Q1"), nullptr);
  EXPECT_EQ(Group(quarters, "1970-Q1")->bid(), 1u);
}

TEST(WinLossTest, MoreBidsThanACompetitionHoldsInline) {
  std::vector<v1::TenderEvent> events = {Discovered(), Bid(kUs, "100", Day(19))};
  for (int i = 1; i <= 11; ++i) {
    events.push_back(Bid("C-" + std::to_string(i), std::to_string(100 + i), Day(19)));
  }
  events.push_back(Withdrawn("C-11", Day(19)));
  events.push_back(Award("A1", "C-3", "103", Day(25)));
  const CompetitionSet set = SetOf({events});
  ASSERT_EQ((*set.begin())->bid_facts.size(), 12u);

  const auto all = WinLoss(set, Ours());
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0].lost(), 1u);
  EXPECT_DOUBLE_EQ(all[0].mean_bidders(), 11);  // C-11 withdrew
  EXPECT_THAT(all[0].median_price_gap(), DoubleNear(-3.0 / 103, 1e-12));

  const auto competitors = WinLoss(set, Ours(v1::WIN_LOSS_GROUP_BY_COMPETITOR));
  ASSERT_EQ(competitors.size(), 10u);
  const v1::WinLossGroup* c10 = Group(competitors, "C-10");
  ASSERT_NE(c10, nullptr);
  EXPECT_EQ(c10->bid(), 1u);
  EXPECT_EQ(c10->label(), "Name of C-10");
  EXPECT_EQ(Group(competitors, "C-11"), nullptr) << "withdrawn";

  const auto records = Competitors(set, kUs, absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_EQ(records.size(), 10u);
  // Met once each: in the order of their ids.
  EXPECT_EQ(records[1].competitor().id(), "C-10");
  const v1::CompetitorSummary& c3 = records[3];
  EXPECT_EQ(c3.competitor().id(), "C-3");
  EXPECT_EQ(c3.their_wins(), 1u);
  EXPECT_THAT(c3.mean_price_difference(), DoubleNear(0.03, 1e-12));
}

TEST(WinLossTest, TextsNoCompetitionHasMatchNothing) {
  WinLossOptions nowhere = Ours();
  nowhere.territory = "a territory no competition has";
  EXPECT_THAT(WinLoss(History(), nowhere), IsEmpty());

  WinLossOptions stranger = Ours();
  stranger.bidder_id = "a bidder no competition has";
  EXPECT_THAT(WinLoss(History(), stranger), IsEmpty())
      << "no bids, and the no-bid decisions are not the stranger's";

  // Our own party need not have bid anywhere to have its no-bid decisions.
  WinLossOptions newcomer = Ours(v1::WIN_LOSS_GROUP_BY_BIDDER);
  newcomer.own_party_id = "an own party that never bid";
  const auto groups = WinLoss(History(), newcomer);
  const v1::WinLossGroup* own = Group(groups, newcomer.own_party_id);
  ASSERT_NE(own, nullptr);
  EXPECT_EQ(own->bid(), 0u);
  EXPECT_EQ(own->no_bid(), 1u);  // T-4
  ASSERT_TRUE(own->has_bid_rate());
  EXPECT_EQ(own->bid_rate(), 0);
  ASSERT_NE(Group(groups, kUs), nullptr);
  EXPECT_FALSE(Group(groups, kUs)->has_bid_rate()) << "no longer our own party";
}

TEST(SegmentsTest, NineGridWithAndWithoutRates) {
  SegmentOptions options;
  options.as_of = Day(100);
  options.bidder_id = kUs;
  options.reporting.rates["CNY"] = *Decimal::Parse("0.14");
  const v1::SegmentsResponse grid = Segments(History(), options);
  ASSERT_EQ(grid.cells_size(), 9);
  ASSERT_EQ(grid.buyers_size(), 2);
  EXPECT_EQ(grid.buyers(0).buyer().id(), "B-1");
  EXPECT_EQ(grid.buyers(0).awarded_value(), "67200.00");
  EXPECT_EQ(grid.buyers(0).share_band(), "consolidation");
  EXPECT_EQ(grid.buyers(0).potential(), "small");
  EXPECT_EQ(grid.buyers(1).awarded_value(), "285000.00");  // T2 85000 + T4 200000
  EXPECT_EQ(grid.buyers(1).share_band(), "growth");
  for (const v1::SegmentCell& cell : grid.cells()) {
    if (cell.potential() == "small" && cell.share_band() == "consolidation") {
      EXPECT_EQ(cell.buyers(), 1u);
      EXPECT_EQ(cell.won(), 1u);
      EXPECT_DOUBLE_EQ(cell.win_rate(), 1.0);
    } else if (cell.potential() == "small" && cell.share_band() == "growth") {
      EXPECT_EQ(cell.buyers(), 1u);
      EXPECT_EQ(cell.lost(), 1u);  // T2
    } else {
      EXPECT_EQ(cell.buyers(), 0u) << cell.potential() << "/" << cell.share_band();
    }
  }
  options.reporting.rates.clear();
  EXPECT_EQ(Segments(History(), options).unconverted_awards(), 1u);  // T1L1 in CNY

  // A window that ends before the awards: nobody on the grid.
  options.as_of = Day(20);
  EXPECT_EQ(Segments(History(), options).buyers_size(), 0);
}

// The mean price difference is the same number whatever order the
// competitions are met in (a projection folded live and one loaded from its
// store meet them in different orders): (0.1 + 0.2) + 0.3 and
// (0.3 + 0.2) + 0.1 differ in their last bit.
TEST(CompetitorsTest, MeanPriceDifferenceDoesNotDependOnTheOrderOfCompetitions) {
  std::vector<std::vector<v1::TenderEvent>> tenders;
  for (const char* theirs : {"110", "120", "130"}) {
    tenders.push_back({Discovered(), Bid(kUs, "100", Day(19)), Bid("C-1", theirs, Day(19))});
  }
  const auto forward =
      Competitors(SetOf(tenders), kUs, absl::InfinitePast(), absl::InfiniteFuture());
  std::reverse(tenders.begin(), tenders.end());
  const auto backward =
      Competitors(SetOf(tenders), kUs, absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_EQ(forward.size(), 1u);
  ASSERT_EQ(backward.size(), 1u);
  EXPECT_EQ(forward[0].mean_price_difference(), backward[0].mean_price_difference());
  EXPECT_THAT(forward[0].mean_price_difference(), DoubleNear(0.2, 1e-12));
}

TEST(CompetitorsTest, RecordsAgainstEachCompetitor) {
  const auto competitors =
      Competitors(History(), kUs, absl::InfinitePast(), absl::InfiniteFuture());
  ASSERT_EQ(competitors.size(), 2u);
  const v1::CompetitorSummary& c1 = competitors[0];
  EXPECT_EQ(c1.competitor().id(), "C-1");
  EXPECT_EQ(c1.competitor().name(), "Name of C-1");
  EXPECT_EQ(c1.met(), 3u);
  EXPECT_EQ(c1.their_wins(), 1u);  // T2
  EXPECT_EQ(c1.our_wins(), 1u);    // T1L1
  EXPECT_THAT(c1.mean_price_difference(),
              DoubleNear((-30000.0 / 480000 - 20000.0 / 320000 - 5000.0 / 90000) / 3, 1e-12));
  EXPECT_EQ(competitors[1].competitor().id(), "C-2");
  EXPECT_EQ(competitors[1].met(), 2u);
}

// Quarters come in date order even when a later quarter is the largest
// (largest-first would put 2026-Q2 first here).
TEST(WinLossTest, QuartersInDateOrderWhateverTheirSize) {
  auto moved = [](double days) {
    v1::TenderEvent discovered = Discovered();
    ToProtoTime(
        Day(days),
        discovered.mutable_tender_discovered()->mutable_key_dates()->mutable_submission_deadline());
    return discovered;
  };
  const CompetitionSet history = SetOf({{moved(20), Bid(kUs, "10", Day(15))},     // 2026-03-21: Q1
                                        {moved(40), Bid(kUs, "10", Day(15))},     // 2026-04-10: Q2
                                        {moved(45), Bid(kUs, "10", Day(15))},     // Q2
                                        {moved(130), Bid(kUs, "10", Day(15))}});  // 2026-07-09: Q3
  const auto quarters = WinLoss(history, Ours(v1::WIN_LOSS_GROUP_BY_QUARTER));
  ASSERT_EQ(quarters.size(), 3u);
  EXPECT_EQ(quarters[0].group(), "2026-Q1");
  EXPECT_EQ(quarters[1].group(), "2026-Q2");
  EXPECT_EQ(quarters[1].bid(), 2u);
  EXPECT_EQ(quarters[2].group(), "2026-Q3");
}

// A no-bid decision belongs to the tender: a tender whose two lots fall in
// different deal-size bands counts once, and the bands' no_bid add up to the
// whole.
TEST(WinLossTest, NoBidByDealSizeAddsUpToTheWhole) {
  v1::TenderEvent discovered = Discovered({"L1", "L2"});
  discovered.mutable_tender_discovered()->mutable_lots(0)->mutable_value()->set_amount("1000.00");
  discovered.mutable_tender_discovered()->mutable_lots(1)->mutable_value()->set_amount(
      "9000000.00");
  const CompetitionSet history =
      SetOf({{discovered, NoBid(Day(2))}, {Discovered(), NoBid(Day(3))}});
  const uint32_t whole = WinLoss(history, Ours())[0].no_bid();
  EXPECT_EQ(whole, 2u);
  uint32_t sum = 0;
  for (const v1::WinLossGroup& group : WinLoss(history, Ours(v1::WIN_LOSS_GROUP_BY_DEAL_SIZE))) {
    sum += group.no_bid();
  }
  EXPECT_EQ(sum, whole);
}

TEST(RatesTest, ParsesTheRateFile) {
  const absl::StatusOr<RateTable> table =
      ParseRateTable("# rates\nbase USD\n\nCNY 0.14\n  EUR   1.08  \n");
  ASSERT_TRUE(table.ok()) << table.status();
  EXPECT_EQ(table->base, "USD");
  EXPECT_EQ(table->in_base.size(), 3u);
  EXPECT_EQ(table->in_base.at("USD").ToString(), "1");
  EXPECT_EQ(table->in_base.at("EUR").ToString(), "1.08");
  const std::vector<std::pair<std::string, std::string>> refused = {
      {"CNY 0.14\n", "line 1: \"CNY 0.14\": the `base CUR` line must come first"},
      {"base RMB\n", "not an ISO 4217 currency code"},
      {"base USD\nXYZ 1\n", "line 2: \"XYZ 1\": not an ISO 4217 currency code"},
      {"base USD\nCNY 0\n", "the value must be a positive decimal"},
      {"base USD\nCNY 1,2\n", "the value must be a positive decimal"},
      {"base USD\nCNY 0.14\nCNY 0.15\n", "a second rate for the same currency"},
      {"base USD\nbase EUR\n", "a second base"},
      {"base USD\nCNY\n", "expected `base CUR` or `CUR VALUE`"},
      {"# nothing\n", "no `base CUR` line"},
  };
  for (const auto& [text, message] : refused) {
    const absl::StatusOr<RateTable> bad = ParseRateTable(text);
    ASSERT_FALSE(bad.ok()) << text;
    EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(bad.status().message()), ::testing::HasSubstr(message)) << text;
  }
}

TEST(RatesTest, CrossRatesThroughTheTableAndRebasing) {
  const RateTable table = *ParseRateTable("base USD\nCNY 0.14\nEUR 1.12\n");
  ReportingCurrency in_eur;
  in_eur.currency = "EUR";
  const ReportingCurrency filled = WithTable(in_eur, table);
  EXPECT_EQ(filled.rates.at("CNY").ToString(), "0.125");  // 0.14 / 1.12
  EXPECT_EQ(filled.rates.at("USD").ToString(), "0.892857143");
  EXPECT_EQ(filled.rates.count("EUR"), 0u);
  // The request's own rate wins.
  in_eur.rates["CNY"] = *Decimal::Parse("0.13");
  EXPECT_EQ(WithTable(in_eur, table).rates.at("CNY").ToString(), "0.13");
  // A reporting currency the table does not know: nothing to add.
  ReportingCurrency in_gbp;
  in_gbp.currency = "GBP";
  EXPECT_TRUE(WithTable(in_gbp, table).rates.empty());

  // --currency CNY --rate USD=7.1, seen from USD: CNY = 1/7.1.
  ReportingCurrency in_cny;
  in_cny.currency = "CNY";
  in_cny.rates["USD"] = *Decimal::Parse("7.1");
  in_cny.rates["EUR"] = *Decimal::Parse("7.8");
  const std::optional<ReportingCurrency> in_usd = Rebased(in_cny, "USD");
  ASSERT_TRUE(in_usd.has_value());
  EXPECT_EQ(in_usd->currency, "USD");
  EXPECT_EQ(in_usd->rates.at("CNY").ToString(), "0.14084507");
  EXPECT_EQ(in_usd->rates.at("EUR").ToString(), "1.098591549");
  EXPECT_EQ(Rebased(in_cny, "CNY")->rates.size(), 2u);
  EXPECT_FALSE(Rebased(in_cny, "GBP").has_value());
}

// Thresholds are in their own currency (USD): with the server's table the
// bands are the same whichever currency values are reported in, and values
// are converted into it.
TEST(RatesTest, BandsDoNotDependOnTheReportingCurrency) {
  const RateTable table = *ParseRateTable("base USD\nCNY 0.14\nEUR 1.08\n");
  auto bands = [&](const std::string& currency) {
    WinLossOptions options = Ours(v1::WIN_LOSS_GROUP_BY_DEAL_SIZE);
    options.reporting.rates.clear();
    options.reporting.currency = currency;
    options.rate_table = table;
    std::map<std::string, uint32_t> bids;
    for (const v1::WinLossGroup& group : WinLoss(History(), options))
      bids[group.group()] = group.bid();
    return bids;
  };
  const std::map<std::string, uint32_t> in_usd = bands("USD");
  EXPECT_EQ(in_usd, (std::map<std::string, uint32_t>{{"small", 3}, {"medium", 2}, {"large", 1}}));
  EXPECT_EQ(bands("CNY"), in_usd);
  EXPECT_EQ(bands("EUR"), in_usd);

  // The request's rates, rebased on the thresholds' currency: the same
  // bands reported in CNY as in USD.
  WinLossOptions cny = Ours(v1::WIN_LOSS_GROUP_BY_DEAL_SIZE);
  cny.reporting.currency = "CNY";
  cny.reporting.rates.clear();
  cny.reporting.rates["USD"] = *Decimal::Parse("7.1");
  std::map<std::string, uint32_t> bids;
  for (const v1::WinLossGroup& group : WinLoss(History(), cny)) bids[group.group()] = group.bid();
  EXPECT_EQ(bids, in_usd);
}

TEST(RatesTest, ValuesConvertedAndCurrenciesWithoutRateNamed) {
  WinLossOptions options = Ours();  // CNY at 0.14 USD
  std::vector<std::string> without_rate;
  const v1::WinLossGroup all = WinLoss(History(), options, &without_rate)[0];
  // Won: T1L1 480,000 CNY = 67,200 USD. Lost: our bid on T2, 90,000 USD,
  // and T3 (disqualified) 100 CNY = 14 USD.
  EXPECT_EQ(all.value_won_converted().currency(), "USD");
  EXPECT_EQ(all.value_won_converted().amount(), "67200.00");
  EXPECT_EQ(all.value_lost_converted().amount(), "90014.00");
  EXPECT_TRUE(all.value_won_unconverted().empty());
  EXPECT_TRUE(without_rate.empty());

  // Without a CNY rate, but with one for EUR: CNY stays apart, and named.
  options.reporting.rates.clear();
  options.reporting.rates["EUR"] = *Decimal::Parse("1.08");
  const v1::WinLossGroup apart = WinLoss(History(), options, &without_rate)[0];
  EXPECT_EQ(apart.value_won_converted().amount(), "0.00");
  ASSERT_EQ(apart.value_won_unconverted_size(), 1);
  EXPECT_EQ(apart.value_won_unconverted(0).currency(), "CNY");
  EXPECT_EQ(apart.value_won_unconverted(0).amount(), "480000.00");
  EXPECT_EQ(without_rate, std::vector<std::string>{"CNY"});

  // No rates at all: nothing converted; by deal size, CNY named as unrated.
  options.reporting.rates.clear();
  options.group_by = v1::WIN_LOSS_GROUP_BY_DEAL_SIZE;
  without_rate.clear();
  const auto sizes = WinLoss(History(), options, &without_rate);
  EXPECT_FALSE(sizes[0].has_value_won_converted());
  EXPECT_EQ(without_rate, std::vector<std::string>{"CNY"});
}

// Medians over many samples (a group of a large history selects among tens of
// thousands) are those of the sorted samples, for odd and even counts, with
// repeated values, gaps on both sides of zero and cycle times of any length.
TEST(WinLossTest, MediansOfManySamplesAreThoseOfTheSortedSamples) {
  const Symbol us = Symbol::Intern(kUs);
  const Symbol rival = Symbol::Intern("C-1");
  const Symbol cny = Symbol::Intern("CNY");
  // 3,001: clustered samples (cycle times within a day, gaps within [1, 2))
  // and one far off each, so that the first count puts nearly all in one
  // bucket and the selection counts again among those.
  for (const int count : {4001, 4000, 1023, 1024, 3001}) {
    const bool clustered = count == 3001;
    std::vector<Competition> competitions;
    std::vector<double> gaps;
    std::vector<int64_t> cycles;
    uint64_t random = 12345 + count;
    auto next = [&random] {
      random = random * 6364136223846793005u + 1442695040888963407u;
      return random >> 33;
    };
    for (int i = 0; i < count; ++i) {
      Competition competition;
      competition.tender_id = absl::StrCat("T-", i);
      competition.status = Competition::Status::kDecided;
      competition.winners.push_back(rival);
      competition.award_currency = cny;
      const int64_t award = 1000 + static_cast<int64_t>(next() % 5000);
      competition.award_value = Decimal::FromNanos(award * 1000000000);
      // One bid in eight equals the award (a gap of zero); some are below.
      // With 4,000 samples or more, one in 997 is a thousand times too high
      // (what a typo does): the others then fall in a few of the first
      // count's buckets, and the selection counts again among those.
      int64_t bid = next() % 8 == 0 ? award : 500 + static_cast<int64_t>(next() % 9000);
      if (count >= 4000 && i % 997 == 0) bid *= 1000;
      if (clustered) bid = i == 7 ? award / 2 : award * 2 - 1 - static_cast<int64_t>(next() % 900);
      Competition::BidFacts ours;
      ours.bidder = us;
      ours.currency = cny;
      ours.has_amount = true;
      ours.amount = Decimal::FromNanos(bid * 1000000000);
      Competition::BidFacts theirs = ours;
      theirs.bidder = rival;
      competition.bid_facts = {ours, theirs};
      competition.discovered_at = Day(0);
      // Whole days mostly (repeated values), now and then a nanosecond off.
      int64_t cycle = static_cast<int64_t>(next() % 400) * 86400 * 1000000000 +
                      (next() % 16 == 0 ? static_cast<int64_t>(next() % 1000) : 0);
      if (count >= 4000 && i % 997 == 1) cycle = int64_t{250} * 365 * 86400 * 1000000000;
      if (clustered) {
        cycle = i == 8 ? int64_t{250} * 365 * 86400 * 1000000000
                       : int64_t{10} * 86400 * 1000000000 +
                             static_cast<int64_t>(next() % (86400ull * 1000000000));
      }
      competition.first_award_at = Day(0) + absl::Nanoseconds(cycle);
      competition.award_at = competition.first_award_at;
      competition.date = Day(0);
      gaps.push_back(static_cast<double>(bid * 1000000000 - award * 1000000000) /
                     static_cast<double>(award * 1000000000));
      cycles.push_back(cycle);
      competitions.push_back(std::move(competition));
    }
    std::sort(gaps.begin(), gaps.end());
    std::sort(cycles.begin(), cycles.end());
    const size_t middle = gaps.size() / 2;
    const double gap =
        count % 2 == 1 ? gaps[middle] : gaps[middle - 1] + (gaps[middle] - gaps[middle - 1]) / 2;
    const absl::Duration cycle =
        count % 2 == 1
            ? absl::Nanoseconds(cycles[middle])
            : absl::Nanoseconds(cycles[middle - 1]) +
                  (absl::Nanoseconds(cycles[middle]) - absl::Nanoseconds(cycles[middle - 1])) / 2;
    const CompetitionSet set(std::move(competitions));
    // Also in four parts.
    std::vector<const Competition*> all(set.begin(), set.end());
    std::vector<std::shared_ptr<const CompetitionRows>> parts;
    for (size_t from = 0; from < all.size(); from += all.size() / 4 + 1) {
      parts.push_back(std::make_shared<const CompetitionRows>(std::vector<const Competition*>(
          all.begin() + from, all.begin() + std::min(all.size(), from + all.size() / 4 + 1))));
    }
    CompetitionSet in_parts = set;
    in_parts.SetRows(parts);
    for (const auto& groups : {WinLoss(set, Ours()), WinLoss(in_parts, Ours())}) {
      ASSERT_EQ(groups.size(), 1u);
      EXPECT_EQ(groups[0].lost(), static_cast<uint32_t>(count));
      EXPECT_EQ(groups[0].median_price_gap(), gap) << count << " samples";
      EXPECT_EQ(FromProtoDuration(groups[0].median_cycle_time()), cycle) << count << " samples";
    }
  }
}

// A set's rows may come in parts, tenders in any order (the projection
// engine packs its competitions so): every grouping gives what it gives over
// the set's own rows.
TEST(CompetitionRowsTest, RowsInPartsGiveWhatOneSetOfRowsGives) {
  const CompetitionSet whole = History();
  // The tenders' competitions, last tender first, one tender to a part,
  // then two.
  std::vector<std::vector<const Competition*>> tenders;
  for (const Competition* competition : whole) {
    if (tenders.empty() || tenders.back().back()->tender_id != competition->tender_id) {
      tenders.emplace_back();
    }
    tenders.back().push_back(competition);
  }
  std::reverse(tenders.begin(), tenders.end());
  std::vector<std::shared_ptr<const CompetitionRows>> parts;
  for (size_t i = 0; i < tenders.size();) {
    std::vector<const Competition*> part = tenders[i++];
    if (parts.size() >= 3 && i < tenders.size()) {
      part.insert(part.end(), tenders[i].begin(), tenders[i].end());
      ++i;
    }
    parts.push_back(std::make_shared<const CompetitionRows>(part));
  }
  ASSERT_GT(parts.size(), 2u);
  EXPECT_EQ(parts[0]->tenders(), 1u);
  EXPECT_EQ(parts[3]->tenders(), 2u);
  CompetitionSet in_parts = whole;
  in_parts.SetRows(parts);
  ASSERT_EQ(whole.Rows().size(), 1u);
  ASSERT_EQ(in_parts.Rows().size(), parts.size());
  const google::protobuf::EnumDescriptor* groupings = v1::WinLossGroupBy_descriptor();
  for (int i = 0; i < groupings->value_count(); ++i) {
    const auto group_by = static_cast<v1::WinLossGroupBy>(groupings->value(i)->number());
    WinLossOptions options = Ours(group_by);
    options.segments.as_of = Day(100);
    options.segments.bidder_id = kUs;
    std::string one;
    for (const v1::WinLossGroup& group : WinLoss(whole, options)) one += group.DebugString();
    std::string many;
    for (const v1::WinLossGroup& group : WinLoss(in_parts, options)) many += group.DebugString();
    EXPECT_FALSE(one.empty()) << groupings->value(i)->name();
    EXPECT_EQ(many, one) << groupings->value(i)->name();
  }
}

// A set made of rows alone (CompetitionSet::OfRows, as the projection
// engine takes its snapshots) holds exactly the parts' competitions, kept
// alive by the rows, and every analytic gives over it what it gives over
// the competitions added one list at a time.
TEST(CompetitionRowsTest, ASetOfRowsIsTheSetOfItsParts) {
  const CompetitionSet whole = History();
  std::vector<std::shared_ptr<const CompetitionRows>> parts;
  {
    // Each tender's competitions copied into a list only its part holds.
    std::vector<std::vector<Competition>> tenders;
    for (const Competition* competition : whole) {
      if (tenders.empty() || tenders.back().back().tender_id != competition->tender_id) {
        tenders.emplace_back();
      }
      tenders.back().push_back(*competition);
    }
    for (size_t i = 0; i < tenders.size(); i += 2) {
      auto lists = std::make_shared<std::vector<std::vector<Competition>>>();
      for (size_t j = i; j < std::min(tenders.size(), i + 2); ++j) lists->push_back(tenders[j]);
      std::vector<const Competition*> part;
      for (const std::vector<Competition>& list : *lists) {
        for (const Competition& competition : list) part.push_back(&competition);
      }
      parts.push_back(std::make_shared<const CompetitionRows>(part, lists));
    }
  }
  const CompetitionSet of_rows = CompetitionSet::OfRows(parts);
  parts.clear();  // the set's rows keep the competitions
  ASSERT_EQ(of_rows.size(), whole.size());
  ASSERT_EQ(of_rows.Rows().size(), 4u);
  std::vector<std::string> listed;
  for (const Competition* competition : of_rows) {
    listed.push_back(competition->tender_id + "/" + competition->lot_id);
  }
  std::vector<std::string> expected;
  for (const Competition* competition : whole) {
    expected.push_back(competition->tender_id + "/" + competition->lot_id);
  }
  EXPECT_EQ(listed, expected);
  const google::protobuf::EnumDescriptor* groupings = v1::WinLossGroupBy_descriptor();
  for (int i = 0; i < groupings->value_count(); ++i) {
    WinLossOptions options = Ours(static_cast<v1::WinLossGroupBy>(groupings->value(i)->number()));
    options.segments.as_of = Day(100);
    options.segments.bidder_id = kUs;
    std::string one;
    for (const v1::WinLossGroup& group : WinLoss(whole, options)) one += group.DebugString();
    std::string rows;
    for (const v1::WinLossGroup& group : WinLoss(of_rows, options)) rows += group.DebugString();
    EXPECT_EQ(rows, one) << groupings->value(i)->name();
  }
  SegmentOptions segments;
  segments.as_of = Day(100);
  segments.bidder_id = kUs;
  EXPECT_EQ(Segments(of_rows, segments).DebugString(), Segments(whole, segments).DebugString());
  std::string competitors_whole;
  for (const auto& summary :
       Competitors(whole, kUs, absl::InfinitePast(), absl::InfiniteFuture())) {
    competitors_whole += summary.DebugString();
  }
  std::string competitors_rows;
  for (const auto& summary :
       Competitors(of_rows, kUs, absl::InfinitePast(), absl::InfiniteFuture())) {
    competitors_rows += summary.DebugString();
  }
  EXPECT_FALSE(competitors_whole.empty());
  EXPECT_EQ(competitors_rows, competitors_whole);
  // Added to, it is a set like any other: its rows' competitions, then the
  // new ones.
  CompetitionSet more = of_rows;
  const CompetitionSet extra = History();
  std::vector<Competition> copies;
  for (const Competition* competition : extra) copies.push_back(*competition);
  more.Add(std::make_shared<const std::vector<Competition>>(std::move(copies)));
  EXPECT_EQ(more.size(), 2 * whole.size());
  size_t listed_again = 0;
  for (const Competition* competition : more) listed_again += competition != nullptr ? 1 : 0;
  EXPECT_EQ(listed_again, 2 * whole.size());
  ASSERT_EQ(more.Rows().size(), 1u);
  EXPECT_EQ(WinLoss(more, Ours())[0].bid(), 2 * WinLoss(whole, Ours())[0].bid());
}

// A bidder's postings: each row in which it has a bid that is not withdrawn,
// once (a disqualified bid and a valid one in the same row make one), with
// the bid BidIndexOf chooses.
TEST(CompetitionRowsTest, PostingsListEachRowOfABidderOnce) {
  const Symbol us = Symbol::Intern(kUs);
  const Symbol rival = Symbol::Intern("C-1");
  auto bid = [](Symbol bidder, v1::BidStatus status) {
    Competition::BidFacts facts;
    facts.bidder = bidder;
    facts.status = status;
    return facts;
  };
  std::vector<Competition> competitions(5);
  competitions[0].bid_facts = {bid(us, v1::BID_STATUS_VALID), bid(rival, v1::BID_STATUS_WITHDRAWN)};
  competitions[1].bid_facts = {bid(rival, v1::BID_STATUS_DISQUALIFIED),
                               bid(rival, v1::BID_STATUS_VALID), bid(us, v1::BID_STATUS_WITHDRAWN)};
  competitions[2].bid_facts = {bid(us, v1::BID_STATUS_DISQUALIFIED), bid(us, v1::BID_STATUS_VALID),
                               bid(us, v1::BID_STATUS_DISQUALIFIED)};
  // A status this build does not know: neither valid nor withdrawn.
  competitions[4].bid_facts = {bid(rival, static_cast<v1::BidStatus>(300))};
  for (size_t i = 0; i < competitions.size(); ++i) {
    competitions[i].tender_id = absl::StrCat("T-", i);
  }
  std::vector<const Competition*> pointers;
  for (const Competition& competition : competitions) pointers.push_back(&competition);
  const CompetitionRows rows(pointers);
  auto postings = [&](Symbol bidder) {
    std::vector<std::pair<uint32_t, uint32_t>> out;
    for (const CompetitionRows::Posting& posting : rows.PostingsOf(bidder)) {
      EXPECT_EQ(posting.bid, rows.BidIndexOf(posting.row, bidder));
      EXPECT_EQ(static_cast<int64_t>(posting.bid - rows.bids_begin(posting.row)),
                competitions[posting.row].BidIndexOf(bidder));
      out.emplace_back(posting.row, posting.bid);
    }
    return out;
  };
  using Postings = std::vector<std::pair<uint32_t, uint32_t>>;
  EXPECT_EQ(postings(us), (Postings{{0, 0}, {2, 6}}));
  EXPECT_EQ(postings(rival), (Postings{{1, 3}, {4, 8}}));
  EXPECT_EQ(rows.bid(8).status(), CompetitionRows::Bid::kUnknownStatus);
  EXPECT_EQ(rows[1].bidders, 2u);
  EXPECT_EQ(rows[2].bidders, 3u);
  EXPECT_TRUE(rows.PostingsOf(Symbol::Intern("nobody bids")).empty());
}

// Grouping by competitor reads only the rows the bidder's postings list:
// over competitions with every kind of bid, each competitor's counts are those
// of a count over the competitions themselves.
TEST(WinLossTest, ByCompetitorCountsWhatACountOverTheCompetitionsCounts) {
  const Symbol us = Symbol::Intern(kUs);
  std::vector<Symbol> bidders = {us};
  for (int i = 1; i <= 5; ++i) bidders.push_back(Symbol::Intern(absl::StrCat("C-", i)));
  const std::vector<v1::BidStatus> statuses = {
      v1::BID_STATUS_VALID, v1::BID_STATUS_VALID, v1::BID_STATUS_WITHDRAWN,
      v1::BID_STATUS_DISQUALIFIED, static_cast<v1::BidStatus>(300)};
  uint64_t random = 2026;
  auto next = [&random](uint64_t below) {
    random = random * 6364136223846793005u + 1442695040888963407u;
    return (random >> 33) % below;
  };
  std::vector<Competition> competitions;
  for (int i = 0; i < 600; ++i) {
    Competition competition;
    competition.tender_id = absl::StrCat("T-", i / 2);  // two lots a tender
    competition.date = Day(static_cast<int>(next(300)));
    competition.status = static_cast<Competition::Status>(next(3));
    const size_t count = next(7);
    for (size_t b = 0; b < count; ++b) {
      Competition::BidFacts facts;
      facts.bidder = bidders[next(bidders.size())];
      facts.status = statuses[next(statuses.size())];
      competition.bid_facts.push_back(facts);
    }
    if (competition.status == Competition::Status::kDecided && count > 0) {
      competition.winners.push_back(competition.bid_facts[next(count)].bidder);
    }
    competitions.push_back(std::move(competition));
  }
  // The expected counts, straight from the competitions.
  struct Counts {
    uint32_t bid = 0, won = 0, lost = 0, pending = 0, void_count = 0, disqualified = 0;
  };
  std::map<std::string, Counts> expected;
  for (const Competition& competition : competitions) {
    const int mine = competition.BidIndexOf(us);
    if (mine < 0) continue;
    std::set<std::string> rivals;
    for (const Competition::BidFacts& facts : competition.bid_facts) {
      if (facts.bidder != us && facts.status != v1::BID_STATUS_WITHDRAWN) {
        rivals.insert(std::string(facts.bidder.text()));
      }
    }
    const bool disqualified =
        competition.bid_facts[static_cast<size_t>(mine)].status == v1::BID_STATUS_DISQUALIFIED;
    for (const std::string& rival : rivals) {
      Counts& counts = expected[rival];
      ++counts.bid;
      if (competition.status == Competition::Status::kVoid) {
        ++counts.void_count;
        continue;
      }
      if (disqualified) ++counts.disqualified;
      if (competition.Won(us) && !disqualified) {
        ++counts.won;
      } else if (competition.status == Competition::Status::kDecided || disqualified) {
        ++counts.lost;
      } else {
        ++counts.pending;
      }
    }
  }
  ASSERT_FALSE(expected.empty());
  const CompetitionSet set(std::move(competitions));
  // In one set of rows and in parts of a few tenders.
  std::vector<const Competition*> all(set.begin(), set.end());
  std::vector<std::shared_ptr<const CompetitionRows>> parts;
  for (size_t from = 0; from < all.size(); from += 64) {
    parts.push_back(std::make_shared<const CompetitionRows>(std::vector<const Competition*>(
        all.begin() + from, all.begin() + std::min(all.size(), from + 64))));
  }
  CompetitionSet in_parts = set;
  in_parts.SetRows(parts);
  for (const CompetitionSet* each : {&set, static_cast<const CompetitionSet*>(&in_parts)}) {
    const auto groups = WinLoss(*each, Ours(v1::WIN_LOSS_GROUP_BY_COMPETITOR));
    ASSERT_EQ(groups.size(), expected.size());
    for (const v1::WinLossGroup& group : groups) {
      const Counts& counts = expected[group.group()];
      EXPECT_EQ(group.bid(), counts.bid) << group.group();
      EXPECT_EQ(group.won(), counts.won) << group.group();
      EXPECT_EQ(group.lost(), counts.lost) << group.group();
      EXPECT_EQ(group.pending(), counts.pending) << group.group();
      EXPECT_EQ(group.void_(), counts.void_count) << group.group();
      EXPECT_EQ(group.disqualified(), counts.disqualified) << group.group();
    }
  }
}

// WinLoss over many parts (blocks of WinLossCache::kBlockParts), with a
// cache and without, cold and warm, and after parts changed: every grouping
// gives byte for byte what a pass over one set of rows gives, medians of
// thousands of samples and currencies without a rate included.
TEST(WinLossTest, ACacheOfBlocksGivesWhatOnePassGives) {
  const Symbol us = Symbol::Intern(kUs);
  std::vector<Symbol> bidders = {us};
  for (int i = 1; i <= 6; ++i) bidders.push_back(Symbol::Intern(absl::StrCat("C-", i)));
  const std::vector<Symbol> currencies = {Symbol::Intern("CNY"), Symbol::Intern("USD"),
                                          Symbol::Intern("EUR")};
  const std::vector<Symbol> places = {Symbol::Intern("north"), Symbol::Intern("south")};
  const std::vector<Symbol> buyers = {Symbol::Intern("B-1"), Symbol::Intern("B-2"),
                                      Symbol::Intern("B-3")};
  const std::vector<v1::BidStatus> statuses = {v1::BID_STATUS_VALID, v1::BID_STATUS_VALID,
                                               v1::BID_STATUS_VALID, v1::BID_STATUS_WITHDRAWN,
                                               v1::BID_STATUS_DISQUALIFIED};
  uint64_t random = 77;
  auto next = [&random](uint64_t below) {
    random = random * 6364136223846793005u + 1442695040888963407u;
    return (random >> 33) % below;
  };
  // `salt` changes every competition's figures: a changed part.
  auto make = [&](int i, uint64_t salt) {
    random ^= salt;
    Competition competition;
    competition.tender_id = absl::StrCat("T-", i / 2);  // two lots a tender
    competition.lot_id = absl::StrCat("L", i % 2);
    competition.discovered_at = Day(static_cast<int>(next(700)));
    competition.date = competition.discovered_at + absl::Hours(24 * 20);
    competition.status =
        next(2) == 0 ? Competition::Status::kDecided : static_cast<Competition::Status>(next(3));
    competition.no_bid = next(10) == 0;
    competition.buyer_id = buyers[next(buyers.size())];
    competition.buyer_name = competition.buyer_id;
    competition.territory = places[next(places.size())];
    competition.category = places[next(places.size())];
    competition.owner_team = places[next(places.size())];
    competition.procurement_method = static_cast<v1::ProcurementMethod>(next(3));
    competition.discovery_channel = static_cast<v1::DiscoveryChannel>(next(3));
    competition.estimated_currency = currencies[next(currencies.size())];
    competition.estimated_value =
        Decimal::FromNanos(static_cast<int64_t>(next(900000)) * 1000000000);
    const Symbol currency = currencies[next(2)];
    if (next(10) != 0) {
      Competition::BidFacts ours;
      ours.bidder = us;
      ours.name = us;
      ours.status = statuses[next(statuses.size())];
      ours.currency = next(20) == 0 ? currencies[2] : currency;
      ours.has_amount = next(10) != 0;
      ours.amount = Decimal::FromNanos(static_cast<int64_t>(1000 + next(500000)) * 1000000000);
      competition.bid_facts.push_back(ours);
    }
    for (size_t b = next(4); b > 0; --b) {
      Competition::BidFacts theirs;
      theirs.bidder = bidders[1 + next(bidders.size() - 1)];
      theirs.name = theirs.bidder;
      theirs.status = statuses[next(statuses.size())];
      theirs.currency = currency;
      theirs.has_amount = true;
      theirs.amount = Decimal::FromNanos(static_cast<int64_t>(1000 + next(500000)) * 1000000000);
      competition.bid_facts.push_back(theirs);
    }
    if (competition.status == Competition::Status::kDecided && !competition.bid_facts.empty()) {
      const Competition::BidFacts& winner =
          competition.bid_facts[next(competition.bid_facts.size())];
      competition.winners.push_back(winner.bidder);
      competition.award_currency = currency;
      competition.award_value = winner.amount;
      // Days, now and then before the tender, once three centuries long.
      competition.first_award_at = competition.discovered_at +
                                   absl::Hours(24 * (static_cast<int64_t>(next(200)) - 10)) +
                                   absl::Seconds(static_cast<int64_t>(next(86400)));
      if (i == 1234)
        competition.first_award_at = competition.discovered_at + absl::Hours(24 * 365 * 300);
      competition.award_at = competition.first_award_at;
    }
    return competition;
  };
  constexpr int kCompetitions = 9000;
  constexpr int kPartCompetitions = 80;  // 40 tenders: 113 parts, 8 blocks
  std::vector<std::vector<Competition>> lists;
  for (int i = 0; i < kCompetitions; ++i) {
    if (i % kPartCompetitions == 0) lists.emplace_back();
    lists.back().push_back(make(i, 0));
  }
  // Each list's rows, packed once and kept while the list is (as the
  // projection engine keeps its parts).
  std::vector<std::shared_ptr<const std::vector<Competition>>> owned;
  std::vector<std::shared_ptr<const CompetitionRows>> parts;
  auto pack = [](const std::vector<Competition>& list) {
    std::vector<const Competition*> part;
    for (const Competition& competition : list) part.push_back(&competition);
    return std::make_shared<const CompetitionRows>(part);
  };
  for (std::vector<Competition>& list : lists) {
    owned.push_back(std::make_shared<const std::vector<Competition>>(std::move(list)));
    parts.push_back(pack(*owned.back()));
  }
  auto text_of = [](const std::vector<v1::WinLossGroup>& groups,
                    const std::vector<std::string>& without_rate) {
    std::string text = absl::StrJoin(without_rate, ",") + "\n";
    for (const v1::WinLossGroup& group : groups) {
      std::string bytes;
      group.SerializeToString(&bytes);
      absl::StrAppend(&text, group.DebugString(), absl::BytesToHexString(bytes), "\n");
    }
    return text;
  };
  const google::protobuf::EnumDescriptor* groupings = v1::WinLossGroupBy_descriptor();
  std::vector<WinLossOptions> queries;
  for (int i = 0; i < groupings->value_count(); ++i) {
    WinLossOptions options = Ours(static_cast<v1::WinLossGroupBy>(groupings->value(i)->number()));
    options.segments.as_of = Day(800);
    options.segments.bidder_id = kUs;
    queries.push_back(options);
  }
  queries.push_back(Ours(v1::WIN_LOSS_GROUP_BY_COMPETITOR));
  queries.back().from = Day(100);
  queries.back().to = Day(500);
  queries.push_back(Ours(v1::WIN_LOSS_GROUP_BY_QUARTER));
  queries.back().bidder_id = "C-1";
  queries.back().territory = "north";

  WinLossCache cache(/*queries=*/64);
  for (int round = 0; round < 3; ++round) {
    if (round == 2) {
      // Two parts change (new rows over new figures), one in the first
      // block and one in the last.
      for (const size_t changed : {size_t{3}, owned.size() - 1}) {
        std::vector<Competition> list;
        for (size_t i = 0; i < owned[changed]->size(); ++i) {
          list.push_back(make(static_cast<int>(changed * kPartCompetitions + i), 99));
        }
        owned[changed] = std::make_shared<const std::vector<Competition>>(std::move(list));
        parts[changed] = pack(*owned[changed]);
      }
    }
    CompetitionSet whole;
    whole.Add(owned);
    CompetitionSet in_parts;
    in_parts.Add(owned);
    in_parts.SetRows(parts);
    ASSERT_EQ(whole.Rows().size(), 1u);
    ASSERT_GT(in_parts.Rows().size(), 7 * WinLossCache::kBlockParts);
    for (const WinLossOptions& options : queries) {
      const std::string name = absl::StrCat(v1::WinLossGroupBy_Name(options.group_by), " ",
                                            options.bidder_id, " round ", round);
      std::vector<std::string> missing;
      const std::string expected = text_of(WinLoss(whole, options, &missing), missing);
      EXPECT_NE(expected.find("group"), std::string::npos) << name;
      missing.clear();
      EXPECT_EQ(text_of(WinLoss(in_parts, options, &missing), missing), expected) << name;
      missing.clear();
      EXPECT_EQ(text_of(WinLoss(in_parts, options, &missing, &cache), missing), expected) << name;
    }
    // Every query but the segments' (whose passes depend on the whole set)
    // kept its 8 blocks; the second round passed over none again, the third
    // over the two blocks the changed parts are in.
    const size_t cached_queries = queries.size() - 1;
    EXPECT_EQ(cache.blocks(), cached_queries * 8);
    EXPECT_EQ(cache.kept(), cached_queries * (round == 0 ? 8 : round == 1 ? 8 : 10)) << round;
  }
}

// A cache keeps the blocks of its last few queries only.
TEST(WinLossTest, ACacheKeepsItsLastQueries) {
  const CompetitionSet set = History();
  WinLossCache cache(/*queries=*/2);
  for (const v1::WinLossGroupBy group_by :
       {v1::WIN_LOSS_GROUP_BY_BUYER, v1::WIN_LOSS_GROUP_BY_TERRITORY,
        v1::WIN_LOSS_GROUP_BY_QUARTER}) {
    const std::vector<v1::WinLossGroup> cold = WinLoss(set, Ours(group_by), nullptr, &cache);
    const std::vector<v1::WinLossGroup> warm = WinLoss(set, Ours(group_by), nullptr, &cache);
    ASSERT_EQ(cold.size(), warm.size());
    for (size_t i = 0; i < cold.size(); ++i)
      EXPECT_EQ(cold[i].DebugString(), warm[i].DebugString());
  }
  EXPECT_EQ(cache.blocks(), 2u);
  // Bounded by bytes too: past the bound, only the query kept last stays.
  WinLossCache small(/*queries=*/8, /*max_bytes=*/1);
  WinLoss(set, Ours(v1::WIN_LOSS_GROUP_BY_BUYER), nullptr, &small);
  WinLoss(set, Ours(v1::WIN_LOSS_GROUP_BY_TERRITORY), nullptr, &small);
  EXPECT_EQ(small.blocks(), 1u);
  EXPECT_EQ(small.kept(), 2u);
}

// Imported data has dates years wrong: a cycle time beyond what int64
// nanoseconds hold (about 292 years) still counts, in the median or (dated
// before the tender) as an award before the tender.
TEST(WinLossTest, CycleTimesCenturiesLong) {
  const Symbol us = Symbol::Intern(kUs);
  auto decided = [&](absl::Duration cycle) {
    Competition competition;
    competition.tender_id = absl::StrCat("T-", absl::FormatDuration(cycle));
    competition.status = Competition::Status::kDecided;
    competition.winners.push_back(us);
    Competition::BidFacts ours;
    ours.bidder = us;
    competition.bid_facts = {ours};
    competition.discovered_at = Day(0);
    competition.first_award_at = Day(0) + cycle;
    competition.date = Day(0);
    return competition;
  };
  const absl::Duration centuries = absl::Hours(24 * 365 * 400);
  auto median = [&](const std::vector<absl::Duration>& cycles) {
    std::vector<Competition> competitions;
    for (const absl::Duration cycle : cycles) competitions.push_back(decided(cycle));
    const auto groups = WinLoss(CompetitionSet(std::move(competitions)), Ours());
    EXPECT_EQ(groups.size(), 1u);
    return groups.empty() ? v1::WinLossGroup() : groups[0];
  };
  const v1::WinLossGroup odd = median({absl::Hours(24), centuries, absl::Hours(48)});
  EXPECT_EQ(FromProtoDuration(odd.median_cycle_time()), absl::Hours(48));
  const v1::WinLossGroup even =
      median({absl::Hours(24), centuries, centuries + absl::Hours(2), absl::Hours(48)});
  EXPECT_EQ(FromProtoDuration(even.median_cycle_time()), (absl::Hours(48) + centuries) / 2);
  const v1::WinLossGroup before = median({-centuries, absl::Hours(24)});
  EXPECT_EQ(before.awards_before_tender(), 1u);
  EXPECT_EQ(FromProtoDuration(before.median_cycle_time()), absl::Hours(24));
}

// Public data (imported tenders) and our own entries counted apart: the
// history with T-2 imported.
TEST(SourceTest, EveryAnalyticFiltersBySource) {
  auto history = [] {
    std::vector<Competition> competitions;
    for (const Competition* c : History()) {
      competitions.push_back(*c);
      if (c->tender_id == "T-2")
        competitions.back().discovery_channel = v1::DISCOVERY_CHANNEL_IMPORT;
    }
    return CompetitionSet(std::move(competitions));
  };
  EXPECT_EQ(SourceOf(""), Source::kAll);
  EXPECT_EQ(SourceOf("own"), Source::kOwn);
  EXPECT_EQ(SourceOf("import"), Source::kImport);
  EXPECT_EQ(SourceOf("ocds"), std::nullopt);

  WinLossOptions all = Ours();
  WinLossOptions own = Ours();
  own.source = Source::kOwn;
  WinLossOptions imported = Ours();
  imported.source = Source::kImport;
  const v1::WinLossGroup every = WinLoss(history(), all)[0];
  const v1::WinLossGroup ours = WinLoss(history(), own)[0];
  const v1::WinLossGroup theirs = WinLoss(history(), imported)[0];
  EXPECT_EQ(theirs.bid(), 1u);
  EXPECT_EQ(theirs.lost(), 1u);
  EXPECT_EQ(ours.bid() + theirs.bid(), every.bid());
  EXPECT_EQ(ours.lost() + theirs.lost(), every.lost());
  EXPECT_EQ(ours.won(), every.won());

  auto c1 = [&](Source source) {
    for (const v1::CompetitorSummary& summary :
         Competitors(history(), kUs, absl::InfinitePast(), absl::InfiniteFuture(), source)) {
      if (summary.competitor().id() == "C-1") return summary;
    }
    return v1::CompetitorSummary();
  };
  EXPECT_EQ(c1(Source::kAll).met(), 3u);
  EXPECT_EQ(c1(Source::kOwn).met(), 2u);
  EXPECT_EQ(c1(Source::kImport).met(), 1u);
  EXPECT_EQ(c1(Source::kImport).their_wins(), 1u);

  SegmentOptions grid;
  grid.as_of = Day(100);
  grid.bidder_id = kUs;
  grid.reporting.rates["CNY"] = *Decimal::Parse("0.14");
  grid.source = Source::kImport;
  const v1::SegmentsResponse imported_grid = Segments(history(), grid);
  ASSERT_EQ(imported_grid.buyers_size(), 1);
  EXPECT_EQ(imported_grid.buyers(0).awarded_value(), "85000.00");  // T2 alone
}

// Each thread keeps its own cache of the symbols it interned: threads must
// still agree on every symbol, whichever interned it first.
TEST(SymbolTest, ThreadsAgreeOnSymbols) {
  constexpr int kTexts = 2000;
  std::vector<Symbol> first(kTexts);
  std::vector<Symbol> second(kTexts);
  auto intern = [](std::vector<Symbol>* out, bool backwards) {
    for (int n = 0; n < kTexts; ++n) {
      const int i = backwards ? kTexts - 1 - n : n;
      (*out)[i] = Symbol::Intern(absl::StrCat("symbol threads: ", i));
    }
  };
  std::thread a(intern, &first, false);
  std::thread b(intern, &second, true);
  a.join();
  b.join();
  EXPECT_EQ(first, second);
  for (int i = 0; i < kTexts; ++i) {
    EXPECT_EQ(first[i].text(), absl::StrCat("symbol threads: ", i));
    EXPECT_EQ(Symbol::Intern(absl::StrCat("symbol threads: ", i)), first[i]);
  }
}

TEST(SymbolTest, InternsEachTextOnce) {
  const Symbol a = Symbol::Intern("symbol test: a");
  EXPECT_EQ(Symbol::Intern("symbol test: a"), a);
  EXPECT_NE(Symbol::Intern("symbol test: b"), a);
  EXPECT_EQ(a.text(), "symbol test: a");
  EXPECT_EQ(Symbol::Find("symbol test: a"), a);
  EXPECT_LT(a.index(), Symbol::Count());
  EXPECT_EQ(Symbol::Intern(""), Symbol());
  EXPECT_EQ(Symbol().text(), "");
}

TEST(SymbolTest, FindNeverInterns) {
  const uint32_t count = Symbol::Count();
  EXPECT_EQ(Symbol::Find("symbol test: never interned"), std::nullopt);
  EXPECT_EQ(Symbol::Find("symbol test: never interned"), std::nullopt);
  EXPECT_EQ(Symbol::Count(), count);
}

TEST(SymbolTest, ThreadsInterningTheSameTextsAgree) {
  constexpr int kThreads = 4;
  constexpr int kTexts = 4096;
  auto text = [](int i) { return "symbol test: shared " + std::to_string(i); };
  std::vector<std::vector<Symbol>> seen(kThreads, std::vector<Symbol>(kTexts));
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([t, &seen, &text] {
      // Each thread in an order of its own (odd steps through a power of two
      // visit every text), so that they race to intern each text first.
      for (int i = 0; i < kTexts; ++i) {
        const int each = (i * (2 * t + 1)) % kTexts;
        seen[t][each] = Symbol::Intern(text(each));
        EXPECT_EQ(seen[t][each].text(), text(each));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<uint32_t> indices;
  for (int i = 0; i < kTexts; ++i) {
    for (int t = 1; t < kThreads; ++t) EXPECT_EQ(seen[t][i], seen[0][i]) << text(i);
    indices.insert(seen[0][i].index());
  }
  EXPECT_EQ(indices.size(), static_cast<size_t>(kTexts));
}

}  // namespace
}  // namespace bidtrail::analytics
