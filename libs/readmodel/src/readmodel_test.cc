// The read models' rules, as tables of cases: no disk, no threads, no RPC.
#include <string>
#include <vector>

#include "bidtrail/common/proto_time.h"
#include "bidtrail/readmodel/board.h"
#include "bidtrail/readmodel/review.h"
#include "bidtrail/readmodel/tender_list.h"
#include "bidtrail/readmodel/tender_record.h"
#include "bidtrail/readmodel/timeline.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/testing/events.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::readmodel {
namespace {

using ::testing::ElementsAre;
using namespace ::bidtrail::tender::testing;  // NOLINT: the event builders

using Kind = DeadlineKind;

// Documents until day 10, submission day 20, opening day 20 + 2h (events.h).
const absl::Time kDocumentsDue = Day(10);
const absl::Time kSubmissionDue = Day(20);
const absl::Time kOpening = Day(20) + absl::Hours(2);

tender::TenderState Folded(const std::vector<v1::TenderEvent>& events) {
  return tender::Fold(events);
}

struct BoardCase {
  const char* name;
  std::vector<v1::TenderEvent> events;
  std::vector<TenderDeadline> deadlines;
  std::optional<absl::Time> stale_clock;
};

TEST(BoardTest, DeadlinesAndStaleClockFollowTheTendersState) {
  const std::vector<BoardCase> cases = {
      {"nothing known", {}, {}, std::nullopt},
      {"just discovered",
       {Discovered()},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, false},
        {Kind::kSubmissionDeadline, kSubmissionDue, false},
        {Kind::kBidOpeningAt, kOpening, false}},
       T0()},
      {"documents obtained",
       {Discovered(), Document(Day(3))},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, true},
        {Kind::kSubmissionDeadline, kSubmissionDue, false},
        {Kind::kBidOpeningAt, kOpening, false}},
       Day(3)},
      {"our bid in",
       {Discovered(), Document(Day(3)), Bid(kUs, "100.00", Day(15))},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, true},
        {Kind::kSubmissionDeadline, kSubmissionDue, true},
        {Kind::kBidOpeningAt, kOpening, false}},
       Day(15)},
      {"a competitor's bid is not ours",
       {Discovered(), Bid("C-1", "100.00", Day(15))},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, false},
        {Kind::kSubmissionDeadline, kSubmissionDue, false},
        {Kind::kBidOpeningAt, kOpening, false}},
       Day(15)},
      {"our bid withdrawn",
       {Discovered(), Document(Day(3)), Bid(kUs, "100.00", Day(15)), Withdrawn(kUs, Day(16))},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, true},
        {Kind::kSubmissionDeadline, kSubmissionDue, false},
        {Kind::kBidOpeningAt, kOpening, false}},
       Day(16)},
      {"our bid disqualified still counts as submitted",
       {Discovered(), Bid(kUs, "100.00", Day(15)), Disqualified(kUs, Day(21))},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, false},
        {Kind::kSubmissionDeadline, kSubmissionDue, true},
        {Kind::kBidOpeningAt, kOpening, false}},
       Day(21)},
      {"no bid: off the board, never stale", {Discovered(), NoBid(Day(2))}, {}, std::nullopt},
      {"cancelled", {Discovered(), Cancelled(Day(4))}, {}, std::nullopt},
      {"unsuccessful", {Discovered(), Unsuccessful(Day(30))}, {}, std::nullopt},
      {"awarded: off the board, nothing undecided",
       {Discovered(), Award("A1", "C-1", "90.00", Day(30))},
       {},
       std::nullopt},
      {"award cancelled: undecided again",
       {Discovered(), Award("A1", "C-1", "90.00", Day(30)), AwardCancelled("A1", Day(31))},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, false},
        {Kind::kSubmissionDeadline, kSubmissionDue, false},
        {Kind::kBidOpeningAt, kOpening, false}},
       Day(31)},
      {"one lot of two awarded: still undecided",
       {Discovered({"L1", "L2"}), Award("A1", "C-1", "90.00", Day(30), "L1")},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, false},
        {Kind::kSubmissionDeadline, kSubmissionDue, false},
        {Kind::kBidOpeningAt, kOpening, false}},
       Day(30)},
      {"imported, not taken up: market intelligence, off the board",
       {Imported()},
       {},
       std::nullopt},
      {"imported with a competitor's bid: still not ours",
       {Imported(), Bid("C-1", "90.00", Day(15))},
       {},
       std::nullopt},
      {"imported and tracked: on the board",
       {Imported(), Tracked(Day(2))},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, false},
        {Kind::kSubmissionDeadline, kSubmissionDue, false},
        {Kind::kBidOpeningAt, kOpening, false}},
       Day(2)},
      {"imported, documents obtained: taken up",
       {Imported(), Document(Day(3))},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, true},
        {Kind::kSubmissionDeadline, kSubmissionDue, false},
        {Kind::kBidOpeningAt, kOpening, false}},
       Day(3)},
      {"activity moves the stale clock",
       {Discovered(), Activity(Day(8))},
       {{Kind::kDocumentsAvailableUntil, kDocumentsDue, false},
        {Kind::kSubmissionDeadline, kSubmissionDue, false},
        {Kind::kBidOpeningAt, kOpening, false}},
       Day(8)},
  };
  for (const BoardCase& c : cases) {
    const tender::TenderState state = Folded(c.events);
    EXPECT_EQ(BoardDeadlines(state, kUs), c.deadlines) << c.name;
    EXPECT_EQ(StaleClock(state, kUs), c.stale_clock) << c.name;
  }
}

