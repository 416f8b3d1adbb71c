// The importer over a real log: the fixtures folder end to end, idempotent
// re-imports, releases that changed since they were imported, streams that
// already hold events, progress, the summary formats, and storage failures
// injected at the EventStore seam.
#include "bidtrail/ocds/importer.h"

#include <zlib.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/uuid.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/ocds/mapping.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/decide.h"
#include "bidtrail/tender/state.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace bidtrail::ocds {
namespace {

using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::ScratchDir;
using ::bidtrail::testing::StatusIs;
using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

const std::string kTestdata = BIDTRAIL_OCDS_TESTDATA;

std::unique_ptr<eventlog::RocksEventLog> OpenLog(const ScratchDir& dir) {
  eventlog::RocksEventLog::Options options;
  options.path = dir.path() + "/log";
  options.sync = false;
  absl::StatusOr<std::unique_ptr<eventlog::RocksEventLog>> log =
      eventlog::RocksEventLog::Open(options);
  EXPECT_TRUE(log.ok()) << log.status();
  return log.ok() ? std::move(*log) : nullptr;
}

std::vector<eventlog::RecordedEvent> ReadTender(eventlog::EventStore* store,
                                                const std::string& ocid) {
  eventlog::ReadStreamRequest request;
  request.stream_id = tender::StreamIdOf(TenderIdOf(ocid));
  absl::StatusOr<eventlog::ReadStreamResult> result = store->ReadStream(request);
  EXPECT_TRUE(result.ok()) << result.status();
  return result.ok() ? result->events : std::vector<eventlog::RecordedEvent>();
}

tender::TenderState FoldTender(eventlog::EventStore* store, const std::string& ocid) {
  std::vector<v1::TenderEvent> events;
  for (const eventlog::RecordedEvent& record : ReadTender(store, ocid)) {
    std::optional<v1::TenderEvent> event = tender::DecodeEvent(record.type, record.data);
    EXPECT_TRUE(event.has_value()) << record.type;
    if (event) events.push_back(*event);
  }
  return tender::Fold(events);
}

void WriteFile(const std::string& path, const std::string& contents) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary);
  out << contents;
}

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

uint64_t Sum(const std::map<std::string, uint64_t>& counts) {
  uint64_t total = 0;
  for (const auto& [reason, count] : counts) total += count;
  return total;
}

// Passes everything to a real store; Append fails as configured.
class FaultyStore : public eventlog::EventStore {
 public:
  explicit FaultyStore(eventlog::EventStore* inner) : inner_(inner) {}

  // After `successes` more appends, the next `count` appends fail with
  // `status` (ABORTED: as if someone else appended first).
  void FailAppends(int count, absl::Status status, int successes = 0) {
    absl::MutexLock lock(&mu_);
    successes_first_ = successes;
    failures_left_ = count;
    failure_ = std::move(status);
  }
  int appends() {
    absl::MutexLock lock(&mu_);
    return appends_;
  }

  absl::StatusOr<eventlog::AppendResult> Append(
      const std::string& stream_id, const eventlog::ExpectedRevision& expected,
      const std::vector<eventlog::ProposedEvent>& events) override {
    {
      absl::MutexLock lock(&mu_);
      ++appends_;
      if (successes_first_ > 0) {
        --successes_first_;
      } else if (failures_left_ > 0) {
        --failures_left_;
        return failure_;
      }
    }
    return inner_->Append(stream_id, expected, events);
  }
  absl::StatusOr<eventlog::ReadStreamResult> ReadStream(
      const eventlog::ReadStreamRequest& request) override {
    return inner_->ReadStream(request);
  }
  absl::StatusOr<eventlog::ReadAllResult> ReadAll(
      const eventlog::ReadAllRequest& request) override {
    return inner_->ReadAll(request);
  }
  absl::StatusOr<eventlog::StreamInfo> GetStreamInfo(const std::string& stream_id) override {
    return inner_->GetStreamInfo(stream_id);
  }
  absl::StatusOr<uint64_t> HeadPosition() override { return inner_->HeadPosition(); }
  absl::StatusOr<std::unique_ptr<eventlog::Subscription>> Subscribe(
      const eventlog::SubscribeRequest& request) override {
    return inner_->Subscribe(request);
  }
  absl::StatusOr<eventlog::VerifyResult> Verify() override { return inner_->Verify(); }
  absl::StatusOr<uint64_t> Backup(const std::string& path) override { return inner_->Backup(path); }

