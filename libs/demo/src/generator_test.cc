// The demo generator: deterministic, every command accepted by tender::Decide
// in the order given, in business-time order, never in the future, memory
// bounded by the tenders in flight, and a history whose statistics tell the
// story the views are for.
#include "bidtrail/demo/generator.h"

#include <cstdio>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "bidtrail/analytics/competition.h"
#include "bidtrail/analytics/metrics.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/decide.h"
#include "bidtrail/tender/state.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::demo {
namespace {

using ::testing::AllOf;

const tender::LateRecording kDemoLateRecording{kLoadReason, kLoadManager};
using ::testing::Ge;
using ::testing::Le;
using ::testing::SizeIs;

constexpr char kUs[] = "us";

absl::Time Now() {
  return absl::FromCivil(absl::CivilSecond(2026, 3, 2, 3, 0, 0), absl::UTCTimeZone());
}

Options DemoOptions(uint64_t seed, int tenders = 2000) {
  Options options;
  options.seed = seed;
  options.tenders = tenders;
  options.now = Now();
  options.own_party_id = kUs;
  return options;
}

std::vector<Command> Generate(const Options& options) {
  std::vector<Command> commands;
  Generator generator(options);
  Command command;
  while (generator.Next(&command)) commands.push_back(command);
  EXPECT_EQ(generator.yielded(), commands.size());
  EXPECT_EQ(generator.pending(), 0u);
  return commands;
}

bool SameCommands(const std::vector<Command>& a, const std::vector<Command>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].request_id != b[i].request_id || a[i].actor != b[i].actor ||
        a[i].event.SerializeAsString() != b[i].event.SerializeAsString()) {
      return false;
    }
  }
  return true;
}

// Every tender's state after applying the commands in order through Decide,
// as the Tenders service would.
struct Replay {
  std::map<std::string, tender::TenderState> tenders;
  size_t commands = 0;
};

Replay DecideAll(const std::vector<Command>& commands, const Options& options) {
  Replay replay;
  tender::DomainConfig config;
  config.own_party_id = options.own_party_id;
  absl::Time previous = absl::InfinitePast();
  std::set<std::string> request_ids;
  for (const Command& command : commands) {
    const absl::Time at = tender::OccurredAtOf(command.event);
    EXPECT_LE(at, options.now) << command.event.ShortDebugString();
    EXPECT_GE(at, previous) << "out of time order: " << command.event.ShortDebugString();
    previous = at;
    EXPECT_TRUE(request_ids.insert(command.request_id).second) << command.request_id;
    EXPECT_TRUE(absl::StrContains(command.actor, "@team-")) << command.actor;
    tender::TenderState& state = replay.tenders[tender::TenderIdOf(command.event)];
    // Recorded as it happened (the history the generator tells), and loaded
    // all at once at `now`, as `bidtrail demo load` does, with its note.
    absl::StatusOr<std::vector<v1::TenderEvent>> decided =
        tender::Decide(state, command.event, config, at + absl::Minutes(1));
    absl::StatusOr<std::vector<v1::TenderEvent>> loaded =
        tender::Decide(state, command.event, config, options.now, kDemoLateRecording);
    if (!decided.ok() || !loaded.ok()) {
      ADD_FAILURE() << "refused: " << decided.status() << " / loaded: " << loaded.status()
                    << "\n  command " << command.request_id << ": "
                    << command.event.ShortDebugString();
      return replay;
    }
    // Already normalised: a bulk load that appends the commands' events as
    // they are stores what the Tenders service would.
    EXPECT_EQ(decided->size(), 1u);
    EXPECT_EQ(decided->front().SerializeAsString(), command.event.SerializeAsString())
        << command.event.ShortDebugString();
    // Loaded late, the fact is the same, explained when it is ours.
    EXPECT_EQ(loaded->front().SerializeAsString(), command.event.SerializeAsString());
    for (size_t i = 1; i < loaded->size(); ++i) EXPECT_TRUE((*loaded)[i].has_recorded_late());
    for (const v1::TenderEvent& event : *decided) tender::Apply(event, &state);
    ++replay.commands;
  }
  return replay;
}