TEST(BoardTest, ATenderWithoutKeyDatesHasNoDeadlines) {
  v1::TenderEvent discovered = Discovered();
  discovered.mutable_tender_discovered()->clear_key_dates();
  const tender::TenderState state = Folded({discovered});
  EXPECT_TRUE(BoardDeadlines(state, kUs).empty());
  EXPECT_EQ(StaleClock(state, kUs), T0());
}

TEST(BoardTest, OnlyActionableDeadlinesNotDoneAreOutstanding) {
  EXPECT_TRUE(Outstanding({Kind::kDocumentsAvailableUntil, Day(1), false}));
  EXPECT_FALSE(Outstanding({Kind::kDocumentsAvailableUntil, Day(1), true}));
  EXPECT_TRUE(Outstanding({Kind::kSubmissionDeadline, Day(1), false}));
  EXPECT_FALSE(Outstanding({Kind::kSubmissionDeadline, Day(1), true}));
  EXPECT_FALSE(Outstanding({Kind::kBidOpeningAt, Day(1), false}));
  EXPECT_TRUE(Actionable(Kind::kSubmissionDeadline));
  EXPECT_FALSE(Actionable(Kind::kBidOpeningAt));
  EXPECT_EQ(DeadlineKindName(Kind::kDocumentsAvailableUntil), "documents_available_until");
  EXPECT_EQ(DeadlineKindName(Kind::kSubmissionDeadline), "submission_deadline");
  EXPECT_EQ(DeadlineKindName(Kind::kBidOpeningAt), "bid_opening_at");
}

struct MarkCase {
  Kind kind;
  absl::Duration due_from_now;
  bool done;
  bool shown;
  bool overdue;
  bool at_risk;
};

TEST(BoardTest, MarksDeadlinesAtRiskAndOverdueWithTheirWindows) {
  const absl::Time now = Day(5);
  const BoardWindows windows;  // documents 48h, submission 72h
  const std::vector<MarkCase> cases = {
      // Documents: at risk within 48 hours, overdue once past.
      {Kind::kDocumentsAvailableUntil, absl::Hours(49), false, true, false, false},
      {Kind::kDocumentsAvailableUntil, absl::Hours(48), false, true, false, true},
      {Kind::kDocumentsAvailableUntil, absl::ZeroDuration(), false, true, false, true},
      {Kind::kDocumentsAvailableUntil, -absl::Nanoseconds(1), false, true, true, false},
      {Kind::kDocumentsAvailableUntil, absl::Hours(1), true, true, false, false},
      {Kind::kDocumentsAvailableUntil, -absl::Hours(1), true, false, false, false},
      // Submission: 72 hours.
      {Kind::kSubmissionDeadline, absl::Hours(73), false, true, false, false},
      {Kind::kSubmissionDeadline, absl::Hours(72), false, true, false, true},
      {Kind::kSubmissionDeadline, -absl::Hours(30), false, true, true, false},
      {Kind::kSubmissionDeadline, -absl::Hours(30), true, false, false, false},
      // The opening: shown until it passes, never at risk or overdue.
      {Kind::kBidOpeningAt, absl::Hours(1), false, true, false, false},
      {Kind::kBidOpeningAt, -absl::Hours(1), false, false, false, false},
  };
  for (const MarkCase& c : cases) {
    const DeadlineMark mark = MarkDeadline({c.kind, now + c.due_from_now, c.done}, now, windows);
    const std::string name = std::string(DeadlineKindName(c.kind)) + " due in " +
                             absl::FormatDuration(c.due_from_now) + (c.done ? " done" : "");
    EXPECT_EQ(mark.shown, c.shown) << name;
    EXPECT_EQ(mark.overdue, c.overdue) << name;
    EXPECT_EQ(mark.at_risk, c.at_risk) << name;
  }
  BoardWindows narrow;
  narrow.submission_risk = absl::Hours(1);
  EXPECT_FALSE(
      MarkDeadline({Kind::kSubmissionDeadline, now + absl::Hours(2), false}, now, narrow).at_risk);
}