 private:
  eventlog::EventStore* const inner_;
  absl::Mutex mu_;
  int successes_first_ ABSL_GUARDED_BY(mu_) = 0;
  int failures_left_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status failure_ ABSL_GUARDED_BY(mu_);
  int appends_ ABSL_GUARDED_BY(mu_) = 0;
};

class ImporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    log_ = OpenLog(dir_);
    ASSERT_NE(log_, nullptr);
  }

  absl::StatusOr<ImportSummary> Import(const std::vector<std::string>& paths,
                                       const ImportOptions& options = ImportOptions()) {
    return ImportPaths(paths, log_.get(), options, nullptr);
  }

  ScratchDir dir_;
  std::unique_ptr<eventlog::RocksEventLog> log_;
};

TEST_F(ImporterTest, TheFixturesFolderImportsAndEveryReleaseIsAccountedFor) {
  ASSERT_OK_AND_ASSIGN(ImportSummary summary, Import({kTestdata}));
  EXPECT_EQ(summary.files, 12u);  // readme.txt is not looked at
  EXPECT_THAT(summary.files_skipped,
              UnorderedElementsAre(Pair("invalid_json", 1), Pair("unrecognized_document", 1)));
  EXPECT_EQ(summary.releases, 18u);
  EXPECT_EQ(summary.releases_mapped, 14u);
  EXPECT_THAT(summary.releases_skipped,
              UnorderedElementsAre(Pair("release_without_ocid", 1), Pair("release_without_id", 1),
                                   Pair("conflicting_release", 1), Pair("duplicate_release", 1)));
  EXPECT_EQ(summary.releases, summary.releases_mapped + Sum(summary.releases_skipped));
  EXPECT_EQ(summary.records, 3u);
  EXPECT_EQ(summary.linked_releases, 3u);
  EXPECT_EQ(summary.compiled_releases_unused, 1u);
  EXPECT_EQ(summary.processes, 8u);
  EXPECT_EQ(summary.tenders, 8u);
  EXPECT_EQ(summary.bids, 13u);   // lots 4, single 3, record 2, array 1, odd 3
  EXPECT_EQ(summary.awards, 9u);  // lots 2, single 1, record 1, cancelled 1, gz 2, odd 2
  EXPECT_EQ(summary.events_appended, summary.events_mapped);
  EXPECT_EQ(summary.events_already_recorded, 0u);
  EXPECT_EQ(summary.events_by_type["TenderDiscovered"], 8u);
  EXPECT_EQ(summary.events_by_type["BidSubmitted"], summary.bids);
  EXPECT_EQ(summary.events_by_type["AwardAnnounced"], summary.awards);
  EXPECT_EQ(summary.skipped["award_status_backwards"], 1u);
  EXPECT_EQ(summary.skipped["bid_invited_only"], 1u);
  EXPECT_EQ(summary.problems_total, 3u);  // two files, one conflicting release
  EXPECT_THAT(summary.problems, Contains(HasSubstr("truncated.json: not valid JSON")));
  EXPECT_THAT(summary.problems, Contains(HasSubstr("not_ocds.json: not an OCDS document")));
  EXPECT_THAT(summary.problems, Contains(HasSubstr("release c-1 has copies")));
  ASSERT_OK_AND_ASSIGN(uint64_t head, log_->HeadPosition());
  EXPECT_EQ(head, summary.events_appended);
}

TEST_F(ImporterTest, EventsCarryBusinessTimesActorAndTheirRelease) {
  ImportOptions options;
  options.actor = "nightly-ocds";
  ASSERT_OK_AND_ASSIGN(ImportSummary summary,
                       Import({kTestdata + "/package/lots_release_package.json"}, options));
  const std::vector<eventlog::RecordedEvent> events = ReadTender(log_.get(), "ocds-fixture-lots");
  ASSERT_EQ(events.size(), 10u);
  EXPECT_EQ(events[0].stream_id, "tender-ocds-fixture-lots");
  EXPECT_EQ(events[0].type, "bidtrail.v1.TenderDiscovered");
  EXPECT_EQ(events[0].occurred_at,
            absl::FromCivil(absl::CivilDay(2021, 1, 10), absl::UTCTimeZone()));
  EXPECT_EQ(events[0].actor, "nightly-ocds");
  EXPECT_EQ(events[0].correlation_id, "ocds-release:lots-01-tender");
  EXPECT_THAT(events[0].causation_id, HasSubstr("ocds-content:"));
  EXPECT_EQ(events[9].type, "bidtrail.v1.TenderUnsuccessful");
  EXPECT_EQ(events[9].correlation_id, "ocds-release:lots-03-award-update");
  // The ids the pure mapping derives.
  const TenderMapping mapping = [] {
    absl::StatusOr<std::string> json =
        ReadInputFile(kTestdata + "/package/lots_release_package.json");
    absl::StatusOr<Document> document = ParseDocument(*json, "x");
    return MapReleases("ocds-fixture-lots", document->releases);
  }();
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(events[i].event_id, mapping.events[i].event_id);
  }
}

