// Projections over a real log: the runner, restarts, rebuilds (rebuilt equals
// incremental, byte for byte), and every query through gRPC on loopback.
#include <httplib.h>

#include <atomic>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "bidtrail/analytics/signals.h"
#include "bidtrail/api/message_json.h"
#include "bidtrail/auth/authenticator.h"
#include "bidtrail/auth/testing/events.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/time_zone.h"
#include "bidtrail/eventlog/forwarding_event_store.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/eventstore/access_service.h"
#include "bidtrail/eventstore/service.h"
#include "bidtrail/projection/engine.h"
#include "bidtrail/projections/service.h"
#include "bidtrail/rpc/call_log.h"
#include "bidtrail/rpc/wire.h"
#include "bidtrail/storage/rocks_kv_store.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/decide.h"
#include "bidtrail/tender/testing/events.h"
#include "bidtrail/tenders/client.h"
#include "bidtrail/tenders/command_table.h"
#include "bidtrail/tenders/commands.h"
#include "bidtrail/tenders/service.h"
#include "bidtrail/testing/process.h"
#include "bidtrail/testing/status_matchers.h"
#include "bidtrail/v1/queries.grpc.pb.h"
#include "bidtrail/web/http_face.h"
#include "bidtrail/web/params.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace bidtrail::projections {
namespace {

using ::bidtrail::testing::ScratchDir;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;
using namespace ::bidtrail::tender::testing;  // NOLINT: event builders

class ProjectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventlog::RocksEventLog::Options log_options;
    log_options.path = dir_.path() + "/log";
    log_options.sync = false;
    ASSERT_OK_AND_ASSIGN(log_, eventlog::RocksEventLog::Open(log_options));
    tenders::TenderCommands::Options options;
    options.domain.own_party_id = kUs;
    // Each fact is recorded an hour after it happened (Record).
    options.clock = [this] { return recorded_at_.load(); };
    commands_ = std::make_unique<tenders::TenderCommands>(log_.get(), options);
  }

  void TearDown() override {
    StopServer();
    engine_.reset();
  }

  void Record(const std::string& tender_id, const v1::TenderEvent& event) {
    recorded_at_ = tender::OccurredAtOf(event) + absl::Hours(1);
    auto result = commands_->Execute({"alice", ""}, absl::StrFormat("r-%d", ++requests_),
                                     ForTender(tender_id, event));
    ASSERT_TRUE(result.ok()) << result.status() << " " << event.ShortDebugString();
  }

  // Several tenders in every state the board and the analytics care about.
  void RecordHistory() {
    // T-1: documents not obtained, deadlines ahead.
    Record("T-1", Discovered());
    // T-2: documents obtained, our bid in, awarded to us after a cancelled award.
    Record("T-2", Discovered());
    Record("T-2", Document(Day(5)));
    Record("T-2", Bid(kUs, "900.00", Day(19)));
    Record("T-2", Bid("C-1", "800.00", Day(19)));
    Record("T-2", Award("A1", "C-1", "800.00", Day(25)));
    Record("T-2", AwardCancelled("A1", Day(26)));
    Record("T-2", Award("A2", kUs, "900.00", Day(27)));
    // T-3: cancelled.
    Record("T-3", Discovered());
    Record("T-3", Cancelled(Day(2)));
    // T-4: no-bid.
    Record("T-4", Discovered());
    Record("T-4", NoBid(Day(3)));
  }

  void OpenEngine(const std::string& name = "projections", uint32_t catch_up_events = 1048576,
                  eventlog::EventStore* log = nullptr) {
    storage::RocksKvStore::Options store_options;
    store_options.path = dir_.path() + "/" + name;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<storage::KvStore> models,
                         storage::RocksKvStore::Open(store_options));
    projection::ProjectionEngine::Options options;
    options.own_party_id = kUs;
    options.batch_events = 3;  // many small batches: exercises checkpoints
    options.catch_up_events = catch_up_events;
    ASSERT_OK_AND_ASSIGN(engine_,
                         projection::ProjectionEngine::Open(log != nullptr ? log : log_.get(),
                                                            std::move(models), options));
  }

  void CatchUp() {
    engine_->Start();
    ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(10)));
  }

  void StartServer(auth::Authenticator* authenticator = nullptr) {
    QueriesGrpcService::Options options;
    options.authenticator = authenticator;
    options.own_party_id = kUs;
    options.clock = [] { return Day(100); };
    service_ = std::make_unique<QueriesGrpcService>(engine_.get(), log_.get(), options);
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(service_.get());
    // As bidtraild: calls logged and counted (bidtrail_rpc_* metrics).
    std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>>
        interceptors;
    rpc::CallLogOptions call_log;
    call_log.hosted_services.insert("bidtrail.v1.QueriesService");
    interceptors.push_back(rpc::NewCallLogFactory(call_log));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    server_ = builder.BuildAndStart();
    ASSERT_GT(port, 0);
    server_address_ = absl::StrFormat("127.0.0.1:%d", port);
    stub_ = v1::QueriesService::NewStub(
        grpc::CreateChannel(server_address_, grpc::InsecureChannelCredentials()));
  }

  void StopServer() {
    if (server_ == nullptr) return;
    stub_.reset();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
    server_.reset();
    service_.reset();
  }

  std::atomic<absl::Time> recorded_at_{Day(0)};
  ScratchDir dir_;
  std::unique_ptr<eventlog::RocksEventLog> log_;
  std::unique_ptr<tenders::TenderCommands> commands_;
  std::unique_ptr<projection::ProjectionEngine> engine_;
  std::unique_ptr<QueriesGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string server_address_;
  std::unique_ptr<v1::QueriesService::Stub> stub_;
  int requests_ = 0;
};

TEST_F(ProjectionsTest, RebuiltEqualsIncrementalByteForByte) {
  OpenEngine();
  engine_->Start();  // follows the log while it is written: many small batches
  RecordHistory();
  ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(10)));
  ASSERT_OK_AND_ASSIGN(auto incremental, engine_->Dump());
  ASSERT_FALSE(incremental.empty());
  std::vector<std::pair<uint64_t, uint64_t>> progress;
  ASSERT_TRUE(engine_
                  ->Rebuild([&](uint64_t position, uint64_t head) {
                    progress.emplace_back(position, head);
                  })
                  .ok());
  ASSERT_OK_AND_ASSIGN(auto rebuilt, engine_->Dump());
  EXPECT_EQ(rebuilt, incremental);
  ASSERT_FALSE(progress.empty());
  EXPECT_EQ(progress.back().first, log_->HeadPosition().value());
  // The rebuilt models keep following the log.
  Record("T-5", Discovered());
  ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(10)));
  ASSERT_OK_AND_ASSIGN(auto later, engine_->GetTender("T-5"));
  EXPECT_TRUE(later.has_value());
}

// Each buyer's latest awards as the per-buyer index finds them (a tender's
// incumbent) are those a pass over every competition finds, whether the
// engine followed the log, reopened its stored models or rebuilt them; so
// are the incumbents computed from them.
void ExpectBuyerIndexMatches(projection::ProjectionEngine& engine, size_t per_buyer) {
  std::shared_ptr<const analytics::CompetitionSet> all = engine.Competitions();
  using Key = std::tuple<absl::Time, std::string, std::string>;
  absl::flat_hash_map<analytics::Symbol, std::vector<Key>> expected;
  for (const analytics::Competition* competition : *all) {
    if (competition->status != analytics::Competition::Status::kDecided) continue;
    expected[competition->buyer_id].emplace_back(competition->award_at, competition->tender_id,
                                                 competition->lot_id);
  }
  ASSERT_FALSE(expected.empty());
  absl::flat_hash_set<analytics::Symbol> every_buyer;
  size_t total = 0;
  for (auto& [buyer, keys] : expected) {
    every_buyer.insert(buyer);
    std::sort(keys.begin(), keys.end(), std::greater<Key>());
    if (keys.size() > per_buyer) keys.resize(per_buyer);
    total += keys.size();
    const std::shared_ptr<const analytics::CompetitionSet> latest =
        engine.LatestAwards({buyer}, per_buyer);
    std::vector<Key> found;
    for (const analytics::Competition* competition : *latest) {
      found.emplace_back(competition->award_at, competition->tender_id, competition->lot_id);
    }
    EXPECT_EQ(found, keys) << "buyer " << buyer.text();
    const absl::flat_hash_set<analytics::Symbol> only = {buyer};
    auto from_all = analytics::Incumbents(*all, analytics::Source::kAll, &only, kUs);
    auto from_latest = analytics::Incumbents(*latest, analytics::Source::kAll, &only, kUs);
    ASSERT_EQ(from_all.size(), from_latest.size());
    for (const auto& [who, record] : from_all) {
      EXPECT_EQ(from_latest.at(who).SerializeAsString(), record.SerializeAsString());
    }
  }
  EXPECT_EQ(engine.LatestAwards(every_buyer, per_buyer)->size(), total);
}

TEST_F(ProjectionsTest, TheBuyerIndexFindsWhatAFullPassFinds) {
  OpenEngine();
  engine_->Start();
  RecordHistory();
  // A second buyer, with two awards of its own.
  for (const char* tender : {"T-8", "T-9"}) {
    v1::TenderEvent other_buyer = Discovered();
    other_buyer.mutable_tender_discovered()->mutable_buyer()->set_id("BUYER-2");
    Record(tender, other_buyer);
    Record(tender, Document(Day(5)));
    Record(tender, Bid("C-2", "700.00", Day(19)));
    Record(tender, Award("A2", "C-2", "700.00", Day(std::string(tender) == "T-8" ? 30 : 31)));
  }
  ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(10)));
  for (size_t per_buyer : {1, 2, 10}) ExpectBuyerIndexMatches(*engine_, per_buyer);
  const std::optional<analytics::Symbol> second = analytics::Symbol::Find("BUYER-2");
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(engine_->LatestAwards({*second}, 10)->size(), 2u);
  // A cancelled award leaves the index.
  Record("T-9", AwardCancelled("A2", Day(32)));
  ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(10)));
  EXPECT_EQ(engine_->LatestAwards({*second}, 10)->size(), 1u);
  ExpectBuyerIndexMatches(*engine_, 10);
  engine_.reset();
  OpenEngine();  // from the stored models
  ExpectBuyerIndexMatches(*engine_, 10);
  CatchUp();
  ASSERT_TRUE(engine_->Rebuild([](uint64_t, uint64_t) {}).ok());
  ExpectBuyerIndexMatches(*engine_, 10);
}

