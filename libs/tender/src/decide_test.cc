#include "bidtrail/tender/decide.h"

#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "bidtrail/common/proto_time.h"
#include "bidtrail/readmodel/tender_record.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/tender/testing/events.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::tender {
namespace {

using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using namespace ::bidtrail::tender::testing;  // NOLINT: event builders

// The state as stored: two states are equal when their records are.
std::string Stored(const TenderState& state) {
  return readmodel::RecordOf(state, 0).SerializeAsString();
}

// Recorded an hour after it happened, unless said otherwise: the rules that
// compare business time with recorded time have tests of their own.
absl::Time SoonAfter(const v1::TenderEvent& event) { return OccurredAtOf(event) + absl::Hours(1); }

absl::StatusOr<std::vector<v1::TenderEvent>> DecideAfter(
    const std::vector<v1::TenderEvent>& history, const v1::TenderEvent& command,
    std::optional<absl::Time> now = std::nullopt, const LateRecording& late = {}) {
  return Decide(Fold(history), command, DomainConfig(), now.value_or(SoonAfter(command)), late);
}

struct RuleCase {
  std::string name;
  std::vector<v1::TenderEvent> history;
  v1::TenderEvent command;
  absl::StatusCode code;
  std::string message;
  // When it is recorded; default: an hour after it happened.
  std::optional<absl::Time> now = std::nullopt;
};

// Helpers that change one thing of a valid event.
template <typename Edit>
v1::TenderEvent With(v1::TenderEvent event, Edit edit) {
  edit(&event);
  return event;
}

std::vector<RuleCase> RuleCases() {
  const auto open = std::vector<v1::TenderEvent>{Discovered()};
  const auto lots = std::vector<v1::TenderEvent>{Discovered({"L1", "L2"})};
  const auto with_docs = std::vector<v1::TenderEvent>{Discovered(), Document(Day(5))};
  const auto bid_in =
      std::vector<v1::TenderEvent>{Discovered(), Document(Day(5)), Bid(kUs, "900000.00", Day(19)),
                                   Bid("C-1", "850000.00", Day(19))};
  const auto awarded = [&] {
    auto history = bid_in;
    history.push_back(Award("A1", "C-1", "850000.00", Day(30)));
    return history;
  }();
  return {
      // Existence.
      {"discover twice", open, Discovered(), absl::StatusCode::kAlreadyExists,
       "tender T-1 already exists"},
      {"command on unknown tender",
       {},
       Bid("C-1", "1.00", Day(1)),
       absl::StatusCode::kNotFound,
       "tender T-1 not found; discover it first"},
      // Malformed input.
      {"empty tender id",
       {},
       With(Discovered(), [](auto* e) { e->mutable_tender_discovered()->clear_tender_id(); }),
       absl::StatusCode::kInvalidArgument,
       "tender_id: \"\" must be 1 to 100 printable"},
      {"empty title",
       {},
       With(Discovered(), [](auto* e) { e->mutable_tender_discovered()->clear_title(); }),
       absl::StatusCode::kInvalidArgument,
       "title: required"},
      {"blank title",
       {},
       With(Discovered(), [](auto* e) { e->mutable_tender_discovered()->set_title(" \t "); }),
       absl::StatusCode::kInvalidArgument,
       "title: only white space"},
      {"tender id with a trailing space",
       {},
       ForTender("T-1 ", Discovered()),
       absl::StatusCode::kInvalidArgument,
       "tender_id: \"T-1 \" must be 1 to 100 printable ASCII bytes, with no space at either end"},
      {"blank tender id",
       {},
       ForTender("   ", Discovered()),
       absl::StatusCode::kInvalidArgument,
       "with no space at either end"},
      {"track twice",
       {Imported(), Tracked(Day(2))},
       Tracked(Day(3)),
       absl::StatusCode::kFailedPrecondition,
       "tender T-1 is tracked already"},
      {"handover without a reason",
       {Discovered()},
       With(HandedOver("south", Day(2)),
            [](auto* e) { e->mutable_tender_handed_over()->set_reason(" "); }),
       absl::StatusCode::kInvalidArgument,
       "reason: required; say why it is handed over"},
      {"handover to where it is",
       {Discovered()},
       HandedOver("north", Day(2)),
       absl::StatusCode::kFailedPrecondition,
       "tender T-1 is in territory north, team team-north already"},
      {"handover of an unknown tender",
       {},
       HandedOver("south", Day(2)),
       absl::StatusCode::kNotFound,
       "T-1"},
      {"unknown time zone",
       {},
       With(Discovered(),
            [](auto* e) { e->mutable_tender_discovered()->set_time_zone("Asia/Beijing"); }),
       absl::StatusCode::kInvalidArgument,
       "time_zone: \"Asia/Beijing\" is not a time zone"},
      {"offset beyond 18 hours",
       {},
       With(Discovered(), [](auto* e) { e->mutable_tender_discovered()->set_time_zone("+19:00"); }),
       absl::StatusCode::kInvalidArgument,
       "time_zone: \"+19:00\" is not a UTC offset"},
      {"territory with a leading space",
       {},
       With(Discovered(), [](auto* e) { e->mutable_tender_discovered()->set_territory(" north"); }),
       absl::StatusCode::kInvalidArgument,
       "territory: \" north\" has white space at an end"},
      {"blank owner team",
       {},
       With(Discovered(), [](auto* e) { e->mutable_tender_discovered()->set_owner_team("  "); }),
       absl::StatusCode::kInvalidArgument,
       "owner_team: only white space"},
      {"bidder id with a trailing space", with_docs,
       With(Bid("C-1", "1.00", Day(6)),
            [](auto* e) { e->mutable_bid_submitted()->mutable_bidder()->set_id("C-1 "); }),
       absl::StatusCode::kInvalidArgument, "bidder.id: \"C-1 \" has white space at an end"},
      {"blank no-bid reason", open,
       With(NoBid(Day(2)), [](auto* e) { e->mutable_no_bid_decided()->set_reason("\n"); }),
       absl::StatusCode::kInvalidArgument, "reason: only white space"},
      {"empty buyer id",
       {},
       With(Discovered(),
            [](auto* e) { e->mutable_tender_discovered()->mutable_buyer()->clear_id(); }),
       absl::StatusCode::kInvalidArgument,
       "buyer.id: required"},
      {"empty bidder id", with_docs,
       With(Bid("C-1", "1.00", Day(6)),
            [](auto* e) { e->mutable_bid_submitted()->mutable_bidder()->clear_id(); }),
       absl::StatusCode::kInvalidArgument, "bidder.id: required"},
      {"lower-case currency", with_docs,
       With(Bid("C-1", "1.00", Day(6)),
            [](auto* e) { e->mutable_bid_submitted()->mutable_amount()->set_currency("usd"); }),
       absl::StatusCode::kInvalidArgument,
       "amount.currency: \"usd\" is not an ISO 4217 currency code; did you mean USD?"},
      {"not a currency", with_docs,
       With(Bid("C-1", "1.00", Day(6)),
            [](auto* e) { e->mutable_bid_submitted()->mutable_amount()->set_currency("XYZ"); }),
       absl::StatusCode::kInvalidArgument, "amount.currency: \"XYZ\" is not an ISO 4217"},
      {"RMB for CNY",
       {},
       With(Discovered(),
            [](auto* e) {
              e->mutable_tender_discovered()->mutable_estimated_value()->set_currency("RMB");
            }),
       absl::StatusCode::kInvalidArgument,
       "estimated_value.currency: \"RMB\" is not an ISO 4217 currency code; did you mean CNY?"},
      {"a decimal comma", with_docs, Bid("C-1", "1,2", Day(6)), absl::StatusCode::kInvalidArgument,
       "amount.amount: \"1,2\" is not a decimal amount"},
      {"negative bid", with_docs, Bid("C-1", "-5", Day(6)), absl::StatusCode::kInvalidArgument,
       "amount.amount: -5 is negative"},
      {"zero bid", with_docs, Bid("C-1", "0.00", Day(6)), absl::StatusCode::kInvalidArgument,
       "amount.amount: must be greater than zero"},
      {"float-like amount", with_docs, Bid("C-1", "1e5", Day(6)),
       absl::StatusCode::kInvalidArgument, "\"1e5\" is not a decimal amount"},
      {"negative estimated value",
       {},
       With(Discovered(),
            [](auto* e) {
              e->mutable_tender_discovered()->mutable_estimated_value()->set_amount("-1");
            }),
       absl::StatusCode::kInvalidArgument,
       "estimated_value.amount: -1 is negative"},
      {"zero award", bid_in, Award("A1", "C-1", "0", Day(30)), absl::StatusCode::kInvalidArgument,
       "amount.amount: must be greater than zero"},
      {"unknown procurement method",
       {},
       With(Discovered(),
            [](auto* e) {
              e->mutable_tender_discovered()->set_procurement_method(
                  static_cast<v1::ProcurementMethod>(9));
            }),
       absl::StatusCode::kInvalidArgument,
       "procurement_method: 9 is not one of OPEN, SELECTIVE, LIMITED, DIRECT"},
      {"missing discovery channel",
       {},
       With(Discovered(),
            [](auto* e) {
              e->mutable_tender_discovered()->set_discovery_channel(
                  v1::DISCOVERY_CHANNEL_UNSPECIFIED);
            }),
       absl::StatusCode::kInvalidArgument,
       "discovery_channel: required; one of FIELD_VISIT, PORTAL, PARTNER, REFERRAL, IMPORT"},
      {"unknown buying role", open, Activity(Day(2), static_cast<v1::BuyingRole>(42)),
       absl::StatusCode::kInvalidArgument, "role: 42 is not one of EXECUTIVE"},
      {"duplicate lot ids",
       {},
       Discovered({"L1", "L1"}),
       absl::StatusCode::kInvalidArgument,
       "lots[1].id: L1 appears twice"},
      {"missing occurred_at", open,
       With(Activity(Day(2)), [](auto* e) { e->mutable_activity_logged()->clear_occurred_at(); }),
       absl::StatusCode::kInvalidArgument, "occurred_at: required"},
      {"occurred_at in the future", open,
       // The activity is dated 100 days after it is recorded.
       With(Activity(Day(200)),
            [](auto* e) {
              ToProtoTime(Day(200), e->mutable_activity_logged()->mutable_occurred_at());
            }),
       absl::StatusCode::kInvalidArgument, "is in the future (now is 2026-06-09T00:00:00Z)",
       Day(100)},
      // Key dates.
      {"documents after submission",
       {},
       With(Discovered(),
            [](auto* e) {
              ToProtoTime(Day(25), e->mutable_tender_discovered()
                                       ->mutable_key_dates()
                                       ->mutable_documents_available_until());
            }),
       absl::StatusCode::kInvalidArgument,
       "key_dates: documents_available_until (2026-03-26T00:00:00Z) is after "
       "submission_deadline (2026-03-21T00:00:00Z)"},
      {"amendment puts the deadline after the opening", open,
       With(Amended(Day(3)),
            [](auto* e) {
              ToProtoTime(
                  Day(30),
                  e->mutable_tender_amended()->mutable_key_dates()->mutable_submission_deadline());
            }),
       absl::StatusCode::kInvalidArgument,
       "key_dates: after this amendment, submission_deadline (2026-03-31T00:00:00Z) is after "
       "bid_opening_at"},
      {"amendment changing nothing", open, Amended(Day(3)), absl::StatusCode::kInvalidArgument,
       "amendment changes nothing"},
      {"amendment moving the deadline before a bid", bid_in,
       With(Amended(Day(19.5)),
            [](auto* e) {
              ToProtoTime(
                  Day(18),
                  e->mutable_tender_amended()->mutable_key_dates()->mutable_submission_deadline());
            }),
       absl::StatusCode::kFailedPrecondition, "the deadline cannot move before it"},
      {"amendment removing a lot with bids",
       {Discovered({"L1", "L2"}), Bid("C-1", "5.00", Day(3), "L2")},
       With(Amended(Day(4)),
            [](auto* e) { e->mutable_tender_amended()->mutable_lots()->add_lots()->set_id("L1"); }),
       absl::StatusCode::kFailedPrecondition,
       "lots: lot L2 has bids or awards; it cannot be removed"},
      // Documents.
      {"late document without approver", open, Document(Day(13)),
       absl::StatusCode::kFailedPrecondition,
       "documents_available_until was 2026-03-11T00:00:00Z; a document obtained at "
       "2026-03-14T00:00:00Z, after the cut-off, needs an exception_approver"},
      // Our bids.
      {"our bid after the deadline", with_docs, Bid(kUs, "900000.00", Day(21)),
       absl::StatusCode::kFailedPrecondition,
       "submission_deadline was 2026-03-21T00:00:00Z; our bid at 2026-03-22T00:00:00Z is late"},
      {"our bid before the documents", open, Bid(kUs, "900000.00", Day(8)),
       absl::StatusCode::kFailedPrecondition, "we have not obtained the tender documents"},
      {"our bid after a no-bid decision",
       {Discovered(), Document(Day(5)), NoBid(Day(6))},
       Bid(kUs, "900000.00", Day(8)),
       absl::StatusCode::kFailedPrecondition,
       "a no-bid decision is recorded for this tender"},
      {"competitor bid submitted after the deadline", open, Bid("C-1", "1.00", Day(21)),
       absl::StatusCode::kFailedPrecondition,
       "a competitor's bid may be recorded later, but it must have been submitted before the "
       "deadline"},
      {"second bid of one bidder", bid_in, Bid("C-1", "800000.00", Day(19.5)),
       absl::StatusCode::kFailedPrecondition,
       "bidder C-1 already has a bid in the competition for the tender; withdraw it first"},
      {"no-bid while our bid is in", bid_in, NoBid(Day(19.5)),
       absl::StatusCode::kFailedPrecondition,
       "our bid on the tender is in the competition; withdraw it before deciding not to bid"},
      {"second no-bid",
       {Discovered(), NoBid(Day(2))},
       NoBid(Day(3)),
       absl::StatusCode::kFailedPrecondition,
       "a no-bid decision is already recorded"},
      // Lots.
      {"bid naming an unknown lot", lots, Bid("C-1", "1.00", Day(3), "L9"),
       absl::StatusCode::kInvalidArgument, "lot_id: tender T-1 has no lot L9; its lots are L1, L2"},
      {"bid naming no lot of several", lots, Bid("C-1", "1.00", Day(3)),
       absl::StatusCode::kInvalidArgument, "lot_id: required; tender T-1 has 2 lots (L1, L2)"},
      {"bid naming a lot of a tender without lots", open, Bid("C-1", "1.00", Day(3), "L1"),
       absl::StatusCode::kInvalidArgument, "lot_id: tender T-1 has no lots; leave lot_id empty"},
      {"award naming an unknown lot", lots, Award("A1", "C-1", "1.00", Day(30), "L3"),
       absl::StatusCode::kInvalidArgument, "lot_id: tender T-1 has no lot L3"},
      {"bid on a cancelled lot",
       {Discovered({"L1", "L2"}), Cancelled(Day(2), {"L2"})},
       Bid("C-1", "1.00", Day(3), "L2"),
       absl::StatusCode::kFailedPrecondition,
       "lot L2 was cancelled"},
      // Awards.
      {"award before the deadline", bid_in, Award("A1", "C-1", "850000.00", Day(19.9)),
       absl::StatusCode::kFailedPrecondition, "is before submission_deadline 2026-03-21T00:00:00Z"},
      {"award after the deadline but before the opening", bid_in,
       Award("A1", "C-1", "850000.00", Day(20) + absl::Hours(1)),
       absl::StatusCode::kFailedPrecondition,
       "an award at 2026-03-21T01:00:00Z is before the bid opening (2026-03-21T02:00:00Z)"},
      // Business times in their order: our facts after the discovery, our bid
      // after our documents.
      {"documents before the discovery", open, Document(Day(-1)),
       absl::StatusCode::kFailedPrecondition,
       "a document obtained at 2026-02-28T00:00:00Z is before the tender was discovered "
       "(2026-03-01T00:00:00Z)"},
      {"no-bid before the discovery", open, NoBid(Day(-2)), absl::StatusCode::kFailedPrecondition,
       "a no-bid decision at 2026-02-27T00:00:00Z is before the tender was discovered"},
      {"our bid dated before our documents", with_docs, Bid(kUs, "900000.00", Day(4)),
       absl::StatusCode::kFailedPrecondition,
       "our bid at 2026-03-05T00:00:00Z is before we obtained the tender documents "
       "(2026-03-06T00:00:00Z)"},
      {"second award in force", awarded, Award("A2", kUs, "900000.00", Day(31)),
       absl::StatusCode::kFailedPrecondition,
       "the tender already has award A1 in force; cancel it before announcing another"},
      {"award id reused", awarded, Award("A1", kUs, "900000.00", Day(31)),
       absl::StatusCode::kInvalidArgument, "award_id: A1 is already used in tender T-1"},
      {"award to a supplier without a bid", bid_in, Award("A1", "C-9", "1.00", Day(30)),
       absl::StatusCode::kFailedPrecondition,
       "supplier C-9 has no valid bid on the tender; only limited and direct procurements"},
      {"award to a supplier whose bid was withdrawn",
       {Discovered(), Bid("C-1", "5.00", Day(3)), Withdrawn("C-1", Day(4))},
       Award("A1", "C-1", "5.00", Day(30)),
       absl::StatusCode::kFailedPrecondition,
       "supplier C-1 has no valid bid"},
      {"cancel an unknown award", bid_in, AwardCancelled("A9", Day(31)),
       absl::StatusCode::kFailedPrecondition, "award A9 does not exist in tender T-1"},
      {"cancel an award twice",
       [&] {
         auto history = awarded;
         history.push_back(AwardCancelled("A1", Day(31)));
         return history;
       }(),
       AwardCancelled("A1", Day(32)), absl::StatusCode::kFailedPrecondition,
       "award A1 is already cancelled"},
      // Bids leaving.
      {"withdraw a bid that does not exist", open, Withdrawn("C-1", Day(3)),
       absl::StatusCode::kFailedPrecondition,
       "cannot withdraw: bidder C-1 has no bid in the competition for the tender"},
      {"withdraw a bid twice",
       {Discovered(), Bid("C-1", "5.00", Day(3)), Withdrawn("C-1", Day(4))},
       Withdrawn("C-1", Day(5)),
       absl::StatusCode::kFailedPrecondition,
       "(its bid already left)"},
      {"disqualify a disqualified bid",
       {Discovered(), Bid("C-1", "5.00", Day(3)), Disqualified("C-1", Day(21))},
       Disqualified("C-1", Day(22)),
       absl::StatusCode::kFailedPrecondition,
       "cannot disqualify: bidder C-1 has no bid in the competition"},
      // Ended tenders.
      {"bid on a cancelled tender",
       {Discovered(), Cancelled(Day(2))},
       Bid("C-1", "1.00", Day(3)),
       absl::StatusCode::kFailedPrecondition,
       "tender T-1 is cancelled; it accepts only ActivityLogged"},
      {"award on an unsuccessful tender",
       {Discovered(), Unsuccessful(Day(25))},
       Award("A1", "C-1", "1.00", Day(30)),
       absl::StatusCode::kFailedPrecondition,
       "tender T-1 is unsuccessful; it accepts only ActivityLogged"},
      {"cancel a lot twice",
       {Discovered({"L1", "L2"}), Cancelled(Day(2), {"L2"})},
       Cancelled(Day(3), {"L2"}),
       absl::StatusCode::kFailedPrecondition,
       "lot L2 was cancelled"},
      {"cancel an awarded tender", awarded, Cancelled(Day(31)),
       absl::StatusCode::kFailedPrecondition,
       "the tender has award A1 in force; cancel the award first"},
      {"cancel an unknown lot", lots, Cancelled(Day(3), {"L7"}), absl::StatusCode::kInvalidArgument,
       "lot_ids[0]: tender T-1 has no lot L7"},
  };
}

TEST(DecideTest, EveryRuleRejectsWithItsCodeAndMessage) {
  for (const RuleCase& rule : RuleCases()) {
    EXPECT_THAT(DecideAfter(rule.history, rule.command, rule.now),
                StatusIs(rule.code, HasSubstr(rule.message)))
        << rule.name;
  }
}

TEST(DecideTest, AHandoverMovesTheTenderToItsNewTerritoryAndTeam) {
  ASSERT_OK_AND_ASSIGN(auto events, DecideAfter({Discovered()}, HandedOver("south", Day(2)),
                                                Day(2) + absl::Hours(1)));
  ASSERT_EQ(events.size(), 1u);
  TenderState state = Fold({Discovered()});
  Apply(events[0], &state);
  EXPECT_EQ(state.details.territory(), "south");
  EXPECT_EQ(state.details.owner_team(), "team-north");  // not named: it stays
}

TEST(DecideTest, LateDocumentWithApproverIsRecordedAsAnException) {
  ASSERT_OK_AND_ASSIGN(auto events,
                       DecideAfter({Discovered()}, Document(Day(13), "division chief Li")));
  ASSERT_EQ(events.size(), 1u);
  EXPECT_TRUE(events[0].document_obtained().exception());
  // On time, a client cannot mark it an exception.
  v1::TenderEvent on_time = Document(Day(3));
  on_time.mutable_document_obtained()->set_exception(true);
  ASSERT_OK_AND_ASSIGN(auto normal, DecideAfter({Discovered()}, on_time));
  EXPECT_FALSE(normal[0].document_obtained().exception());
}

TEST(DecideTest, TheBuyersTimeZoneIsStoredInItsCanonicalForm) {
  for (const auto& [typed, stored] :
       std::vector<std::pair<std::string, std::string>>{{"Asia/Shanghai", "Asia/Shanghai"},
                                                        {"+8", "+08:00"},
                                                        {"-0530", "-05:30"},
                                                        {"Z", "UTC"},
                                                        {"", ""}}) {
    // A copy: clang 14 cannot capture a structured binding.
    const std::string zone = typed;
    ASSERT_OK_AND_ASSIGN(auto events,
                         DecideAfter({}, With(Discovered(), [&](auto* e) {
                                       e->mutable_tender_discovered()->set_time_zone(zone);
                                     })));
    EXPECT_EQ(events[0].tender_discovered().time_zone(), stored) << typed;
  }
}

TEST(DecideTest, CompetitorBidMayBeRecordedAfterTheDeadline) {
  // Recorded on day 21 (now), submitted on day 19.
  EXPECT_THAT(DecideAfter({Discovered()}, Bid("C-1", "1.00", Day(19)), Day(21)), IsOk());
}

TEST(DecideTest, BidNamingNoLotInAOneLotTenderGetsThatLot) {
  ASSERT_OK_AND_ASSIGN(auto events, DecideAfter({Discovered({"L1"})}, Bid("C-1", "1.00", Day(3))));
  EXPECT_EQ(events[0].bid_submitted().lot_id(), "L1");
}

TEST(DecideTest, DirectProcurementAwardsWithoutABid) {
  EXPECT_THAT(DecideAfter({Discovered({}, v1::PROCUREMENT_METHOD_DIRECT)},
                          Award("A1", "C-9", "10.00", Day(30))),
              IsOk());
  EXPECT_THAT(DecideAfter({Discovered({}, v1::PROCUREMENT_METHOD_LIMITED)},
                          Award("A1", "C-9", "10.00", Day(30))),
              IsOk());
}

TEST(DecideTest, CancelledTenderStillAcceptsActivities) {
  EXPECT_THAT(DecideAfter({Discovered(), Cancelled(Day(2))}, Activity(Day(3))), IsOk());
}

// Our facts recorded well after they happened: a reason, and a manager when
// they claim a deadline that had passed by the time they are recorded.
TEST(DecideTest, LateRecordingsNeedAReasonAndClaimedDeadlinesAManager) {
  const std::vector<v1::TenderEvent> open = {Discovered()};
  const std::vector<v1::TenderEvent> with_docs = {Discovered(), Document(Day(5))};
  const LateRecording reason{"the portal receipt came by post", ""};
  const LateRecording approved{"the portal receipt came by post", "manager Zhao"};

  // Two days late, before the cut-off: a reason.
  EXPECT_THAT(DecideAfter(open, Document(Day(3)), Day(5)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "occurred_at 2026-03-04T00:00:00Z is 2d before it is recorded "
                       "(2026-03-06T00:00:00Z); a fact of ours recorded more than 24h after it "
                       "happened needs a reason (late.reason; bidtrail --late-reason TEXT)"));
  ASSERT_OK_AND_ASSIGN(auto documents, DecideAfter(open, Document(Day(3)), Day(5), reason));
  ASSERT_EQ(documents.size(), 2u);
  EXPECT_TRUE(documents[0].has_document_obtained());
  const v1::RecordedLate& explained = documents[1].recorded_late();
  EXPECT_EQ(explained.tender_id(), kTender);
  EXPECT_EQ(explained.fact_type(), "bidtrail.v1.DocumentObtained");
  EXPECT_EQ(explained.reason(), reason.reason);
  EXPECT_EQ(explained.deadline(), "");
  EXPECT_EQ(FromProtoTime(explained.occurred_at()), Day(3));
  // Folding the explanation changes nothing.
  EXPECT_EQ(Stored(Fold({Discovered(), documents[0], documents[1]})),
            Stored(Fold({Discovered(), documents[0]})));

  // Claiming the cut-off (day 10) once it has passed: a reason and a manager.
  EXPECT_THAT(DecideAfter(open, Document(Day(9)), Day(11), reason),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       "it claims to have met documents_available_until (2026-03-11T00:00:00Z), "
                       "which had passed when it is recorded (2026-03-12T00:00:00Z); a manager "
                       "must approve it (late.approver; bidtrail --manager NAME)"));
  ASSERT_OK_AND_ASSIGN(auto claimed, DecideAfter(open, Document(Day(9)), Day(11), approved));
  ASSERT_EQ(claimed.size(), 2u);
  EXPECT_EQ(claimed[1].recorded_late().deadline(), "documents_available_until");
  EXPECT_EQ(claimed[1].recorded_late().approver(), "manager Zhao");