struct TimelineCase {
  const char* name;
  std::vector<v1::TenderEvent> events;
  std::vector<std::pair<Phase, Phase>> spans;
  std::vector<std::pair<Kind, bool>> met;  // done outcomes only
};

Milestones Observe(const std::vector<v1::TenderEvent>& events) {
  Milestones milestones;
  for (const v1::TenderEvent& event : events) {
    milestones.Observe(event, tender::OccurredAtOf(event), kUs);
  }
  return milestones;
}

TEST(TimelineTest, PhasesAndDeadlinesMet) {
  const std::vector<TimelineCase> cases = {
      {"discovered only", {Discovered()}, {{Phase::kDiscovered, Phase::kOpening}}, {}},
      {"documents, our bid, award",
       {Discovered(), Document(Day(3)), Bid("C-1", "1.00", Day(12)), Bid(kUs, "1.00", Day(15)),
        Award("A1", kUs, "1.00", Day(30))},
       {{Phase::kDiscovered, Phase::kDocuments},
        {Phase::kDocuments, Phase::kOurBid},
        {Phase::kOurBid, Phase::kOpening},
        {Phase::kOpening, Phase::kAward}},
       {{Kind::kDocumentsAvailableUntil, true}, {Kind::kSubmissionDeadline, true}}},
      {"late documents (with an approver)",
       {Discovered(), Document(Day(11), "manager")},
       {{Phase::kDiscovered, Phase::kDocuments}, {Phase::kDocuments, Phase::kOpening}},
       {{Kind::kDocumentsAvailableUntil, false}}},
  };
  for (const TimelineCase& c : cases) {
    const Milestones milestones = Observe(c.events);
    const tender::TenderState state = Folded(c.events);
    std::vector<std::pair<Phase, Phase>> spans;
    for (const PhaseSpan& span : PhaseSpans(milestones, state)) {
      spans.emplace_back(span.from, span.to);
    }
    EXPECT_EQ(spans, c.spans) << c.name;
    std::vector<std::pair<Kind, bool>> met;
    for (const DeadlineOutcome& outcome : DeadlineOutcomes(milestones, state, Day(100), kUs)) {
      if (outcome.done_at) met.emplace_back(outcome.kind, outcome.met);
    }
    EXPECT_EQ(met, c.met) << c.name;
  }
}

