// The projection engine's pieces (key layout, index entries, the actor
// record encoding) and its failure paths: a real log and a real RocksDB
// store, with faults injected at the store's seam (a FaultyKvStore in front
// of it, or failing files under it) and at the log's.
#include <atomic>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "actor_record.h"
#include "bidtrail/common/log.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/eventlog/forwarding_event_store.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/projection/engine.h"
#include "bidtrail/readmodel/tender_record.h"
#include "bidtrail/storage/rocks_kv_store.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/decide.h"
#include "bidtrail/tender/testing/events.h"
#include "bidtrail/testing/faulty_kv_store.h"
#include "bidtrail/testing/status_matchers.h"
#include "generation.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "index.h"
#include "keys.h"

namespace bidtrail::projection {
namespace {

using ::bidtrail::testing::FaultyKvStore;
using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::ScratchDir;
using ::bidtrail::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;
using namespace ::bidtrail::tender::testing;  // NOLINT: the event builders

using Dump = std::vector<std::pair<std::string, std::string>>;
using Op = FaultyKvStore::Op;

TEST(KeysTest, TimesAndGenerationsSortInOrder) {
  const absl::Time times[] = {absl::FromUnixSeconds(-86400LL * 365 * 70),
                              absl::UnixEpoch() - absl::Nanoseconds(1), absl::UnixEpoch(),
                              absl::UnixEpoch() + absl::Nanoseconds(1),
                              absl::FromUnixSeconds(1790000000)};
  std::string previous;
  for (const absl::Time time : times) {
    std::string encoded;
    keys::PutTime(time, &encoded);
    ASSERT_EQ(encoded.size(), 8u);
    EXPECT_EQ(keys::GetTime(encoded), time);
    EXPECT_LT(previous, encoded);
    previous = encoded;
  }
  EXPECT_LT(keys::GenerationPrefix(255), keys::GenerationPrefix(256));
  EXPECT_EQ(keys::GenerationEnd(7), keys::GenerationPrefix(8));
  // Deadlines sort by due time, then tender; outstanding ones apart.
  EXPECT_LT(keys::DeadlineKey(false, Day(1), "Z", readmodel::DeadlineKind::kBidOpeningAt),
            keys::DeadlineKey(false, Day(2), "A", readmodel::DeadlineKind::kBidOpeningAt));
  EXPECT_TRUE(absl::StartsWith(
      keys::DeadlineKey(true, Day(1), "T-1", readmodel::DeadlineKind::kSubmissionDeadline), "o/"));
  EXPECT_TRUE(absl::EndsWith(
      keys::DeadlineKey(false, Day(1), "T-1", readmodel::DeadlineKind::kSubmissionDeadline),
      "/T-1/submission_deadline"));
  // An actor's chunks sort by chunk number and stay below the actor's end.
  EXPECT_LT(keys::ActorChunkKey("bob", 1), keys::ActorChunkKey("bob", 256));
  EXPECT_LT(keys::ActorChunkKey("bob", ~uint64_t{0}), keys::ActorChunksEnd("bob"));
  EXPECT_LT(keys::ActorChunksEnd("bob"), keys::ActorChunkKey("bob2", 0));
}

TEST(IndexTest, EntriesFollowTheBoardsRules) {
  // Just discovered: three deadlines, two of them outstanding, a stale clock.
  tender::TenderState state = tender::Fold({Discovered()});
  IndexEntries entries = IndexEntriesOf(state, kUs);
  std::vector<std::string> prefixes;
  for (const auto& [key, value] : entries) prefixes.push_back(key.substr(0, 2));
  EXPECT_THAT(prefixes, ElementsAre("d/", "d/", "d/", "o/", "o/", "s/"));
  for (const auto& [key, value] : entries) {
    if (key[0] == 's') {
      storage::v1::StaleRecord stale;
      ASSERT_TRUE(stale.ParseFromString(value));
      EXPECT_EQ(stale.tender_id(), kTender);
      EXPECT_EQ(FromProtoTime(stale.last_event_at()), T0());
      continue;
    }
    storage::v1::DeadlineRecord record;
    ASSERT_TRUE(record.ParseFromString(value));
    EXPECT_EQ(record.tender_id(), kTender);
    EXPECT_EQ(record.territory(), "north");
    EXPECT_TRUE(absl::EndsWith(key, std::string(readmodel::DeadlineKindName(
                                        static_cast<readmodel::DeadlineKind>(record.kind())))));
    EXPECT_EQ(keys::GetTime(std::string_view(key).substr(2)), FromProtoTime(record.due()));
  }
  // Documents obtained: no longer outstanding; our bid in: neither.
  tender::Apply(Document(Day(2)), &state);
  tender::Apply(Bid(kUs, "10.00", Day(3)), &state);
  prefixes.clear();
  for (const auto& [key, value] : IndexEntriesOf(state, kUs)) prefixes.push_back(key.substr(0, 2));
  EXPECT_THAT(prefixes, ElementsAre("d/", "d/", "d/", "s/"));
  // A no-bid leaves nothing on the board.
  tender::Apply(NoBid(Day(4)), &state);
  EXPECT_TRUE(IndexEntriesOf(state, kUs).empty());
}

// The analytics' rows are packed in parts of a generation's tenders, and a
// change repacks only the part of the tender it touched: a query after a
// write does not repack every competition.
TEST(GenerationTest, AChangeRepacksOnlyItsTendersPart) {
  Generation generation(1);
  absl::MutexLock lock(&generation.mu);
  auto list_of = [](const std::string& tender_id, int lots) {
    std::vector<analytics::Competition> competitions(static_cast<size_t>(lots));
    for (analytics::Competition& competition : competitions) competition.tender_id = tender_id;
    return std::make_shared<const std::vector<analytics::Competition>>(std::move(competitions));
  };
  const size_t tenders = Generation::kPartTenders + Generation::kPartTenders / 2;
  for (size_t i = 0; i < tenders; ++i) {
    const std::string id = absl::StrCat("T-", i);
    generation.SetCompetitions(id, list_of(id, 1));
  }
  auto count = [](const std::vector<std::shared_ptr<const analytics::CompetitionRows>>& rows) {
    size_t competitions = 0;
    for (const auto& part : rows) competitions += part->size();
    return competitions;
  };
  const auto before = generation.Rows();
  ASSERT_EQ(before.size(), 2u);
  EXPECT_EQ(before[0]->tenders(), Generation::kPartTenders);
  EXPECT_EQ(count(before), tenders);
  EXPECT_EQ(generation.Rows(), before) << "nothing changed: nothing repacked";

  // A tender of the first part gains a lot.
  generation.SetCompetitions("T-5", list_of("T-5", 2));
  const auto changed = generation.Rows();
  ASSERT_EQ(changed.size(), 2u);
  EXPECT_NE(changed[0], before[0]);
  EXPECT_EQ(changed[1], before[1]);
  EXPECT_EQ(changed[0]->size(), Generation::kPartTenders + 1);
  EXPECT_EQ(changed[0]->tenders(), Generation::kPartTenders);

  // A new tender joins the last part; a tender without competitions has no
  // rows.
  generation.SetCompetitions("T-new", list_of("T-new", 1));
  generation.SetCompetitions("T-7", nullptr);
  const auto added = generation.Rows();
  EXPECT_NE(added[0], changed[0]);
  EXPECT_NE(added[1], changed[1]);
  EXPECT_EQ(count(added), tenders + 1);

  // Packed without the lock: a part that changed meanwhile is not taken.
  generation.SetCompetitions("T-6", list_of("T-6", 3));
  generation.SetCompetitions("T-new-2", list_of("T-new-2", 1));
  std::vector<Generation::PackJob> jobs = generation.ToPack();
  ASSERT_EQ(jobs.size(), 2u);
  for (Generation::PackJob& job : jobs) job.Pack();
  generation.SetCompetitions("T-new-3", list_of("T-new-3", 1));  // the last part again
  for (Generation::PackJob& job : jobs) generation.Packed(std::move(job));
  EXPECT_EQ(generation.parts[0].rows->size(), Generation::kPartTenders + 2);  // T-7 has none
  EXPECT_EQ(generation.parts[1].rows, nullptr) << "changed after ToPack";
  EXPECT_EQ(count(generation.Rows()), tenders + 5);

  generation.ClearCompetitions();
  EXPECT_TRUE(generation.Rows().empty());
}

// Actor records are stored in a compact encoding of their own: every record
// reads back as the entry of the event, over edge values, and anything but
// whole records is refused.
TEST(ActorRecordTest, ReadsBackWhatWasWritten) {
  const absl::Time times[] = {
      absl::UnixEpoch(),
      absl::FromUnixNanos(1),
      absl::FromUnixNanos(-1),
      absl::FromUnixSeconds(1790000000) + absl::Nanoseconds(999999999),
      absl::FromUnixSeconds(int64_t{-86400} * 365 * 80) + absl::Nanoseconds(5),
      absl::FromUnixSeconds(253402300799)};
  const std::pair<std::string, std::string> texts[] = {{"", ""},
                                                       {"tender-1", "bidtrail.v1.BidSubmitted"},
                                                       {"tender-2", "bidtrail.v1.ActivityLogged"},
                                                       {"contact-7", "crm.v1.ContactMoved"},
                                                       {"tender-3", "bidtrail.v1.SomethingNew"},
                                                       {std::string(300, 's'), "t"}};
  const uint64_t positions[] = {0, 1, 127, 128, uint64_t{1} << 40, ~uint64_t{0}};
  std::string all;
  std::vector<readmodel::ActorEntry> expected;
  for (const auto& [stream, type] : texts) {
    for (uint64_t position : positions) {
      for (absl::Time occurred : times) {
        for (absl::Time recorded : times) {
          expected.push_back({stream, position, type, occurred, recorded});
          std::string encoded;
          AppendActorRecord(stream, position, type, occurred, recorded, &encoded);
          all += encoded;
          // Every cut short of the whole record is refused.
          for (size_t cut = 0; cut < encoded.size(); ++cut) {
            std::string_view partial(encoded.data(), cut);
            readmodel::ActorEntry ignored;
            ASSERT_FALSE(ReadActorRecord(&partial, &ignored)) << cut;
          }
        }
      }
    }
  }
  // Records follow each other in a chunk, and are read back in turn into one
  // entry (ScanActor reuses it).
  std::string_view records = all;
  readmodel::ActorEntry entry;
  for (const readmodel::ActorEntry& want : expected) {
    ASSERT_TRUE(ReadActorRecord(&records, &entry));
    ASSERT_EQ(entry, want) << want.stream_id << " " << want.position;
  }
  EXPECT_TRUE(records.empty());
  // The common types take one byte: a record of a tender event is less than
  // 60% of the bytes of the same fields as a protobuf message (42 of 77).
  std::string small;
  AppendActorRecord("tender-TND-2025-00001", 1854996, "bidtrail.v1.ActivityLogged",
                    absl::FromUnixSeconds(1790000000),
                    absl::FromUnixSeconds(1790000100) + absl::Nanoseconds(123456789), &small);
  EXPECT_LE(small.size(), 45u);
  // A type code past the known ones, and bytes left over inside a record, are
  // refused.
  std::string bad_code;
  AppendActorRecord("s", 1, "bidtrail.v1.BidSubmitted", absl::UnixEpoch(), absl::UnixEpoch(),
                    &bad_code);
  bad_code[4] = 13;  // size, position, stream size, "s", then the type code
  std::string_view in = bad_code;
  EXPECT_FALSE(ReadActorRecord(&in, &entry));
  std::string extra;
  AppendActorRecord("s", 1, "bidtrail.v1.BidSubmitted", absl::UnixEpoch(), absl::UnixEpoch(),
                    &extra);
  extra.push_back('\0');
  extra[0] = static_cast<char>(extra[0] + 1);
  in = extra;
  EXPECT_FALSE(ReadActorRecord(&in, &entry));
}

// A log whose subscriptions fail on command, as a remote store that is down.
class FlakyLog final : public eventlog::ForwardingEventStore {
 public:
  using ForwardingEventStore::ForwardingEventStore;
  void FailSubscribes(int count) { failing_ = count; }
  int refused() const { return refused_; }