  // Our bid recorded ten minutes after the deadline, claiming to be in time:
  // within the day, but past the deadline.
  const v1::TenderEvent bid = Bid(kUs, "900000.00", Day(20) - absl::Minutes(5));
  EXPECT_THAT(DecideAfter(with_docs, bid, Day(20) + absl::Minutes(10)),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("after submission_deadline had passed; it needs a reason")));
  EXPECT_THAT(DecideAfter(with_docs, bid, Day(20) + absl::Minutes(10), reason),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("it claims to have met submission_deadline")));
  ASSERT_OK_AND_ASSIGN(auto bids,
                       DecideAfter(with_docs, bid, Day(20) + absl::Minutes(10), approved));
  EXPECT_EQ(bids.size(), 2u);
  // Within the clock-skew grace: nothing to explain.
  ASSERT_OK_AND_ASSIGN(bids, DecideAfter(with_docs, bid, Day(20) + absl::Minutes(3)));
  EXPECT_EQ(bids.size(), 1u);

  // A no-bid decision and our withdrawal are ours too.
  EXPECT_THAT(DecideAfter(open, NoBid(Day(2)), Day(8)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("needs a reason")));
  const std::vector<v1::TenderEvent> our_bid_in = {Discovered(), Document(Day(5)),
                                                   Bid(kUs, "1.00", Day(6))};
  EXPECT_THAT(DecideAfter(our_bid_in, Withdrawn(kUs, Day(7)), Day(9)),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("needs a reason")));

  // Facts about others are learned late by nature: no reason asked, and a
  // reason given in time is not stored.
  ASSERT_OK_AND_ASSIGN(auto theirs, DecideAfter(open, Bid("C-1", "1.00", Day(3)), Day(30)));
  EXPECT_EQ(theirs.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto activity, DecideAfter(open, Activity(Day(3)), Day(30)));
  EXPECT_EQ(activity.size(), 1u);
  ASSERT_OK_AND_ASSIGN(auto in_time, DecideAfter(open, Document(Day(3)), Day(3.5), reason));
  EXPECT_EQ(in_time.size(), 1u);

  // The explanation is checked as input.
  EXPECT_THAT(DecideAfter(open, Document(Day(9)), Day(11), {reason.reason, " Zhao"}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "late.approver: \" Zhao\" has white space at an end; names are compared "
                       "exactly, so write it without"));
  EXPECT_THAT(
      DecideAfter(open, Document(Day(3)), Day(5), {std::string(2001, 'x'), ""}),
      StatusIs(absl::StatusCode::kInvalidArgument, "late.reason: 2001 bytes; at most 2000"));
  v1::TenderEvent forged;
  forged.mutable_recorded_late()->set_tender_id(kTender);
  ToProtoTime(Day(3), forged.mutable_recorded_late()->mutable_occurred_at());
  EXPECT_THAT(DecideAfter(open, forged, Day(5)),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("recorded_late: made by the service")));
}