TEST(TimelineTest, MarginsAndOpenDeadlines) {
  const std::vector<v1::TenderEvent> events = {Discovered(), Document(Day(7))};
  const Milestones milestones = Observe(events);
  EXPECT_EQ(milestones.discovered, T0());
  EXPECT_EQ(milestones.documents, Day(7));
  EXPECT_EQ(milestones.our_bid, std::nullopt);
  const std::vector<DeadlineOutcome> outcomes =
      DeadlineOutcomes(milestones, Folded(events), Day(18), kUs);
  ASSERT_EQ(outcomes.size(), 2u);
  EXPECT_EQ(outcomes[0].kind, Kind::kDocumentsAvailableUntil);
  EXPECT_TRUE(outcomes[0].met);
  EXPECT_EQ(outcomes[0].margin, absl::Hours(72));  // three days early
  EXPECT_EQ(outcomes[1].kind, Kind::kSubmissionDeadline);
  EXPECT_FALSE(outcomes[1].met);
  EXPECT_TRUE(outcomes[1].open);
  EXPECT_EQ(outcomes[1].margin, absl::Hours(48));  // two days left
  // Past due and not done: not open, a negative margin.
  const DeadlineOutcome missed = DeadlineOutcomes(milestones, Folded(events), Day(21), kUs)[1];
  EXPECT_FALSE(missed.open);
  EXPECT_EQ(missed.margin, -absl::Hours(24));
  // A no-bid decision takes the submission deadline out of the outcomes.
  const std::vector<v1::TenderEvent> declined = {Discovered(), NoBid(Day(1))};
  EXPECT_THAT(DeadlineOutcomes(Observe(declined), Folded(declined), Day(5), kUs),
              ::testing::SizeIs(1));
  // An imported tender we never took up missed nothing.
  const std::vector<v1::TenderEvent> imported = {Imported()};
  EXPECT_THAT(DeadlineOutcomes(Observe(imported), Folded(imported), Day(30), kUs),
              ::testing::IsEmpty());
  EXPECT_EQ(PhaseName(Phase::kOurBid), "our_bid");
}

// A tender cancelled before a deadline leaves nothing to meet: no outcome
// for a deadline after the cancellation, no opening phase; one it had
// already missed stays missed.
TEST(TimelineTest, ACancelledTenderMissesNothingAfterItEnded) {
  const std::vector<v1::TenderEvent> documents_then_cancelled = {Discovered(), Document(Day(3)),
                                                                 Cancelled(Day(15))};
  Milestones milestones = Observe(documents_then_cancelled);
  EXPECT_EQ(milestones.ended, Day(15));
  tender::TenderState state = Folded(documents_then_cancelled);
  std::vector<DeadlineOutcome> outcomes = DeadlineOutcomes(milestones, state, Day(100), kUs);
  ASSERT_EQ(outcomes.size(), 1u) << "the submission deadline (day 20) came after the end";
  EXPECT_EQ(outcomes[0].kind, Kind::kDocumentsAvailableUntil);
  EXPECT_TRUE(outcomes[0].met);
  std::vector<Phase> reached;
  for (const PhaseSpan& span : PhaseSpans(milestones, state)) reached.push_back(span.to);
  EXPECT_EQ(reached, std::vector<Phase>{Phase::kDocuments}) << "no opening after the end";

  const std::vector<v1::TenderEvent> missed_then_cancelled = {Discovered(), Cancelled(Day(12))};
  milestones = Observe(missed_then_cancelled);
  state = Folded(missed_then_cancelled);
  outcomes = DeadlineOutcomes(milestones, state, Day(100), kUs);
  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].kind, Kind::kDocumentsAvailableUntil) << "due day 10, before the end";
  EXPECT_FALSE(outcomes[0].met);
  EXPECT_FALSE(outcomes[0].open);
}

TEST(TenderRecordTest, LentEqualsCopiedAndRoundTrips) {
  const std::vector<std::vector<v1::TenderEvent>> histories = {
      {},
      {Discovered()},
      {Discovered({"L1", "L2"}), Document(Day(2), ""), Bid(kUs, "10.00", Day(4), "L1"),
       Bid("C-1", "9.00", Day(4), "L1"), Disqualified("C-1", Day(21), "L1"),
       Award("A1", kUs, "10.00", Day(30), "L1"), AwardCancelled("A1", Day(31)),
       Cancelled(Day(32), {"L2"}), Activity(Day(33)), Amended(Day(34))},
  };
  storage::v1::TenderRecord lent;  // reused across tenders of every size
  for (size_t i = 0; i < histories.size(); ++i) {
    const tender::TenderState state = Folded(histories[i]);
    const storage::v1::TenderRecord copied = RecordOf(state, 7);
    EXPECT_EQ(copied.revision(), 7u);
    LendRecord(state, 7, &lent);
    EXPECT_EQ(lent.SerializeAsString(), copied.SerializeAsString()) << "history " << i;
    GiveBack(&lent);
    // The state is untouched by lending, and folds on from its record.
    EXPECT_EQ(RecordOf(state, 7).SerializeAsString(), copied.SerializeAsString());
    const tender::TenderState back = StateOf(copied);
    EXPECT_EQ(RecordOf(back, 7).SerializeAsString(), copied.SerializeAsString()) << "history " << i;
    tender::TenderState folded_on = back;
    tender::TenderState reference = state;
    tender::Apply(Activity(Day(50)), &folded_on);
    tender::Apply(Activity(Day(50)), &reference);
    EXPECT_EQ(RecordOf(folded_on, 8).SerializeAsString(),
              RecordOf(reference, 8).SerializeAsString());
  }
}