// The engine's incumbents, kept per buyer between calls, are those a pass
// over every competition finds, after each award that changes them and for
// whichever party the caller names as its own.
void ExpectIncumbentsMatch(projection::ProjectionEngine& engine, std::string_view own) {
  std::shared_ptr<const analytics::CompetitionSet> all = engine.Competitions();
  absl::flat_hash_set<analytics::Symbol> every_buyer;
  for (const analytics::Competition* competition : *all) every_buyer.insert(competition->buyer_id);
  ASSERT_FALSE(every_buyer.empty());
  const auto expected = analytics::Incumbents(*all, analytics::Source::kAll, &every_buyer, own);
  // Twice: computed, then as kept.
  for (int round = 0; round < 2; ++round) {
    const auto found = engine.Incumbents(every_buyer, own);
    ASSERT_EQ(found.size(), expected.size()) << "round " << round;
    for (const auto& [buyer, record] : expected) {
      ASSERT_TRUE(found.contains(buyer)) << buyer.text();
      EXPECT_EQ(found.at(buyer).SerializeAsString(), record.SerializeAsString()) << buyer.text();
    }
    for (const analytics::Symbol& buyer : every_buyer) {
      const auto one = engine.Incumbents({buyer}, own);
      ASSERT_EQ(one.size(), expected.count(buyer)) << buyer.text();
      if (!one.empty()) {
        EXPECT_EQ(one.at(buyer).SerializeAsString(), expected.at(buyer).SerializeAsString())
            << buyer.text();
      }
    }
  }
}

TEST_F(ProjectionsTest, IncumbentsKeptPerBuyerFollowTheirAwards) {
  OpenEngine();
  engine_->Start();
  RecordHistory();
  auto award_to_c2 = [&](const char* tender, int day) {
    v1::TenderEvent other_buyer = Discovered();
    other_buyer.mutable_tender_discovered()->mutable_buyer()->set_id("BUYER-2");
    Record(tender, other_buyer);
    Record(tender, Document(Day(5)));
    Record(tender, Bid("C-2", "700.00", Day(19)));
    Record(tender, Award("A2", "C-2", "700.00", Day(day)));
    ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(10)));
  };
  award_to_c2("T-7", 29);
  award_to_c2("T-8", 30);
  ExpectIncumbentsMatch(*engine_, kUs);
  const std::optional<analytics::Symbol> second = analytics::Symbol::Find("BUYER-2");
  ASSERT_TRUE(second.has_value());
  EXPECT_TRUE(engine_->Incumbents({*second}, kUs).empty());  // two wins: not yet
  award_to_c2("T-9", 31);
  ExpectIncumbentsMatch(*engine_, kUs);
  auto third = engine_->Incumbents({*second}, kUs);
  ASSERT_EQ(third.size(), 1u);
  EXPECT_EQ(third.at(*second).supplier().id(), "C-2");
  EXPECT_EQ(third.at(*second).awards_won(), 3u);
  // Named for another caller's own party, then for ours again.
  ExpectIncumbentsMatch(*engine_, "C-2");
  EXPECT_EQ(engine_->Incumbents({*second}, "C-2").at(*second).summary().rfind("we are", 0), 0u);
  ExpectIncumbentsMatch(*engine_, kUs);
  // A cancelled award takes the incumbent away again.
  Record("T-9", AwardCancelled("A2", Day(32)));
  ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(10)));
  EXPECT_TRUE(engine_->Incumbents({*second}, kUs).empty());
  ExpectIncumbentsMatch(*engine_, kUs);
  engine_.reset();
  OpenEngine();  // from the stored models
  ExpectIncumbentsMatch(*engine_, kUs);
  CatchUp();
  ASSERT_TRUE(engine_->Rebuild([](uint64_t, uint64_t) {}).ok());
  ExpectIncumbentsMatch(*engine_, kUs);
}

// Voided entries: the runner folds the tender again from the log, and the
// result equals a rebuild and a fresh fold, byte for byte.
TEST_F(ProjectionsTest, VoidingsFoldTheSameIncrementallyAndRebuilt) {
  OpenEngine();
  engine_->Start();
  RecordHistory();
  auto position_of = [&](const std::string& tender_id, uint64_t revision) {
    auto records = eventlog::ReadWholeStream(*log_, tender::StreamIdOf(tender_id));
    EXPECT_TRUE(records.ok());
    return (*records)[revision].position;
  };
  // T-2's award to us (revision 6) and T-3's cancellation (revision 1) were
  // mistakes.
  Record("T-2", Voided(position_of("T-2", 6), Day(40)));
  Record("T-3", Voided(position_of("T-3", 1), Day(40)));
  ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(10)));
  ASSERT_OK_AND_ASSIGN(auto t2, engine_->GetTender("T-2"));
  ASSERT_TRUE(t2.has_value());
  EXPECT_EQ(t2->lots(0).status(), v1::LOT_STATUS_OPEN);  // A1 cancelled, A2 voided
  ASSERT_OK_AND_ASSIGN(auto t3, engine_->GetTender("T-3"));
  ASSERT_TRUE(t3.has_value());
  EXPECT_EQ(t3->status(), v1::TENDER_STATUS_OPEN);

  ASSERT_OK_AND_ASSIGN(auto incremental, engine_->Dump());
  ASSERT_TRUE(engine_->Rebuild([](uint64_t, uint64_t) {}).ok());
  ASSERT_OK_AND_ASSIGN(auto rebuilt, engine_->Dump());
  EXPECT_EQ(rebuilt, incremental);
  engine_.reset();
  OpenEngine("in-one-go");
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto fresh, engine_->Dump());
  EXPECT_EQ(fresh, incremental);

  // The timeline shows the voided entry, marked, and leaves it out of the
  // phases: no award phase any more.
  StartServer();
  v1::TimelineRequest request;
  request.set_tender_id("T-2");
  v1::TimelineResponse timeline;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Timeline(&context, request, &timeline).ok());
  ASSERT_EQ(timeline.entries_size(), 8);
  EXPECT_TRUE(timeline.entries(6).event().has_award_announced());
  ASSERT_TRUE(timeline.entries(6).has_voided());
  EXPECT_EQ(timeline.entries(6).voided().actor(), "alice");
  EXPECT_EQ(timeline.entries(6).voided().reason(), "typed into the wrong tender");
  EXPECT_EQ(timeline.entries(6).voided().position(), timeline.entries(7).position());
  EXPECT_FALSE(timeline.entries(5).has_voided());
  EXPECT_TRUE(timeline.entries(7).event().has_entry_voided());
  EXPECT_EQ(timeline.entries(7).event().entry_voided().voided_type(), "bidtrail.v1.AwardAnnounced");
  // The first award (day 25) still ends the phases, though cancelled.
  ASSERT_EQ(timeline.durations_size(), 4);

  // The audit as known before the voiding shows the award in force.
  v1::TenderAsOfRequest as_of;
  as_of.set_tender_id("T-2");
  as_of.set_position(timeline.entries(6).position());
  v1::TenderAsOfResponse then;
  grpc::ClientContext audit;
  ASSERT_TRUE(stub_->TenderAsOf(&audit, as_of, &then).ok());
  EXPECT_FALSE(then.events(6).has_voided());
  EXPECT_EQ(then.tender().lots(0).status(), v1::LOT_STATUS_AWARDED);
}

TEST_F(ProjectionsTest, RestartMidStreamResumesExactly) {
  RecordHistory();
  OpenEngine("stopped-midway");
  engine_->Start();
  ASSERT_TRUE(engine_->WaitForPosition(5, absl::Seconds(10)));
  engine_.reset();  // stops between two batches
  Record("T-1", Document(Day(4)));
  OpenEngine("stopped-midway");
  EXPECT_GE(engine_->Status().checkpoint, 5u);  // resumes, does not fold again from 1
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto resumed, engine_->Dump());
  engine_.reset();
  OpenEngine("in-one-go");
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto fresh, engine_->Dump());
  EXPECT_EQ(resumed, fresh);
}

// Catching up folds many batches into one write; how many makes no
// difference to what is stored.
TEST_F(ProjectionsTest, CatchingUpInStepsEqualsInOneWrite) {
  RecordHistory();
  OpenEngine("in-steps", /*catch_up_events=*/4);
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto in_steps, engine_->Dump());
  engine_.reset();
  OpenEngine("in-one-write");
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto in_one_write, engine_->Dump());
  EXPECT_EQ(in_steps, in_one_write);
}

// A write of 512 tenders or more is prepared on two threads, each sorting its
// own run of changes, which the writer merges: it must store the same bytes
// as many small writes prepared on one thread.
TEST_F(ProjectionsTest, ALargeWritePreparedInParallelEqualsSmallWrites) {
  constexpr int kTenders = 700;
  for (int i = 0; i < kTenders; ++i) {
    const std::string tender_id = absl::StrFormat("T-%04d", i);
    Record(tender_id, Discovered());
    if (i % 3 == 0) Record(tender_id, Document(Day(5)));
    // Our bids only where the documents were obtained (i % 3 == 0).
    if (i % 2 == 0) Record(tender_id, Bid(i % 12 == 0 ? kUs : "C-1", "900.00", Day(19)));
  }
  OpenEngine("small-writes", /*catch_up_events=*/4);
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto small_writes, engine_->Dump());
  engine_.reset();
  OpenEngine("one-large-write");
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto one_large_write, engine_->Dump());
  // Every tender is stored, with its deadlines, under both.
  EXPECT_GT(small_writes.size(), static_cast<size_t>(kTenders * 2));
  EXPECT_EQ(small_writes, one_large_write);
}

// A store of another layout (here: the first one, an ActorRecord per
// position) is cleared when opened, and the read models are folded again.
TEST_F(ProjectionsTest, AnOldLayoutIsClearedAndRebuiltFromTheLog) {
  RecordHistory();
  OpenEngine();
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto want, engine_->Dump());
  engine_.reset();
  {
    storage::RocksKvStore::Options store_options;
    store_options.path = dir_.path() + "/projections";
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<storage::KvStore> store,
                         storage::RocksKvStore::Open(store_options));
    std::unique_ptr<storage::KvStore::Batch> old = store->NewBatch();
    old->Put("m/format", "1");
    const std::string old_key("g\0\0\0\1a/alice\0\0\0\0\0\0\0\0\1", 18);
    old->Put(old_key, "an old ActorRecord");
    ASSERT_THAT(store->Write(*old, storage::KvStore::Durability::kSynced), testing::IsOk());
  }
  OpenEngine();
  EXPECT_EQ(engine_->Status().checkpoint, 0u);
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto again, engine_->Dump());
  EXPECT_EQ(again, want);
}