// Voiding an entry recorded by mistake: the fold leaves it out (with the
// explanation of its late recording), the rest stays.
TEST(FoldTest, VoidedEntriesAreLeftOut) {
  const std::vector<v1::TenderEvent> history = {
      Discovered(),                                          // revision 0
      Document(Day(5)),                                      // 1
      Bid(kUs, "900.00", Day(19)),                           // 2: the wrong amount
      Voided(30, Day(19.5), 2, "bidtrail.v1.BidSubmitted"),  // 3
      Bid(kUs, "950.00", Day(19.1)),                         // 4: the right one
  };
  const TenderState state = Fold(history);
  ASSERT_EQ(state.lots[0].bids.size(), 1u);
  EXPECT_EQ(state.lots[0].bids[0].bid.amount().amount(), "950.00");
  // The same stream with an event of an unknown type (revision 2 missing).
  const TenderState sparse =
      FoldStream({history[0], history[1], Voided(30, Day(19.5), 1), history[4]}, {0, 1, 3, 4});
  EXPECT_FALSE(sparse.documents_obtained);
  // A voiding pointing forward, or at nothing, voids nothing.
  const TenderState forward = Fold({Discovered(), Voided(9, Day(1), 5), Document(Day(2))});
  EXPECT_TRUE(forward.documents_obtained);
  // The late recording's explanation goes with its fact.
  const std::vector<const v1::TenderEvent*> events = {&history[0], &history[1], &history[2],
                                                      &history[3]};
  EXPECT_THAT(VoidedOf(events, {0, 1, 2, 3}), ElementsAre(false, false, true, false));
  v1::TenderEvent late;
  late.mutable_recorded_late()->set_tender_id(kTender);
  v1::TenderEvent void_docs = Voided(20, Day(6), 1);
  EXPECT_THAT(VoidedOf({&history[0], &history[1], &late, &void_docs}, {0, 1, 2, 3}),
              ElementsAre(false, true, true, false));
}