struct ListCase {
  const char* name;
  std::vector<v1::TenderEvent> events;
  std::string_view status;
  std::string_view outcome;
};

TEST(TenderListTest, StatusAndOurOutcomeInWords) {
  const std::vector<ListCase> cases = {
      {"just discovered", {Discovered()}, "open", "not_bid"},
      {"no bid decided", {Discovered(), NoBid(Day(2))}, "open", "no_bid"},
      {"our bid in, undecided", {Discovered(), Bid(kUs, "10.00", Day(4))}, "open", "pending"},
      {"awarded to us",
       {Discovered(), Bid(kUs, "10.00", Day(4)), Award("A1", kUs, "10.00", Day(30))},
       "awarded",
       "won"},
      {"awarded to another",
       {Discovered(), Bid(kUs, "10.00", Day(4)), Award("A1", "C-1", "9.00", Day(30))},
       "awarded",
       "lost"},
      {"award cancelled: open and pending again",
       {Discovered(), Bid(kUs, "10.00", Day(4)), Award("A1", kUs, "10.00", Day(30)),
        AwardCancelled("A1", Day(31))},
       "open",
       "pending"},
      {"one lot of two awarded: open",
       {Discovered({"L1", "L2"}), Bid(kUs, "10.00", Day(4), "L1"),
        Award("A1", kUs, "10.00", Day(30), "L1")},
       "open",
       "won"},
      // Every lot decided, one awarded, the other unsuccessful: awarded.
      {"one lot awarded, the other unsuccessful",
       {Discovered({"L1", "L2"}), Bid(kUs, "10.00", Day(4), "L2"),
        Award("A1", "C-1", "9.00", Day(30), "L1"), Unsuccessful(Day(30), {"L2"})},
       "awarded",
       "void"},
      {"our bid withdrawn: not bid",
       {Discovered(), Bid(kUs, "10.00", Day(4)), Withdrawn(kUs, Day(5))},
       "open",
       "not_bid"},
      {"our bid disqualified",
       {Discovered(), Bid(kUs, "10.00", Day(4)), Disqualified(kUs, Day(21))},
       "open",
       "void"},
      {"cancelled",
       {Discovered(), Bid(kUs, "10.00", Day(4)), Cancelled(Day(5))},
       "cancelled",
       "void"},
      {"unsuccessful", {Discovered(), Unsuccessful(Day(30))}, "unsuccessful", "not_bid"},
  };
  for (const ListCase& c : cases) {
    const tender::TenderState state = Folded(c.events);
    EXPECT_EQ(StatusWord(state), c.status) << c.name;
    EXPECT_EQ(OurOutcome(state, kUs, Day(100)), c.outcome) << c.name;
  }
}