  absl::StatusOr<std::unique_ptr<eventlog::Subscription>> Subscribe(
      const eventlog::SubscribeRequest& request) override {
    if (failing_.load() > 0) {
      --failing_;
      ++refused_;
      return absl::UnavailableError("the event store at 10.0.0.7:50051 is not answering");
    }
    return store()->Subscribe(request);
  }

 private:
  std::atomic<int> failing_{0};
  std::atomic<int> refused_{0};
};

class EngineFailureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventlog::RocksEventLog::Options options;
    options.path = dir_.path() + "/log";
    options.sync = false;
    ASSERT_OK_AND_ASSIGN(log_, eventlog::RocksEventLog::Open(options));
    previous_sink_ = log::SetSink([this](std::string_view line) {
      absl::MutexLock lock(&lines_mu_);
      lines_.emplace_back(line);
    });
  }
  void TearDown() override {
    engine_.reset();
    log::SetSink(std::move(previous_sink_));
  }

  void Append(const std::string& tender_id, const v1::TenderEvent& event) {
    const v1::TenderEvent mine = ForTender(tender_id, event);
    eventlog::ProposedEvent proposed;
    proposed.event_id = absl::StrFormat("00000000-0000-4000-8000-%012d", ++appended_);
    proposed.type = tender::EventTypeName(mine);
    proposed.data = tender::EncodeEventData(mine);
    proposed.occurred_at = tender::OccurredAtOf(mine);
    proposed.actor = "alice";
    ASSERT_THAT(
        log_->Append(tender::StreamIdOf(tender_id), eventlog::ExpectedRevision::Any(), {proposed}),
        IsOk());
  }
  void AppendHistory() {
    Append("T-1", Discovered());
    Append("T-2", Discovered());
    Append("T-2", Document(Day(5)));
    Append("T-2", Bid(kUs, "900.00", Day(19)));
    Append("T-3", Discovered());
    Append("T-3", NoBid(Day(3)));
  }