TEST(DecideTest, VoidingsNameAnEntryThatMayBeVoided) {
  const v1::TenderEvent discovered = Discovered();
  const v1::TenderEvent document = Document(Day(5));
  v1::TenderEvent late;
  late.mutable_recorded_late()->set_tender_id(kTender);
  const v1::TenderEvent earlier_voiding = Voided(11, Day(6), 1, "bidtrail.v1.DocumentObtained");
  const std::vector<StreamEntry> stream = {
      {10, 0, "bidtrail.v1.TenderDiscovered", &discovered},
      {11, 1, "bidtrail.v1.DocumentObtained", &document},
      {12, 2, "bidtrail.v1.RecordedLate", &late},
      {15, 3, "bidtrail.v1.EntryVoided", &earlier_voiding},
      {16, 4, "bidtrail.v1.FutureThing", nullptr},
  };
  const auto prepare = [&](uint64_t position) {
    v1::EntryVoided voiding = Voided(position, Day(7)).entry_voided();
    return PrepareVoid(stream, &voiding);
  };
  EXPECT_THAT(prepare(10),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("is the discovery of tender T-1; it cannot be voided")));
  EXPECT_THAT(prepare(11),
              StatusIs(absl::StatusCode::kFailedPrecondition, "position 11 is already voided"));
  EXPECT_THAT(prepare(12), StatusIs(absl::StatusCode::kFailedPrecondition,
                                    HasSubstr("void that fact (position 11) instead")));
  EXPECT_THAT(prepare(15),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("voids another entry")));
  EXPECT_THAT(prepare(16), StatusIs(absl::StatusCode::kFailedPrecondition,
                                    HasSubstr("an event type this server does not know")));
  EXPECT_THAT(prepare(13), StatusIs(absl::StatusCode::kNotFound,
                                    HasSubstr("position 13 holds no event of tender T-1")));

  // Filled in, it is decided on its reason, whatever the tender's status.
  const std::vector<StreamEntry> open = {{10, 0, "bidtrail.v1.TenderDiscovered", &discovered},
                                         {11, 1, "bidtrail.v1.DocumentObtained", &document}};
  v1::TenderEvent voiding = Voided(11, Day(7));
  ASSERT_THAT(PrepareVoid(open, voiding.mutable_entry_voided()), IsOk());
  EXPECT_EQ(voiding.entry_voided().revision(), 1u);
  EXPECT_EQ(voiding.entry_voided().voided_type(), "bidtrail.v1.DocumentObtained");
  EXPECT_THAT(DecideAfter({Discovered(), Document(Day(5)), Cancelled(Day(6))}, voiding), IsOk());
  voiding.mutable_entry_voided()->set_reason(" ");
  EXPECT_THAT(DecideAfter({Discovered(), Document(Day(5))}, voiding),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reason")));
  // Not looked up: refused.
  EXPECT_THAT(DecideAfter({Discovered()}, Voided(11, Day(7))),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("was not looked up")));
}