TEST(TenderListTest, FiltersMatchWhatTheySay) {
  const tender::TenderState ours = Folded({Discovered(), Bid(kUs, "10.00", Day(4))});
  const tender::TenderState imported = Folded({Imported()});
  EXPECT_EQ(SourceWord(ours), "own");
  EXPECT_EQ(SourceWord(imported), "import");
  struct FilterCase {
    const char* name;
    TenderFilter filter;
    bool matches;
  };
  auto filter = [](auto set) {
    TenderFilter f;
    set(f);
    return f;
  };
  const std::vector<FilterCase> cases = {
      {"nothing: all", {}, true},
      {"a title word in another case", filter([](TenderFilter& f) {
         f.words = {"SUBSTATION", "monitoring"};
       }),
       true},
      {"every word must match", filter([](TenderFilter& f) {
         f.words = {"substation", "cable"};
       }),
       false},
      {"a part of the id", filter([](TenderFilter& f) { f.words = {"t-"}; }), true},
      {"a word of the buyer's name", filter([](TenderFilter& f) { f.words = {"buyer-1"}; }), true},
      {"buyer by id", filter([](TenderFilter& f) { f.buyer = "BUYER-1"; }), true},
      {"buyer by a part of its name", filter([](TenderFilter& f) { f.buyer = "name of"; }), true},
      {"another buyer", filter([](TenderFilter& f) { f.buyer = "BUYER-2"; }), false},
      {"territory", filter([](TenderFilter& f) { f.territory = "north"; }), true},
      {"territory is exact", filter([](TenderFilter& f) { f.territory = "nor"; }), false},
      {"team", filter([](TenderFilter& f) { f.owner_team = "team-south"; }), false},
      {"status", filter([](TenderFilter& f) { f.status = "open"; }), true},
      {"another status", filter([](TenderFilter& f) { f.status = "awarded"; }), false},
      {"outcome", filter([](TenderFilter& f) { f.outcome = "pending"; }), true},
      {"another outcome", filter([](TenderFilter& f) { f.outcome = "won"; }), false},
      {"source", filter([](TenderFilter& f) { f.source = "own"; }), true},
      {"another source", filter([](TenderFilter& f) { f.source = "import"; }), false},
      {"discovered from its day", filter([](TenderFilter& f) { f.discovered_from = T0(); }), true},
      {"discovered before: exclusive", filter([](TenderFilter& f) { f.discovered_to = T0(); }),
       false},
      {"discovered after", filter([](TenderFilter& f) { f.discovered_from = Day(1); }), false},
  };
  for (const FilterCase& c : cases) {
    EXPECT_EQ(Matches(ours, c.filter, kUs, Day(100)), c.matches) << c.name;
  }
  TenderFilter import_only;
  import_only.source = "import";
  EXPECT_TRUE(Matches(imported, import_only, kUs, Day(100)));
  // Before its deadline, a tender without our bid is "not yet", after it
  // "not bid".
  const tender::TenderState fresh = Folded({Discovered()});
  EXPECT_EQ(OurOutcome(fresh, kUs, Day(5)), "not_yet");
  EXPECT_EQ(OurOutcome(fresh, kUs, Day(20)), "not_bid");
}

// The weekly review on a small history, every figure computed by hand.
// Week 2026-W10 is [2026-03-02, 2026-03-09) UTC; T0 is 2026-03-01, so the
// builders' deadlines (documents day 10, submission day 20) are in it or
// after; the quarter is 2026-Q1.
struct ReviewFixture {
  std::vector<TenderHistory> tenders;
  std::vector<Quota> quotas;
  // Each event is recorded `lag` after it happened.
  void Add(const std::string& id, const std::string& actor, std::vector<v1::TenderEvent> events,
           absl::Duration lag = absl::Hours(1)) {
    TenderHistory& history = tenders.emplace_back();
    uint64_t revision = 0;
    for (v1::TenderEvent& event : events) {
      event = ForTender(id, event);
      const absl::Time at = tender::OccurredAtOf(event);
      history.events.push_back({event, revision, ++position, at, at + lag, actor});
      ++revision;
    }
  }
  v1::PipelineReviewResponse Run(bool happened = false, const std::string& team = "",
                                 const std::string& representative = "") const {
    ReviewOptions options;
    options.week = "2026-W10";
    auto week = IsoWeek("2026-W10", absl::UTCTimeZone());
    options.week_start = week->first;
    options.week_end = week->second;
    options.as_of = week->second;
    options.own_party_id = kUs;
    options.happened = happened;
    options.owner_team = team;
    options.representative = representative;
    return Review(tenders, quotas, options);
  }
  uint64_t position = 0;
};

v1::TenderEvent Team(v1::TenderEvent discovered, const std::string& team, absl::Time at) {
  discovered.mutable_tender_discovered()->set_owner_team(team);
  ToProtoTime(at, discovered.mutable_tender_discovered()->mutable_occurred_at());
  return discovered;
}