TEST_F(ImporterTest, ImportingAgainAppendsNothing) {
  ASSERT_OK_AND_ASSIGN(ImportSummary first, Import({kTestdata}));
  ASSERT_OK_AND_ASSIGN(uint64_t head, log_->HeadPosition());
  ASSERT_OK_AND_ASSIGN(ImportSummary second, Import({kTestdata}));
  EXPECT_EQ(second.events_appended, 0u);
  EXPECT_EQ(second.events_already_recorded, first.events_appended);
  EXPECT_EQ(second.events_mapped, first.events_mapped);
  EXPECT_EQ(second.bids, first.bids);
  EXPECT_EQ(second.releases_mapped, first.releases_mapped);
  EXPECT_THAT(second.skipped, first.skipped);
  ASSERT_OK_AND_ASSIGN(uint64_t head_after, log_->HeadPosition());
  EXPECT_EQ(head_after, head);
  ASSERT_OK_AND_ASSIGN(eventlog::VerifyResult verify, log_->Verify());
  EXPECT_TRUE(verify.ok) << verify.problem;
}

TEST_F(ImporterTest, ConcurrentAppendersGiveTheSameLog) {
  ImportOptions one;
  one.append_threads = 1;
  ASSERT_OK_AND_ASSIGN(ImportSummary serial, Import({kTestdata}, one));
  ScratchDir other_dir;
  std::unique_ptr<eventlog::RocksEventLog> other = OpenLog(other_dir);
  ImportOptions many;
  many.append_threads = 8;
  ASSERT_OK_AND_ASSIGN(ImportSummary parallel,
                       ImportPaths({kTestdata}, other.get(), many, nullptr));
  EXPECT_EQ(parallel.events_appended, serial.events_appended);
  for (const char* ocid : {"ocds-fixture-lots", "ocds-fixture-odd", "ocds-fixture-single"}) {
    const std::vector<eventlog::RecordedEvent> a = ReadTender(log_.get(), ocid);
    const std::vector<eventlog::RecordedEvent> b = ReadTender(other.get(), ocid);
    ASSERT_EQ(a.size(), b.size()) << ocid;
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_EQ(a[i].event_id, b[i].event_id);
      EXPECT_EQ(a[i].data, b[i].data);
    }
  }
}