// Actor records are kept in chunks of 4,096 positions, appended to by merges:
// records written in many small batches equal those written in one, and an
// actor's history reads from the middle of a chunk and across chunks.
TEST_F(ProjectionsTest, ActorHistoryAcrossChunks) {
  OpenEngine();
  engine_->Start();  // follows the appends below in small batches
  std::vector<uint64_t> bob;
  for (int i = 0; i < 9000; ++i) {
    const v1::TenderEvent event =
        ForTender(absl::StrCat("T-", i % 40), i < 40 ? Discovered() : Activity(Day(1)));
    const std::string stream_id = tender::StreamIdOf(absl::StrCat("T-", i % 40));
    eventlog::ProposedEvent proposed;
    proposed.event_id = absl::StrFormat("00000000-0000-4000-8000-%012d", i + 1);
    proposed.type = tender::EventTypeName(event);
    proposed.data = tender::EncodeEventData(event);
    proposed.occurred_at = Day(1);
    proposed.actor = i % 3 == 0 ? "bob" : "alice";
    ASSERT_OK_AND_ASSIGN(const eventlog::AppendResult appended,
                         log_->Append(stream_id, eventlog::ExpectedRevision::Any(), {proposed}));
    if (i % 3 == 0) bob.push_back(appended.first_position);
  }
  ASSERT_TRUE(engine_->WaitForPosition(9000, absl::Seconds(30)));
  auto history = [&](uint64_t after) {
    std::vector<uint64_t> positions;
    EXPECT_THAT(engine_->ScanActor("bob", after,
                                   [&](const readmodel::ActorEntry& entry) {
                                     EXPECT_EQ(entry.type, "bidtrail.v1.ActivityLogged");
                                     positions.push_back(entry.position);
                                     return true;
                                   }),
                testing::IsOk());
    return positions;
  };
  std::vector<uint64_t> want(bob.begin() + 14, bob.end());  // bob's after his 40 discoveries
  EXPECT_EQ(history(40), want);
  want.clear();
  for (uint64_t position : bob) {
    if (position > 5000) want.push_back(position);
  }
  EXPECT_EQ(history(5000), want);  // from the middle of the second chunk
  EXPECT_TRUE(history(9000).empty());
  ASSERT_OK_AND_ASSIGN(auto incremental, engine_->Dump());
  ASSERT_TRUE(engine_->Rebuild([](uint64_t, uint64_t) {}).ok());
  ASSERT_OK_AND_ASSIGN(auto rebuilt, engine_->Dump());
  EXPECT_EQ(rebuilt, incremental);
}

// A store that delivers subscriptions unpacked and in full, as the gRPC
// client of a remote store does whatever the request's hints say.
class UnpackedStore final : public eventlog::ForwardingEventStore {
 public:
  using ForwardingEventStore::ForwardingEventStore;
  absl::StatusOr<eventlog::ReadAllResult> ReadAll(
      const eventlog::ReadAllRequest& request) override {
    eventlog::ReadAllRequest plain = request;
    plain.packed = false;
    plain.lean = false;
    return store()->ReadAll(plain);
  }
  absl::StatusOr<std::unique_ptr<eventlog::Subscription>> Subscribe(
      const eventlog::SubscribeRequest& request) override {
    if (request.packed) hinted_packed_ = true;
    eventlog::SubscribeRequest plain = request;
    plain.packed = false;
    plain.lean = false;
    return store()->Subscribe(plain);
  }
  bool hinted_packed() const { return hinted_packed_; }

 private:
  std::atomic<bool> hinted_packed_{false};
};

// The runner reads packed batches from a store in the same process and plain
// ones from a remote store: both fold to the same bytes.
TEST_F(ProjectionsTest, PlainDeliveriesFoldAsPackedOnes) {
  RecordHistory();
  for (int i = 0; i < 30; ++i) Record(i % 2 == 0 ? "T-1" : "T-2", Activity(Day(3 + i)));
  eventlog::ProposedEvent other;  // not a tender event: skipped and counted
  other.event_id = "00000000-0000-4000-8000-0000000000aa";
  other.type = "crm.v1.ContactMoved";
  other.occurred_at = Day(1);
  other.actor = "crm-sync";
  ASSERT_TRUE(log_->Append("contact-7", eventlog::ExpectedRevision::Any(), {other}).ok());
  Record("T-1", Document(Day(5)));
  OpenEngine("packed");
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto packed, engine_->Dump());
  engine_.reset();

  UnpackedStore unpacked(log_.get());
  OpenEngine("plain", 1048576, &unpacked);
  CatchUp();
  ASSERT_OK_AND_ASSIGN(auto plain, engine_->Dump());
  EXPECT_EQ(engine_->Status().unknown_events_skipped, 1u);
  engine_.reset();
  EXPECT_TRUE(unpacked.hinted_packed());
  EXPECT_EQ(plain, packed);
}

TEST_F(ProjectionsTest, UnknownEventTypesAreSkippedAndCounted) {
  RecordHistory();
  eventlog::ProposedEvent other;
  other.event_id = "00000000-0000-4000-8000-0000000000aa";
  other.type = "crm.v1.ContactMoved";
  other.occurred_at = Day(1);
  other.actor = "crm-sync";
  ASSERT_TRUE(log_->Append("contact-7", eventlog::ExpectedRevision::Any(), {other}).ok());
  OpenEngine();
  CatchUp();
  const projection::ProjectionStatus status = engine_->Status();
  EXPECT_EQ(status.unknown_events_skipped, 1u);
  EXPECT_EQ(status.checkpoint, status.head_position);
}

TEST_F(ProjectionsTest, DeadlineBoardWithRiskOverdueAndStale) {
  RecordHistory();
  OpenEngine();
  CatchUp();
  StartServer();
  // Day 9: T-1's documents are due on day 10 and not obtained: at risk.
  v1::DeadlinesRequest request;
  ToProtoTime(Day(9), request.mutable_as_of());
  request.mutable_within()->set_seconds(14 * 86400);
  v1::DeadlinesResponse board;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Deadlines(&context, request, &board).ok());
  ASSERT_GE(board.deadlines_size(), 2);
  const v1::DeadlineItem& first = board.deadlines(0);
  EXPECT_EQ(first.tender_id(), "T-1");
  EXPECT_EQ(first.kind(), "documents_available_until");
  EXPECT_TRUE(first.at_risk());
  EXPECT_FALSE(first.overdue());
  for (const v1::DeadlineItem& item : board.deadlines()) {
    EXPECT_NE(item.tender_id(), "T-3") << "cancelled tenders are off the board";
    EXPECT_NE(item.tender_id(), "T-4") << "no-bid tenders are off the board";
    if (item.tender_id() == "T-2" && item.kind() != "bid_opening_at") {
      EXPECT_TRUE(item.done());
      EXPECT_FALSE(item.at_risk());
    }
  }
  // Day 12: T-1's documents cut-off has passed: overdue.
  ToProtoTime(Day(12), request.mutable_as_of());
  board.Clear();
  grpc::ClientContext later;
  ASSERT_TRUE(stub_->Deadlines(&later, request, &board).ok());
  ASSERT_GE(board.deadlines_size(), 1);
  EXPECT_EQ(board.deadlines(0).tender_id(), "T-1");
  EXPECT_TRUE(board.deadlines(0).overdue());
  // Day 30: T-1 (no event since day 0) is stale; T-2 is decided, T-3 void and
  // T-4 a no-bid: none of those is stale.
  ToProtoTime(Day(30), request.mutable_as_of());
  board.Clear();
  grpc::ClientContext stale;
  ASSERT_TRUE(stub_->Deadlines(&stale, request, &board).ok());
  ASSERT_EQ(board.stale_size(), 1);
  EXPECT_EQ(board.stale(0).tender_id(), "T-1");
  EXPECT_EQ(board.stale(0).idle().seconds(), 30 * 86400);
  // Filters.
  request.set_territory("south");
  board.Clear();
  grpc::ClientContext filtered;
  ASSERT_TRUE(stub_->Deadlines(&filtered, request, &board).ok());
  EXPECT_EQ(board.deadlines_size(), 0);
  EXPECT_EQ(board.stale_size(), 0);
  // Bad input names the field.
  request.mutable_within()->set_seconds(-1);
  grpc::ClientContext bad;
  const grpc::Status refused = stub_->Deadlines(&bad, request, &board);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("within:"));
}

TEST_F(ProjectionsTest, DeadlinesPage) {
  for (int i = 0; i < 5; ++i) Record(absl::StrFormat("P-%d", i), Discovered());
  OpenEngine();
  CatchUp();
  StartServer();
  v1::DeadlinesRequest request;
  ToProtoTime(Day(1), request.mutable_as_of());
  request.mutable_within()->set_seconds(30 * 86400);
  request.set_page_size(4);
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    v1::DeadlinesResponse board;
    grpc::ClientContext context;
    ASSERT_TRUE(stub_->Deadlines(&context, request, &board).ok());
    for (const v1::DeadlineItem& item : board.deadlines()) {
      seen.push_back(item.tender_id() + "/" + item.kind());
    }
    if (board.next_page_token().empty()) break;
    request.set_page_token(board.next_page_token());
  }
  EXPECT_EQ(seen.size(), 15u);  // 5 tenders x 3 deadlines, each once
  std::set<std::string> unique(seen.begin(), seen.end());
  EXPECT_EQ(unique.size(), 15u);
}

// Input the queries cannot mean: times beyond what a Timestamp holds, nanos
// out of range, durations of 2^63 seconds, page tokens this server never
// gave, control bytes in text. Each is INVALID_ARGUMENT naming the field.
TEST_F(ProjectionsTest, QueriesRefuseInputTheyCannotMean) {
  Record("P-1", Discovered());
  OpenEngine();
  CatchUp();
  StartServer();
  auto deadlines = [&](const std::function<void(v1::DeadlinesRequest*)>& change) {
    v1::DeadlinesRequest request;
    change(&request);
    v1::DeadlinesResponse response;
    grpc::ClientContext context;
    return stub_->Deadlines(&context, request, &response);
  };
  const struct {
    std::function<void(v1::DeadlinesRequest*)> change;
    std::string message;
  } cases[] = {
      {[](v1::DeadlinesRequest* r) { r->mutable_as_of()->set_nanos(2000000000); },
       "as_of.nanos: 2000000000; must be 0 to 999,999,999"},
      {[](v1::DeadlinesRequest* r) { r->mutable_as_of()->set_nanos(-1); },
       "as_of.nanos: -1; must be 0 to 999,999,999"},
      {[](v1::DeadlinesRequest* r) {
         r->mutable_as_of()->set_seconds(std::numeric_limits<int64_t>::max());
       },
       "as_of.seconds: 9223372036854775807; must be a time from 0001-01-01 to 9999-12-31 UTC"},
      {[](v1::DeadlinesRequest* r) {
         r->mutable_as_of()->set_seconds(std::numeric_limits<int64_t>::min());
       },
       "as_of.seconds: -9223372036854775808; must be a time from 0001-01-01"},
      {[](v1::DeadlinesRequest* r) {
         r->mutable_within()->set_seconds(std::numeric_limits<int64_t>::max());
       },
       "within.seconds: 9223372036854775807; must be within ±315,576,000,000 (10,000 years)"},
      {[](v1::DeadlinesRequest* r) {
         r->mutable_within()->set_seconds(5);
         r->mutable_within()->set_nanos(-5);
       },
       "within: seconds 5 and nanos -5 have different signs"},
      {[](v1::DeadlinesRequest* r) { r->set_territory(std::string("nor\0th", 6)); },
       "territory: byte 3 is a control character (0x00)"},
      {[](v1::DeadlinesRequest* r) { r->set_page_token("garbage"); },
       "page_token: not a token this server issued"},
      {[](v1::DeadlinesRequest* r) { r->set_page_token(absl::WebSafeBase64Escape("d/not a key")); },
       "page_token: not a token this server issued"},
  };
  for (const auto& each : cases) {
    const grpc::Status status = deadlines(each.change);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << each.message;
    EXPECT_THAT(status.error_message(), HasSubstr(each.message));
  }
  EXPECT_TRUE(deadlines([](v1::DeadlinesRequest*) {}).ok());
}