  // A RocksDB store in folder `name`, behind a FaultyKvStore kept in faulty_.
  std::unique_ptr<storage::KvStore> Store(const std::string& name,
                                          std::shared_ptr<storage::FileFaults> faults = nullptr) {
    storage::RocksKvStore::Options options;
    options.path = dir_.path() + "/" + name;
    options.faults = std::move(faults);
    absl::StatusOr<std::unique_ptr<storage::KvStore>> opened = storage::RocksKvStore::Open(options);
    EXPECT_THAT(opened, IsOk());
    auto faulty = std::make_unique<FaultyKvStore>(std::move(opened).value());
    faulty_ = faulty.get();
    return faulty;
  }
  ProjectionEngine::Options Options() {
    ProjectionEngine::Options options;
    options.own_party_id = kUs;
    options.batch_events = 2;
    options.retry_delay = absl::Milliseconds(5);
    options.max_retry_delay = absl::Milliseconds(40);
    return options;
  }
  // 17 events, and an engine that writes every two batches of two events
  // while catching up: four catch-up writes, and the last event in the
  // write that ends the catch-up.
  void OpenForALongCatchUp() {
    AppendHistory();
    for (int i = 10; i < 21; ++i) Append(absl::StrCat("T-", i), Discovered());
    ProjectionEngine::Options options = Options();
    options.catch_up_events = 3;
    engine_.reset();
    ASSERT_OK_AND_ASSIGN(engine_, ProjectionEngine::Open(log_.get(), Store("long"), options));
  }
  void Open(const std::string& name, eventlog::EventStore* log = nullptr) {
    engine_.reset();
    ASSERT_OK_AND_ASSIGN(
        engine_, ProjectionEngine::Open(log != nullptr ? log : log_.get(), Store(name), Options()));
  }
  void CatchUp() {
    engine_->Start();
    ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(20)))
        << engine_->Status().checkpoint;
  }
  // What a clean engine in a fresh folder stores for the log as it is.
  Dump Reference() {
    std::unique_ptr<ProjectionEngine> clean;
    auto opened = ProjectionEngine::Open(log_.get(), Store("reference-" + std::to_string(++refs_)),
                                         Options());
    EXPECT_THAT(opened, IsOk());
    clean = std::move(opened).value();
    clean->Start();
    EXPECT_TRUE(clean->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(20)));
    absl::StatusOr<Dump> dump = clean->Dump();
    EXPECT_THAT(dump, IsOk());
    return dump.value_or(Dump());
  }
  std::vector<std::string> Lines(std::string_view containing) {
    absl::MutexLock lock(&lines_mu_);
    std::vector<std::string> found;
    for (const std::string& line : lines_) {
      if (line.find(containing) != std::string::npos) found.push_back(line);
    }
    return found;
  }
  // Puts `value` at a key of the active (first) generation, past the engine.
  void Corrupt(const std::string& key, const std::string& value) {
    std::unique_ptr<storage::KvStore::Batch> batch = faulty_->inner().NewBatch();
    batch->Put(keys::GenerationPrefix(1) + key, value);
    ASSERT_THAT(faulty_->inner().Write(*batch, storage::KvStore::Durability::kSynced), IsOk());
  }

  ScratchDir dir_;
  std::unique_ptr<eventlog::RocksEventLog> log_;
  std::unique_ptr<ProjectionEngine> engine_;
  FaultyKvStore* faulty_ = nullptr;  // the last store made; owned by its engine
  int appended_ = 0;
  int refs_ = 0;
  log::Sink previous_sink_;
  absl::Mutex lines_mu_;
  std::vector<std::string> lines_ ABSL_GUARDED_BY(lines_mu_);
};