TEST(GeneratorTest, SameSeedGivesTheSameCommands) {
  const std::vector<Command> first = Generate(DemoOptions(7, 300));
  const std::vector<Command> second = Generate(DemoOptions(7, 300));
  ASSERT_THAT(first, SizeIs(Ge(3000u)));
  EXPECT_TRUE(SameCommands(first, second));
  EXPECT_EQ(first.front().request_id.rfind("demo-7-DEMO-", 0), 0u) << first.front().request_id;
}

TEST(GeneratorTest, DifferentSeedGivesDifferentCommands) {
  EXPECT_FALSE(SameCommands(Generate(DemoOptions(7, 300)), Generate(DemoOptions(8, 300))));
}

TEST(GeneratorTest, NoTendersNoCommands) {
  Generator generator(DemoOptions(1, 0));
  Command command;
  EXPECT_FALSE(generator.Next(&command));
  EXPECT_EQ(generator.estimated_total(), 0u);
}

TEST(GeneratorTest, TenderIdPrefixKeepsHistoriesApart) {
  Options options = DemoOptions(1, 20);
  options.tender_id_prefix = "LIVE";
  for (const Command& command : Generate(options)) {
    EXPECT_EQ(tender::TenderIdOf(command.event).rfind("LIVE-", 0), 0u);
  }
}

class AcceptedTest : public ::testing::TestWithParam<uint64_t> {};

TEST_P(AcceptedTest, EveryCommandIsAcceptedInTimeOrderAndNoneIsInTheFuture) {
  const Options options = DemoOptions(GetParam());
  const std::vector<Command> commands = Generate(options);
  const Replay replay = DecideAll(commands, options);
  EXPECT_EQ(replay.commands, commands.size());
  EXPECT_EQ(replay.tenders.size(), 2000u);
}

INSTANTIATE_TEST_SUITE_P(TwoSeeds, AcceptedTest, ::testing::Values(1, 2));

TEST(GeneratorTest, MemoryStaysBoundedByTheTendersInFlight) {
  Generator generator(DemoOptions(3, 20000));
  Command command;
  uint64_t most_pending = 0;
  absl::Time previous = absl::InfinitePast();
  while (generator.Next(&command)) {
    most_pending = std::max(most_pending, generator.pending());
    const absl::Time at = tender::OccurredAtOf(command.event);
    ASSERT_GE(at, previous);
    previous = at;
  }
  // Tenders live about three months of the two years: a small fraction of
  // the history is ever held at once.
  EXPECT_GT(generator.yielded(), 200000u);
  EXPECT_LT(most_pending, generator.yielded() / 5);
  const double estimate_error = std::abs(static_cast<double>(generator.estimated_total()) -
                                         static_cast<double>(generator.yielded()));
  EXPECT_LT(estimate_error, 1.0);
}

// What the story needs, counted over the folded history at `now`.
struct Story {
  int tenders = 0;
  int events = 0;
  int no_bid = 0;
  int cancelled = 0;
  int unsuccessful = 0;
  int lots_cancelled = 0;
  int reawarded = 0;
  int late_documents = 0;
  int deadline_amendments = 0;
  int usd = 0;
  int bids_with_partners = 0;
  int withdrawn = 0;
  int disqualified = 0;
  int open = 0;  // not ended, not declined, a competition undecided
  int due_in_10_days = 0;
  int documents_at_risk = 0;
  int submission_at_risk = 0;
  int stale = 0;
  std::map<std::string, int> by_type;
  std::set<int> roles;
  std::set<std::string> territories;
  std::set<std::string> teams;
  std::set<std::string> buyer_ids;
};