const v1::ReviewGroup& GroupOf(const v1::PipelineReviewResponse& review, const std::string& kind,
                               const std::string& name) {
  for (const v1::ReviewGroup& group : review.groups()) {
    if (group.kind() == kind && group.name() == name) return group;
  }
  static const v1::ReviewGroup* none = new v1::ReviewGroup();
  return *none;
}

TEST(ReviewTest, IsoWeeksAndQuarters) {
  auto week = IsoWeek("2026-W49", absl::UTCTimeZone());
  ASSERT_TRUE(week.ok());
  EXPECT_EQ(week->first, absl::FromCivil(absl::CivilDay(2026, 11, 30), absl::UTCTimeZone()));
  EXPECT_EQ(week->second, absl::FromCivil(absl::CivilDay(2026, 12, 7), absl::UTCTimeZone()));
  // 2020 has 53 weeks, and its week 1 starts in 2019; 2021 has 52.
  EXPECT_TRUE(IsoWeek("2020-W53", absl::UTCTimeZone()).ok());
  EXPECT_EQ(IsoWeek("2020-W01", absl::UTCTimeZone())->first,
            absl::FromCivil(absl::CivilDay(2019, 12, 30), absl::UTCTimeZone()));
  EXPECT_EQ(IsoWeek("2021-W53", absl::UTCTimeZone()).status().code(),
            absl::StatusCode::kInvalidArgument);
  for (const char* bad : {"2026-49", "2026-W00", "2026W49", "", "2026-W5"}) {
    EXPECT_EQ(IsoWeek(bad, absl::UTCTimeZone()).status().code(), absl::StatusCode::kInvalidArgument)
        << bad;
  }
  EXPECT_EQ(IsoWeekOf(absl::FromCivil(absl::CivilDay(2021, 1, 3), absl::UTCTimeZone()),
                      absl::UTCTimeZone()),
            "2020-W53");
  // Monday in Shanghai starts 16:00 the Sunday before, UTC.
  const absl::TimeZone shanghai = absl::FixedTimeZone(8 * 3600);
  EXPECT_EQ(IsoWeek("2026-W49", shanghai)->first,
            absl::FromCivil(absl::CivilSecond(2026, 11, 29, 16, 0, 0), absl::UTCTimeZone()));
  EXPECT_EQ(QuarterIn(absl::FromCivil(absl::CivilDay(2026, 12, 31), absl::UTCTimeZone()),
                      absl::UTCTimeZone()),
            "2026-Q4");
}