TEST_F(EngineFailureTest, AFailedWriteIsRetriedAndReported) {
  AppendHistory();
  Open("models");
  EXPECT_EQ(engine_->Status().last_error, std::nullopt);
  faulty_->Fail(Op::kWrite, 3, absl::UnavailableError("injected: the disk is full"));
  CatchUp();
  EXPECT_EQ(faulty_->failed(Op::kWrite), 3);
  const ProjectionStatus status = engine_->Status();
  ASSERT_TRUE(status.last_error.has_value());
  EXPECT_THAT(status.last_error->status,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("the disk is full")));
  EXPECT_EQ(status.last_error->position, 1u);  // nothing was written before it
  EXPECT_EQ(status.last_error->total_failures, 3u);
  EXPECT_EQ(status.last_error->failures_in_a_row, 0u);  // recovered
  EXPECT_GT(status.last_error->at, absl::InfinitePast());
  // Logged once for the streak, and once when it recovered.
  EXPECT_THAT(Lines("runner failed"), SizeIs(1));
  EXPECT_THAT(Lines("runner failed")[0], HasSubstr("the disk is full"));
  EXPECT_THAT(Lines("runner recovered"), SizeIs(1));
  // Nothing was lost or doubled by the failed writes.
  ASSERT_OK_AND_ASSIGN(Dump dump, engine_->Dump());
  EXPECT_EQ(dump, Reference());
}

