// The read models' rules, as tables of cases: no disk, no threads, no RPC.
#include <string>
#include <vector>

#include "bidtrail/common/proto_time.h"
#include "bidtrail/readmodel/board.h"
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

}  // namespace
}  // namespace bidtrail::readmodel