TEST_F(ImporterTest, LaterReleasesOfAnImportedTenderAreAppended) {
  // First only the tender release, then the whole package.
  const std::string package = Slurp(kTestdata + "/package/lots_release_package.json");
  ASSERT_OK_AND_ASSIGN(Document document, ParseDocument(package, "package"));
  const std::string only_tender = dir_.path() + "/only_tender.json";
  const size_t start =
      package.find("{\n      \"ocid\": \"ocds-fixture-lots\",\n      \"id\": \"lots-01");
  const size_t end =
      package.find("    {\n      \"ocid\": \"ocds-fixture-lots\",\n      \"id\": \"lots-02");
  ASSERT_NE(start, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string release = package.substr(start, end - start);
  release = release.substr(0, release.rfind(','));
  WriteFile(only_tender, release);

  ASSERT_OK_AND_ASSIGN(ImportSummary first, Import({only_tender}));
  EXPECT_EQ(first.events_appended, 1u);
  ASSERT_OK_AND_ASSIGN(ImportSummary second,
                       Import({kTestdata + "/package/lots_release_package.json"}));
  EXPECT_EQ(second.events_already_recorded, 1u);
  EXPECT_EQ(second.events_appended, 9u);
  const tender::TenderState state = FoldTender(log_.get(), "ocds-fixture-lots");
  EXPECT_EQ(state.FindLot("L1")->AwardInForce()->award.award_id(), "A2");
  EXPECT_EQ(state.FindLot("L2")->status, v1::LOT_STATUS_UNSUCCESSFUL);
}

TEST_F(ImporterTest, AReleaseThatChangedSinceItWasImportedIsReportedNotImported) {
  ASSERT_OK_AND_ASSIGN(ImportSummary first, Import({kTestdata + "/conflict/second.json"}));
  EXPECT_EQ(first.events_appended, 1u);
  ASSERT_OK_AND_ASSIGN(ImportSummary second, Import({kTestdata + "/conflict/first.json"}));
  EXPECT_EQ(second.events_appended, 0u);
  EXPECT_EQ(second.releases_mapped, 0u);
  EXPECT_THAT(second.releases_skipped, ElementsAre(Pair("release_changed_since_import", 1)));
  EXPECT_EQ(second.releases, second.releases_mapped + Sum(second.releases_skipped));
  EXPECT_THAT(second.problems,
              ElementsAre(HasSubstr("release c-1 was imported before with other content")));
  const tender::TenderState state = FoldTender(log_.get(), "ocds-fixture-conflict");
  EXPECT_EQ(state.details.estimated_value().amount(), "200");
}

TEST_F(ImporterTest, EventsAStreamAlreadyHasAreNotRepeated) {
  // The tender was entered by hand before its public data was imported.
  v1::TenderEvent discovered;
  v1::TenderDiscovered* tender = discovered.mutable_tender_discovered();
  tender->set_tender_id("ocds-fixture-single");
  tender->set_title("Oxygen concentrators (found at a field visit)");
  tender->set_discovery_channel(v1::DISCOVERY_CHANNEL_FIELD_VISIT);
  ToProtoTime(absl::FromUnixSeconds(1640000000), tender->mutable_occurred_at());
  v1::TenderEvent bid;
  bid.mutable_bid_submitted()->set_tender_id("ocds-fixture-single");
  bid.mutable_bid_submitted()->mutable_bidder()->set_id("UA-EDR-22222222");
  ToProtoTime(absl::FromUnixSeconds(1642000000),
              bid.mutable_bid_submitted()->mutable_occurred_at());
  std::vector<eventlog::ProposedEvent> by_hand;
  for (const v1::TenderEvent& event : {discovered, bid}) {
    eventlog::ProposedEvent& proposed = by_hand.emplace_back();
    proposed.event_id = NameBasedUuid(tender::EventTypeName(event));
    proposed.type = tender::EventTypeName(event);
    proposed.data = tender::EncodeEventData(event);
    proposed.occurred_at = tender::OccurredAtOf(event);
    proposed.actor = "alice";
  }
  ASSERT_THAT(
      log_->Append("tender-ocds-fixture-single", eventlog::ExpectedRevision::NoStream(), by_hand),
      IsOk());

  ASSERT_OK_AND_ASSIGN(ImportSummary summary, Import({kTestdata + "/single/release.json"}));
  EXPECT_EQ(summary.events_mapped, 6u);
  EXPECT_EQ(summary.events_appended, 4u);
  EXPECT_EQ(summary.skipped["already_in_log"], 2u);
  const tender::TenderState state = FoldTender(log_.get(), "ocds-fixture-single");
  EXPECT_EQ(state.details.discovery_channel(), v1::DISCOVERY_CHANNEL_FIELD_VISIT);
  EXPECT_EQ(state.lots[0].bids.size(), 3u);
  ASSERT_NE(state.lots[0].AwardInForce(), nullptr);
  // Again: nothing new.
  ASSERT_OK_AND_ASSIGN(ImportSummary again, Import({kTestdata + "/single/release.json"}));
  EXPECT_EQ(again.events_appended, 0u);
  EXPECT_EQ(again.events_already_recorded, 4u);
}

TEST_F(ImporterTest, GzipFilesAreReadAndCorruptOnesSkipped) {
  const std::string good = Slurp(kTestdata + "/gz/package.json.gz");
  WriteFile(dir_.path() + "/in/good.json.gz", good);
  WriteFile(dir_.path() + "/in/truncated.json.gz", good.substr(0, good.size() / 2));
  WriteFile(dir_.path() + "/in/garbage.json.gz", "this is not gzip at all");
  ASSERT_OK_AND_ASSIGN(ImportSummary summary, Import({dir_.path() + "/in"}));
  EXPECT_EQ(summary.files, 3u);
  EXPECT_THAT(summary.files_skipped, ElementsAre(Pair("invalid_gzip", 2)));
  EXPECT_THAT(summary.problems, Contains(HasSubstr("truncated.json.gz: corrupt gzip data")));
  EXPECT_EQ(summary.releases_mapped, 1u);
  EXPECT_EQ(summary.awards, 2u);
}

TEST_F(ImporterTest, ConcatenatedGzipMembersAreOneFile) {
  const std::string part1 =
      R"({"uri": "u", "publishedDate": "2020-01-01T00:00:00Z", "releases": [)";
  const std::string part2 =
      R"({"ocid": "ocds-gz-2", "id": "r", "date": "2020-01-01T00:00:00Z", "tender": {"id": "t"}}]})";
  std::string compressed;
  for (const std::string& part : {part1, part2}) {
    uLongf size = compressBound(part.size()) + 64;
    std::string member(size, '\0');
    z_stream stream{};
    ASSERT_EQ(deflateInit2(&stream, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(part.data()));
    stream.avail_in = static_cast<uInt>(part.size());
    stream.next_out = reinterpret_cast<Bytef*>(member.data());
    stream.avail_out = static_cast<uInt>(member.size());
    ASSERT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
    member.resize(stream.total_out);
    deflateEnd(&stream);
    compressed += member;
  }
  WriteFile(dir_.path() + "/two.json.gz", compressed);
  ASSERT_OK_AND_ASSIGN(std::string text, ReadInputFile(dir_.path() + "/two.json.gz"));
  EXPECT_EQ(text, part1 + part2);
}

TEST_F(ImporterTest, DryRunMapsAndAppendsNothing) {
  ImportOptions options;
  options.dry_run = true;
  ASSERT_OK_AND_ASSIGN(ImportSummary summary, ImportPaths({kTestdata}, nullptr, options, nullptr));
  EXPECT_GT(summary.events_mapped, 0u);
  EXPECT_EQ(summary.events_appended, 0u);
  EXPECT_EQ(summary.tenders, 8u);
}

TEST_F(ImporterTest, ProgressIsReportedUntilDone) {
  std::vector<Progress> seen;
  ASSERT_OK_AND_ASSIGN(ImportSummary summary,
                       ImportPaths({kTestdata}, log_.get(), ImportOptions(),
                                   [&](const Progress& progress) { seen.push_back(progress); }));
  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front().files_total, 12u);
  const Progress& last = seen.back();
  EXPECT_EQ(last.phase, Progress::Phase::kDone);
  EXPECT_EQ(last.files_done, 12u);
  EXPECT_EQ(last.processes_done, summary.processes);
  EXPECT_EQ(last.processes_total, summary.processes);
  EXPECT_EQ(last.events_appended, summary.events_appended);
  EXPECT_EQ(last.releases_read, summary.releases);
}

TEST_F(ImporterTest, SummaryAsJsonAndText) {
  ASSERT_OK_AND_ASSIGN(ImportSummary summary, Import({kTestdata}));
  const std::string json = summary.ToJson();
  EXPECT_EQ(json.find('\n'), std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  uint64_t releases = 0;
  ASSERT_EQ(root["releases"].get(releases), simdjson::SUCCESS);
  EXPECT_EQ(releases, 18u);
  uint64_t conflicting = 0;
  ASSERT_EQ(root["releases_skipped"]["conflicting_release"].get(conflicting), simdjson::SUCCESS);
  EXPECT_EQ(conflicting, 1u);
  uint64_t appended = 0;
  ASSERT_EQ(root["events_appended"].get(appended), simdjson::SUCCESS);
  EXPECT_EQ(appended, summary.events_appended);
  simdjson::dom::array problems;
  ASSERT_EQ(root["problems"].get(problems), simdjson::SUCCESS);
  EXPECT_EQ(problems.size(), 3u);

  const std::string text = summary.ToText();
  EXPECT_THAT(text, HasSubstr("releases                           18  14 mapped, 4 skipped"));
  EXPECT_THAT(text, HasSubstr("conflicting_release"));
  EXPECT_THAT(text, HasSubstr("problems (3):"));
}

TEST_F(ImporterTest, AbortedAppendsAreRetried) {
  FaultyStore store(log_.get());
  store.FailAppends(3, absl::AbortedError("stream tender-x: its last revision is 4"));
  ImportOptions options;
  options.append_threads = 1;
  ASSERT_OK_AND_ASSIGN(ImportSummary summary,
                       ImportPaths({kTestdata + "/package"}, &store, options, nullptr));
  EXPECT_EQ(summary.events_appended, 10u);
  EXPECT_EQ(store.appends(), 4);
}

TEST_F(ImporterTest, AConflictAfterPartOfATenderWasAppendedCountsEveryEventOnce) {
  FaultyStore store(log_.get());
  store.FailAppends(1, absl::AbortedError("stream tender-x: its last revision is 2"),
                    /*successes=*/1);
  ImportOptions options;
  options.max_events_per_append = 3;
  ASSERT_OK_AND_ASSIGN(ImportSummary summary,
                       ImportPaths({kTestdata + "/package"}, &store, options, nullptr));
  EXPECT_EQ(summary.events_appended, 10u);
  EXPECT_EQ(summary.events_already_recorded, 0u);
  EXPECT_EQ(store.appends(), 5);  // 3, refused, then the other 7 as 3 + 3 + 1
  EXPECT_EQ(ReadTender(log_.get(), "ocds-fixture-lots").size(), 10u);
}

TEST_F(ImporterTest, AStreamThatKeepsChangingEndsTheImportWithAborted) {
  FaultyStore store(log_.get());
  store.FailAppends(1000, absl::AbortedError("stream tender-x: its last revision is 4"));
  ImportOptions options;
  options.max_append_attempts = 3;
  EXPECT_THAT(ImportPaths({kTestdata + "/package"}, &store, options, nullptr),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("kept changing during the import")));
}

TEST_F(ImporterTest, StorageFailureEndsTheImportAndImportingAgainContinues) {
  FaultyStore store(log_.get());
  store.FailAppends(1000, absl::UnavailableError("RocksDB: IO error: disk full"));
  ImportOptions options;
  options.append_threads = 1;
  EXPECT_THAT(ImportPaths({kTestdata}, &store, options, nullptr),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr("disk full (after appending 0 events; importing again")));
  store.FailAppends(0, absl::OkStatus());
  ASSERT_OK_AND_ASSIGN(ImportSummary summary, ImportPaths({kTestdata}, &store, options, nullptr));
  EXPECT_EQ(summary.events_appended, summary.events_mapped);
}