Story Tell(const std::vector<Command>& commands, const Replay& replay, absl::Time now) {
  Story story;
  story.events = static_cast<int>(commands.size());
  for (const Command& command : commands) {
    const v1::TenderEvent& event = command.event;
    ++story.by_type[tender::EventTypeName(event)];
    if (event.has_activity_logged()) story.roles.insert(event.activity_logged().role());
    if (event.has_tender_amended() &&
        event.tender_amended().key_dates().has_submission_deadline()) {
      ++story.deadline_amendments;
    }
    if (event.has_bid_submitted() && event.bid_submitted().partners_size() > 0) {
      ++story.bids_with_partners;
    }
  }
  for (const auto& [id, state] : replay.tenders) {
    ++story.tenders;
    const v1::TenderDiscovered& details = state.details;
    story.territories.insert(details.territory());
    story.teams.insert(details.owner_team());
    story.buyer_ids.insert(details.buyer().id());
    if (details.estimated_value().currency() == "USD") ++story.usd;
    if (state.no_bid_decided) ++story.no_bid;
    if (state.documents_exception) ++story.late_documents;
    if (state.status == v1::TENDER_STATUS_CANCELLED) ++story.cancelled;
    if (state.status == v1::TENDER_STATUS_UNSUCCESSFUL) ++story.unsuccessful;
    bool our_bid = false;
    bool undecided = false;
    for (const tender::LotState& lot : state.lots) {
      if (state.HasDeclaredLots() && lot.status == v1::LOT_STATUS_CANCELLED &&
          state.status == v1::TENDER_STATUS_OPEN) {
        ++story.lots_cancelled;
      }
      if (lot.status == v1::LOT_STATUS_OPEN) undecided = true;
      bool revoked = false;
      for (const tender::AwardRecord& award : lot.awards) revoked = revoked || award.cancelled;
      if (revoked && lot.AwardInForce() != nullptr) ++story.reawarded;
      for (const tender::BidRecord& bid : lot.bids) {
        if (bid.status == v1::BID_STATUS_WITHDRAWN) ++story.withdrawn;
        if (bid.status == v1::BID_STATUS_DISQUALIFIED) ++story.disqualified;
        if (bid.bid.bidder().id() == kUs && bid.status != v1::BID_STATUS_WITHDRAWN) {
          our_bid = true;
        }
      }
    }
    if (state.status != v1::TENDER_STATUS_OPEN || state.no_bid_decided) continue;
    if (undecided) ++story.open;
    const v1::KeyDates& dates = details.key_dates();
    const absl::Time documents = FromProtoTime(dates.documents_available_until());
    const absl::Time submission = FromProtoTime(dates.submission_deadline());
    if ((documents > now && documents <= now + absl::Hours(240)) ||
        (submission > now && submission <= now + absl::Hours(240))) {
      ++story.due_in_10_days;
    }
    if (!state.documents_obtained && documents >= now && documents - now <= absl::Hours(48)) {
      ++story.documents_at_risk;
    }
    if (!our_bid && submission >= now && submission - now <= absl::Hours(72)) {
      ++story.submission_at_risk;
    }
    if (undecided && state.last_event_at < now - absl::Hours(24 * 14)) ++story.stale;
  }
  return story;
}

std::vector<analytics::Competition> CompetitionsOf(const Replay& replay) {
  std::vector<analytics::Competition> competitions;
  for (const auto& [id, state] : replay.tenders) {
    for (analytics::Competition& competition : analytics::CompetitionsOf(state)) {
      competitions.push_back(std::move(competition));
    }
  }
  return competitions;
}

std::vector<v1::WinLossGroup> WinLossBy(const std::vector<analytics::Competition>& competitions,
                                        v1::WinLossGroupBy group_by) {
  analytics::WinLossOptions options;
  options.bidder_id = kUs;
  options.own_party_id = kUs;
  options.group_by = group_by;
  return analytics::WinLoss(analytics::CompetitionSet(competitions), options);
}

// Largest minus smallest win rate among groups with at least `min_decided`
// decided competitions.
double WinRateSpread(const std::vector<v1::WinLossGroup>& groups, uint32_t min_decided) {
  double lowest = 1;
  double highest = 0;
  for (const v1::WinLossGroup& group : groups) {
    if (group.won() + group.lost() < min_decided || !group.has_win_rate()) continue;
    lowest = std::min(lowest, group.win_rate());
    highest = std::max(highest, group.win_rate());
  }
  return highest - lowest;
}