// The whole life of a tender, as DOMAIN.md tells it.
TEST(FoldTest, FullLifecycle) {
  std::vector<v1::TenderEvent> history;
  auto record = [&](const v1::TenderEvent& command) {
    auto decided = Decide(Fold(history), command, DomainConfig(), SoonAfter(command));
    ASSERT_TRUE(decided.ok()) << decided.status() << " for " << command.ShortDebugString();
    history.insert(history.end(), decided->begin(), decided->end());
  };
  record(Discovered({"L1", "L2"}));
  record(With(Amended(Day(2)), [](auto* e) {
    ToProtoTime(Day(22),
                e->mutable_tender_amended()->mutable_key_dates()->mutable_submission_deadline());
    ToProtoTime(Day(23),
                e->mutable_tender_amended()->mutable_key_dates()->mutable_bid_opening_at());
  }));
  record(Document(Day(13), "division chief Li"));
  record(Bid(kUs, "480000.00", Day(21), "L1"));
  record(Bid("C-1", "450000.00", Day(21), "L1"));
  record(Bid("C-2", "470000.00", Day(21.5), "L1"));
  record(Bid("C-1", "300000.00", Day(21), "L2"));
  record(Activity(Day(24), v1::BUYING_ROLE_PROCUREMENT));
  record(Award("A1", "C-1", "450000.00", Day(30), "L1"));
  record(AwardCancelled("A1", Day(35)));
  record(Disqualified("C-1", Day(35), "L1"));
  record(Award("A2", kUs, "480000.00", Day(36), "L1"));
  record(Cancelled(Day(37), {"L2"}));

  const TenderState state = Fold(history);
  EXPECT_EQ(state.status, v1::TENDER_STATUS_OPEN);
  EXPECT_TRUE(state.documents_obtained);
  EXPECT_TRUE(state.documents_exception);
  EXPECT_EQ(state.amendment_count, 1u);
  EXPECT_EQ(state.activity_count, 1u);
  EXPECT_EQ(FromProtoTime(state.details.key_dates().submission_deadline()), Day(22));
  const LotState* l1 = state.FindLot("L1");
  ASSERT_NE(l1, nullptr);
  EXPECT_EQ(l1->status, v1::LOT_STATUS_AWARDED);
  ASSERT_NE(l1->AwardInForce(), nullptr);
  EXPECT_EQ(l1->AwardInForce()->award.award_id(), "A2");
  EXPECT_EQ(l1->awards.size(), 2u);
  EXPECT_TRUE(l1->awards[0].cancelled);
  EXPECT_EQ(l1->ValidBid("C-1"), nullptr);
  EXPECT_EQ(state.FindLot("L2")->status, v1::LOT_STATUS_CANCELLED);
  EXPECT_EQ(state.last_event_at, Day(37));

  ASSERT_EQ(state.lots.size(), 2u);
  EXPECT_EQ(state.lots[0].bids[0].bid.bidder().id(), kUs);
  EXPECT_NE(state.lots[0].bids[1].bid.bidder().id(), kUs);
  EXPECT_EQ(state.lots[0].bids[1].status, v1::BID_STATUS_DISQUALIFIED);

  // Stored form: type name and bytes, and back.
  for (const v1::TenderEvent& event : history) {
    const auto decoded = DecodeEvent(EventTypeName(event), EncodeEventData(event));
    ASSERT_TRUE(decoded.has_value());
    EXPECT_EQ(decoded->SerializeAsString(), event.SerializeAsString());
    EXPECT_EQ(TenderIdOf(event), kTender);
  }
  EXPECT_EQ(EventTypeName(history[0]), "bidtrail.v1.TenderDiscovered");
  EXPECT_FALSE(DecodeEvent("bidtrail.v1.SomethingNew", "").has_value());

  // Decoded for folding (some events on an arena, activity skimmed), the
  // history folds to the same state.
  google::protobuf::Arena arena;
  TenderState folded;
  for (const v1::TenderEvent& event : history) {
    std::unique_ptr<v1::TenderEvent> owned;
    v1::TenderEvent* decoded =
        DecodeForFold(EventTypeName(event), EncodeEventData(event), &arena, &owned);
    ASSERT_NE(decoded, nullptr) << event.ShortDebugString();
    const bool kept =
        event.has_tender_discovered() || event.has_bid_submitted() || event.has_award_announced();
    EXPECT_EQ(owned != nullptr, kept) << event.ShortDebugString();
    EXPECT_EQ(decoded->GetArena() == nullptr, kept);
    if (owned) {
      Apply(std::move(*owned), &folded);
    } else {
      Apply(*decoded, &folded);
    }
  }
  EXPECT_EQ(Stored(folded), Stored(state));
  std::unique_ptr<v1::TenderEvent> owned;
  EXPECT_EQ(DecodeForFold("bidtrail.v1.SomethingNew", "", &arena, &owned), nullptr);
  EXPECT_EQ(DecodeForFold("bidtrail.v1.BidSubmitted", "\xff", &arena, &owned), nullptr);
  EXPECT_EQ(owned, nullptr);
}