// ListTenders filters by status, outcome, words and source, pages in tender
// id order without a gap or a repeat, and refuses words it does not know.
// A win/loss page token belongs to its query: the next page of the same
// query follows on; passed with another grouping, it is refused rather than
// read as an offset into other groups.
TEST_F(ProjectionsTest, WinLossPageTokensBelongToTheirQuery) {
  RecordHistory();
  OpenEngine();
  CatchUp();
  StartServer();
  v1::WinLossRequest by_bidder;
  by_bidder.set_group_by(v1::WIN_LOSS_GROUP_BY_BIDDER);
  by_bidder.set_page_size(1);
  std::vector<std::string> groups;
  for (int page = 0; page < 10; ++page) {
    grpc::ClientContext context;
    v1::WinLossResponse response;
    ASSERT_TRUE(stub_->WinLoss(&context, by_bidder, &response).ok());
    for (const v1::WinLossGroup& group : response.groups()) groups.push_back(group.group());
    if (response.next_page_token().empty()) break;
    by_bidder.set_page_token(response.next_page_token());
  }
  EXPECT_THAT(groups, UnorderedElementsAre(kUs, "C-1"));
  by_bidder.clear_page_token();
  grpc::ClientContext first_context;
  v1::WinLossResponse first;
  ASSERT_TRUE(stub_->WinLoss(&first_context, by_bidder, &first).ok());
  ASSERT_FALSE(first.next_page_token().empty());
  v1::WinLossRequest by_quarter = by_bidder;
  by_quarter.set_group_by(v1::WIN_LOSS_GROUP_BY_QUARTER);
  by_quarter.set_page_token(first.next_page_token());
  grpc::ClientContext context;
  v1::WinLossResponse other;
  const grpc::Status refused = stub_->WinLoss(&context, by_quarter, &other);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("the token of another query"));
  by_quarter.set_page_token("100");
  grpc::ClientContext old_context;
  EXPECT_EQ(stub_->WinLoss(&old_context, by_quarter, &other).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

TEST_F(ProjectionsTest, ListTendersFiltersAndPages) {
  RecordHistory();
  Record("T-5", Imported());
  OpenEngine();
  CatchUp();
  StartServer();
  auto list = [this](v1::ListTendersRequest request) {
    std::vector<std::string> ids;
    for (int page = 0; page < 20; ++page) {
      v1::ListTendersResponse response;
      grpc::ClientContext context;
      const grpc::Status status = stub_->ListTenders(&context, request, &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      for (const v1::TenderSummary& tender : response.tenders()) {
        ids.push_back(tender.tender_id() + ":" + tender.status() + ":" + tender.our_outcome() +
                      ":" + tender.source());
      }
      if (response.next_page_token().empty()) break;
      request.set_page_token(response.next_page_token());
    }
    return ids;
  };
  v1::ListTendersRequest all;
  all.set_page_size(2);
  EXPECT_THAT(list(all), ElementsAre("T-1:open:not_bid:own", "T-2:awarded:won:own",
                                     "T-3:cancelled:not_bid:own", "T-4:open:no_bid:own",
                                     "T-5:open:not_bid:import"));
  v1::ListTendersRequest won;
  won.set_outcome("won");
  EXPECT_THAT(list(won), ElementsAre("T-2:awarded:won:own"));
  v1::ListTendersRequest imported;
  imported.set_source("import");
  imported.add_words("SUBSTATION");
  EXPECT_THAT(list(imported), ElementsAre("T-5:open:not_bid:import"));
  v1::ListTendersRequest none;
  none.add_words("no such word");
  EXPECT_THAT(list(none), ElementsAre());

  for (const auto& [field, value] : std::vector<std::pair<std::string, std::string>>{
           {"status", "closed"}, {"outcome", "no-bid"}, {"source", "ocds"}, {"page_token", "x"}}) {
    v1::ListTendersRequest bad;
    bad.GetReflection()->SetString(&bad, bad.GetDescriptor()->FindFieldByName(field), value);
    v1::ListTendersResponse response;
    grpc::ClientContext context;
    const grpc::Status status = stub_->ListTenders(&context, bad, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << field;
    EXPECT_THAT(status.error_message(), ::testing::HasSubstr(field));
  }
}

// With an authenticator: a token on every query; a bidder reads its
// territories only (lists kept to them, other tenders refused), an analyst
// reads everything, verify and rebuild are for admins.
TEST_F(ProjectionsTest, WithAccessReadersSeeWhatTheirRolesAllow) {
  Record("N-1", Discovered());
  v1::TenderEvent south = Discovered();
  south.mutable_tender_discovered()->set_territory("south");
  Record("S-1", south);
  auth::Authenticator authenticator(log_.get());
  ASSERT_OK_AND_ASSIGN(const std::string root, authenticator.Bootstrap("root"));
  const std::string alice = auth::NewToken();
  const std::string ann = auth::NewToken();
  ASSERT_THAT(authenticator.Record(
                  {auth::testing::Granted("alice", v1::ROLE_BIDDER, {"north"}),
                   auth::testing::Granted("ann", v1::ROLE_ANALYST),
                   auth::testing::Issued(alice, "alice"), auth::testing::Issued(ann, "ann")},
                  "root", eventlog::ExpectedRevision::Any()),
              ::bidtrail::testing::IsOk());
  OpenEngine();
  CatchUp();
  EXPECT_EQ(engine_->Status().unknown_events_skipped, 0u) << "access events are not unknown";
  StartServer(&authenticator);
  auto context = [](const std::string& token) {
    auto made = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) made->AddMetadata("authorization", "Bearer " + token);
    return made;
  };
  auto listed = [&](const std::string& token) {
    v1::ListTendersResponse response;
    const grpc::Status status =
        stub_->ListTenders(context(token).get(), v1::ListTendersRequest(), &response);
    std::vector<std::string> ids;
    for (const v1::TenderSummary& tender : response.tenders()) ids.push_back(tender.tender_id());
    return std::make_pair(status.error_code(), ids);
  };
  EXPECT_EQ(listed("").first, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(listed(alice).second, ElementsAre("N-1"));
  EXPECT_THAT(listed(ann).second, ElementsAre("N-1", "S-1"));

  v1::TimelineRequest timeline;
  timeline.set_tender_id("S-1");
  v1::TimelineResponse response;
  grpc::Status status = stub_->Timeline(context(alice).get(), timeline, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("it is in territory south; alice reads north"));
  EXPECT_TRUE(stub_->Timeline(context(ann).get(), timeline, &response).ok());

  v1::WinLossRequest winloss;
  v1::WinLossResponse groups;
  status = stub_->WinLoss(context(alice).get(), winloss, &groups);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(status.error_message(), HasSubstr("alice reads only north; name one"));
  winloss.set_territory("north");
  EXPECT_TRUE(stub_->WinLoss(context(alice).get(), winloss, &groups).ok());

  v1::VerifyLogResponse verified;
  EXPECT_EQ(stub_->VerifyLog(context(ann).get(), v1::VerifyLogRequest(), &verified).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_TRUE(stub_->VerifyLog(context(root).get(), v1::VerifyLogRequest(), &verified).ok());
  v1::ActorHistoryRequest history;
  history.set_actor("ann");
  v1::ActorHistoryResponse records;
  EXPECT_EQ(stub_->ActorHistory(context(alice).get(), history, &records).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  StopServer();
}

// The access matrix (docs/security.md): every RPC of the four services
// called with each kind of credential, against the code the roles table
// says; a refused call appends nothing.
TEST_F(ProjectionsTest, AccessMatrixEveryRpcEveryCredential) {
  Record("N-1", Discovered());
  v1::TenderEvent south = Discovered();
  south.mutable_tender_discovered()->set_territory("south");
  Record("S-1", south);
  auth::Authenticator authenticator(log_.get());
  ASSERT_OK_AND_ASSIGN(const std::string root, authenticator.Bootstrap("root"));
  std::map<std::string, std::string> tokens = {{"none", ""}, {"root", root}};
  std::vector<v1::AccessEvent> grants;
  auto grant = [&](const std::string& principal, v1::Role role,
                   const std::vector<std::string>& territories = {}) {
    grants.push_back(auth::testing::Granted(principal, role, territories));
  };
  auto issue = [&](const std::string& principal, std::optional<absl::Time> expires = {}) {
    const std::string token = auth::NewToken();
    grants.push_back(auth::testing::Issued(token, principal, expires));
    return token;
  };
  grant("alice", v1::ROLE_BIDDER, {"north"});
  grant("bob", v1::ROLE_BIDDER, {"south"});
  grant("zhao", v1::ROLE_MANAGER, {"north"});
  grant("ann", v1::ROLE_ANALYST);
  grant("svc", v1::ROLE_SERVICE);
  grant("rev", v1::ROLE_BIDDER, {"north"});
  grant("exp", v1::ROLE_ANALYST);
  for (const char* who : {"alice", "bob", "zhao", "ann", "svc", "rev"}) tokens[who] = issue(who);
  tokens["exp"] = issue("exp", absl::Now() - absl::Hours(1));
  grants.push_back(auth::testing::Revoked(tokens["rev"]));
  ASSERT_THAT(authenticator.Record(grants, "root", eventlog::ExpectedRevision::Any()),
              ::bidtrail::testing::IsOk());
  OpenEngine();
  CatchUp();

  // The four services, each checking tokens, on one server.
  QueriesGrpcService::Options query_options;
  query_options.own_party_id = kUs;
  query_options.clock = [] { return Day(100); };
  query_options.authenticator = &authenticator;
  QueriesGrpcService queries(engine_.get(), log_.get(), query_options);
  tenders::TendersGrpcService tenders_service(commands_.get(), 4, &authenticator);
  eventstore::AccessGrpcService access(&authenticator);
  eventstore::EventStoreGrpcService::Options store_options;
  store_options.authenticator = &authenticator;
  store_options.backup_dir = dir_.path() + "/backups";
  eventstore::EventStoreGrpcService store(log_.get(), store_options);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&queries);
  builder.RegisterService(&tenders_service);
  builder.RegisterService(&access);
  builder.RegisterService(&store);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_GT(port, 0);
  auto channel = grpc::CreateChannel(absl::StrFormat("127.0.0.1:%d", port),
                                     grpc::InsecureChannelCredentials());
  auto q = v1::QueriesService::NewStub(channel);
  auto t = v1::TendersService::NewStub(channel);
  auto a = v1::AccessService::NewStub(channel);
  auto e = v1::EventStoreService::NewStub(channel);
  std::string token;
  auto context = [&token]() {
    auto made = std::make_unique<grpc::ClientContext>();
    if (!token.empty()) made->AddMetadata("authorization", "Bearer " + token);
    made->AddMetadata(rpc::kActorHeader, "someone-else");
    return made;
  };
  int sequence = 0;
  using Call = std::function<grpc::Status()>;
  const std::vector<std::pair<std::string, Call>> rpcs = {
      {"Tenders.DiscoverTender (north)",
       [&] {
         v1::CommandResult result;
         recorded_at_ = Day(0) + absl::Hours(1);
         const int n = ++sequence;
         return tenders::SendCommand(t.get(), context().get(), absl::StrCat("m-", n),
                                     ForTender(absl::StrCat("M-", n), Discovered()), &result);
       }},
      {"Tenders.LogActivity (north)",
       [&] {
         v1::CommandResult result;
         recorded_at_ = Day(1) + absl::Hours(1);
         return tenders::SendCommand(t.get(), context().get(), absl::StrCat("m-", ++sequence),
                                     ForTender("N-1", Activity(Day(1))), &result);
       }},
      {"Tenders.GetTender (north)",
       [&] {
         v1::GetTenderRequest request;
         request.set_tender_id("N-1");
         v1::GetTenderResponse response;
         return t->GetTender(context().get(), request, &response);
       }},
      {"Queries.Timeline (north)",
       [&] {
         v1::TimelineRequest request;
         request.set_tender_id("N-1");
         v1::TimelineResponse response;
         return q->Timeline(context().get(), request, &response);
       }},
      {"Queries.TenderAsOf (north)",
       [&] {
         v1::TenderAsOfRequest request;
         request.set_tender_id("N-1");
         request.set_position(1000);
         v1::TenderAsOfResponse response;
         return q->TenderAsOf(context().get(), request, &response);
       }},
      {"Queries.Deadlines",
       [&] {
         v1::DeadlinesResponse response;
         return q->Deadlines(context().get(), v1::DeadlinesRequest(), &response);
       }},
      {"Queries.ListTenders",
       [&] {
         v1::ListTendersResponse response;
         return q->ListTenders(context().get(), v1::ListTendersRequest(), &response);
       }},
      {"Queries.WinLoss (all territories)",
       [&] {
         v1::WinLossResponse response;
         return q->WinLoss(context().get(), v1::WinLossRequest(), &response);
       }},
      {"Queries.Segments",
       [&] {
         v1::SegmentsResponse response;
         return q->Segments(context().get(), v1::SegmentsRequest(), &response);
       }},
      {"Queries.Competitors",
       [&] {
         v1::CompetitorsResponse response;
         return q->Competitors(context().get(), v1::CompetitorsRequest(), &response);
       }},
      {"Queries.ActorHistory (alice)",
       [&] {
         v1::ActorHistoryRequest request;
         request.set_actor("alice");
         v1::ActorHistoryResponse response;
         return q->ActorHistory(context().get(), request, &response);
       }},
      {"Queries.VerifyLog",
       [&] {
         v1::VerifyLogResponse response;
         return q->VerifyLog(context().get(), v1::VerifyLogRequest(), &response);
       }},
      {"Queries.GetProjectionStatus",
       [&] {
         v1::GetProjectionStatusResponse response;
         return q->GetProjectionStatus(context().get(), v1::GetProjectionStatusRequest(),
                                       &response);
       }},
      {"EventStore.Append",
       [&] {
         v1::AppendRequest request;
         request.set_stream_id("tender-N-1");
         request.set_expected_kind(v1::EXPECTED_REVISION_KIND_ANY);
         v1::ProposedEvent* event = request.add_events();
         event->set_event_id(absl::StrFormat("00000000-0000-4000-8000-%012d", ++sequence));
         event->set_type("crm.v1.Note");
         ToProtoTime(Day(2), event->mutable_occurred_at());
         event->set_actor("someone-else");
         v1::AppendResponse response;
         return e->Append(context().get(), request, &response);
       }},
      {"EventStore.ReadStream",
       [&] {
         v1::ReadStreamRequest request;
         request.set_stream_id("tender-N-1");
         v1::ReadStreamResponse response;
         return e->ReadStream(context().get(), request, &response);
       }},
      {"EventStore.ReadAll",
       [&] {
         auto call = context();
         auto reader = e->ReadAll(call.get(), v1::ReadAllRequest());
         v1::ReadAllResponse message;
         while (reader->Read(&message)) {
         }
         return reader->Finish();
       }},
      {"EventStore.Subscribe",
       [&] {
         // Open while allowed: the first message (the caught-up marker)
         // arrives, then the call is cancelled.
         auto call = context();
         auto reader = e->Subscribe(call.get(), v1::SubscribeRequest());
         v1::SubscribeResponse message;
         if (reader->Read(&message)) {
           call->TryCancel();
           while (reader->Read(&message)) {
           }
           (void)reader->Finish();
           return grpc::Status::OK;
         }
         return reader->Finish();
       }},
      {"Queries.Rebuild",
       [&] {
         auto call = context();
         auto reader = q->Rebuild(call.get(), v1::RebuildRequest());
         v1::RebuildResponse message;
         while (reader->Read(&message)) {
         }
         return reader->Finish();
       }},
      {"EventStore.GetStreamInfo",
       [&] {
         v1::GetStreamInfoRequest request;
         request.set_stream_id("tender-N-1");
         v1::GetStreamInfoResponse response;
         return e->GetStreamInfo(context().get(), request, &response);
       }},
      {"EventStore.GetHead",
       [&] {
         v1::GetHeadResponse response;
         return e->GetHead(context().get(), v1::GetHeadRequest(), &response);
       }},
      {"EventStore.Verify",
       [&] {
         v1::VerifyResponse response;
         return e->Verify(context().get(), v1::VerifyRequest(), &response);
       }},
      {"EventStore.Checkpoint",
       [&] {
         v1::CheckpointRequest request;
         request.set_path(absl::StrCat("copy-", ++sequence));
         v1::CheckpointResponse response;
         return e->Checkpoint(context().get(), request, &response);
       }},
      {"Access.WhoAmI",
       [&] {
         v1::WhoAmIResponse response;
         return a->WhoAmI(context().get(), v1::WhoAmIRequest(), &response);
       }},
      {"Access.ListAccess",
       [&] {
         v1::ListAccessResponse response;
         return a->ListAccess(context().get(), v1::ListAccessRequest(), &response);
       }},
  };
  // Who may call what ("*": every authenticated principal).
  const std::map<std::string, std::set<std::string>> allowed = {
      {"Tenders.DiscoverTender (north)", {"alice", "zhao", "svc"}},
      {"Tenders.LogActivity (north)", {"alice", "zhao", "svc"}},
      {"Tenders.GetTender (north)", {"alice", "zhao", "ann", "root"}},
      {"Queries.Timeline (north)", {"alice", "zhao", "ann", "root"}},
      {"Queries.TenderAsOf (north)", {"alice", "zhao", "ann", "root"}},
      {"Queries.Deadlines", {"alice", "bob", "zhao", "ann", "root"}},
      {"Queries.ListTenders", {"alice", "bob", "zhao", "ann", "root"}},
      {"Queries.WinLoss (all territories)", {"zhao", "ann", "root"}},
      {"Queries.Segments", {"zhao", "ann", "root"}},
      {"Queries.Competitors", {"zhao", "ann", "root"}},
      {"Queries.ActorHistory (alice)", {"alice", "zhao", "ann", "root"}},
      {"Queries.VerifyLog", {"root"}},
      {"Queries.GetProjectionStatus", {"*"}},
      {"EventStore.Append", {"svc", "root"}},
      {"EventStore.ReadStream", {"svc", "root"}},
      {"EventStore.ReadAll", {"svc", "root"}},
      {"EventStore.GetStreamInfo", {"svc", "root"}},
      {"EventStore.Subscribe", {"svc", "root"}},
      {"Queries.Rebuild", {"root"}},
      {"EventStore.GetHead", {"svc", "root"}},
      {"EventStore.Verify", {"root", "svc"}},
      {"EventStore.Checkpoint", {"root"}},
      {"Access.WhoAmI", {"*"}},
      {"Access.ListAccess", {"root"}},
  };
  const std::set<std::string> unauthenticated = {"none", "rev", "exp"};
  for (const auto& [rpc, call] : rpcs) {
    ASSERT_EQ(allowed.count(rpc), 1u) << rpc;
    for (const auto& [who, credential] : tokens) {
      token = credential;
      const uint64_t before = log_->HeadPosition().value();
      const grpc::Status status = call();
      const std::set<std::string>& may = allowed.at(rpc);
      const grpc::StatusCode expected =
          unauthenticated.count(who) > 0             ? grpc::StatusCode::UNAUTHENTICATED
          : may.count(who) > 0 || may.count("*") > 0 ? grpc::StatusCode::OK
                                                     : grpc::StatusCode::PERMISSION_DENIED;
      EXPECT_EQ(status.error_code(), expected)
          << rpc << " as " << who << ": " << status.error_message();
      if (!status.ok()) {
        EXPECT_EQ(log_->HeadPosition().value(), before) << rpc << " as " << who << " appended";
      }
    }
  }

  // Every tender command, and every call of the access service, judged on
  // access alone: a bare request (mostly invalid) is refused for who may
  // not call it before anything is read or appended, and is never refused
  // for access for who may.
  std::vector<std::pair<std::string, Call>> bare;
#define BIDTRAIL_MATRIX_COMMAND(Rpc, request_field, EventCase, event_field)                      \
  bare.push_back({"Tenders." #Rpc, [&] {                                                         \
                    v1::TenderEvent event;                                                       \
                    event.mutable_##event_field()->set_tender_id("N-1");                         \
                    v1::CommandResult result;                                                    \
                    return tenders::SendCommand(t.get(), context().get(),                        \
                                                absl::StrCat("b-", ++sequence), event, &result); \
                  }});
  BIDTRAIL_TENDER_COMMANDS(BIDTRAIL_MATRIX_COMMAND)
#undef BIDTRAIL_MATRIX_COMMAND
  bare.push_back({"Access.IssueToken", [&] {
                    v1::IssueTokenResponse response;
                    return a->IssueToken(context().get(), v1::IssueTokenRequest(), &response);
                  }});
  bare.push_back({"Access.RevokeToken", [&] {
                    v1::RevokeTokenResponse response;
                    return a->RevokeToken(context().get(), v1::RevokeTokenRequest(), &response);
                  }});
  bare.push_back({"Access.Grant", [&] {
                    v1::GrantResponse response;
                    return a->Grant(context().get(), v1::GrantRequest(), &response);
                  }});
  bare.push_back({"Access.Withdraw", [&] {
                    v1::WithdrawResponse response;
                    return a->Withdraw(context().get(), v1::WithdrawRequest(), &response);
                  }});
  for (const auto& [rpc, call] : bare) {
    const bool tenders_rpc = rpc.rfind("Tenders.", 0) == 0;
    for (const auto& [who, credential] : tokens) {
      token = credential;
      const uint64_t before = log_->HeadPosition().value();
      const grpc::Status status = call();
      // A handover also needs a manager of the territory it leaves.
      const bool may = !tenders_rpc ? who == "root"
                       : rpc == "Tenders.HandOverTender"
                           ? (who == "zhao" || who == "svc")
                           : (who == "alice" || who == "zhao" || who == "svc");
      if (unauthenticated.count(who) > 0) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc << " as " << who;
      } else if (!may) {
        EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << rpc << " as " << who << ": " << status.error_message();
      } else {
        EXPECT_NE(status.error_code(), grpc::StatusCode::PERMISSION_DENIED)
            << rpc << " as " << who << ": " << status.error_message();
        EXPECT_NE(status.error_code(), grpc::StatusCode::UNAUTHENTICATED) << rpc << " as " << who;
      }
      if (!may || unauthenticated.count(who) > 0) {
        EXPECT_EQ(log_->HeadPosition().value(), before) << rpc << " as " << who << " appended";
      }
    }
  }
  // Init only while no grant exists: refused for everyone now.
  for (const auto& [who, credential] : tokens) {
    token = credential;
    v1::InitRequest request;
    request.set_principal("mallory");
    v1::InitResponse response;
    EXPECT_EQ(a->Init(context().get(), request, &response).error_code(),
              grpc::StatusCode::FAILED_PRECONDITION)
        << who;
  }
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

// A fact recorded after its deadline had passed shows on the timeline with
// its explanation folded onto it, and the deadline is met by business time
// with the approving manager named.
TEST_F(ProjectionsTest, TimelineFlagsALateRecordingOnItsFact) {
  Record("T-1", Discovered());
  Record("T-1", Document(Day(5)));
  // Our bid of day 19 (due day 20) recorded on day 23.
  recorded_at_ = Day(23);
  tender::LateRecording late{"the bid clerk was on leave", "manager Zhao"};
  ASSERT_TRUE(
      commands_
          ->Execute({"alice", ""}, "late-bid", ForTender("T-1", Bid(kUs, "900.00", Day(19))), late)
          .ok());
  OpenEngine();
  CatchUp();
  StartServer();

  v1::TimelineRequest request;
  request.set_tender_id("T-1");
  v1::TimelineResponse timeline;
  grpc::ClientContext context;
  ASSERT_TRUE(stub_->Timeline(&context, request, &timeline).ok());
  ASSERT_EQ(timeline.entries_size(), 3);  // the explanation is not an entry of its own
  const v1::TimelineEntry& bid = timeline.entries(2);
  EXPECT_TRUE(bid.event().has_bid_submitted());
  ASSERT_TRUE(bid.has_late());
  EXPECT_EQ(bid.late().reason(), "the bid clerk was on leave");
  EXPECT_EQ(bid.late().deadline(), "submission_deadline");
  EXPECT_EQ(bid.late().approver(), "manager Zhao");
  EXPECT_FALSE(timeline.entries(1).has_late());  // the documents were recorded in time
  ASSERT_EQ(timeline.deadlines_size(), 2);
  EXPECT_TRUE(timeline.deadlines(1).met());
  EXPECT_EQ(timeline.deadlines(1).approved_late_by(), "manager Zhao");
  EXPECT_EQ(timeline.deadlines(0).approved_late_by(), "");

  // The audit view of the tender as it was then folds it the same way.
  v1::TenderAsOfRequest as_of;
  as_of.set_tender_id("T-1");
  as_of.set_position(log_->HeadPosition().value());
  v1::TenderAsOfResponse then;
  grpc::ClientContext audit;
  ASSERT_TRUE(stub_->TenderAsOf(&audit, as_of, &then).ok());
  ASSERT_EQ(then.events_size(), 3);
  EXPECT_EQ(then.events(2).late().approver(), "manager Zhao");
}

// The audit by business time: what had happened by then, as known now,
// whenever it was recorded.
TEST_F(ProjectionsTest, AuditByBusinessTime) {
  RecordHistory();
  OpenEngine();
  CatchUp();
  StartServer();
  v1::TenderAsOfRequest request;
  request.set_tender_id("T-2");
  // Day 20: documents and both bids, no award yet.
  ToProtoTime(Day(20), request.mutable_occurred_by());
  v1::TenderAsOfResponse then;
  grpc::ClientContext c1;
  ASSERT_TRUE(stub_->TenderAsOf(&c1, request, &then).ok());
  EXPECT_EQ(then.events_size(), 4);
  EXPECT_EQ(then.revision(), 3u);
  ASSERT_EQ(then.tender().lots_size(), 1);
  EXPECT_EQ(then.tender().lots(0).bids_size(), 2);
  EXPECT_EQ(then.tender().lots(0).awards_size(), 0);
  // Day 26: the first award, cancelled.
  ToProtoTime(Day(26), request.mutable_occurred_by());
  grpc::ClientContext c2;
  ASSERT_TRUE(stub_->TenderAsOf(&c2, request, &then).ok());
  EXPECT_EQ(then.events_size(), 6);
  // Before it was discovered: NOT_FOUND saying when it was.
  ToProtoTime(Day(-1), request.mutable_occurred_by());
  grpc::ClientContext c3;
  const grpc::Status before = stub_->TenderAsOf(&c3, request, &then);
  EXPECT_EQ(before.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(before.error_message(),
              HasSubstr("had not happened by 2026-02-28T00:00:00Z (it was discovered at "
                        "2026-03-01T00:00:00Z)"));
  // By recorded time, before anything was recorded: says when it was.
  ToProtoTime(Day(-1), request.mutable_recorded_at());
  grpc::ClientContext c4;
  const grpc::Status unrecorded = stub_->TenderAsOf(&c4, request, &then);
  EXPECT_EQ(unrecorded.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(unrecorded.error_message(),
              HasSubstr("was not yet recorded then (its first event was recorded at "));
}

TEST_F(ProjectionsTest, TimelineWinLossCompetitorsAuditAndStatus) {
  RecordHistory();
  OpenEngine();
  CatchUp();
  StartServer();

  v1::TimelineRequest timeline_request;
  timeline_request.set_tender_id("T-2");
  v1::TimelineResponse timeline;
  grpc::ClientContext c1;
  ASSERT_TRUE(stub_->Timeline(&c1, timeline_request, &timeline).ok());
  ASSERT_EQ(timeline.entries_size(), 7);
  EXPECT_EQ(timeline.entries(0).actor(), "alice");
  EXPECT_TRUE(timeline.entries(0).event().has_tender_discovered());
  // discovered -> documents 5d -> our bid 14d -> opening (day 20 + 2h) -> award (day 25).
  ASSERT_EQ(timeline.durations_size(), 4);
  EXPECT_EQ(timeline.durations(0).duration().seconds(), 5 * 86400);
  EXPECT_EQ(timeline.durations(1).to_phase(), "our_bid");
  EXPECT_EQ(timeline.durations(3).to_phase(), "award");
  ASSERT_EQ(timeline.deadlines_size(), 2);
  EXPECT_TRUE(timeline.deadlines(0).met());
  EXPECT_EQ(timeline.deadlines(0).margin().seconds(), 5 * 86400);  // documents day 5, due day 10
  EXPECT_TRUE(timeline.deadlines(1).met());
  EXPECT_EQ(timeline.deadlines(1).margin().seconds(), 86400);  // bid day 19, due day 20

  v1::WinLossRequest win_request;
  v1::WinLossResponse winloss;
  grpc::ClientContext c2;
  ASSERT_TRUE(stub_->WinLoss(&c2, win_request, &winloss).ok());
  ASSERT_EQ(winloss.groups_size(), 1);
  EXPECT_EQ(winloss.bidder_id(), kUs);
  EXPECT_EQ(winloss.groups(0).bid(), 1u);
  EXPECT_EQ(winloss.groups(0).won(), 1u);
  EXPECT_EQ(winloss.groups(0).no_bid(), 1u);
  EXPECT_DOUBLE_EQ(winloss.groups(0).bid_rate(), 0.5);
  win_request.set_group_by(v1::WIN_LOSS_GROUP_BY_BIDDER);
  grpc::ClientContext c3;
  ASSERT_TRUE(stub_->WinLoss(&c3, win_request, &winloss).ok());
  ASSERT_EQ(winloss.groups_size(), 2);
  win_request.set_group_by(static_cast<v1::WinLossGroupBy>(99));
  grpc::ClientContext c4;
  EXPECT_EQ(stub_->WinLoss(&c4, win_request, &winloss).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);

  v1::CompetitorsResponse competitors;
  grpc::ClientContext c5;
  ASSERT_TRUE(stub_->Competitors(&c5, v1::CompetitorsRequest(), &competitors).ok());
  ASSERT_EQ(competitors.competitors_size(), 1);
  EXPECT_EQ(competitors.competitors(0).competitor().id(), "C-1");
  EXPECT_EQ(competitors.competitors(0).our_wins(), 1u);

  // T-2 as it was after its first award: awarded to C-1.
  v1::TenderAsOfRequest as_of;
  as_of.set_tender_id("T-2");
  as_of.set_position(timeline.entries(4).position());
  v1::TenderAsOfResponse then;
  grpc::ClientContext c6;
  ASSERT_TRUE(stub_->TenderAsOf(&c6, as_of, &then).ok());
  EXPECT_EQ(then.revision(), 4u);
  EXPECT_EQ(then.events_size(), 5);
  ASSERT_EQ(then.tender().lots(0).awards_size(), 1);
  EXPECT_EQ(then.tender().lots(0).awards(0).award().award_id(), "A1");
  as_of.set_position(1);
  grpc::ClientContext c7;
  EXPECT_EQ(stub_->TenderAsOf(&c7, as_of, &then).error_code(), grpc::StatusCode::NOT_FOUND);

  v1::ActorHistoryRequest history_request;
  history_request.set_actor("alice");
  history_request.set_page_size(5);
  v1::ActorHistoryResponse history;
  grpc::ClientContext c8;
  ASSERT_TRUE(stub_->ActorHistory(&c8, history_request, &history).ok());
  EXPECT_EQ(history.records_size(), 5);
  EXPECT_EQ(history.records(0).position(), 1u);
  ASSERT_FALSE(history.next_page_token().empty());
  history_request.set_page_token(history.next_page_token());
  history_request.set_page_size(100);
  grpc::ClientContext c9;
  ASSERT_TRUE(stub_->ActorHistory(&c9, history_request, &history).ok());
  EXPECT_EQ(history.records_size(), 7);  // 12 events in all
  EXPECT_TRUE(history.next_page_token().empty());

  v1::GetProjectionStatusResponse status;
  grpc::ClientContext c10;
  ASSERT_TRUE(stub_->GetProjectionStatus(&c10, v1::GetProjectionStatusRequest(), &status).ok());
  EXPECT_EQ(status.lag(), 0u);
  EXPECT_EQ(status.checkpoint(), 12u);

  v1::VerifyLogResponse verified;
  grpc::ClientContext c11;
  ASSERT_TRUE(stub_->VerifyLog(&c11, v1::VerifyLogRequest(), &verified).ok());
  EXPECT_TRUE(verified.ok());
  EXPECT_EQ(verified.records_checked(), 12u);

  grpc::ClientContext c12;
  std::unique_ptr<grpc::ClientReader<v1::RebuildResponse>> rebuild =
      stub_->Rebuild(&c12, v1::RebuildRequest());
  v1::RebuildResponse step;
  bool switched = false;
  while (rebuild->Read(&step)) switched = step.switched();
  ASSERT_TRUE(rebuild->Finish().ok());
  EXPECT_TRUE(switched);
}

// The HTTP face (docs/web.md) over the same queries service, with tokens.
class HttpFaceTest : public ProjectionsTest {
 protected:
  void StartHttp() {
    authenticator_ = std::make_unique<auth::Authenticator>(log_.get());
    ASSERT_OK_AND_ASSIGN(root_, authenticator_->Bootstrap("root"));
    RecordHistory();
    OpenEngine();
    CatchUp();
    StartServer(authenticator_.get());
    web::HttpFace::Options options;
    options.listen = "127.0.0.1:0";
    ASSERT_OK_AND_ASSIGN(
        http_,
        web::HttpFace::Start(
            options, grpc::CreateChannel(server_address_, grpc::InsecureChannelCredentials())));
    client_ = std::make_unique<httplib::Client>("127.0.0.1", http_->port());
  }

  void TearDown() override {
    client_.reset();
    http_.reset();
    ProjectionsTest::TearDown();
  }

  httplib::Result Get(const std::string& path, const std::string& token) {
    httplib::Headers headers;
    if (!token.empty()) headers.emplace("Authorization", "Bearer " + token);
    return client_->Get(path, headers);
  }

  std::unique_ptr<grpc::ClientContext> As(const std::string& token) {
    auto context = std::make_unique<grpc::ClientContext>();
    context->AddMetadata("authorization", "Bearer " + token);
    return context;
  }

  std::unique_ptr<auth::Authenticator> authenticator_;
  std::string root_;
  std::unique_ptr<web::HttpFace> http_;
  std::unique_ptr<httplib::Client> client_;
};

TEST_F(HttpFaceTest, TheJsonApiAnswersAsTheQueriesServiceDoes) {
  StartHttp();
  const std::string day9 = FormatRfc3339(Day(9), absl::UTCTimeZone());
  // The deadline board: the same response, as the CLI's --json writes it.
  v1::DeadlinesRequest deadlines;
  ToProtoTime(Day(9), deadlines.mutable_as_of());
  deadlines.mutable_within()->set_seconds(14 * 86400);
  v1::DeadlinesResponse board;
  ASSERT_TRUE(stub_->Deadlines(As(root_).get(), deadlines, &board).ok());
  httplib::Result got = Get("/api/v1/deadlines?within=14d&as_of=" + day9, root_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->get_header_value("Content-Type"), "application/json");
  EXPECT_EQ(got->body, api::MessageJson(board, absl::UTCTimeZone()) + "\n");
  EXPECT_THAT(got->body, HasSubstr("\"at_risk\":true"));
  // Win/loss by quarter, full precision; a tender's timeline; in a zone.
  v1::WinLossRequest winloss;
  winloss.set_group_by(v1::WIN_LOSS_GROUP_BY_QUARTER);
  v1::WinLossResponse groups;
  ASSERT_TRUE(stub_->WinLoss(As(root_).get(), winloss, &groups).ok());
  got = Get("/api/v1/winloss?group_by=quarter", root_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, api::MessageJson(groups, absl::UTCTimeZone()) + "\n");
  v1::TimelineRequest timeline;
  timeline.set_tender_id("T-2");
  v1::TimelineResponse events;
  ASSERT_TRUE(stub_->Timeline(As(root_).get(), timeline, &events).ok());
  absl::TimeZone shanghai;
  ASSERT_TRUE(absl::LoadTimeZone("Asia/Shanghai", &shanghai));
  got = Get("/api/v1/tenders/T-2/timeline?tz=Asia/Shanghai", root_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->body, api::MessageJson(events, shanghai) + "\n");
  EXPECT_THAT(got->body, HasSubstr("+08:00"));
  // The sign-in cookie carries the token too.
  httplib::Headers cookie{{"Cookie", "theme=dark; bidtrail_token=" + root_}};
  got = client_->Get("/api/v1/status", cookie);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
}

TEST_F(HttpFaceTest, RefusalsAreJsonWithTheCodeAndAFittingStatus) {
  StartHttp();
  struct Case {
    std::string path;
    std::string token;
    int status;
    std::string code;
    std::string says;
  };
  const std::vector<Case> cases = {
      {"/api/v1/status", "", 401, "UNAUTHENTICATED", "no credential"},
      {"/api/v1/status", "btk_wrong", 401, "UNAUTHENTICATED", ""},
      {"/api/v1/winloss?group_by=weekly", root_, 400, "INVALID_ARGUMENT",
       "group_by: \\\"weekly\\\" is not one of bidder, buyer"},
      {"/api/v1/deadlines?within=soon", root_, 400, "INVALID_ARGUMENT",
       "within: \\\"soon\\\" is not a length of time"},
      {"/api/v1/deadlines?teams=north", root_, 400, "INVALID_ARGUMENT",
       "teams: not a parameter of this call. It takes as_of, within"},
      {"/api/v1/winloss?group-by=quarter", root_, 400, "INVALID_ARGUMENT",
       "group-by: not a parameter of this call; did you mean group_by?"},
      {"/api/v1/winloss?currency=CNY", root_, 400, "INVALID_ARGUMENT",
       "did you mean reporting.currency?"},
      {"/api/v1/deadlines?whithin=14d", root_, 400, "INVALID_ARGUMENT", "did you mean within?"},
      {"/api/v1/deadlines?as_of=yesterday", root_, 400, "INVALID_ARGUMENT", "RFC 3339"},
      {"/api/v1/deadlines?tz=Mars/Olympus", root_, 400, "INVALID_ARGUMENT", "not a time zone"},
      {"/api/v1/tenders/NOPE/timeline", root_, 404, "NOT_FOUND", "NOPE"},
      {"/api/v2/deadlines", root_, 404, "NOT_FOUND", "the API is under /api/v1/"},
      {"/calendar/all.ics?token=btk_wrong", "", 401, "UNAUTHENTICATED", ""},
      {"/api/v1/status?token=" + root_, "", 401, "UNAUTHENTICATED",
       "taken by the calendar feeds only; send it as the header Authorization"},
      {"/calendar/team/team-north.ics?owner_team=team-south&token=" + root_, "", 400,
       "INVALID_ARGUMENT", "owner_team: the feed's path names it"},
      {"/calendar/team/north.ics?token=" + root_, "", 404, "NOT_FOUND",
       "no tender of team \\\"north\\\" is recorded"},
  };
  for (const Case& c : cases) {
    httplib::Result got = Get(c.path, c.token);
    ASSERT_TRUE(got) << c.path;
    EXPECT_EQ(got->status, c.status) << c.path << ": " << got->body;
    EXPECT_THAT(got->body, HasSubstr("{\"error\":{\"code\":\"" + c.code + "\"")) << c.path;
    EXPECT_THAT(got->body, HasSubstr(c.says)) << c.path;
  }
  // The face only reads.
  httplib::Result got = client_->Post("/api/v1/deadlines", "{}", "application/json");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 405) << got->body;
  EXPECT_EQ(got->get_header_value("Allow"), "GET");
  EXPECT_THAT(got->body, HasSubstr("this server only reads (GET)"));
  // The CLI's spellings and offsets people type: deal-size, +08:00 (its "+"
  // unencoded arrives as a space).
  got = Get("/api/v1/winloss?group_by=deal-size", root_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200) << got->body;
  got = Get("/api/v1/tenders/T-2/timeline?tz=+08:00", root_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200) << got->body;
  EXPECT_THAT(got->body, HasSubstr("+08:00"));
  // A hash is hex, as expect_hash takes it.
  got = Get("/api/v1/verify", root_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200) << got->body;
  EXPECT_THAT(got->body, ::testing::ContainsRegex("\"head_hash\":\"[0-9a-f]{64}\""));
}

// The feed a calendar app subscribes to: open deadlines with reminders; a
// deadline done leaves it; an amended one keeps its UID and moves.
TEST_F(HttpFaceTest, CalendarFeedsMoveAmendedDeadlinesAndDropDoneOnes) {
  StartHttp();
  const std::string path =
      "/calendar/team/team-north.ics?as_of=" + FormatRfc3339(Day(1), absl::UTCTimeZone()) +
      "&token=" + root_;
  httplib::Result got = client_->Get(path);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->status, 200) << got->body;
  EXPECT_EQ(got->get_header_value("Content-Type"), "text/calendar; charset=utf-8");
  const std::string& feed = got->body;
  EXPECT_EQ(feed.rfind("BEGIN:VCALENDAR\r\n", 0), 0u);
  EXPECT_THAT(feed, HasSubstr("X-WR-CALNAME:bidtrail deadlines: team team-north\r\n"));
  // T-1: documents (day 10, 48 h reminder), submission (day 20, 72 h).
  EXPECT_THAT(feed, HasSubstr("UID:T-1/documents@bidtrail\r\n"));
  EXPECT_THAT(feed, HasSubstr("DTSTART:" +
                              absl::FormatTime("%Y%m%dT%H%M%SZ", Day(10), absl::UTCTimeZone())));
  EXPECT_THAT(feed, HasSubstr("TRIGGER:-PT48H\r\n"));
  EXPECT_THAT(feed, HasSubstr("UID:T-1/submission@bidtrail\r\n"));
  EXPECT_THAT(feed, HasSubstr("TRIGGER:-PT72H\r\n"));
  // T-2's documents were obtained and its bid is in: those are done.
  EXPECT_THAT(feed, Not(HasSubstr("UID:T-2/documents@bidtrail")));
  EXPECT_THAT(feed, Not(HasSubstr("UID:T-2/submission@bidtrail")));
  for (size_t start = 0, end; (end = feed.find("\r\n", start)) != std::string::npos;
       start = end + 2) {
    EXPECT_LE(end - start, 75u) << "folded lines";
  }
  // The buyer moves T-1's submission deadline (and the opening) to day 25:
  // same UID, new time.
  v1::TenderEvent amended = Amended(Day(2));
  v1::KeyDates* dates = amended.mutable_tender_amended()->mutable_key_dates();
  ToProtoTime(Day(25), dates->mutable_submission_deadline());
  ToProtoTime(Day(25) + absl::Hours(2), dates->mutable_bid_opening_at());
  Record("T-1", amended);
  ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(10)));
  got = client_->Get(path);
  ASSERT_TRUE(got);
  const std::string moved = got->body;
  const size_t event = moved.find("UID:T-1/submission@bidtrail");
  ASSERT_NE(event, std::string::npos);
  EXPECT_EQ(moved.find("UID:T-1/submission@bidtrail", event + 1), std::string::npos) << "once";
  const size_t start = moved.find("DTSTART:", event);
  EXPECT_EQ(moved.substr(start, 24),
            "DTSTART:" + absl::FormatTime("%Y%m%dT%H%M%SZ", Day(25), absl::UTCTimeZone()));
  // A team no tender has: said, not served as a calendar that stays empty.
  got = client_->Get("/calendar/team/team-south.ics?token=" + root_);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 404) << got->body;
  EXPECT_THAT(got->body, Not(HasSubstr("BEGIN:VEVENT")));
}