TEST(ReviewTest, TheWeekAsTheLogHeldIt) {
  ReviewFixture f;
  const absl::Time mar = absl::FromCivil(absl::CivilDay(2026, 3, 1), absl::UTCTimeZone());
  auto day = [&](double d) { return mar + absl::Hours(24 * (d - 1)); };  // day(3) = 3 March
  // A (alice, t1): new, documents and our bid this week.
  f.Add("A", "alice",
        {Team(Discovered(), "t1", day(3)), Document(day(4)), Bid(kUs, "100", day(5))});
  // B (alice, t1): bid in February, won this week.
  f.Add("B", "alice",
        {Team(Discovered(), "t1", day(-27)), Bid(kUs, "100", day(-25)),
         Award("A1", kUs, "100", day(4))});
  // C (bob, t1): nothing since 1 February: stale; its documents cut-off
  // (day 10) and submission deadline (day 20) ahead.
  v1::TenderEvent c = Team(Discovered(), "t1", day(-27));
  ToProtoTime(
      day(12),
      c.mutable_tender_discovered()->mutable_key_dates()->mutable_documents_available_until());
  f.Add("C", "bob", {c});
  // D (bob, t1): our bid of 200 in February, lost this week.
  f.Add("D", "bob",
        {Team(Discovered(), "t1", day(-27)), Bid(kUs, "200", day(-26)), Bid("C-1", "150", day(-26)),
         Award("A1", "C-1", "150", day(6))});
  // E (alice): happened this week, recorded only the week after.
  f.Add("E", "alice", {Team(Discovered(), "t1", day(4))}, absl::Hours(24 * 7));
  // F: imported, never taken up: not our pipeline.
  v1::TenderEvent imported = Team(Discovered(), "", day(3));
  imported.mutable_tender_discovered()->set_discovery_channel(v1::DISCOVERY_CHANNEL_IMPORT);
  f.Add("F", "importer", {imported});
  v1::QuotaSet quota;
  quota.set_team("t1");
  quota.set_quarter("2026-Q1");
  quota.mutable_amount()->set_amount("1000");
  quota.mutable_amount()->set_currency("CNY");
  f.quotas.push_back({quota, day(1)});
  // A quota for another quarter, and one recorded after the week: ignored.
  v1::QuotaSet later = quota;
  later.mutable_amount()->set_amount("5000");
  f.quotas.push_back({later, day(10)});

  const v1::PipelineReviewResponse review = f.Run();
  EXPECT_EQ(review.quarter(), "2026-Q1");
  EXPECT_EQ(review.currency(), "CNY");
  const v1::ReviewGroup& team = GroupOf(review, "team", "t1");
  EXPECT_EQ(team.new_tenders(), 1u);
  EXPECT_EQ(team.documents(), 1u);
  EXPECT_EQ(team.bids(), 1u);
  EXPECT_EQ(team.won(), 1u);
  EXPECT_EQ(team.lost(), 1u);
  EXPECT_EQ(team.stale(), 1u);                // C; A moved this week
  EXPECT_EQ(team.deadlines_next_week(), 1u);  // C's documents on 12 March
  ASSERT_EQ(team.next_week_size(), 1);
  EXPECT_EQ(team.next_week(0).tender_id(), "C");
  EXPECT_THAT(team.next_week(0).what(), ElementsAre("documents"));
  // Closed: B won (reached discovered, bid), D lost (discovered, bid):
  // every stage 1 of 2 (too few for alice, bob or t1: everyone's).
  ASSERT_EQ(team.pipeline_size(), 3);
  EXPECT_EQ(team.pipeline(0).stage(), "discovered");
  EXPECT_EQ(team.pipeline(0).tenders(), 1u);  // C, worth its estimate
  EXPECT_EQ(team.pipeline(0).value(), "1000000.00");
  EXPECT_EQ(team.pipeline(0).weighted_value(), "500000.00");
  EXPECT_EQ(team.pipeline(0).win_rate(), 0.5);
  EXPECT_EQ(team.pipeline(0).history(), 2u);
  EXPECT_EQ(team.pipeline(0).history_of(), "all");
  EXPECT_EQ(team.pipeline(2).stage(), "bid");
  EXPECT_EQ(team.pipeline(2).tenders(), 1u);  // A, worth our bid
  EXPECT_EQ(team.pipeline(2).value(), "100.00");
  EXPECT_EQ(team.pipeline(2).weighted_value(), "50.00");
  EXPECT_EQ(team.won_value(), "100.00");
  EXPECT_EQ(team.quota(), "1000.00");
  EXPECT_DOUBLE_EQ(team.attainment(), 0.1);
  // Won 100, and A and C expected by the quarter's end (submission day 20).
  EXPECT_EQ(team.forecast(), "500150.00");
  const v1::ReviewGroup& alice = GroupOf(review, "representative", "alice");
  EXPECT_EQ(alice.won(), 1u);
  EXPECT_EQ(alice.new_tenders(), 1u);  // E was not recorded by then
  EXPECT_EQ(alice.quota(), "");
  const v1::ReviewGroup& everyone = GroupOf(review, "all", "all");
  EXPECT_EQ(everyone.quota(), "1000.00");  // every team (t1) has one

  // By what had happened: E is new this week too; the later quota stands.
  const v1::PipelineReviewResponse happened = f.Run(/*happened=*/true);
  EXPECT_EQ(GroupOf(happened, "team", "t1").new_tenders(), 2u);
  EXPECT_EQ(GroupOf(happened, "team", "t1").quota(), "5000.00");
  // One representative's review: their tenders only, no team rows.
  const v1::PipelineReviewResponse bob = f.Run(false, "", "bob");
  EXPECT_EQ(GroupOf(bob, "team", "t1").kind(), "");
  EXPECT_EQ(GroupOf(bob, "all", "all").lost(), 1u);
  EXPECT_EQ(GroupOf(bob, "all", "all").won(), 0u);
  EXPECT_EQ(GroupOf(bob, "all", "all").pipeline(0).win_rate(), 0.5);  // rates from everyone's
}

}  // namespace
}  // namespace bidtrail::readmodel