TEST(GeneratorTest, HistoryTellsTheStoryTheViewsAreFor) {
  const Options options = DemoOptions(1);
  const std::vector<Command> commands = Generate(options);
  const Replay replay = DecideAll(commands, options);
  ASSERT_EQ(replay.commands, commands.size());
  const Story story = Tell(commands, replay, options.now);
  const std::vector<analytics::Competition> competitions = CompetitionsOf(replay);

  const std::vector<v1::WinLossGroup> all =
      WinLossBy(competitions, v1::WIN_LOSS_GROUP_BY_UNSPECIFIED);
  ASSERT_THAT(all, SizeIs(1));
  const v1::WinLossGroup& ours = all[0];
  ASSERT_TRUE(ours.has_win_rate());
  EXPECT_THAT(ours.win_rate(), AllOf(Ge(0.2), Le(0.6)));
  EXPECT_GT(ours.pending(), 0u);
  EXPECT_GT(ours.void_(), 0u);
  EXPECT_GT(ours.disqualified(), 0u);
  // No-bid decisions on 10-15% of tenders, give or take.
  EXPECT_THAT(ours.no_bid(), AllOf(Ge(160u), Le(360u)));
  EXPECT_EQ(ours.no_bid(), static_cast<uint32_t>(story.no_bid));

  // Several competitors, met often enough to compare.
  const std::vector<v1::WinLossGroup> competitors =
      WinLossBy(competitions, v1::WIN_LOSS_GROUP_BY_COMPETITOR);
  int regulars = 0;
  for (const v1::WinLossGroup& group : competitors) {
    if (group.bid() >= 50) ++regulars;
  }
  EXPECT_GE(regulars, 5);
  // Strong in some categories and territories, weak in others.
  EXPECT_GE(WinRateSpread(WinLossBy(competitions, v1::WIN_LOSS_GROUP_BY_CATEGORY), 20), 0.2);
  EXPECT_GE(WinRateSpread(WinLossBy(competitions, v1::WIN_LOSS_GROUP_BY_TERRITORY), 20), 0.15);

  EXPECT_GE(story.territories.size(), 5u);
  EXPECT_EQ(story.teams.size(), story.territories.size());
  EXPECT_GE(story.buyer_ids.size(), 60u);
  for (const std::string& buyer : story.buyer_ids) {
    EXPECT_EQ(buyer.rfind("CN-USCC-", 0), 0u) << buyer;
    EXPECT_EQ(buyer.size(), 8u + 18u) << buyer;
  }
  EXPECT_EQ(story.roles.size(), 6u);
  EXPECT_GE(story.cancelled, 20);
  EXPECT_GE(story.unsuccessful, 10);
  EXPECT_GE(story.lots_cancelled, 10);
  EXPECT_GE(story.reawarded, 10);
  EXPECT_GE(story.late_documents, 10);
  EXPECT_GE(story.deadline_amendments, 100);
  EXPECT_GE(story.usd, 10);
  EXPECT_GE(story.bids_with_partners, 100);
  EXPECT_GE(story.withdrawn, 5);
  EXPECT_GE(story.disqualified, 50);
  // The board at `now`: deadlines in the coming days, some at risk, and a
  // pipeline with stale tenders in it.
  EXPECT_GE(story.due_in_10_days, 10);
  EXPECT_GE(story.documents_at_risk, 1);
  EXPECT_GE(story.submission_at_risk, 1);
  EXPECT_GE(story.stale, 10);
  EXPECT_THAT(story.events, AllOf(Ge(story.tenders * 14), Le(story.tenders * 26)));

  std::printf(
      "[ story    ] %d tenders, %d events; our win rate %.2f (won %u, lost %u, pending %u, "
      "void %u), no-bid %d; open %d, due within 10 days %d, at risk %d documents + %d "
      "submission, stale %d; cancelled %d, unsuccessful %d, lots cancelled %d, re-awarded %d, "
      "late documents %d\n",
      story.tenders, story.events, ours.win_rate(), ours.won(), ours.lost(), ours.pending(),
      ours.void_(), story.no_bid, story.open, story.due_in_10_days, story.documents_at_risk,
      story.submission_at_risk, story.stale, story.cancelled, story.unsuccessful,
      story.lots_cancelled, story.reawarded, story.late_documents);
  for (const auto& [type, count] : story.by_type) {
    std::printf("[ story    ]   %-50s %6d\n", type.c_str(), count);
  }
  for (v1::WinLossGroupBy group_by :
       {v1::WIN_LOSS_GROUP_BY_CATEGORY, v1::WIN_LOSS_GROUP_BY_TERRITORY,
        v1::WIN_LOSS_GROUP_BY_COMPETITOR}) {
    for (const v1::WinLossGroup& group : WinLossBy(competitions, group_by)) {
      std::printf("[ story    ]   %-50s bid %4u won %4u lost %4u win rate %.2f\n",
                  group.group().c_str(), group.bid(), group.won(), group.lost(),
                  group.has_win_rate() ? group.win_rate() : 0.0);
    }
  }
}

}  // namespace
}  // namespace bidtrail::demo