// Wire-format pieces, to build ActivityLogged bytes protobuf would never
// write but must read.
std::string Varint(uint64_t value) {
  std::string out;
  do {
    out.push_back(static_cast<char>((value & 0x7f) | (value >= 0x80 ? 0x80 : 0)));
    value >>= 7;
  } while (value != 0);
  return out;
}
std::string Field(int number, int wire_type, std::string_view payload) {
  std::string out = Varint(static_cast<uint64_t>(number) << 3 | wire_type);
  if (wire_type == 2) out += Varint(payload.size());
  out.append(payload);
  return out;
}

// Folding skims an ActivityLogged for what Apply reads (tender id and time):
// for any bytes, it must read what protobuf reads, and fail where it fails.
TEST(CodecTest, ActivitySkimmedForFoldingReadsWhatProtobufReads) {
  const std::string time = Field(1, 0, Varint(86400 * 3)) + Field(2, 0, Varint(500));
  const std::string plain = Field(1, 2, "T-1") + Field(2, 0, Varint(2)) + Field(3, 2, "Ann") +
                            Field(5, 2, "met the buyer") + Field(6, 2, time);
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"as protobuf writes it", EncodeEventData(Activity(Day(3)))},
      {"plain", plain},
      {"empty", ""},
      {"unknown fields of every wire type", plain + Field(99, 0, Varint(7)) +
                                                Field(98, 1, "12345678") + Field(97, 5, "1234") +
                                                Field(96, 2, "x")},
      {"tender id twice: the last counts", plain + Field(1, 2, "T-2")},
      {"time twice: merged field by field", plain + Field(6, 2, Field(2, 0, Varint(9)))},
      {"time empty", Field(1, 2, "T-1") + Field(6, 2, "")},
      {"time with unknown fields", Field(6, 2, time + Field(7, 2, "zz"))},
      {"negative seconds", Field(6, 2, Field(1, 0, Varint(static_cast<uint64_t>(-86400))))},
      {"nanos wider than 32 bits", Field(6, 2, Field(2, 0, Varint(uint64_t{1} << 40 | 5)))},
      {"tender id as a varint: an unknown field", Field(1, 0, Varint(5)) + Field(6, 2, time)},
      {"time as a varint: an unknown field", Field(1, 2, "T-1") + Field(6, 0, Varint(5))},
      {"notes in UTF-8", plain + Field(5, 2, "caf\xc3\xa9")},
      {"notes not UTF-8", plain + Field(5, 2, "caf\xe9")},
      {"contact not UTF-8", plain + Field(3, 2, "\xff")},
      {"tender id not UTF-8", Field(1, 2, "T\xff")},
      {"truncated string", Field(1, 2, "T-1").substr(0, 3)},
      {"truncated varint", Field(2, 0, "\x80")},
      {"length past the end", Field(1, 2, "T-1") + std::string("\x0a\x05") + "ab"},
      {"a group", plain + Field(9, 3, "")},
      {"field number 0", std::string("\x02\x00")},
      {"time truncated inside", Field(6, 2, std::string("\x08\x80"))},
  };
  TenderState discovered;
  Apply(Discovered(), &discovered);
  for (const auto& [name, bytes] : cases) {
    SCOPED_TRACE(name);
    const std::optional<v1::TenderEvent> full = DecodeEvent("bidtrail.v1.ActivityLogged", bytes);
    google::protobuf::Arena arena;
    std::unique_ptr<v1::TenderEvent> owned;
    const v1::TenderEvent* skimmed =
        DecodeForFold("bidtrail.v1.ActivityLogged", bytes, &arena, &owned);
    ASSERT_EQ(skimmed != nullptr, full.has_value());
    if (!full) continue;
    EXPECT_EQ(owned, nullptr);
    EXPECT_EQ(TenderIdOf(*skimmed), TenderIdOf(*full));
    EXPECT_EQ(skimmed->activity_logged().has_occurred_at(),
              full->activity_logged().has_occurred_at());
    EXPECT_EQ(skimmed->activity_logged().occurred_at().seconds(),
              full->activity_logged().occurred_at().seconds());
    EXPECT_EQ(skimmed->activity_logged().occurred_at().nanos(),
              full->activity_logged().occurred_at().nanos());
    TenderState from_full = discovered;
    TenderState from_skimmed = discovered;
    Apply(*full, &from_full);
    Apply(*skimmed, &from_skimmed);
    EXPECT_EQ(Stored(from_skimmed), Stored(from_full));
  }
  // Both paths are taken: plain bytes are skimmed (the notes are not
  // decoded), anything else goes to protobuf whole. Without this, a skim that
  // always gave up would pass every case above.
  google::protobuf::Arena arena;
  std::unique_ptr<v1::TenderEvent> owned;
  const v1::TenderEvent* skimmed =
      DecodeForFold("bidtrail.v1.ActivityLogged", plain, &arena, &owned);
  ASSERT_NE(skimmed, nullptr);
  EXPECT_EQ(skimmed->activity_logged().notes(), "");
  const v1::TenderEvent* whole = DecodeForFold("bidtrail.v1.ActivityLogged",
                                               plain + Field(5, 2, "caf\xc3\xa9"), &arena, &owned);
  ASSERT_NE(whole, nullptr);
  EXPECT_EQ(whole->activity_logged().notes(), "caf\xc3\xa9");
}