// "mine": the deadlines of the tenders the caller recorded on. alice
// recorded the history; root recorded nothing.
TEST_F(HttpFaceTest, TheMineFeedHoldsTheCallersOwnTenders) {
  StartHttp();
  const std::string alice = auth::NewToken();
  ASSERT_THAT(authenticator_->Record({auth::testing::Granted("alice", v1::ROLE_MANAGER, {"*"}),
                                      auth::testing::Issued(alice, "alice")},
                                     "root", eventlog::ExpectedRevision::Any()),
              ::bidtrail::testing::IsOk());
  const std::string as_of = "as_of=" + FormatRfc3339(Day(1), absl::UTCTimeZone());
  httplib::Result got = client_->Get("/calendar/mine.ics?" + as_of + "&token=" + alice);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->status, 200) << got->body;
  EXPECT_THAT(got->body, HasSubstr("X-WR-CALNAME:bidtrail deadlines: mine\r\n"));
  EXPECT_THAT(got->body, HasSubstr("UID:T-1/submission@bidtrail\r\n"));
  got = client_->Get("/calendar/mine.ics?" + as_of + "&token=" + root_);
  ASSERT_TRUE(got);
  ASSERT_EQ(got->status, 200) << got->body;
  EXPECT_THAT(got->body, Not(HasSubstr("BEGIN:VEVENT"))) << "root recorded no tender";
  // The same through the API and gRPC: mine=true.
  v1::DeadlinesRequest request;
  ToProtoTime(Day(1), request.mutable_as_of());
  request.mutable_within()->set_seconds(30 * 86400);
  request.set_mine(true);
  v1::DeadlinesResponse mine;
  ASSERT_TRUE(stub_->Deadlines(As(alice).get(), request, &mine).ok());
  EXPECT_GT(mine.deadlines_size(), 0);
  ASSERT_TRUE(stub_->Deadlines(As(root_).get(), request, &mine).ok());
  EXPECT_EQ(mine.deadlines_size(), 0);
  EXPECT_EQ(mine.stale_size(), 0);
}

