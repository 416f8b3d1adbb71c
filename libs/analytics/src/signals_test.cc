// The procurement red flags against hand-computed values on small histories
// with the edge cases: withdrawn bids, one bidder bidding twice, bidding
// still open, non-competitive methods, mixed currencies, a runner-up below
// the winner, consortia, more than ten awards.
#include "bidtrail/analytics/signals.h"

#include <string>
#include <vector>

#include "bidtrail/common/proto_time.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/tender/testing/events.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::analytics {
namespace {

using namespace ::bidtrail::tender::testing;  // NOLINT: event builders
using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

v1::TenderEvent At(v1::TenderEvent discovered, const std::string& buyer,
                   v1::ProcurementMethod method = v1::PROCUREMENT_METHOD_OPEN) {
  *discovered.mutable_tender_discovered()->mutable_buyer() = Party(buyer);
  discovered.mutable_tender_discovered()->set_procurement_method(method);
  return discovered;
}

// An imported tender (its discovery is its publication) whose submission
// deadline is `days` after it (T0).
v1::TenderEvent Period(v1::TenderEvent discovered, double days) {
  discovered.mutable_tender_discovered()->set_discovery_channel(v1::DISCOVERY_CHANNEL_IMPORT);
  ToProtoTime(
      Day(days),
      discovered.mutable_tender_discovered()->mutable_key_dates()->mutable_submission_deadline());
  discovered.mutable_tender_discovered()->mutable_key_dates()->clear_bid_opening_at();
  discovered.mutable_tender_discovered()->mutable_key_dates()->clear_documents_available_until();
  return discovered;
}

struct Fixture {
  std::vector<Competition> competitions;
  void Add(const std::string& tender_id, const std::vector<v1::TenderEvent>& events) {
    std::vector<v1::TenderEvent> named;
    for (const v1::TenderEvent& event : events) named.push_back(ForTender(tender_id, event));
    for (Competition& c : CompetitionsOf(tender::Fold(named))) competitions.push_back(c);
  }
  SignalReport Run(absl::Time now = Day(100)) const {
    SignalOptions options;
    options.now = now;
    return Signals(CompetitionSet(competitions), options);
  }
};

// The kinds flagged on `tender_id`, in order.
std::vector<v1::SignalKind> KindsOf(const SignalReport& report, const std::string& tender_id) {
  std::vector<v1::SignalKind> kinds;
  for (const v1::CompetitionSignal& signal : report.signals) {
    if (signal.tender_id() == tender_id) kinds.push_back(signal.kind());
  }
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

const v1::BuyerSignals* BuyerOf(const SignalReport& report, const std::string& buyer) {
  for (const v1::BuyerSignals& b : report.buyers) {
    if (b.buyer().id() == buyer) return &b;
  }
  return nullptr;
}

TEST(SignalsTest, SingleBidNeedsACompetitiveProcedureWhoseBiddingIsOver) {
  Fixture f;
  // One bidder (twice), and a withdrawn bid: a single bid.
  f.Add("S-1", {At(Discovered(), "B"), Bid("C-1", "100", Day(19)), Bid("C-1", "90", Day(19)),
                Bid("C-2", "95", Day(19)), Withdrawn("C-2", Day(19))});
  // Two bidders.
  f.Add("S-2", {At(Discovered(), "B"), Bid("C-1", "100", Day(19)), Bid("C-2", "110", Day(19))});
  // Direct award: not competitive.
  f.Add("S-3", {At(Discovered(), "B", v1::PROCUREMENT_METHOD_DIRECT), Bid("C-1", "100", Day(19))});
  // Selective: competitive.
  f.Add("S-4",
        {At(Discovered(), "B", v1::PROCUREMENT_METHOD_SELECTIVE), Bid("C-1", "100", Day(19))});
  // No bid known: not counted.
  f.Add("S-5", {At(Discovered(), "B")});
  SignalReport report = f.Run();
  EXPECT_THAT(KindsOf(report, "S-1"), ElementsAre(v1::SIGNAL_KIND_SINGLE_BID));
  EXPECT_THAT(KindsOf(report, "S-2"), IsEmpty());
  EXPECT_THAT(KindsOf(report, "S-3"), IsEmpty());
  EXPECT_THAT(KindsOf(report, "S-4"), ElementsAre(v1::SIGNAL_KIND_SINGLE_BID));
  const v1::BuyerSignals* buyer = BuyerOf(report, "B");
  ASSERT_NE(buyer, nullptr);
  EXPECT_EQ(buyer->competitions(), 5u);
  EXPECT_EQ(buyer->competitive(), 3u);  // S-1, S-2, S-4
  EXPECT_EQ(buyer->single_bid(), 2u);
  EXPECT_THAT(buyer->single_bid_rate(), DoubleNear(2.0 / 3, 1e-12));
  EXPECT_EQ(buyer->flagged_competitions(), 2u);
  // Before the deadline (day 20) bidding is still open: nothing to flag.
  report = f.Run(Day(19));
  EXPECT_THAT(KindsOf(report, "S-1"), IsEmpty());
  EXPECT_FALSE(BuyerOf(report, "B")->has_single_bid_rate());
}

TEST(SignalsTest, ShortSubmissionPeriod) {
  Fixture f;
  f.Add("P-1", {Period(At(Discovered(), "B"), 14.9)});
  f.Add("P-2", {Period(At(Discovered(), "B"), 15)});
  f.Add("P-3", {Period(At(Discovered(), "B", v1::PROCUREMENT_METHOD_LIMITED), 3)});
  // Discovered after its deadline: no period to judge.
  v1::TenderEvent late = Period(At(Discovered(), "B"), 10);
  ToProtoTime(Day(11), late.mutable_tender_discovered()->mutable_occurred_at());
  f.Add("P-4", {late});
  // Our own tender: discovered when we learned of it, not published then.
  v1::TenderEvent own = Period(At(Discovered(), "B"), 3);
  own.mutable_tender_discovered()->set_discovery_channel(v1::DISCOVERY_CHANNEL_FIELD_VISIT);
  f.Add("P-5", {own});
  const SignalReport report = f.Run();
  EXPECT_THAT(KindsOf(report, "P-1"), ElementsAre(v1::SIGNAL_KIND_SHORT_SUBMISSION_PERIOD));
  EXPECT_THAT(KindsOf(report, "P-2"), IsEmpty());
  EXPECT_THAT(KindsOf(report, "P-3"), IsEmpty());
  EXPECT_THAT(KindsOf(report, "P-4"), IsEmpty());
  EXPECT_THAT(KindsOf(report, "P-5"), IsEmpty());
  EXPECT_EQ(report.signals[0].detail(),
            "14d21h from publication to the submission deadline (under 15 days)");
  SignalOptions longer;
  longer.now = Day(100);
  longer.short_period = absl::Hours(24 * 16);
  EXPECT_THAT(KindsOf(Signals(CompetitionSet(f.competitions), longer), "P-2"),
              ElementsAre(v1::SIGNAL_KIND_SHORT_SUBMISSION_PERIOD));
}

TEST(SignalsTest, IdenticalPricesLateWinnersAndDisqualifications) {
  Fixture f;
  // Same price, two bidders: flagged; same bidder twice, or another
  // currency: not.
  f.Add("I-1", {At(Discovered(), "B"), Bid("C-1", "100.00", Day(19)), Bid("C-2", "100", Day(19))});
  f.Add("I-2", {At(Discovered(), "B"), Bid("C-1", "100", Day(19)), Bid("C-1", "100", Day(19))});
  v1::TenderEvent dollars = Bid("C-2", "100", Day(19));
  dollars.mutable_bid_submitted()->mutable_amount()->set_currency("USD");
  f.Add("I-3", {At(Discovered(), "B"), Bid("C-1", "100", Day(19)), dollars});
  // The winner's bid is dated after the deadline (day 20); a late loser is
  // no flag.
  f.Add("L-1", {At(Discovered(), "B"), Bid("C-1", "100", Day(21)), Bid("C-2", "120", Day(19)),
                Award("A", "C-1", "100", Day(30))});
  f.Add("L-2", {At(Discovered(), "B"), Bid("C-1", "100", Day(19)), Bid("C-2", "120", Day(21)),
                Award("A", "C-1", "100", Day(30))});
  // Every other bid disqualified, the lowest among them.
  f.Add("D-1", {At(Discovered(), "B"), Bid("C-1", "130", Day(19)), Bid("C-2", "100", Day(19)),
                Bid("C-3", "110", Day(19)), Disqualified("C-2", Day(22)),
                Disqualified("C-3", Day(22)), Award("A", "C-1", "130", Day(30))});
  // The lowest bid disqualified, another still in: one flag only.
  f.Add("D-2", {At(Discovered(), "B"), Bid("C-1", "130", Day(19)), Bid("C-2", "100", Day(19)),
                Bid("C-3", "140", Day(19)), Disqualified("C-2", Day(22)),
                Award("A", "C-1", "130", Day(30))});
  const SignalReport report = f.Run();
  EXPECT_THAT(KindsOf(report, "I-1"), ElementsAre(v1::SIGNAL_KIND_IDENTICAL_BID_PRICES));
  EXPECT_THAT(KindsOf(report, "I-2"), ElementsAre(v1::SIGNAL_KIND_SINGLE_BID));
  EXPECT_THAT(KindsOf(report, "I-3"), IsEmpty());
  EXPECT_THAT(KindsOf(report, "L-1"), ElementsAre(v1::SIGNAL_KIND_LATE_BID_WON));
  EXPECT_THAT(KindsOf(report, "L-2"), IsEmpty());
  EXPECT_THAT(KindsOf(report, "D-1"), ElementsAre(v1::SIGNAL_KIND_ALL_OTHER_BIDS_DISQUALIFIED,
                                                  v1::SIGNAL_KIND_LOWEST_BID_DISQUALIFIED));
  EXPECT_THAT(KindsOf(report, "D-2"), ElementsAre(v1::SIGNAL_KIND_LOWEST_BID_DISQUALIFIED));
  for (const v1::CompetitionSignal& signal : report.signals) {
    if (signal.tender_id() == "I-1") {
      EXPECT_EQ(signal.detail(), "C-1 and C-2 both bid 100 CNY");
    }
    if (signal.tender_id() == "D-1" &&
        signal.kind() == v1::SIGNAL_KIND_ALL_OTHER_BIDS_DISQUALIFIED) {
      EXPECT_EQ(signal.detail(), "the 2 other bids were disqualified");
    }
    if (signal.tender_id() == "D-2") {
      EXPECT_EQ(signal.detail(), "C-2's bid, the lowest (100 CNY), was disqualified");
    }
  }
}

// The runner-up's gap above the winning bid: Q1 - 1.5 IQR of every gap.
TEST(SignalsTest, PriceCloseToTheWinningBidIsALowOutlier) {
  Fixture f;
  // Gaps 0.5%, 9%, 10%, 10%, 11%, 12%, 12%, 13%: sorted, Q1 = 9.75%, Q3 =
  // 12%, IQR 2.25%, threshold 9.75% - 3.375% = 6.375%: only 0.5% is an
  // outlier.
  const std::vector<std::string> runner_ups = {"100.5", "109", "110", "110",
                                               "111",   "112", "112", "113"};
  for (size_t i = 0; i < runner_ups.size(); ++i) {
    f.Add("G-" + std::to_string(i),
          {At(Discovered(), "B"), Bid("W", "100", Day(19)), Bid("R", runner_ups[i], Day(19)),
           Bid("X", "200", Day(19)), Award("A", "W", "100", Day(30))});
  }
  // Not a gap: the winner is not the lowest; the runner-up disqualified.
  f.Add("N-1", {At(Discovered(), "B"), Bid("W", "100", Day(19)), Bid("R", "90", Day(19)),
                Award("A", "W", "100", Day(30))});
  f.Add("N-2", {At(Discovered(), "B"), Bid("W", "100", Day(19)), Bid("R", "100.1", Day(19)),
                Disqualified("R", Day(22)), Award("A", "W", "100", Day(30))});
  const SignalReport report = f.Run();
  EXPECT_EQ(report.price_gaps, 8u);
  ASSERT_TRUE(report.price_gap_threshold.has_value());
  EXPECT_THAT(*report.price_gap_threshold, DoubleNear(0.06375, 1e-12));
  EXPECT_THAT(KindsOf(report, "G-0"), ElementsAre(v1::SIGNAL_KIND_PRICE_CLOSE_TO_WINNING_BID));
  for (size_t i = 1; i < runner_ups.size(); ++i) {
    EXPECT_THAT(KindsOf(report, "G-" + std::to_string(i)), IsEmpty()) << i;
  }
  EXPECT_THAT(KindsOf(report, "N-1"), IsEmpty());
  EXPECT_EQ(report.signals[0].detail(),
            "runner-up 0.5% above the winning bid (a low outlier: under 6.4%)");
  // Fewer than four gaps: no quartiles, no flag.
  Fixture few;
  few.Add("G-0", {At(Discovered(), "B"), Bid("W", "100", Day(19)), Bid("R", "100.5", Day(19)),
                  Award("A", "W", "100", Day(30))});
  EXPECT_FALSE(few.Run().price_gap_threshold.has_value());
  EXPECT_EQ(Quantile({1, 2, 3, 4}, 0.25), 1.75);
  EXPECT_EQ(Quantile({5}, 0.75), 5);
}

TEST(SignalsTest, IncumbentConcentrationAndOneBuyerSuppliers) {
  Fixture f;
  // B-1's last 10 awards (of 12): INC wins 7 (5 with a single bid), X 3.
  // The two oldest (days 1, 2) went to X and are not looked at.
  for (int i = 0; i < 12; ++i) {
    const std::string supplier = i < 2 ? "X" : (i % 4 == 0 ? "X" : "INC");
    std::vector<v1::TenderEvent> events = {At(Discovered(), "B-1"), Bid(supplier, "100", Day(19))};
    if (supplier == "INC" && i % 3 == 0) events.push_back(Bid("Y", "150", Day(19)));
    events.push_back(Award("A", supplier, i == 5 ? "300" : "100", Day(30 + i)));
    f.Add("C-" + std::to_string(i), events);
  }
  // An award in USD: left out of the CNY concentration.
  v1::TenderEvent dollars = Award("A", "X", "5000", Day(50));
  dollars.mutable_award_announced()->mutable_amount()->set_currency("USD");
  f.Add("U-1", {At(Discovered(), "B-1"), dollars});
  // X also wins at B-2: not a one-buyer supplier; Z wins 3 at B-2 only.
  f.Add("Z-1", {At(Discovered(), "B-2"), Award("A", "X", "10", Day(40))});
  for (int i = 0; i < 3; ++i) {
    f.Add("Z-" + std::to_string(i + 2),
          {At(Discovered(), "B-2"), Award("A", "Z", "10", Day(41 + i))});
  }
  const SignalReport report = f.Run();
  const v1::BuyerSignals* b1 = BuyerOf(report, "B-1");
  ASSERT_NE(b1, nullptr);
  // Last 10 awards by date: U-1 (day 50, X), C-11 .. C-3 (days 41 .. 33).
  // C-3 INC, C-4 X, C-5 INC, C-6 INC, C-7 INC, C-8 X, C-9 INC, C-10 INC,
  // C-11 INC: INC 7, X 3 (with U-1). INC single bid unless i % 3 == 0
  // (C-3, C-6, C-9 had Y): 4 of 7.
  ASSERT_TRUE(b1->has_incumbent());
  EXPECT_EQ(b1->incumbent().supplier().id(), "INC");
  EXPECT_EQ(b1->incumbent().awards_won(), 7u);
  EXPECT_EQ(b1->incumbent().awards_considered(), 10u);
  EXPECT_EQ(b1->incumbent().won_with_single_bid(), 4u);
  EXPECT_EQ(b1->incumbent().summary(),
            "incumbent Name of INC (INC) won 7 of the last 10 awards of this buyer, 4 with a "
            "single bid");
  // Our own party is "we".
  absl::flat_hash_set<Symbol> only = {Symbol::Intern("B-1")};
  EXPECT_THAT(Incumbents(CompetitionSet(f.competitions), Source::kAll, &only, "INC")
                  .at(Symbol::Intern("B-1"))
                  .summary(),
              ::testing::StartsWith("we are the incumbent: won 7 of the last 10"));
  // CNY awards: X 100 x 4 (C-0, C-1, C-4, C-8), INC 100 x 7 + 300 (C-5):
  // 1,000 of 1,400.
  EXPECT_EQ(b1->awards(), 13u);
  EXPECT_EQ(b1->currency(), "CNY");
  EXPECT_EQ(b1->awarded_value(), "1400");
  EXPECT_EQ(b1->top_supplier().id(), "INC");
  EXPECT_THAT(b1->top_supplier_share(), DoubleNear(1000.0 / 1400, 1e-12));
  // B-2: Z won 3 of 4: an incumbent; Z wins with B-2 only, INC with B-1.
  const v1::BuyerSignals* b2 = BuyerOf(report, "B-2");
  ASSERT_NE(b2, nullptr);
  EXPECT_EQ(b2->incumbent().supplier().id(), "Z");
  ASSERT_EQ(report.suppliers.size(), 2u);
  EXPECT_EQ(report.suppliers[0].supplier().id(), "INC");
  EXPECT_EQ(report.suppliers[0].awards(), 8u);
  EXPECT_EQ(report.suppliers[0].buyer().id(), "B-1");
  EXPECT_EQ(report.suppliers[1].supplier().id(), "Z");
  // Too few awards, or no majority: no incumbent.
  Fixture small;
  small.Add("S-1", {At(Discovered(), "B"), Award("A", "K", "1", Day(30))});
  small.Add("S-2", {At(Discovered(), "B"), Award("A", "K", "1", Day(31))});
  EXPECT_FALSE(BuyerOf(small.Run(), "B")->has_incumbent());
  EXPECT_THAT(Incumbents(CompetitionSet(small.competitions), Source::kAll), IsEmpty());
}

TEST(SignalsTest, WindowAndSourceSelectCompetitions) {
  Fixture f;
  f.Add("W-1", {At(Discovered(), "B"), Bid("C-1", "100", Day(19))});
  v1::TenderEvent imported = At(Discovered(), "B");
  imported.mutable_tender_discovered()->set_discovery_channel(v1::DISCOVERY_CHANNEL_IMPORT);
  f.Add("W-2", {imported, Bid("C-1", "100", Day(19))});
  SignalOptions options;
  options.now = Day(100);
  options.source = Source::kImport;
  SignalReport report = Signals(CompetitionSet(f.competitions), options);
  EXPECT_THAT(KindsOf(report, "W-1"), IsEmpty());
  EXPECT_THAT(KindsOf(report, "W-2"), ElementsAre(v1::SIGNAL_KIND_SINGLE_BID));
  options.source = Source::kAll;
  options.from = Day(21);  // competitions are dated by their deadline, day 20
  report = Signals(CompetitionSet(f.competitions), options);
  EXPECT_THAT(report.signals, IsEmpty());
  EXPECT_THAT(report.buyers, IsEmpty());
}

}  // namespace
}  // namespace bidtrail::analytics