// A catch-up of many writes ends with the generation's indexes compacted
// (the deletions its writes left behind would slow every scan of the
// board), in a write of its own when nothing is left to change; a short
// catch-up compacts nothing.
TEST_F(EngineFailureTest, ALongCatchUpEndsWithItsIndexesCompacted) {
  ASSERT_NO_FATAL_FAILURE(OpenForALongCatchUp());
  CatchUp();
  const std::vector<std::pair<std::string, std::string>> compacted = faulty_->compacted();
  ASSERT_THAT(compacted, SizeIs(1));
  EXPECT_EQ(compacted[0].first, keys::GenerationPrefix(1) + keys::kDeadlineIndex);
  EXPECT_EQ(compacted[0].second, keys::GenerationPrefix(1) + keys::kTendersBegin);
  EXPECT_THAT(Lines("indexes compacted at the end of a catch-up"), SizeIs(1));
  // Once caught up, writes compact nothing more.
  Append("T-21", Discovered());
  EXPECT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(20)));
  EXPECT_THAT(faulty_->compacted(), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(Dump dump, engine_->Dump());
  EXPECT_EQ(dump, Reference());
  // A short catch-up (one write) compacts nothing.
  Open("short");
  CatchUp();
  EXPECT_THAT(faulty_->compacted(), IsEmpty());
}

// A compaction that fails is reported; what was written stays, and the
// runner goes on from it.
TEST_F(EngineFailureTest, AFailedCompactionIsReportedAndTheModelsStayWhole) {
  ASSERT_NO_FATAL_FAILURE(OpenForALongCatchUp());
  faulty_->Fail(Op::kCompact, 1, absl::UnavailableError("injected: no room to compact"));
  CatchUp();
  EXPECT_EQ(faulty_->failed(Op::kCompact), 1);
  const ProjectionStatus status = engine_->Status();
  ASSERT_TRUE(status.last_error.has_value());
  EXPECT_THAT(status.last_error->status,
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("no room to compact")));
  ASSERT_OK_AND_ASSIGN(Dump dump, engine_->Dump());
  EXPECT_EQ(dump, Reference());
}