// Random command sequences: whatever Decide accepts keeps the invariants, and
// folding the accepted events from scratch gives the incremental state.
class RandomCommands {
 public:
  explicit RandomCommands(uint32_t seed) : rng_(seed) {}

  v1::TenderEvent Next(const TenderState& state) {
    const absl::Time at = Day(Uniform(0, 60) + Uniform(0, 100) / 100.0);
    const std::string lot = Pick({"", "L1", "L2", "L3"});
    const std::string bidder = Pick({kUs, "C-1", "C-2", "C-3"});
    const std::string amount = Pick({"100.00", "250000", "0", "-3", "99.5"});
    switch (Uniform(0, 12)) {
      case 0:
        return Uniform(0, 1) == 0 ? Discovered({"L1", "L2"}) : Discovered();
      case 1: {
        v1::TenderEvent amended = Amended(at);
        ToProtoTime(
            Day(Uniform(15, 30)),
            amended.mutable_tender_amended()->mutable_key_dates()->mutable_submission_deadline());
        return amended;
      }
      case 2:
        return Document(at, Uniform(0, 1) == 0 ? "" : "approver");
      case 3:
        return NoBid(at);
      case 4:
      case 5:
      case 6:
        return Bid(bidder, amount, at, lot);
      case 7:
        return Withdrawn(bidder, at, lot);
      case 8:
        return Disqualified(bidder, at, lot);
      case 9:
      case 10: {
        const int awards = static_cast<int>(state.lots.size()) * 3;
        return Award("A" + std::to_string(Uniform(0, awards)), bidder, amount, at, lot);
      }
      case 11:
        return AwardCancelled("A" + std::to_string(Uniform(0, 6)), at);
      default:
        return Uniform(0, 4) == 0 ? Cancelled(at, lot.empty() ? std::vector<std::string>{}
                                                              : std::vector<std::string>{lot})
                                  : Activity(at);
    }
  }