TEST_F(ImporterTest, RefusedAppendsAreCountedAndTheImportGoesOn) {
  FaultyStore store(log_.get());
  store.FailAppends(1, absl::InvalidArgumentError("events[0].data: too big"));
  ImportOptions options;
  options.append_threads = 1;
  ASSERT_OK_AND_ASSIGN(ImportSummary summary, ImportPaths({kTestdata}, &store, options, nullptr));
  EXPECT_GT(summary.skipped["append_rejected"], 0u);
  EXPECT_EQ(summary.events_appended + summary.skipped["append_rejected"], summary.events_mapped);
  EXPECT_THAT(summary.problems, Contains(HasSubstr("the log refused")));
}

TEST_F(ImporterTest, SmallAppendsSplitALongTender) {
  ImportOptions options;
  options.max_events_per_append = 3;
  FaultyStore store(log_.get());
  ASSERT_OK_AND_ASSIGN(ImportSummary summary,
                       ImportPaths({kTestdata + "/package"}, &store, options, nullptr));
  EXPECT_EQ(summary.events_appended, 10u);
  EXPECT_EQ(store.appends(), 4);  // 3 + 3 + 3 + 1
  EXPECT_EQ(ReadTender(log_.get(), "ocds-fixture-lots").size(), 10u);
}