// A runner stopped while it compacts (13 s at a million tenders) does not
// wait for the compaction: it is cancelled, the write it ended is whole, and
// the engine opened again on the same folder goes on from it.
TEST_F(EngineFailureTest, StoppingDuringACompactionCancelsIt) {
  ASSERT_NO_FATAL_FAILURE(OpenForALongCatchUp());
  faulty_->HoldCompactions();
  engine_->Start();
  for (int i = 0; i < 2000 && faulty_->compacted().empty(); ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_THAT(faulty_->compacted(), SizeIs(1));
  engine_.reset();  // held until the compaction gives up: 30 s unless cancelled
  EXPECT_THAT(Lines("compaction cancelled: the runner is stopping"), SizeIs(1));
  EXPECT_THAT(Lines("runner failed"), IsEmpty());
  ASSERT_OK_AND_ASSIGN(engine_, ProjectionEngine::Open(log_.get(), Store("long"), Options()));
  CatchUp();
  ASSERT_OK_AND_ASSIGN(Dump dump, engine_->Dump());
  EXPECT_EQ(dump, Reference());
}

TEST_F(EngineFailureTest, AWriteFailingLaterInTheLogLeavesTheCheckpointAtTheLastWrite) {
  AppendHistory();
  Open("models");
  CatchUp();
  const uint64_t head = log_->HeadPosition().value();
  faulty_->Fail(Op::kWrite, -1, absl::UnavailableError("injected: read-only file system"));
  Append("T-1", Document(Day(6)));
  // The runner keeps failing and never moves past what it wrote.
  auto failures = [&] {
    const std::optional<RunnerError> error = engine_->Status().last_error;
    return error ? error->failures_in_a_row : 0;
  };
  for (int i = 0; i < 500 && failures() < 3; ++i) absl::SleepFor(absl::Milliseconds(10));
  ASSERT_GE(faulty_->failed(Op::kWrite), 3);
  ProjectionStatus status = engine_->Status();
  EXPECT_EQ(status.checkpoint, head);
  ASSERT_TRUE(status.last_error.has_value());
  EXPECT_EQ(status.last_error->position, head + 1);
  EXPECT_GE(status.last_error->failures_in_a_row, 3u);
  EXPECT_THAT(Lines("runner failed"), SizeIs(1));
  faulty_->Clear();
  ASSERT_TRUE(engine_->WaitForPosition(head + 1, absl::Seconds(20)));
  ASSERT_OK_AND_ASSIGN(Dump dump, engine_->Dump());
  EXPECT_EQ(dump, Reference());
}

TEST_F(EngineFailureTest, ACorruptTenderRecordIsReportedNotSkipped) {
  AppendHistory();
  Open("models");
  CatchUp();
  engine_.reset();
  Open("models");  // a fresh cache: the runner reads T-1 back from the store
  Corrupt(keys::TenderKey("T-1"), "not a tender record");
  const uint64_t head = log_->HeadPosition().value();
  Append("T-1", Document(Day(6)));
  engine_->Start();
  for (int i = 0; i < 500 && !engine_->Status().last_error; ++i) {
    absl::SleepFor(absl::Milliseconds(10));
  }
  const ProjectionStatus status = engine_->Status();
  ASSERT_TRUE(status.last_error.has_value());
  EXPECT_THAT(status.last_error->status,
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("the stored record of tender T-1 does not parse")));
  EXPECT_EQ(status.checkpoint, head);  // not skipped: the runner stops there
  EXPECT_THAT(engine_->GetTender("T-1"), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("t/T-1")));
  ASSERT_THAT(Lines("runner failed"), SizeIs(1));
  EXPECT_THAT(Lines("runner failed")[0], HasSubstr("ERROR"));
  // The remedy the message names works.
  ASSERT_THAT(engine_->Rebuild([](uint64_t, uint64_t) {}), IsOk());
  EXPECT_EQ(engine_->Status().checkpoint, head + 1);
  ASSERT_OK_AND_ASSIGN(Dump dump, engine_->Dump());
  EXPECT_EQ(dump, Reference());
}