 private:
  int Uniform(int low, int high) { return std::uniform_int_distribution<int>(low, high)(rng_); }
  std::string Pick(std::vector<std::string> options) {
    return options[Uniform(0, static_cast<int>(options.size()) - 1)];
  }
  std::mt19937 rng_;
};

void CheckInvariants(const TenderState& state, const DomainConfig& config) {
  const v1::KeyDates& dates = state.details.key_dates();
  for (const LotState& lot : state.lots) {
    int in_force = 0;
    for (const AwardRecord& award : lot.awards) in_force += award.cancelled ? 0 : 1;
    ASSERT_LE(in_force, 1) << "lot " << lot.id << " has two awards in force";
    for (const BidRecord& bid : lot.bids) {
      if (bid.bid.bidder().id() == config.own_party_id && dates.has_submission_deadline()) {
        ASSERT_LE(FromProtoTime(bid.bid.occurred_at()), FromProtoTime(dates.submission_deadline()))
            << "our bid after the deadline";
      }
    }
    int valid_by_us = 0;
    for (const BidRecord& bid : lot.bids) {
      valid_by_us +=
          bid.status == v1::BID_STATUS_VALID && bid.bid.bidder().id() == config.own_party_id;
    }
    ASSERT_LE(valid_by_us, 1);
  }
}

TEST(DecideTest, RandomSequencesKeepTheInvariants) {
  const DomainConfig config;
  int accepted_total = 0;
  // One record lent again and again, over tenders of every size: it must
  // carry nothing over from the tender lent before.
  storage::v1::TenderRecord lent;
  for (uint32_t seed : {1u, 2u, 3u, 42u, 2026u}) {
    RandomCommands commands(seed);
    std::vector<v1::TenderEvent> history;
    TenderState state;
    for (int step = 0; step < 2000; ++step) {
      const v1::TenderEvent command = commands.Next(state);
      auto decided = Decide(state, command, config, SoonAfter(command));
      if (!decided.ok()) {
        const absl::StatusCode code = decided.status().code();
        ASSERT_TRUE(code == absl::StatusCode::kInvalidArgument ||
                    code == absl::StatusCode::kFailedPrecondition ||
                    code == absl::StatusCode::kNotFound || code == absl::StatusCode::kAlreadyExists)
            << decided.status();
        continue;
      }
      for (const v1::TenderEvent& event : *decided) {
        Apply(event, &state);
        history.push_back(event);
      }
      ++accepted_total;
      ASSERT_NO_FATAL_FAILURE(CheckInvariants(state, config))
          << "seed " << seed << " step " << step;
      if (step % 50 == 0) {
        // Read models store the record and fold on from it: the round trip
        // must lose nothing.
        state = readmodel::StateOf(readmodel::RecordOf(state, 0));
      }
      if (step % 7 == 0) {
        // The projection lends the state's messages to the record it
        // stores: the same record as a copy, and the state untouched
        // afterwards.
        const std::string copied = Stored(state);
        readmodel::LendRecord(state, 0, &lent);
        ASSERT_EQ(lent.SerializeAsString(), copied) << "seed " << seed << " step " << step;
        readmodel::GiveBack(&lent);
        ASSERT_EQ(Stored(state), copied) << "seed " << seed << " step " << step;
      }
    }
    EXPECT_EQ(Stored(Fold(history)), Stored(state)) << "seed " << seed;
  }
  EXPECT_GT(accepted_total, 500) << "the generator should exercise accepted paths too";
}

}  // namespace
}  // namespace bidtrail::tender