TEST_F(ImporterTest, BadArgumentsAreRefused) {
  EXPECT_THAT(Import({}), StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("paths")));
  EXPECT_THAT(Import({kTestdata + "/does-not-exist"}),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("does-not-exist: no such file")));
  ImportOptions options;
  options.max_events_per_append = 0;
  EXPECT_THAT(Import({kTestdata}, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_events_per_append: 0")));
  options = ImportOptions();
  options.append_threads = 0;
  EXPECT_THAT(Import({kTestdata}, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("append_threads: 0")));
  options = ImportOptions();
  options.actor = "";
  EXPECT_THAT(Import({kTestdata}, options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("actor")));
  EXPECT_THAT(ImportPaths({kTestdata}, nullptr, ImportOptions(), nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("store")));
}

TEST_F(ImporterTest, AFileNamedExplicitlyIsReadWhateverItsExtension) {
  WriteFile(dir_.path() + "/export.ocds", Slurp(kTestdata + "/single/release.json"));
  ASSERT_OK_AND_ASSIGN(ImportSummary summary, Import({dir_.path() + "/export.ocds"}));
  EXPECT_EQ(summary.files, 1u);
  EXPECT_EQ(summary.releases_mapped, 1u);
}

}  // namespace
}  // namespace bidtrail::ocds