TEST_F(EngineFailureTest, CorruptIndexEntriesFailTheQueryNamingTheKey) {
  AppendHistory();
  Open("models");
  CatchUp();
  Corrupt(keys::DeadlineKey(false, Day(10), "T-1", readmodel::DeadlineKind::kSubmissionDeadline),
          "\xff\xff");
  EXPECT_THAT(
      engine_->ScanDeadlines(T0(), T0(), Day(30), "", [](const DeadlineEntry&) { return true; }),
      StatusIs(absl::StatusCode::kDataLoss, HasSubstr("T-1/submission_deadline")));
  Corrupt(keys::StaleKey(T0(), "T-1"), "\xff\xff");
  EXPECT_THAT(engine_->ScanStale(Day(30), [](const storage::v1::StaleRecord&) { return true; }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("stale entry")));
  Corrupt(keys::ActorChunkKey("alice", 0), "\x05zz");
  EXPECT_THAT(engine_->ScanActor("alice", 0, [](const readmodel::ActorEntry&) { return true; }),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("actor records")));
}

TEST_F(EngineFailureTest, CorruptReadModelsAtOpenAreFoldedAgainAndReported) {
  AppendHistory();
  Open("models");
  CatchUp();
  Corrupt(keys::TenderKey("T-2"), "\x0a\xff");
  engine_.reset();
  Open("models");
  ProjectionStatus status = engine_->Status();
  ASSERT_TRUE(status.last_error.has_value());
  EXPECT_THAT(status.last_error->status, StatusIs(absl::StatusCode::kDataLoss, HasSubstr("t/T-2")));
  EXPECT_EQ(status.checkpoint, 0u);  // cleared, folded again from position 1
  EXPECT_THAT(Lines("read models do not parse"), SizeIs(1));
  CatchUp();
  ASSERT_OK_AND_ASSIGN(Dump dump, engine_->Dump());
  EXPECT_EQ(dump, Reference());
}

TEST_F(EngineFailureTest, AnUnreadableCheckpointIsAnErrorNeverZero) {
  AppendHistory();
  Open("models");
  CatchUp();
  engine_.reset();
  std::unique_ptr<storage::KvStore> store = Store("models");
  faulty_->Fail(Op::kGet, -1, absl::UnavailableError("injected: I/O error"), "m/checkpoint/");
  EXPECT_THAT(ProjectionEngine::Open(log_.get(), std::move(store), Options()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("I/O error")));
  // With the same store readable, the engine resumes where it was.
  Open("models");
  EXPECT_EQ(engine_->Status().checkpoint, log_->HeadPosition().value());
}

TEST_F(EngineFailureTest, AnUnreadableStoreFileFailsTheOpen) {
  AppendHistory();
  {
    auto faults = std::make_shared<storage::FileFaults>();
    ASSERT_OK_AND_ASSIGN(engine_,
                         ProjectionEngine::Open(log_.get(), Store("models", faults), Options()));
    CatchUp();
    engine_.reset();  // closing flushes the read models into table files
  }
  auto faults = std::make_shared<storage::FileFaults>();
  std::unique_ptr<storage::KvStore> store = Store("models", faults);
  faults->Fail(storage::FileFaults::Kind::kRead, -1);
  EXPECT_THAT(ProjectionEngine::Open(log_.get(), std::move(store), Options()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("injected fault: read")));
}

TEST_F(EngineFailureTest, ARebuildWhoseFlushFailsKeepsTheOldModelsAndCanBeRetried) {
  AppendHistory();
  auto faults = std::make_shared<storage::FileFaults>();
  ASSERT_OK_AND_ASSIGN(engine_,
                       ProjectionEngine::Open(log_.get(), Store("models", faults), Options()));
  CatchUp();
  ASSERT_OK_AND_ASSIGN(Dump before, engine_->Dump());
  faults->Fail(storage::FileFaults::Kind::kWrite, -1, storage::FileFaults::Error::kNoSpace);
  EXPECT_THAT(engine_->Rebuild([](uint64_t, uint64_t) {}),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("injected fault: write")));
  // Queries still read the old models, and the runner still follows the log.
  EXPECT_FALSE(engine_->Status().rebuilding);
  ASSERT_OK_AND_ASSIGN(Dump after, engine_->Dump());
  EXPECT_EQ(after, before);
  ASSERT_OK_AND_ASSIGN(auto tender, engine_->GetTender("T-2"));
  ASSERT_TRUE(tender.has_value());
  faults->Clear();
  Append("T-1", Document(Day(6)));
  ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(20)));
  ASSERT_THAT(engine_->Rebuild([](uint64_t, uint64_t) {}), IsOk());
  ASSERT_OK_AND_ASSIGN(Dump rebuilt, engine_->Dump());
  EXPECT_EQ(rebuilt, Reference());
}