// The dashboard's pages: a page without credentials, or with a token no
// longer accepted, goes to the sign-in page; signing in sets the cookie
// (HttpOnly, SameSite=Strict) and goes back; the pages and the files they
// load; sign-in and -out refused from another site's page.
TEST_F(HttpFaceTest, PagesAskToSignInAndSigningInSetsAStrictCookie) {
  StartHttp();
  httplib::Result got = client_->Get("/");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 303);
  EXPECT_EQ(got->get_header_value("Location"), "/board");
  got = client_->Get("/winloss?territory=north");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 303);
  // (httplib's client decodes a Location header; the browser test follows
  // one with two parameters there and back.)
  EXPECT_EQ(got->get_header_value("Location"), "/signin?next=/winloss?territory=north");
  // A cookie whose token is not accepted: signed in again, the cookie cleared.
  got = client_->Get("/board", {{"Cookie", "bidtrail_token=btk_revoked"}});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 303);
  EXPECT_THAT(got->get_header_value("Location"), HasSubstr("refused=1"));
  EXPECT_THAT(got->get_header_value("Set-Cookie"), HasSubstr("Max-Age=0"));
  got = client_->Get("/signin?refused=1&next=%2Fboard");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_THAT(got->body, HasSubstr("not accepted"));
  EXPECT_THAT(got->body, HasSubstr("name=\"next\" value=\"/board\""));

  // Signing in: a wrong token is refused on the page, a good one sets the
  // cookie and goes where it was asked.
  got = client_->Post("/signin", "token=btk_wrong&next=%2Fboard",
                      "application/x-www-form-urlencoded");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 401);
  EXPECT_THAT(got->body, HasSubstr("not accepted"));
  EXPECT_EQ(got->get_header_value("Set-Cookie"), "");
  got = client_->Post("/signin", "token=" + root_ + "&next=%2Fwinloss%3Fterritory%3Dnorth",
                      "application/x-www-form-urlencoded");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 303);
  EXPECT_EQ(got->get_header_value("Location"), "/winloss?territory=north");
  EXPECT_EQ(got->get_header_value("Set-Cookie"),
            "bidtrail_token=" + root_ + "; Path=/; HttpOnly; SameSite=Strict");
  // `next` elsewhere than this server is not followed.
  for (const char* elsewhere :
       {"https%3A%2F%2Fevil.example%2F", "%2F%2Fevil.example", "%2F%5Cevil.example"}) {
    got = client_->Post("/signin", "token=" + root_ + "&next=" + elsewhere,
                        "application/x-www-form-urlencoded");
    ASSERT_TRUE(got);
    EXPECT_EQ(got->get_header_value("Location"), "/board") << elsewhere;
  }
  // From another site's page: refused, no cookie.
  got = client_->Post("/signin", {{"Origin", "https://evil.example"}}, "token=" + root_,
                      "application/x-www-form-urlencoded");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 403);
  EXPECT_EQ(got->get_header_value("Set-Cookie"), "");
  got = client_->Post("/signout", {{"Origin", "https://evil.example"}}, "", "text/plain");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 403);
  got = client_->Post("/signout", "", "application/x-www-form-urlencoded");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 303);
  EXPECT_THAT(got->get_header_value("Set-Cookie"), HasSubstr("bidtrail_token=; Path=/; Max-Age=0"));

  // Signed in: each page is its shell, with a policy that keeps scripts to
  // this server; the files it names are served and cached for good.
  const httplib::Headers cookie = {{"Cookie", "bidtrail_token=" + root_}};
  std::string script;
  for (const char* page : {"board", "winloss", "segments", "competitors"}) {
    got = client_->Get(std::string("/") + page, cookie);
    ASSERT_TRUE(got);
    ASSERT_EQ(got->status, 200) << page;
    EXPECT_THAT(got->body, HasSubstr(std::string("data-page=\"") + page + "\""));
    EXPECT_THAT(got->get_header_value("Content-Security-Policy"), HasSubstr("default-src 'self'"));
    EXPECT_EQ(got->get_header_value("X-Frame-Options"), "DENY");
    EXPECT_EQ(absl::StrContains(got->body, "uPlot.iife.min.js"), std::string(page) == "winloss")
        << "the chart library only where there is a chart";
    const size_t at = got->body.find("/static/app.js?v=");
    ASSERT_NE(at, std::string::npos);
    script = got->body.substr(at, got->body.find('"', at) - at);
  }
  got = client_->Get("/tenders/T-2", cookie);
  ASSERT_TRUE(got);
  EXPECT_THAT(got->body, HasSubstr("data-tender=\"T-2\""));
  got = client_->Get("/tenders/%3Cscript%3E", cookie);
  ASSERT_TRUE(got);
  EXPECT_THAT(got->body, Not(HasSubstr("<script>"))) << "the id is escaped";
  got = client_->Get(script);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_EQ(got->get_header_value("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_THAT(got->body, HasSubstr("/api/v1/"));
  got = client_->Get("/static/uPlot.iife.min.js");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  EXPECT_EQ(got->get_header_value("Cache-Control"), "no-cache") << "unversioned";
  // Offered brotli and gzip, as browsers do: gzip (brotli at httplib's
  // quality costs 60-90 ms a response).
  got = client_->Get(script, {{"Accept-Encoding", "gzip, deflate, br"}});
  ASSERT_TRUE(got);
  EXPECT_EQ(got->get_header_value("Content-Encoding"), "gzip");
  for (const char* missing : {"/static/page.html", "/static/nothing.js", "/static/..%2Fetc"}) {
    got = client_->Get(missing);
    ASSERT_TRUE(got);
    EXPECT_EQ(got->status, 404) << missing;
  }
}

// The value of the sample `series` (name and labels, as written) in a
// Prometheus text exposition; -1 when absent.
double Sample(const std::string& exposition, const std::string& series) {
  for (absl::string_view line : absl::StrSplit(exposition, '\n')) {
    if (absl::ConsumePrefix(&line, series + " ")) {
      double value;
      if (absl::SimpleAtod(line, &value)) return value;
    }
  }
  return -1;
}

TEST_F(HttpFaceTest, MetricsMoveWithAppendsAndCalls) {
  StartHttp();
  httplib::Result got = client_->Get("/metrics");
  ASSERT_TRUE(got);
  ASSERT_EQ(got->status, 200);
  EXPECT_EQ(got->get_header_value("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string before = got->body;
  const double appended = Sample(before, "bidtrail_log_appends_total{outcome=\"ok\"}");
  EXPECT_GE(appended, 10) << before;
  EXPECT_THAT(before, HasSubstr("# TYPE bidtrail_log_append_seconds histogram"));
  EXPECT_THAT(before, HasSubstr("bidtrail_log_group_commit_appends_count"));
  // A query through the API, one refused, and an append.
  ASSERT_TRUE(Get("/api/v1/status", root_));
  ASSERT_TRUE(Get("/api/v1/status", ""));
  Record("T-9", Discovered());
  got = client_->Get("/metrics");
  ASSERT_TRUE(got);
  const std::string after = got->body;
  EXPECT_EQ(Sample(after, "bidtrail_log_appends_total{outcome=\"ok\"}"), appended + 1);
  EXPECT_GE(Sample(after, "bidtrail_log_head_position"), 11);
  EXPECT_GE(Sample(after,
                   "bidtrail_rpc_calls_total{code=\"ok\",method=\"/bidtrail.v1.QueriesService/"
                   "GetProjectionStatus\"}"),
            1)
      << after;
  EXPECT_GE(Sample(after, "bidtrail_rpc_denied_total{reason=\"unauthenticated\"}"), 1) << after;
  EXPECT_GE(Sample(after, "bidtrail_log_subscriptions_open"), 1) << "the projections' subscription";
}

TEST(WebParamsTest, LengthsOfTime) {
  EXPECT_EQ(web::ParseLength("14d").value(), absl::Hours(14 * 24));
  EXPECT_EQ(web::ParseLength("2d12h").value(), absl::Hours(60));
  EXPECT_EQ(web::ParseLength("90m").value(), absl::Minutes(90));
  EXPECT_EQ(web::ParseLength("1h30m").value(), absl::Minutes(90));
  for (const std::string bad : {"", "d", "-1d", "soon", "3x", "1d-2h"}) {
    EXPECT_FALSE(web::ParseLength(bad).ok()) << bad;
  }
}

TEST(WebParamsTest, NestedRepeatedAndRefusedAsAWhole) {
  v1::WinLossRequest request;
  ASSERT_TRUE(
      web::FillRequest({{"reporting.currency", "CNY"}, {"territory", "north"}, {"page_size", "5"}},
                       {}, absl::UTCTimeZone(), &request)
          .ok());
  EXPECT_EQ(request.reporting().currency(), "CNY");
  EXPECT_EQ(request.territory(), "north");
  EXPECT_EQ(request.page_size(), 5u);
  // One bad parameter: nothing is set.
  v1::WinLossRequest untouched;
  EXPECT_FALSE(web::FillRequest({{"territory", "south"}, {"page_size", "-1"}}, {},
                                absl::UTCTimeZone(), &untouched)
                   .ok());
  EXPECT_EQ(untouched.territory(), "");
  v1::ListTendersRequest list;
  ASSERT_TRUE(
      web::FillRequest({{"words", "road"}, {"words", "repair"}}, {}, absl::UTCTimeZone(), &list)
          .ok());
  EXPECT_THAT(list.words(), ElementsAre("road", "repair"));
}

}  // namespace
}  // namespace bidtrail::projections