// A failed flush makes the store open itself again from what is durable,
// dropping buffered writes: the runner's next write is refused (its epoch is
// gone), it reads back the checkpoint the store holds, and folds the rest
// again. Nothing is lost and nothing doubled (the actor chunks are appended
// to: folding twice onto them would double them).
TEST_F(EngineFailureTest, WhenTheStoreDropsBufferedWritesTheRunnerFoldsThemAgain) {
  AppendHistory();
  auto faults = std::make_shared<storage::FileFaults>();
  ASSERT_OK_AND_ASSIGN(engine_,
                       ProjectionEngine::Open(log_.get(), Store("models", faults), Options()));
  CatchUp();
  const uint64_t epoch = faulty_->inner().Epoch();
  faults->Fail(storage::FileFaults::Kind::kWrite, -1);
  EXPECT_THAT(faulty_->inner().Flush(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("injected fault: write")));
  faults->Clear();
  Append("T-1", Document(Day(6)));
  ASSERT_TRUE(engine_->WaitForPosition(log_->HeadPosition().value(), absl::Seconds(20)));
  EXPECT_EQ(faulty_->inner().Epoch(), epoch + 1);
  const ProjectionStatus status = engine_->Status();
  ASSERT_TRUE(status.last_error.has_value());
  EXPECT_THAT(status.last_error->status,
              StatusIs(absl::StatusCode::kAborted, HasSubstr("dropped buffered writes")));
  EXPECT_THAT(Lines("read models hold less than was written"), SizeIs(1));
  ASSERT_OK_AND_ASSIGN(Dump dump, engine_->Dump());
  EXPECT_EQ(dump, Reference());
}

// Read models ahead of the log (the log lost events, or was put back from an
// older copy): reported as DATA_LOSS, nothing folded (what is appended at
// the lost positions would be skipped) until a rebuild from the log as it is.
TEST_F(EngineFailureTest, ReadModelsAheadOfTheLogStopUntilARebuild) {
  AppendHistory();
  Open("models");
  CatchUp();
  engine_.reset();
  eventlog::RocksEventLog::Options options;
  options.path = dir_.path() + "/shorter";
  options.sync = false;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<eventlog::RocksEventLog> shorter,
                       eventlog::RocksEventLog::Open(options));
  eventlog::ReadAllRequest read;
  read.max_count = 3;
  ASSERT_OK_AND_ASSIGN(eventlog::ReadAllResult first, log_->ReadAll(read));
  for (const eventlog::RecordedEvent& event : first.events) {
    eventlog::ProposedEvent again;
    again.event_id = event.event_id;
    again.type = event.type;
    again.data = event.data;
    again.occurred_at = event.occurred_at;
    again.actor = event.actor;
    ASSERT_THAT(shorter->Append(event.stream_id, eventlog::ExpectedRevision::Any(), {again}),
                IsOk());
  }
  Open("models", shorter.get());
  engine_->Start();
  std::optional<RunnerError> error;
  for (int i = 0; i < 200 && !error; ++i) {
    error = engine_->Status().last_error;
    if (!error) absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(error.has_value());
  EXPECT_THAT(error->status,
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("the read models hold the log up to position 6, but the log "
                                 "ends at position 3")));
  EXPECT_EQ(engine_->Status().checkpoint, 6u) << "nothing folded";
  ASSERT_THAT(engine_->Rebuild([](uint64_t, uint64_t) {}), IsOk());
  EXPECT_EQ(engine_->Status().checkpoint, 3u);
  engine_.reset();
}

TEST_F(EngineFailureTest, TheLogGoingAwayIsReportedAndRetried) {
  AppendHistory();
  FlakyLog flaky(log_.get());
  flaky.FailSubscribes(4);
  Open("models", &flaky);
  CatchUp();
  EXPECT_EQ(flaky.refused(), 4);
  const ProjectionStatus status = engine_->Status();
  ASSERT_TRUE(status.last_error.has_value());
  EXPECT_THAT(status.last_error->status,
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("subscribing to the log: the event store at 10.0.0.7:50051")));
  EXPECT_EQ(status.last_error->total_failures, 4u);
  EXPECT_EQ(status.last_error->failures_in_a_row, 0u);
  EXPECT_THAT(Lines("runner failed"), SizeIs(1));
  EXPECT_THAT(Lines("runner failed")[0], HasSubstr(" WARN "));
}

}  // namespace
}  // namespace bidtrail::projection
