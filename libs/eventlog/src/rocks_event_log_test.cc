#include "bidtrail/eventlog/rocks_event_log.h"

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "bidtrail/common/big_endian.h"
#include "bidtrail/eventlog/nats_upstream.h"
#include "bidtrail/testing/nats_cluster.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "record_codec.h"
#include "rocksdb/db.h"
#include "rocksdb/write_batch.h"
#include "witness.h"

namespace bidtrail::eventlog {
namespace {

using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::ScratchDir;
using ::bidtrail::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

std::string Id(uint64_t n) { return absl::StrFormat("00000000-0000-4000-8000-%012x", n); }

ProposedEvent Event(uint64_t n, std::string type = "bidtrail.v1.BidSubmitted") {
  ProposedEvent event;
  event.event_id = Id(n);
  event.type = std::move(type);
  event.data = absl::StrFormat("payload-%d", n);
  event.occurred_at = absl::FromUnixSeconds(1767225600 + static_cast<int64_t>(n));
  event.actor = "alice";
  event.correlation_id = "corr-1";
  event.causation_id = "cause-1";
  return event;
}

class RocksEventLogTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  // The log in dir_/log; on the JetStream backend (backend_ "nats"), a
  // replica of a stream of this test's own on the test cluster.
  void Reopen() {
    log_.reset();
    RocksEventLog::Options options;
    options.path = dir_.path() + "/log";
    options.sync = false;
    options.limits.max_events_per_append = 100;
    if (backend_ == "nats") {
      if (upstream_ == nullptr) {
        ASSERT_OK_AND_ASSIGN(testing::NatsCluster * cluster, testing::SharedNatsCluster());
        static int streams = 0;
        NatsUpstream::Options nats;
        nats.servers = cluster->Urls();
        nats.stream = absl::StrFormat("TEST_%d_%d", getpid(), ++streams);
        absl::StatusOr<std::unique_ptr<NatsUpstream>> connected = NatsUpstream::Connect(nats);
        ASSERT_TRUE(connected.ok()) << connected.status();
        upstream_ = std::move(connected).value();
      }
      options.upstream = upstream_;
    }
    auto opened = RocksEventLog::Open(options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    log_ = std::move(opened).value();
  }

  uint64_t Head() { return log_->HeadPosition().value(); }

  std::vector<RecordedEvent> ReadAllEvents() {
    ReadAllRequest request;
    request.max_count = 100000;
    auto result = log_->ReadAll(request);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->events : std::vector<RecordedEvent>{};
  }

  ScratchDir dir_;
  std::string backend_ = "rocksdb";
  std::shared_ptr<Upstream> upstream_;
  std::unique_ptr<RocksEventLog> log_;
};

// The contract of EventStore, on each backend: the embedded RocksDB log, and
// the log on a JetStream stream of a 3-node cluster (its replica here).
class LogContractTest : public RocksEventLogTest,
                        public ::testing::WithParamInterface<const char*> {
 protected:
  void SetUp() override {
    backend_ = GetParam();
    Reopen();
  }
};

INSTANTIATE_TEST_SUITE_P(Backends, LogContractTest, ::testing::Values("rocksdb", "nats"));

TEST_P(LogContractTest, AppendsAndReadsBackEveryField) {
  const absl::Time before = absl::Now();
  ASSERT_OK_AND_ASSIGN(AppendResult result, log_->Append("tender-1", ExpectedRevision::NoStream(),
                                                         {Event(1), Event(2), Event(3)}));
  EXPECT_EQ(result.first_revision, 0u);
  EXPECT_EQ(result.last_revision, 2u);
  EXPECT_EQ(result.first_position, 1u);
  EXPECT_EQ(result.last_position, 3u);
  EXPECT_FALSE(result.already_recorded);
  EXPECT_EQ(Head(), 3u);

  ReadStreamRequest read;
  read.stream_id = "tender-1";
  ASSERT_OK_AND_ASSIGN(ReadStreamResult stream, log_->ReadStream(read));
  ASSERT_EQ(stream.events.size(), 3u);
  EXPECT_TRUE(stream.end_of_stream);
  const RecordedEvent& first = stream.events[0];
  EXPECT_EQ(first.event_id, Id(1));
  EXPECT_EQ(first.stream_id, "tender-1");
  EXPECT_EQ(first.revision, 0u);
  EXPECT_EQ(first.position, 1u);
  EXPECT_EQ(first.type, "bidtrail.v1.BidSubmitted");
  EXPECT_EQ(first.data, "payload-1");
  EXPECT_EQ(first.occurred_at, absl::FromUnixSeconds(1767225601));
  EXPECT_GE(first.recorded_at, before - absl::Seconds(1));
  EXPECT_EQ(first.actor, "alice");
  EXPECT_EQ(first.correlation_id, "corr-1");
  EXPECT_EQ(first.causation_id, "cause-1");
  EXPECT_EQ(first.hash.size(), 32u);
  EXPECT_NE(first.hash, stream.events[1].hash);
  EXPECT_EQ(stream.events[2].hash, log_->ChainHead());

  ASSERT_OK_AND_ASSIGN(StreamInfo info, log_->GetStreamInfo("tender-1"));
  EXPECT_TRUE(info.exists);
  EXPECT_EQ(info.last_revision, 2u);
  EXPECT_EQ(info.event_count, 3u);
  ASSERT_OK_AND_ASSIGN(StreamInfo missing, log_->GetStreamInfo("tender-2"));
  EXPECT_FALSE(missing.exists);
  EXPECT_EQ(missing.event_count, 0u);
}

// The service that wrote an event for its actor is kept, read back and
// chained; an event without one is stored as records always were (no
// trailing field), so older logs read and verify unchanged.
TEST_P(LogContractTest, WrittenByIsKeptAndOptional) {
  ProposedEvent relayed = Event(2);
  relayed.written_by = "demo-loader";
  ASSERT_THAT(log_->Append("tender-1", ExpectedRevision::Any(), {Event(1), relayed}), IsOk());
  ReadStreamRequest read;
  read.stream_id = "tender-1";
  ASSERT_OK_AND_ASSIGN(ReadStreamResult stream, log_->ReadStream(read));
  ASSERT_EQ(stream.events.size(), 2u);
  EXPECT_EQ(stream.events[0].written_by, "");
  EXPECT_EQ(stream.events[1].written_by, "demo-loader");
  Reopen();
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, log_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;

  // The record bytes: the older layout exactly when written_by is empty.
  const internal::Placement placement{"tender-1", 0, 1, absl::FromUnixSeconds(1767225600)};
  const Uuid id{};
  std::string plain, with;
  internal::EncodeRecordBytes(placement, id, Event(1), &plain);
  internal::EncodeRecordBytes(placement, id, relayed, &with);
  EXPECT_EQ(with.size(), plain.size() + 1 + std::string("demo-loader").size());
  // The views point into the bytes parsed: kept alive while they are read.
  const std::string plain_stored = plain + std::string(32, 'h');
  const std::string with_stored = with + std::string(32, 'h');
  internal::RecordView view;
  ASSERT_THAT(internal::ParseRecord(plain_stored, &view), IsOk());
  EXPECT_EQ(view.written_by, "");
  ASSERT_THAT(internal::ParseRecord(with_stored, &view), IsOk());
  EXPECT_EQ(view.written_by, "demo-loader");
  // An empty trailing field is not a record this code writes.
  EXPECT_THAT(internal::ParseRecord(plain + std::string(1, '\0') + std::string(32, 'h'), &view),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("malformed")));

  ProposedEvent chatty = Event(3);
  chatty.written_by = std::string(201, 'w');
  EXPECT_THAT(log_->Append("tender-1", ExpectedRevision::Any(), {chatty}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[0].written_by: 201 bytes; at most 200")));
}

// The write-ahead log of a cleanly stopped log, cut or damaged in the
// middle: the log would come back shorter, silently. Its witness says how
// far it had acknowledged: the open is refused with DATA_LOSS naming the
// missing positions, or, when the operator accepts the loss, goes on and
// records it in the "$log" stream.
class DamagedWalTest : public RocksEventLogTest,
                       public ::testing::WithParamInterface<const char*> {};

TEST_P(DamagedWalTest, IsRefusedAtOpenOrAcceptedAndRecorded) {
  for (uint64_t i = 1; i <= 400; ++i) {
    ASSERT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(i)}), IsOk());
  }
  log_.reset();
  // The largest WAL file holds the appends (no flush at close).
  std::string wal;
  uintmax_t wal_size = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir_.path() + "/log")) {
    if (entry.path().extension() == ".log" && entry.file_size() > wal_size) {
      wal = entry.path().string();
      wal_size = entry.file_size();
    }
  }
  ASSERT_GT(wal_size, 10000u);
  if (std::string(GetParam()) == "cut") {
    std::filesystem::resize_file(wal, wal_size / 2);
  } else {
    std::fstream file(wal, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(wal_size / 2));
    file.write("0123456789abcdef", 16);
  }
  RocksEventLog::Options options;
  options.path = dir_.path() + "/log";
  options.sync = false;
  auto refused = RocksEventLog::Open(options);
  ASSERT_THAT(refused.status(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr(" to 400 were acknowledged")));
  EXPECT_THAT(refused.status().message(), HasSubstr("--accept_data_loss"));

  options.accept_data_loss = true;
  options.accepted_by = "console:ops";
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<RocksEventLog> accepted, RocksEventLog::Open(options));
    ReadStreamRequest read;
    read.stream_id = RocksEventLog::kLogStream;
    absl::StatusOr<ReadStreamResult> read_incidents = accepted->ReadStream(read);
    ASSERT_TRUE(read_incidents.ok()) << read_incidents.status();
    const ReadStreamResult& incidents = *read_incidents;
    ASSERT_EQ(incidents.events.size(), 1u);
    EXPECT_EQ(incidents.events[0].type, "bidtrail.v1.DataLossAccepted");
    EXPECT_EQ(incidents.events[0].actor, "console:ops");
    EXPECT_THAT(incidents.events[0].data, HasSubstr("were acknowledged"));
    ASSERT_OK_AND_ASSIGN(VerifyResult verified, accepted->Verify());
    EXPECT_TRUE(verified.ok) << verified.problem;
    // Appends go on from the new head.
    ASSERT_THAT(accepted->Append("t", ExpectedRevision::Any(), {Event(1000)}), IsOk());
  }
  // Accepted once: the log opens again as it now is.
  options.accept_data_loss = false;
  EXPECT_THAT(RocksEventLog::Open(options), IsOk());
  // Clients cannot write to the log's own stream.
  Reopen();
  EXPECT_THAT(log_->Append(RocksEventLog::kLogStream, ExpectedRevision::Any(), {Event(2000)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("reserved")));
}

INSTANTIATE_TEST_SUITE_P(CutAndFlipped, DamagedWalTest, ::testing::Values("cut", "flipped"));

// A log whose witness says a different record stands at the witnessed
// position (history rewritten under it) is refused too.
TEST_F(RocksEventLogTest, AWitnessOfAnotherHistoryIsRefused) {
  for (uint64_t i = 1; i <= 5; ++i) {
    ASSERT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(i)}), IsOk());
  }
  log_.reset();
  ASSERT_OK_AND_ASSIGN(std::optional<internal::Witness> witness,
                       internal::ReadWitness(dir_.path() + "/log"));
  ASSERT_TRUE(witness.has_value());
  EXPECT_EQ(witness->position, 5u);
  witness->position = 3;  // the hash of 5 claimed for 3
  ASSERT_THAT(internal::WriteWitness(dir_.path() + "/log", *witness), IsOk());
  RocksEventLog::Options options;
  options.path = dir_.path() + "/log";
  EXPECT_THAT(RocksEventLog::Open(options).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("the record at position 3 is not the one acknowledged there")));
}

// A nearly full disk: appends refused with RESOURCE_EXHAUSTED before RocksDB
// meets the full disk, reads going on, appends resuming by themselves once
// space is back, nothing acknowledged lost.
TEST_F(RocksEventLogTest, BelowTheFreeSpaceFloorAppendsWaitForSpace) {
  std::atomic<uint64_t> free_bytes{uint64_t{1} << 30};
  log_.reset();
  RocksEventLog::Options options;
  options.path = dir_.path() + "/log";
  options.sync = false;
  options.min_free_bytes = uint64_t{128} << 20;
  options.free_bytes = [&](const std::string& path) -> absl::StatusOr<uint64_t> {
    EXPECT_EQ(path, dir_.path() + "/log");
    return free_bytes.load();
  };
  ASSERT_OK_AND_ASSIGN(log_, RocksEventLog::Open(options));
  ASSERT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(1)}), IsOk());
  free_bytes = uint64_t{100} << 20;
  EXPECT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(2)}),
              StatusIs(absl::StatusCode::kResourceExhausted,
                       "the disk of " + dir_.path() +
                           "/log has 100 MiB free, below the floor of 128 MiB (bidtraild "
                           "--min_free_disk): appends are refused until space is freed, then "
                           "resume by themselves; reads go on, nothing acknowledged is lost"));
  EXPECT_EQ(Head(), 1u);
  EXPECT_EQ(ReadAllEvents().size(), 1u) << "reads go on";
  free_bytes = uint64_t{200} << 20;
  ASSERT_OK_AND_ASSIGN(AppendResult resumed,
                       log_->Append("t", ExpectedRevision::Any(), {Event(2)}));
  EXPECT_EQ(resumed.first_position, 2u);
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, log_->Verify());
  EXPECT_TRUE(verified.ok);
}

// A group commit whose WAL write or sync fails: not acknowledged, and the
// close of the failed WAL does not sync it (Debian's RocksDB aborts the
// process if it is synced again). The next append reopens the database by
// itself, as a restart would, and goes on: the failed append either landed
// once or not at all, and its retry by event id settles which. Reads go on
// throughout and never see a gap or part of an append.
class FailedCommitTest : public RocksEventLogTest,
                         public ::testing::WithParamInterface<storage::FileFaults::Kind> {
 protected:
  void OpenWithFaults(bool sync = true) {
    log_.reset();
    options_.path = dir_.path() + "/log";
    options_.sync = sync;
    options_.faults = faults_;
    options_.min_reopen_interval = absl::ZeroDuration();
    ASSERT_OK_AND_ASSIGN(log_, RocksEventLog::Open(options_));
  }
  // Reads the whole log in a loop until stopped, checking each read is
  // gapless from position 1 and holds whole appends of two events.
  void StartReader() {
    reader_ = std::thread([this] {
      while (!stop_reader_.load()) {
        ReadAllRequest request;
        request.max_count = 100000;
        absl::StatusOr<ReadAllResult> read = log_->ReadAll(request);
        if (!read.ok()) {
          reader_errors_.fetch_add(1);
          continue;
        }
        for (size_t i = 0; i < read->events.size(); ++i) {
          if (read->events[i].position != i + 1) gaps_.fetch_add(1);
        }
        if (read->events.size() % 2 != 0) half_visible_.fetch_add(1);
        reads_.fetch_add(1);
      }
    });
  }
  void StopReader() {
    stop_reader_ = true;
    reader_.join();
    EXPECT_EQ(gaps_.load(), 0u);
    EXPECT_EQ(half_visible_.load(), 0u);
    EXPECT_EQ(reader_errors_.load(), 0u);
    EXPECT_GT(reads_.load(), 0u);
  }
  absl::StatusOr<AppendResult> AppendPair(uint64_t n) {
    return log_->Append("t", ExpectedRevision::Any(), {Event(2 * n - 1), Event(2 * n)});
  }

  std::shared_ptr<storage::FileFaults> faults_ = std::make_shared<storage::FileFaults>();
  RocksEventLog::Options options_;
  std::thread reader_;
  std::atomic<bool> stop_reader_{false};
  std::atomic<uint64_t> gaps_{0}, half_visible_{0}, reader_errors_{0}, reads_{0};
};

TEST_P(FailedCommitTest, IsNotAcknowledgedAndTheLogReopensItself) {
  OpenWithFaults();
  ASSERT_THAT(AppendPair(1), IsOk());
  StartReader();
  faults_->Fail(GetParam(), 1);
  EXPECT_THAT(AppendPair(2),
              StatusIs(absl::StatusCode::kUnavailable,
                       AllOf(HasSubstr("injected fault"), HasSubstr("not acknowledged"),
                             HasSubstr("a retry with the same event ids settles it"))));
  EXPECT_EQ(faults_->injected(GetParam()), 1u);
  EXPECT_EQ(Head(), 2u) << "nothing unacknowledged is visible";
  // The retry reopens the log and settles the failed append.
  ASSERT_OK_AND_ASSIGN(AppendResult retried, AppendPair(2));
  EXPECT_EQ(retried.first_position, 3u);
  ASSERT_OK_AND_ASSIGN(AppendResult next, AppendPair(3));
  EXPECT_EQ(next.first_position, 5u);
  EXPECT_FALSE(next.already_recorded);
  StopReader();
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, log_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(verified.records_checked, 6u);
  // And a restart finds the same log.
  options_.faults = nullptr;
  log_.reset();
  ASSERT_OK_AND_ASSIGN(log_, RocksEventLog::Open(options_));
  EXPECT_EQ(Head(), 6u);
  EXPECT_EQ(log_->ChainHead(), verified.head_hash);
}

// The same with a power cut between the write and its sync: the write is
// lost with the power, so the append is not there after the restart, and
// everything acknowledged is.
TEST_P(FailedCommitTest, APowerCutAtTheStepLosesOnlyTheUnacknowledged) {
  OpenWithFaults();
  ASSERT_THAT(AppendPair(1), IsOk());
  StartReader();
  faults_->Fail(GetParam(), 1, storage::FileFaults::Error::kPowerCut);
  EXPECT_THAT(AppendPair(2), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("power cut")));
  // The machine is off: nothing more reaches the disk; the process is told so.
  EXPECT_THAT(AppendPair(3), StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  StopReader();
  log_.reset();
  ASSERT_THAT(faults_->DropUnsyncedData(), IsOk());
  OpenWithFaults();
  EXPECT_EQ(Head(), 2u);
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, log_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
  ASSERT_OK_AND_ASSIGN(AppendResult retried, AppendPair(2));
  EXPECT_EQ(retried.first_position, 3u);
  EXPECT_FALSE(retried.already_recorded);
}

INSTANTIATE_TEST_SUITE_P(WriteAndSync, FailedCommitTest,
                         ::testing::Values(storage::FileFaults::Kind::kWrite,
                                           storage::FileFaults::Kind::kSync));

// A disk that keeps failing: each append is refused with the error, reads go
// on, and once the disk is healthy again appends resume by themselves.
TEST_F(FailedCommitTest, AppendsResumeWhenTheDiskRecovers) {
  OpenWithFaults();
  ASSERT_THAT(AppendPair(1), IsOk());
  StartReader();
  faults_->Fail(storage::FileFaults::Kind::kWrite, -1);
  for (uint64_t n = 2; n <= 4; ++n) {
    EXPECT_THAT(AppendPair(n), StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  }
  EXPECT_EQ(ReadAllEvents().size(), 2u) << "reads go on";
  faults_->Clear();
  ASSERT_OK_AND_ASSIGN(AppendResult resumed, AppendPair(2));
  EXPECT_EQ(resumed.first_position, 3u);
  StopReader();
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, log_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(verified.records_checked, 4u);
}

// A reopen that cannot open the database for writing (here: the rename that
// installs its CURRENT file fails) leaves it open read-only: appends are
// refused saying so, reads, stream reads and verify go on; the next append
// after the fault clears reopens it for writing.
TEST_F(FailedCommitTest, AFailedReopenKeepsReadsGoing) {
  OpenWithFaults();
  ASSERT_THAT(AppendPair(1), IsOk());
  faults_->Fail(storage::FileFaults::Kind::kWrite, 1);
  EXPECT_THAT(AppendPair(2), StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  faults_->Fail(storage::FileFaults::Kind::kRename, -1);
  EXPECT_THAT(AppendPair(2), StatusIs(absl::StatusCode::kUnavailable,
                                      HasSubstr("failed a write and could not be opened again")));
  EXPECT_GT(faults_->injected(storage::FileFaults::Kind::kRename), 0u);
  EXPECT_EQ(ReadAllEvents().size(), 2u);
  ReadStreamRequest read;
  read.stream_id = "t";
  ASSERT_OK_AND_ASSIGN(ReadStreamResult stream, log_->ReadStream(read));
  EXPECT_EQ(stream.events.size(), 2u);
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, log_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
  faults_->Clear();
  ASSERT_OK_AND_ASSIGN(AppendResult resumed, AppendPair(2));
  EXPECT_EQ(resumed.first_position, 3u);
}

// A read failing before the write (the event id index, when the group is
// prepared): that append is refused, nothing is written, and the log goes on
// without a reopen.
TEST_F(FailedCommitTest, AReadFailingBeforeTheWriteWritesNothing) {
  OpenWithFaults();
  ASSERT_THAT(AppendPair(1), IsOk());
  // Reopened, the stream's index lives in a table file, read from disk.
  OpenWithFaults();
  faults_->Fail(storage::FileFaults::Kind::kRead, -1);
  EXPECT_THAT(AppendPair(2), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("injected")));
  EXPECT_GT(faults_->injected(storage::FileFaults::Kind::kRead), 0u);
  faults_->Clear();
  EXPECT_EQ(Head(), 2u);
  ASSERT_OK_AND_ASSIGN(AppendResult next, AppendPair(2));
  EXPECT_EQ(next.first_position, 3u);
}

// Power cuts at random moments under concurrent appenders, with sync on:
// after each, everything acknowledged is there, where it was acknowledged,
// and the log verifies; with sync off, the log comes back as a whole-append
// prefix of what was acknowledged.
class PowerCutTest : public FailedCommitTest {};

TEST_F(PowerCutTest, AtRandomMomentsNothingAcknowledgedIsLost) {
  for (const bool sync : {true, false}) {
    SCOPED_TRACE(sync ? "sync" : "no sync");
    std::mt19937_64 random(sync ? 7 : 8);
    uint64_t next_id = sync ? 1 : 1000000;
    uint64_t dropped = 0;
    for (int round = 0; round < 8; ++round) {
      OpenWithFaults(sync);
      struct Acked {
        std::string stream;
        uint64_t position;
        std::string first_id;
        uint64_t id;
      };
      absl::Mutex acked_mu;
      std::vector<Acked> acked;
      std::vector<std::thread> writers;
      std::atomic<uint64_t> ids{next_id};
      for (int w = 0; w < 4; ++w) {
        writers.emplace_back([&, w] {
          const std::string stream = absl::StrFormat("s%d", w);
          while (true) {
            const uint64_t id = ids.fetch_add(3);
            std::vector<ProposedEvent> events = {Event(id), Event(id + 1), Event(id + 2)};
            absl::StatusOr<AppendResult> appended =
                log_->Append(stream, ExpectedRevision::Any(), events);
            if (!appended.ok()) return;
            absl::MutexLock lock(&acked_mu);
            acked.push_back({stream, appended->first_position, Id(id), id});
          }
        });
      }
      std::this_thread::sleep_for(std::chrono::microseconds(random() % 20000));
      faults_->CutPower();
      for (std::thread& writer : writers) writer.join();
      next_id = ids.load();
      log_.reset();
      const uint64_t before = faults_->dropped_bytes();
      ASSERT_THAT(faults_->DropUnsyncedData(), IsOk());
      dropped += faults_->dropped_bytes() - before;
      OpenWithFaults(sync);
      const uint64_t head = Head();
      ASSERT_OK_AND_ASSIGN(VerifyResult verified, log_->Verify());
      ASSERT_TRUE(verified.ok) << verified.problem;
      std::map<uint64_t, RecordedEvent> by_position;
      for (RecordedEvent& event : ReadAllEvents()) by_position[event.position] = event;
      ASSERT_EQ(by_position.size(), head);
      for (const Acked& append : acked) {
        if (!sync && append.position > head) continue;  // lost with the power: allowed
        ASSERT_LE(append.position + 2, head) << "acknowledged append cut or lost";
        const RecordedEvent& first = by_position[append.position];
        EXPECT_EQ(first.stream_id, append.stream);
        EXPECT_EQ(first.event_id, append.first_id);
      }
      // The event id index came back with the records: a retry of every
      // append the log holds is found recorded, where it was, and appends
      // nothing.
      for (const Acked& append : acked) {
        if (append.position > head) continue;
        ASSERT_OK_AND_ASSIGN(
            AppendResult retried,
            log_->Append(append.stream, ExpectedRevision::Any(),
                         {Event(append.id), Event(append.id + 1), Event(append.id + 2)}));
        EXPECT_TRUE(retried.already_recorded) << "event " << append.id << " recorded twice";
        EXPECT_EQ(retried.first_position, append.position);
      }
      ASSERT_EQ(Head(), head);
    }
    if (!sync) {
      EXPECT_GT(dropped, 0u) << "without sync a power cut loses something";
    }
  }
}

// Every page of a stream whose appends hold 1 to 7 events (one stream index
// entry each), interleaved with another stream's: from every revision, in
// both directions, with page sizes that start and end inside appends.
TEST_P(LogContractTest, ReadsEveryPageOfStreamsOfAppendsOfManySizes) {
  std::map<std::string, std::vector<std::string>> ids;  // stream -> event id by revision
  uint64_t n = 0;
  for (uint64_t size : {3, 1, 7, 2, 1, 5, 4}) {
    for (const std::string stream : {"mixed", "other"}) {
      std::vector<ProposedEvent> events;
      for (uint64_t i = 0; i < (stream == "other" ? 1 : size); ++i) {
        events.push_back(Event(++n));
        ids[stream].push_back(Id(n));
      }
      ASSERT_THAT(log_->Append(stream, ExpectedRevision::Any(), events), IsOk());
    }
  }
  for (const auto& [stream, by_revision] : ids) {
    const uint64_t count = by_revision.size();
    for (const Direction direction : {Direction::kForward, Direction::kBackward}) {
      for (uint64_t from = 0; from < count; ++from) {
        for (uint32_t page : {1u, 2u, 3u, 6u, 100u}) {
          ReadStreamRequest read;
          read.stream_id = stream;
          read.direction = direction;
          read.has_from_revision = true;
          read.from_revision = from;
          read.max_count = page;
          ASSERT_OK_AND_ASSIGN(ReadStreamResult result, log_->ReadStream(read));
          const bool forward = direction == Direction::kForward;
          const uint64_t expected =
              forward ? std::min<uint64_t>(page, count - from) : std::min<uint64_t>(page, from + 1);
          ASSERT_EQ(result.events.size(), expected)
              << stream << " from " << from << " page " << page;
          for (uint64_t i = 0; i < expected; ++i) {
            const uint64_t revision = forward ? from + i : from - i;
            EXPECT_EQ(result.events[i].revision, revision);
            EXPECT_EQ(result.events[i].event_id, by_revision[revision]);
            EXPECT_EQ(result.events[i].stream_id, stream);
          }
          EXPECT_EQ(result.end_of_stream,
                    forward ? from + expected == count : from + 1 == expected);
        }
      }
    }
  }
}

TEST_P(LogContractTest, ReadsStreamsForwardBackwardAndInPages) {
  ASSERT_THAT(log_->Append("a", ExpectedRevision::Any(), {Event(1), Event(2), Event(3), Event(4)}),
              IsOk());
  ASSERT_THAT(log_->Append("b", ExpectedRevision::Any(), {Event(5)}), IsOk());
  ASSERT_THAT(log_->Append("a", ExpectedRevision::Any(), {Event(6)}), IsOk());

  ReadStreamRequest read;
  read.stream_id = "a";
  read.max_count = 2;
  ASSERT_OK_AND_ASSIGN(ReadStreamResult page1, log_->ReadStream(read));
  ASSERT_EQ(page1.events.size(), 2u);
  EXPECT_FALSE(page1.end_of_stream);
  EXPECT_EQ(page1.next_revision, 2u);
  read.has_from_revision = true;
  read.from_revision = page1.next_revision;
  read.max_count = 10;
  ASSERT_OK_AND_ASSIGN(ReadStreamResult page2, log_->ReadStream(read));
  ASSERT_EQ(page2.events.size(), 3u);
  EXPECT_TRUE(page2.end_of_stream);
  EXPECT_EQ(page2.events[2].revision, 4u);
  EXPECT_EQ(page2.events[2].position, 6u);
  EXPECT_EQ(page2.events[2].event_id, Id(6));

  ReadStreamRequest backward;
  backward.stream_id = "a";
  backward.direction = Direction::kBackward;
  backward.max_count = 3;
  ASSERT_OK_AND_ASSIGN(ReadStreamResult back, log_->ReadStream(backward));
  ASSERT_EQ(back.events.size(), 3u);
  EXPECT_EQ(back.events[0].revision, 4u);
  EXPECT_EQ(back.events[2].revision, 2u);
  EXPECT_FALSE(back.end_of_stream);
  EXPECT_EQ(back.next_revision, 1u);
  backward.has_from_revision = true;
  backward.from_revision = 1;
  ASSERT_OK_AND_ASSIGN(ReadStreamResult back2, log_->ReadStream(backward));
  ASSERT_EQ(back2.events.size(), 2u);
  EXPECT_TRUE(back2.end_of_stream);

  read.from_revision = 9;
  ASSERT_OK_AND_ASSIGN(ReadStreamResult beyond, log_->ReadStream(read));
  EXPECT_TRUE(beyond.events.empty());
  EXPECT_TRUE(beyond.end_of_stream);

  ReadStreamRequest unknown;
  unknown.stream_id = "zzz";
  EXPECT_THAT(log_->ReadStream(unknown),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("stream zzz does not exist")));
  unknown.stream_id = "a";
  unknown.max_count = 0;
  EXPECT_THAT(log_->ReadStream(unknown), StatusIs(absl::StatusCode::kInvalidArgument,
                                                  HasSubstr("max_count: 0; must be 1 to 10000")));

  // A missing stream between others, and others whose names extend its own
  // or another's: each read sees its own stream only.
  ASSERT_THAT(log_->Append("ab", ExpectedRevision::Any(), {Event(7)}), IsOk());
  unknown.max_count = 10;
  for (const char* missing : {"aa", "b0", "0"}) {
    unknown.stream_id = missing;
    EXPECT_THAT(log_->ReadStream(unknown),
                StatusIs(absl::StatusCode::kNotFound, HasSubstr("does not exist")))
        << missing;
  }
  for (const auto& [stream, count] :
       {std::pair<const char*, size_t>{"a", 5}, {"ab", 1}, {"b", 1}}) {
    for (const Direction direction : {Direction::kForward, Direction::kBackward}) {
      ReadStreamRequest whole;
      whole.stream_id = stream;
      whole.direction = direction;
      ASSERT_OK_AND_ASSIGN(ReadStreamResult all, log_->ReadStream(whole));
      EXPECT_EQ(all.events.size(), count) << stream;
      EXPECT_TRUE(all.end_of_stream) << stream;
      for (const RecordedEvent& event : all.events) EXPECT_EQ(event.stream_id, stream);
    }
  }
}

TEST_P(LogContractTest, ReadsAllWithFiltersAndResumePositions) {
  ASSERT_THAT(log_->Append("tender-1", ExpectedRevision::Any(), {Event(1, "A"), Event(2, "B")}),
              IsOk());
  ASSERT_THAT(log_->Append("party-1", ExpectedRevision::Any(), {Event(3, "A")}), IsOk());
  ASSERT_THAT(log_->Append("tender-2", ExpectedRevision::Any(), {Event(4, "A")}), IsOk());

  ReadAllRequest request;
  request.filter.stream_prefix = "tender-";
  request.filter.event_types = {"A"};
  ASSERT_OK_AND_ASSIGN(ReadAllResult result, log_->ReadAll(request));
  ASSERT_EQ(result.events.size(), 2u);
  EXPECT_EQ(result.events[0].position, 1u);
  EXPECT_EQ(result.events[1].position, 4u);
  EXPECT_EQ(result.next_position, 5u);

  ReadAllRequest paged;
  paged.from_position = 2;
  paged.max_count = 2;
  ASSERT_OK_AND_ASSIGN(ReadAllResult page, log_->ReadAll(paged));
  ASSERT_EQ(page.events.size(), 2u);
  EXPECT_EQ(page.events[0].position, 2u);
  EXPECT_EQ(page.next_position, 4u);

  ReadAllRequest past_head;
  past_head.from_position = 10;
  ASSERT_OK_AND_ASSIGN(ReadAllResult empty, log_->ReadAll(past_head));
  EXPECT_TRUE(empty.events.empty());
  EXPECT_EQ(empty.next_position, 10u);
}

// A lean read (projections) leaves out the ids and the hash, and nothing else.
TEST_P(LogContractTest, LeanReadsLeaveOutIdsAndHashOnly) {
  ASSERT_THAT(log_->Append("tender-1", ExpectedRevision::Any(), {Event(1, "A"), Event(2, "B")}),
              IsOk());
  ReadAllRequest full_request;
  ASSERT_OK_AND_ASSIGN(ReadAllResult full, log_->ReadAll(full_request));
  ReadAllRequest lean_request;
  lean_request.lean = true;
  ASSERT_OK_AND_ASSIGN(ReadAllResult lean, log_->ReadAll(lean_request));
  SubscribeRequest subscribe_request;
  subscribe_request.lean = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subscription> subscription,
                       log_->Subscribe(subscribe_request));
  ASSERT_OK_AND_ASSIGN(SubscriptionItem item, subscription->Next());
  ASSERT_TRUE(std::holds_alternative<EventBatch>(item));
  const std::vector<RecordedEvent>& delivered = std::get<EventBatch>(item).events;
  ASSERT_EQ(full.events.size(), 2u);
  ASSERT_EQ(lean.events.size(), 2u);
  ASSERT_EQ(delivered.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    for (const RecordedEvent* event : {&std::as_const(lean.events[i]), &delivered[i]}) {
      EXPECT_EQ(event->event_id, "");
      EXPECT_EQ(event->correlation_id, "");
      EXPECT_EQ(event->causation_id, "");
      EXPECT_EQ(event->hash, "");
      EXPECT_EQ(event->stream_id, full.events[i].stream_id);
      EXPECT_EQ(event->revision, full.events[i].revision);
      EXPECT_EQ(event->position, full.events[i].position);
      EXPECT_EQ(event->type, full.events[i].type);
      EXPECT_EQ(event->data, full.events[i].data);
      EXPECT_EQ(event->occurred_at, full.events[i].occurred_at);
      EXPECT_EQ(event->recorded_at, full.events[i].recorded_at);
      EXPECT_EQ(event->actor, full.events[i].actor);
    }
  }
  EXPECT_EQ(full.events[0].event_id, Id(1));
  EXPECT_EQ(full.events[0].correlation_id, "corr-1");
  EXPECT_EQ(full.events[0].hash.size(), 32u);
}

// Packed reads return the fields of an EventView, equal to those of a plain
// read, from one buffer: across pages, filters, the byte limit, a buffer
// that grows past its first guess, and the batch being moved.
TEST_P(LogContractTest, PackedReadsCarryTheSameFieldsAsPlainOnes) {
  std::vector<ProposedEvent> events;
  for (uint64_t n = 1; n <= 6; ++n) {
    ProposedEvent event = Event(n, n % 2 == 0 ? "bidtrail.v1.ActivityLogged" : "Other");
    if (n == 3) event.data = std::string(300000, 'x');  // past the first guess of the buffer
    if (n == 4) event.actor = "";
    events.push_back(std::move(event));
  }
  ASSERT_THAT(log_->Append("tender-1", ExpectedRevision::Any(), {events[0], events[1], events[2]}),
              IsOk());
  ASSERT_THAT(log_->Append("other-1", ExpectedRevision::Any(), {events[3]}), IsOk());
  ASSERT_THAT(log_->Append("tender-2", ExpectedRevision::Any(), {events[4], events[5]}), IsOk());
  auto expect_same = [](const EventView& packed, const RecordedEvent& plain) {
    EXPECT_EQ(packed.stream_id, plain.stream_id);
    EXPECT_EQ(packed.revision, plain.revision);
    EXPECT_EQ(packed.position, plain.position);
    EXPECT_EQ(packed.type, plain.type);
    EXPECT_EQ(packed.data, plain.data);
    EXPECT_EQ(packed.occurred_at, plain.occurred_at);
    EXPECT_EQ(packed.recorded_at, plain.recorded_at);
    EXPECT_EQ(packed.actor, plain.actor);
  };
  struct Case {
    std::string name;
    ReadAllRequest request;
  };
  std::vector<Case> cases(4);
  cases[0].name = "everything";
  cases[1].name = "a page of two";
  cases[1].request.from_position = 2;
  cases[1].request.max_count = 2;
  cases[2].name = "filtered";
  cases[2].request.filter.stream_prefix = "tender-";
  cases[2].request.filter.event_types = {"bidtrail.v1.ActivityLogged"};
  cases[3].name = "byte limit";
  cases[3].request.max_bytes = 20;
  for (Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_OK_AND_ASSIGN(ReadAllResult plain, log_->ReadAll(c.request));
    c.request.packed = true;
    ASSERT_OK_AND_ASSIGN(ReadAllResult read, log_->ReadAll(c.request));
    EXPECT_TRUE(read.events.empty());
    EXPECT_EQ(read.next_position, plain.next_position);
    const PackedEvents packed = std::move(read.packed);  // views survive a move
    ASSERT_EQ(packed.size(), plain.events.size());
    ASSERT_FALSE(packed.empty());
    for (size_t i = 0; i < packed.size(); ++i) expect_same(packed[i], plain.events[i]);
  }

  SubscribeRequest subscribe_request;
  subscribe_request.packed = true;
  subscribe_request.max_batch = 4;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subscription> subscription,
                       log_->Subscribe(subscribe_request));
  ASSERT_OK_AND_ASSIGN(ReadAllResult plain, log_->ReadAll(ReadAllRequest()));
  size_t delivered = 0;
  while (delivered < plain.events.size()) {
    ASSERT_OK_AND_ASSIGN(SubscriptionItem item, subscription->Next());
    ASSERT_TRUE(std::holds_alternative<EventBatch>(item));
    EventBatch batch = std::move(std::get<EventBatch>(item));
    EXPECT_TRUE(batch.events.empty());
    ASSERT_FALSE(batch.packed.empty());
    for (size_t i = 0; i < batch.packed.size(); ++i) {
      expect_same(batch.packed[i], plain.events[delivered++]);
    }
  }
  ASSERT_OK_AND_ASSIGN(SubscriptionItem caught_up, subscription->Next());
  EXPECT_TRUE(std::holds_alternative<CaughtUp>(caught_up));
}

// ReadAll with `records` (what the gRPC ReadAll passes on): decoded, the
// records are the same events as a plain read, every field; lean and packed
// decodes as lean and packed reads.
TEST_P(LogContractTest, RecordReadsDecodeToTheSameEvents) {
  for (uint64_t n = 1; n <= 6; ++n) {
    ProposedEvent event = Event(n, n % 2 == 0 ? "bidtrail.v1.ActivityLogged" : "Other");
    if (n == 3) event.data = std::string(300000, 'x');
    if (n == 5) event.written_by = "svc-tenders";
    ASSERT_THAT(log_->Append(n % 3 == 0 ? "other-1" : "tender-1", ExpectedRevision::Any(), {event}),
                IsOk());
  }
  auto expect_same = [](const RecordedEvent& a, const RecordedEvent& b) {
    EXPECT_EQ(a.event_id, b.event_id);
    EXPECT_EQ(a.stream_id, b.stream_id);
    EXPECT_EQ(a.revision, b.revision);
    EXPECT_EQ(a.position, b.position);
    EXPECT_EQ(a.type, b.type);
    EXPECT_EQ(a.data, b.data);
    EXPECT_EQ(a.occurred_at, b.occurred_at);
    EXPECT_EQ(a.recorded_at, b.recorded_at);
    EXPECT_EQ(a.actor, b.actor);
    EXPECT_EQ(a.correlation_id, b.correlation_id);
    EXPECT_EQ(a.causation_id, b.causation_id);
    EXPECT_EQ(a.written_by, b.written_by);
    EXPECT_EQ(a.hash, b.hash);
  };
  std::vector<ReadAllRequest> requests(4);
  requests[1].from_position = 2;
  requests[1].max_count = 2;
  requests[2].filter.stream_prefix = "tender-";
  requests[2].filter.event_types = {"bidtrail.v1.ActivityLogged"};
  requests[3].max_bytes = 20;
  for (size_t c = 0; c < requests.size(); ++c) {
    SCOPED_TRACE(absl::StrFormat("case %d", c));
    ReadAllRequest request = requests[c];
    ASSERT_OK_AND_ASSIGN(ReadAllResult plain, log_->ReadAll(request));
    ASSERT_FALSE(plain.events.empty());
    request.records = true;
    ASSERT_OK_AND_ASSIGN(ReadAllResult read, log_->ReadAll(request));
    EXPECT_TRUE(read.events.empty());
    EXPECT_EQ(read.next_position, plain.next_position);
    ASSERT_OK_AND_ASSIGN(const uint64_t count, CountRecords(read.records));
    EXPECT_EQ(count, plain.events.size());
    std::vector<RecordedEvent> decoded;
    ASSERT_THAT(DecodeRecords(read.records, /*lean=*/false, &decoded), IsOk());
    ASSERT_EQ(decoded.size(), plain.events.size());
    for (size_t i = 0; i < decoded.size(); ++i) expect_same(decoded[i], plain.events[i]);

    std::vector<RecordedEvent> lean;
    ASSERT_THAT(DecodeRecords(read.records, /*lean=*/true, &lean), IsOk());
    ASSERT_EQ(lean.size(), plain.events.size());
    EXPECT_TRUE(lean[0].event_id.empty() && lean[0].hash.empty());
    EXPECT_EQ(lean[0].data, plain.events[0].data);
    PackedEvents packed;
    ASSERT_THAT(DecodeRecords(read.records, &packed), IsOk());
    ASSERT_EQ(packed.size(), plain.events.size());
    for (size_t i = 0; i < packed.size(); ++i) {
      EXPECT_EQ(packed[i].data, plain.events[i].data);
      EXPECT_EQ(packed[i].position, plain.events[i].position);
    }
  }
  // A subscription delivers records alike, then catches up.
  SubscribeRequest subscribe_request;
  subscribe_request.records = true;
  subscribe_request.max_batch = 4;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subscription> subscription,
                       log_->Subscribe(subscribe_request));
  ASSERT_OK_AND_ASSIGN(ReadAllResult everything, log_->ReadAll(ReadAllRequest()));
  size_t delivered = 0;
  while (delivered < everything.events.size()) {
    ASSERT_OK_AND_ASSIGN(SubscriptionItem item, subscription->Next());
    ASSERT_TRUE(std::holds_alternative<EventBatch>(item));
    EventBatch batch = std::move(std::get<EventBatch>(item));
    EXPECT_TRUE(batch.events.empty());
    std::vector<RecordedEvent> decoded;
    ASSERT_THAT(DecodeRecords(batch.records, false, &decoded), IsOk());
    ASSERT_FALSE(decoded.empty());
    for (const RecordedEvent& event : decoded) expect_same(event, everything.events[delivered++]);
  }
  ASSERT_OK_AND_ASSIGN(SubscriptionItem caught_up, subscription->Next());
  EXPECT_TRUE(std::holds_alternative<CaughtUp>(caught_up));

  // Nothing read: no bytes; bytes that are not records: DATA_LOSS.
  ReadAllRequest past;
  past.from_position = Head() + 1;
  past.records = true;
  ASSERT_OK_AND_ASSIGN(ReadAllResult none, log_->ReadAll(past));
  EXPECT_TRUE(none.records.empty());
  ASSERT_OK_AND_ASSIGN(const uint64_t none_count, CountRecords(none.records));
  EXPECT_EQ(none_count, 0u);
  std::vector<RecordedEvent> ignored;
  // An unknown format byte; a record longer than the bytes left; a record
  // that does not parse. (Split literals: "\x02abc" would be one escape.)
  EXPECT_THAT(DecodeRecords("\x02"
                            "abc",
                            false, &ignored),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("format")));
  EXPECT_THAT(DecodeRecords("\x01\x05"
                            "ab",
                            false, &ignored),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("cut short")));
  EXPECT_THAT(DecodeRecords("\x01\x02"
                            "ab",
                            false, &ignored),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::_));
}

// AppendAsync answers exactly once with what Append would have answered;
// mixed with Appends from other threads, one order, one winner per revision.
TEST_P(LogContractTest, AsyncAppendsKeepTheContractBesideSyncOnes) {
  struct Outcome {
    absl::Mutex mu;
    std::vector<absl::StatusOr<AppendResult>> results;
    int calls = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  auto record = [outcome](absl::StatusOr<AppendResult> result) {
    absl::MutexLock lock(&outcome->mu);
    outcome->results.push_back(std::move(result));
    ++outcome->calls;
  };
  auto wait_for = [outcome](int calls) {
    absl::MutexLock lock(&outcome->mu);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(outcome->mu) {
      return outcome->calls >= calls;
    };
    return outcome->mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(60));
  };

  // Refused input: answered at once, nothing written.
  ProposedEvent untyped = Event(1);
  untyped.type.clear();
  log_->AppendAsync("t", ExpectedRevision::Any(), {untyped}, record);
  ASSERT_TRUE(wait_for(1));
  EXPECT_THAT(outcome->results[0],
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].type: 0 bytes")));
  EXPECT_EQ(Head(), 0u);

  // Racing exact appends, half through AppendAsync, half through Append.
  constexpr int kThreads = 6;
  constexpr uint64_t kRevisions = 30;
  std::atomic<int> sync_wins{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t revision = 0; revision < kRevisions; ++revision) {
        const ExpectedRevision expected =
            revision == 0 ? ExpectedRevision::NoStream() : ExpectedRevision::Exact(revision - 1);
        std::vector<ProposedEvent> events = {Event(1000 * (t + 1) + revision)};
        if (t % 2 == 0) {
          log_->AppendAsync("race", expected, std::move(events), record);
        } else if (log_->Append("race", expected, events).ok()) {
          ++sync_wins;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_TRUE(wait_for(1 + (kThreads / 2) * kRevisions));
  int async_wins = 0;
  {
    absl::MutexLock lock(&outcome->mu);
    EXPECT_EQ(outcome->calls, 1 + (kThreads / 2) * static_cast<int>(kRevisions));
    for (size_t i = 1; i < outcome->results.size(); ++i) {
      const absl::StatusOr<AppendResult>& result = outcome->results[i];
      if (result.ok()) {
        ++async_wins;
      } else {
        EXPECT_THAT(result, StatusIs(absl::StatusCode::kAborted, ::testing::_));
      }
    }
  }
  ReadStreamRequest read;
  read.stream_id = "race";
  ASSERT_OK_AND_ASSIGN(ReadStreamResult stream, log_->ReadStream(read));
  EXPECT_EQ(stream.events.size(), static_cast<size_t>(async_wins + sync_wins.load()));
  EXPECT_GE(stream.events.size(), 1u);
  for (size_t i = 0; i < stream.events.size(); ++i) {
    EXPECT_EQ(stream.events[i].revision, i);
    EXPECT_EQ(stream.events[i].position, i + 1);
  }
  // A retry through AppendAsync is idempotent.
  const RecordedEvent& first = stream.events[0];
  ProposedEvent again = Event(0);
  again.event_id = first.event_id;
  again.data = first.data;
  again.occurred_at = first.occurred_at;
  log_->AppendAsync("race", ExpectedRevision::NoStream(), {again}, record);
  ASSERT_TRUE(wait_for(2 + (kThreads / 2) * kRevisions));
  {
    absl::MutexLock lock(&outcome->mu);
    ASSERT_THAT(outcome->results.back(), IsOk());
    EXPECT_TRUE(outcome->results.back()->already_recorded);
  }
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, log_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
}

// Closing the log with AppendAsyncs queued answers each once: committed
// (and then in the log after a reopen) or UNAVAILABLE (and then absent).
// How many are committed before the close depends on when the committer
// thread runs (on a busy host, none of the queued ones may be): the first
// append is waited for, so that at least one was committed.
TEST_F(RocksEventLogTest, AsyncAppendsQueuedAtCloseAreAnsweredOnce) {
  struct Outcome {
    absl::Mutex mu;
    std::map<uint64_t, absl::StatusOr<AppendResult>> results;
    int calls = 0;
  };
  auto outcome = std::make_shared<Outcome>();
  constexpr uint64_t kAppends = 2000;
  // Records append n's answer.
  auto record = [outcome](uint64_t n) {
    return [outcome, n](absl::StatusOr<AppendResult> result) {
      absl::MutexLock lock(&outcome->mu);
      outcome->results.emplace(n, std::move(result));
      ++outcome->calls;
    };
  };
  log_->AppendAsync("s-first", ExpectedRevision::NoStream(), {Event(kAppends + 1)},
                    record(kAppends + 1));
  {
    absl::MutexLock lock(&outcome->mu);
    outcome->mu.Await(absl::Condition(
        +[](int* calls) { return *calls > 0; }, &outcome->calls));
  }
  for (uint64_t n = 1; n <= kAppends; ++n) {
    log_->AppendAsync(absl::StrFormat("s-%d", n % 13), ExpectedRevision::Any(), {Event(n)},
                      record(n));
  }
  log_.reset();
  EXPECT_EQ(outcome->calls, static_cast<int>(kAppends + 1));
  ASSERT_THAT(outcome->results.at(kAppends + 1), IsOk());
  Reopen();
  std::set<std::string> stored;
  for (const RecordedEvent& event : ReadAllEvents()) stored.insert(event.event_id);
  int committed = 0;
  for (const auto& [n, result] : outcome->results) {
    if (result.ok()) {
      ++committed;
      EXPECT_TRUE(stored.count(Id(n)) == 1) << n;
    } else {
      EXPECT_THAT(result, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("is closing")));
      EXPECT_TRUE(stored.count(Id(n)) == 0) << n;
    }
  }
  EXPECT_EQ(stored.size(), static_cast<size_t>(committed));
  EXPECT_GT(committed, 0);
}

// Each expected-revision kind against a missing stream and a stream at
// revision 1: accepted, or ABORTED naming the actual revision with nothing
// written.
TEST_P(LogContractTest, ExpectedRevisionCases) {
  ASSERT_THAT(log_->Append("existing", ExpectedRevision::NoStream(), {Event(1), Event(2)}), IsOk());
  struct Case {
    std::string stream;
    ExpectedRevision expected;
    bool accepted;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"missing-1", ExpectedRevision::Any(), true, ""},
      {"missing-2", ExpectedRevision::NoStream(), true, ""},
      {"missing-3", ExpectedRevision::StreamExists(), false,
       "stream missing-3: expected stream exists but it does not exist"},
      {"missing-4", ExpectedRevision::Exact(0), false,
       "stream missing-4: expected revision 0 but it does not exist"},
      {"existing", ExpectedRevision::NoStream(), false,
       "stream existing: expected no stream but its last revision is 1"},
      {"existing", ExpectedRevision::Exact(0), false,
       "stream existing: expected revision 0 but its last revision is 1"},
      {"existing", ExpectedRevision::Exact(2), false,
       "stream existing: expected revision 2 but its last revision is 1"},
      {"existing", ExpectedRevision::Exact(1), true, ""},
      {"existing", ExpectedRevision::StreamExists(), true, ""},
      {"existing", ExpectedRevision::Any(), true, ""},
  };
  uint64_t next_id = 100;
  for (const Case& c : cases) {
    const uint64_t head_before = Head();
    auto result = log_->Append(c.stream, c.expected, {Event(next_id++)});
    if (c.accepted) {
      EXPECT_THAT(result, IsOk()) << c.stream << " " << c.expected.ToString();
      EXPECT_EQ(Head(), head_before + 1);
    } else {
      EXPECT_THAT(result, StatusIs(absl::StatusCode::kAborted, c.message));
      EXPECT_EQ(Head(), head_before) << "a rejected append wrote something";
    }
  }
  ASSERT_OK_AND_ASSIGN(StreamInfo info, log_->GetStreamInfo("existing"));
  EXPECT_EQ(info.last_revision, 4u);
}

TEST_P(LogContractTest, RetriesAreIdempotentUnderEveryExpectedRevision) {
  ASSERT_OK_AND_ASSIGN(AppendResult original,
                       log_->Append("t", ExpectedRevision::NoStream(), {Event(1), Event(2)}));
  ASSERT_THAT(log_->Append("t", ExpectedRevision::Exact(1), {Event(3)}), IsOk());
  for (const ExpectedRevision& expected :
       {ExpectedRevision::Any(), ExpectedRevision::NoStream(), ExpectedRevision::StreamExists(),
        ExpectedRevision::Exact(0), ExpectedRevision::Exact(1), ExpectedRevision::Exact(77)}) {
    ASSERT_OK_AND_ASSIGN(AppendResult retry, log_->Append("t", expected, {Event(1), Event(2)}));
    EXPECT_TRUE(retry.already_recorded) << expected.ToString();
    EXPECT_EQ(retry.first_revision, original.first_revision);
    EXPECT_EQ(retry.last_revision, original.last_revision);
    EXPECT_EQ(retry.first_position, original.first_position);
    EXPECT_EQ(retry.last_position, original.last_position);
    EXPECT_EQ(Head(), 3u);
  }
  // The tail append alone is also a complete retry.
  ASSERT_OK_AND_ASSIGN(AppendResult tail, log_->Append("t", ExpectedRevision::Any(), {Event(3)}));
  EXPECT_TRUE(tail.already_recorded);
  EXPECT_EQ(tail.first_revision, 2u);
  EXPECT_EQ(tail.first_position, 3u);

  EXPECT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(2), Event(4)}),
              StatusIs(absl::StatusCode::kAlreadyExists,
                       HasSubstr("events[0].event_id " + Id(2) +
                                 " is already recorded at revision 1 but events[1].event_id " +
                                 Id(4) + " is not")));
  EXPECT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(2), Event(1)}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("not in this order")));
  EXPECT_EQ(Head(), 3u);
  // The same event id in another stream is another event.
  ASSERT_OK_AND_ASSIGN(AppendResult other, log_->Append("u", ExpectedRevision::Any(), {Event(1)}));
  EXPECT_FALSE(other.already_recorded);
}

// An event id names one event forever: a "retry" carrying something else
// is refused, naming the id and the field, and writes nothing; whatever the
// field, and whether the first landed long ago or in the same group commit.
TEST_P(LogContractTest, ReuseOfAnEventIdWithOtherContentIsRefused) {
  ASSERT_THAT(log_->Append("t", ExpectedRevision::NoStream(), {Event(1), Event(2)}), IsOk());
  struct Change {
    const char* field;
    std::function<void(ProposedEvent*)> apply;
  };
  const std::vector<Change> changes = {
      {"type", [](ProposedEvent* e) { e->type = "bidtrail.v1.AwardAnnounced"; }},
      {"data", [](ProposedEvent* e) { e->data += "!"; }},
      {"occurred_at", [](ProposedEvent* e) { e->occurred_at += absl::Nanoseconds(1); }},
      {"actor", [](ProposedEvent* e) { e->actor = "mallory"; }},
      {"correlation_id", [](ProposedEvent* e) { e->correlation_id = "other"; }},
      {"causation_id", [](ProposedEvent* e) { e->causation_id = "other"; }},
      {"written_by", [](ProposedEvent* e) { e->written_by = "svc"; }},
  };
  for (const Change& change : changes) {
    ProposedEvent second = Event(2);
    change.apply(&second);
    EXPECT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(1), second}),
                StatusIs(absl::StatusCode::kAlreadyExists,
                         "stream t: events[1].event_id " + Id(2) +
                             " is already recorded at revision 1 with a different " + change.field +
                             "; an event id names one event forever (a retry repeats it "
                             "exactly, a new event needs a new id), nothing was written"));
  }
  EXPECT_EQ(Head(), 2u);
  ASSERT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(1), Event(2)}), IsOk())
      << "an exact retry is still exact";

  // In one group commit: two appends of one new id with different data.
  for (int round = 0; round < 20; ++round) {
    const std::string stream = "race-" + std::to_string(round);
    ProposedEvent mine = Event(100);
    ProposedEvent theirs = Event(100);
    theirs.data = "other";
    std::vector<absl::StatusOr<AppendResult>> results(2, absl::InternalError("unset"));
    std::thread a([&] { results[0] = log_->Append(stream, ExpectedRevision::Any(), {mine}); });
    std::thread b([&] { results[1] = log_->Append(stream, ExpectedRevision::Any(), {theirs}); });
    a.join();
    b.join();
    EXPECT_NE(results[0].ok(), results[1].ok()) << "exactly one of them lands";
    const absl::Status refused = results[0].ok() ? results[1].status() : results[0].status();
    EXPECT_THAT(refused, StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("different data")));
  }
}

TEST_P(LogContractTest, RetryInsideOneGroupCommitIsIdempotent) {
  // Two threads send the same append at once; whichever lands first, the
  // other sees it as already recorded.
  std::vector<absl::StatusOr<AppendResult>> results(2, absl::InternalError("unset"));
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      results[t] = log_->Append("same", ExpectedRevision::NoStream(), {Event(1), Event(2)});
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_THAT(results[0], IsOk());
  ASSERT_THAT(results[1], IsOk());
  EXPECT_NE(results[0]->already_recorded, results[1]->already_recorded);
  EXPECT_EQ(results[0]->first_position, results[1]->first_position);
  EXPECT_EQ(Head(), 2u);
}

TEST_P(LogContractTest, BadInputIsRejectedAndWritesNothing) {
  ASSERT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(1)}), IsOk());
  ProposedEvent untyped = Event(3);
  untyped.type.clear();
  ProposedEvent big = Event(4);
  big.data = std::string((size_t{1} << 20) + 1, 'x');
  ProposedEvent bad_id = Event(5);
  bad_id.event_id = "5";
  ProposedEvent timeless = Event(6);
  timeless.occurred_at = absl::InfinitePast();
  struct Case {
    std::string stream;
    std::vector<ProposedEvent> events;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"", {Event(2)}, "stream_id: 0 bytes; must be 1 to 200 bytes"},
      {std::string(201, 's'), {Event(2)}, "stream_id: 201 bytes; must be 1 to 200 bytes"},
      {"$system", {Event(2)}, "stream_id: must not start with '$'"},
      {"tab\there", {Event(2)}, "stream_id: byte 3 (0x09) is not printable ASCII"},
      {"t", {}, "events: 0 events; an append carries 1 to 100"},
      {"t", std::vector<ProposedEvent>(101, Event(2)),
       "events: 101 events; an append carries 1 to 100"},
      {"t", {Event(2), untyped}, "events[1].type: 0 bytes; must be 1 to 200 bytes"},
      {"t", {big}, "events[0].data: 1048577 bytes; at most 1048576"},
      {"t", {Event(2), bad_id}, "events[1].event_id: \"5\" is not a UUID"},
      {"t", {timeless}, "events[0].occurred_at: required"},
  };
  for (const Case& c : cases) {
    EXPECT_THAT(log_->Append(c.stream, ExpectedRevision::Any(), c.events),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(c.message)));
  }
  EXPECT_EQ(Head(), 1u);
  EXPECT_EQ(ReadAllEvents().size(), 1u);
}

TEST_P(LogContractTest, RacingExactAppendsHaveOneWinnerPerRevision) {
  constexpr int kThreads = 8;
  constexpr uint64_t kRevisions = 50;
  absl::Mutex mu;
  std::map<uint64_t, int> winners;
  std::atomic<int> aborted{0};
  std::atomic<int> unexpected{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t revision = 0; revision < kRevisions; ++revision) {
        const ExpectedRevision expected =
            revision == 0 ? ExpectedRevision::NoStream() : ExpectedRevision::Exact(revision - 1);
        auto result = log_->Append("race", expected, {Event(1000 * (t + 1) + revision)});
        if (result.ok()) {
          absl::MutexLock lock(&mu);
          ++winners[result->first_revision];
          if (result->first_revision != revision) ++unexpected;
        } else if (result.status().code() == absl::StatusCode::kAborted) {
          ++aborted;
        } else {
          ++unexpected;
        }
        // A loser may fall behind the stream; it then loses every later round
        // until it catches up, which is still "one winner per revision".
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(unexpected.load(), 0);
  ASSERT_EQ(winners.size(), kRevisions);
  for (const auto& [revision, count] : winners) EXPECT_EQ(count, 1) << "revision " << revision;
  EXPECT_EQ(aborted.load(), kThreads * static_cast<int>(kRevisions) - static_cast<int>(kRevisions));
  ReadStreamRequest read;
  read.stream_id = "race";
  ASSERT_OK_AND_ASSIGN(ReadStreamResult stream, log_->ReadStream(read));
  ASSERT_EQ(stream.events.size(), kRevisions);
  for (uint64_t i = 0; i < kRevisions; ++i) EXPECT_EQ(stream.events[i].revision, i);
}

TEST_P(LogContractTest, ConcurrentStreamsGetGaplessPositionsInCommitOrder) {
  constexpr int kThreads = 6;
  constexpr int kAppends = 150;
  std::vector<std::vector<AppendResult>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        const uint64_t base = 100000 * (t + 1) + 10 * i;
        auto result = log_->Append(absl::StrFormat("stream-%d-%d", t, i % 7),
                                   ExpectedRevision::Any(), {Event(base), Event(base + 1)});
        ASSERT_TRUE(result.ok()) << result.status();
        results[t].push_back(*result);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::vector<RecordedEvent> all = ReadAllEvents();
  ASSERT_EQ(all.size(), size_t{kThreads * kAppends * 2});
  std::map<std::string, uint64_t> next_revision;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].position, i + 1);
    if (i > 0) {
      EXPECT_GE(all[i].recorded_at, all[i - 1].recorded_at);
    }
    EXPECT_EQ(all[i].revision, next_revision[all[i].stream_id]++) << all[i].stream_id;
  }
  for (const auto& per_thread : results) {
    for (size_t i = 0; i < per_thread.size(); ++i) {
      EXPECT_EQ(per_thread[i].last_position, per_thread[i].first_position + 1);
      // A thread's own appends commit in the order it made them.
      if (i > 0) {
        EXPECT_GT(per_thread[i].first_position, per_thread[i - 1].last_position);
      }
    }
  }
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, log_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(verified.records_checked, all.size());
}

TEST_P(LogContractTest, ReopenRestoresHeadChainAndRevisions) {
  ASSERT_THAT(log_->Append("a", ExpectedRevision::Any(), {Event(1), Event(2)}), IsOk());
  ASSERT_THAT(log_->Append("b", ExpectedRevision::Any(), {Event(3)}), IsOk());
  const std::string chain_head = log_->ChainHead();
  Reopen();
  EXPECT_EQ(Head(), 3u);
  EXPECT_EQ(log_->ChainHead(), chain_head);
  ASSERT_OK_AND_ASSIGN(StreamInfo a, log_->GetStreamInfo("a"));
  EXPECT_EQ(a.last_revision, 1u);
  EXPECT_THAT(log_->Append("a", ExpectedRevision::Exact(0), {Event(4)}),
              StatusIs(absl::StatusCode::kAborted, HasSubstr("its last revision is 1")));
  ASSERT_OK_AND_ASSIGN(AppendResult next,
                       log_->Append("a", ExpectedRevision::Exact(1), {Event(4)}));
  EXPECT_EQ(next.first_revision, 2u);
  EXPECT_EQ(next.first_position, 4u);
  // Idempotency survives a restart too.
  ASSERT_OK_AND_ASSIGN(AppendResult retry, log_->Append("b", ExpectedRevision::Any(), {Event(3)}));
  EXPECT_TRUE(retry.already_recorded);
  EXPECT_EQ(retry.first_position, 3u);
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, log_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
  EXPECT_EQ(verified.records_checked, 4u);
  EXPECT_EQ(verified.head_hash, log_->ChainHead());
}

TEST_P(LogContractTest, CheckpointIsAConsistentCopy) {
  ASSERT_THAT(log_->Append("a", ExpectedRevision::Any(), {Event(1), Event(2)}), IsOk());
  const std::string copy = dir_.path() + "/backup";
  ASSERT_OK_AND_ASSIGN(uint64_t head, log_->Backup(copy));
  EXPECT_EQ(head, 2u);
  ASSERT_THAT(log_->Append("a", ExpectedRevision::Any(), {Event(3)}), IsOk());
  EXPECT_THAT(log_->Backup(copy),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already exists")));
  // A folder the copy cannot go into is the server's setup, not a retry.
  EXPECT_THAT(log_->Backup(dir_.path() + "/no/such/folder/copy"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("the backup folder must be writable")));
  RocksEventLog::Options options;
  options.path = copy;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RocksEventLog> restored, RocksEventLog::Open(options));
  EXPECT_EQ(restored->HeadPosition().value(), 2u);
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, restored->Verify());
  EXPECT_TRUE(verified.ok);
  EXPECT_EQ(verified.records_checked, 2u);
}

// Opens the log's RocksDB directly, as an attacker with disk access would.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    std::vector<rocksdb::ColumnFamilyDescriptor> families;
    for (const char* name : {"default", "log", "streams", "stream_index", "event_ids"}) {
      families.emplace_back(name, rocksdb::ColumnFamilyOptions());
    }
    rocksdb::DB* db = nullptr;
    rocksdb::Status status = rocksdb::DB::Open(rocksdb::Options(), path, families, &handles_, &db);
    EXPECT_TRUE(status.ok()) << status.ToString();
    db_.reset(db);
  }
  ~RawDb() {
    for (auto* handle : handles_) (void)db_->DestroyColumnFamilyHandle(handle);
  }
  rocksdb::DB* db() { return db_.get(); }
  rocksdb::ColumnFamilyHandle* family(int i) { return handles_[i]; }

 private:
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

TEST_F(RocksEventLogTest, VerifyNamesTheFirstTamperedPosition) {
  for (uint64_t i = 1; i <= 8; ++i) {
    ASSERT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(i)}), IsOk());
  }
  ASSERT_OK_AND_ASSIGN(VerifyResult clean, log_->Verify());
  EXPECT_TRUE(clean.ok);
  EXPECT_EQ(clean.records_checked, 8u);
  log_.reset();
  {
    RawDb raw(dir_.path() + "/log");
    std::string value;
    ASSERT_TRUE(raw.db()
                    ->Get(rocksdb::ReadOptions(), raw.family(1), internal::PositionKey(5), &value)
                    .ok());
    // Flip one byte of the payload ("payload-5" -> "payload-4").
    const size_t at = value.find("payload-5");
    ASSERT_NE(at, std::string::npos);
    value[at + 8] ^= 0x01;
    ASSERT_TRUE(raw.db()
                    ->Put(rocksdb::WriteOptions(), raw.family(1), internal::PositionKey(5), value)
                    .ok());
  }
  Reopen();
  ASSERT_OK_AND_ASSIGN(VerifyResult tampered, log_->Verify());
  EXPECT_FALSE(tampered.ok);
  EXPECT_EQ(tampered.first_bad_position, 5u);
  EXPECT_THAT(tampered.problem, HasSubstr("hash mismatch"));
  EXPECT_EQ(tampered.records_checked, 4u);
}

TEST_F(RocksEventLogTest, VerifyNamesAMissingPosition) {
  for (uint64_t i = 1; i <= 4; ++i) {
    ASSERT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(i)}), IsOk());
  }
  log_.reset();
  {
    RawDb raw(dir_.path() + "/log");
    ASSERT_TRUE(
        raw.db()->Delete(rocksdb::WriteOptions(), raw.family(1), internal::PositionKey(2)).ok());
  }
  Reopen();
  ASSERT_OK_AND_ASSIGN(VerifyResult result, log_->Verify());
  EXPECT_FALSE(result.ok);
  EXPECT_EQ(result.first_bad_position, 2u);
  EXPECT_THAT(result.problem, HasSubstr("position 2 is missing"));
}

// A log of format 1 has a stream index entry per event: this build reads
// it as it is, marks it format 2 when it opens it for writing, and appends
// to it (an entry per append) beside the old entries.
TEST_F(RocksEventLogTest, ReadsAndExtendsALogOfFormatOne) {
  ASSERT_THAT(log_->Append("s", ExpectedRevision::Any(), {Event(1), Event(2), Event(3)}), IsOk());
  ASSERT_THAT(log_->Append("t", ExpectedRevision::Any(), {Event(4)}), IsOk());
  ASSERT_THAT(log_->Append("s", ExpectedRevision::Any(), {Event(5), Event(6)}), IsOk());
  log_.reset();
  {
    // Rewrite the stream index as format 1 wrote it.
    RawDb raw(dir_.path() + "/log");
    rocksdb::ColumnFamilyHandle* index = raw.family(3);
    rocksdb::WriteBatch batch;
    std::unique_ptr<rocksdb::Iterator> it(raw.db()->NewIterator(rocksdb::ReadOptions(), index));
    int entries = 0;
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      const std::string key = it->key().ToString();
      const std::string value = it->value().ToString();
      ++entries;
      const size_t prefix = key.size() - 8;
      const uint64_t revision = GetBigEndian64(std::string_view(key).substr(prefix));
      const uint64_t position = GetBigEndian64(value);
      const uint64_t count =
          value.size() == 16 ? GetBigEndian64(std::string_view(value).substr(8)) : 1;
      batch.Delete(index, key);
      for (uint64_t i = 0; i < count; ++i) {
        std::string one_key = key.substr(0, prefix);
        PutBigEndian64(revision + i, &one_key);
        std::string one_value;
        PutBigEndian64(position + i, &one_value);
        batch.Put(index, one_key, one_value);
      }
    }
    EXPECT_EQ(entries, 3);  // one per append
    batch.Put(raw.family(0), "bidtrail.format_version", "1");
    ASSERT_TRUE(raw.db()->Write(rocksdb::WriteOptions(), &batch).ok());
  }
  Reopen();
  ASSERT_THAT(log_->Append("s", ExpectedRevision::Exact(4), {Event(7), Event(8)}), IsOk());
  ReadStreamRequest read;
  read.stream_id = "s";
  read.has_from_revision = true;
  read.from_revision = 1;
  read.max_count = 5;
  ASSERT_OK_AND_ASSIGN(ReadStreamResult forward, log_->ReadStream(read));
  ASSERT_EQ(forward.events.size(), 5u);
  for (size_t i = 0; i < 5; ++i) EXPECT_EQ(forward.events[i].revision, i + 1);
  EXPECT_EQ(forward.events[4].event_id, Id(7));
  EXPECT_EQ(forward.events[4].position, 7u);
  read.direction = Direction::kBackward;
  read.from_revision = 6;
  read.max_count = 10;
  ASSERT_OK_AND_ASSIGN(ReadStreamResult backward, log_->ReadStream(read));
  ASSERT_EQ(backward.events.size(), 7u);
  EXPECT_EQ(backward.events[0].event_id, Id(8));
  EXPECT_EQ(backward.events[6].event_id, Id(1));
  EXPECT_TRUE(backward.end_of_stream);
  log_.reset();
  {
    RawDb raw(dir_.path() + "/log");
    std::string version;
    ASSERT_TRUE(
        raw.db()
            ->Get(rocksdb::ReadOptions(), raw.family(0), "bidtrail.format_version", &version)
            .ok());
    EXPECT_EQ(version, "2");
  }
}

TEST_F(RocksEventLogTest, RefusesUnknownFormatVersionAndForeignDatabases) {
  log_.reset();
  {
    RawDb raw(dir_.path() + "/log");
    ASSERT_TRUE(raw.db()
                    ->Put(rocksdb::WriteOptions(), raw.family(0), "bidtrail.format_version", "99")
                    .ok());
  }
  RocksEventLog::Options options;
  options.path = dir_.path() + "/log";
  EXPECT_THAT(
      RocksEventLog::Open(options),
      StatusIs(absl::StatusCode::kFailedPrecondition,
               HasSubstr("format version \"99\"; this build reads format versions 1 and 2")));

  options.path = dir_.path() + "/foreign";
  {
    rocksdb::Options raw_options;
    raw_options.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(raw_options, options.path, &db).ok());
    delete db;
  }
  EXPECT_THAT(RocksEventLog::Open(options),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("without a bidtrail format version")));
  options.path = "";
  EXPECT_THAT(RocksEventLog::Open(options),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path: required")));
}

TEST_F(RocksEventLogTest, SecondOpenOfTheSameFolderIsUnavailable) {
  RocksEventLog::Options options;
  options.path = dir_.path() + "/log";
  EXPECT_THAT(RocksEventLog::Open(options),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("lock")));
}

TEST_P(LogContractTest, SubscriptionSeesEveryEventOnceAcrossTheSwitchToLive) {
  constexpr int kWriters = 3;
  constexpr int kAppendsPerWriter = 300;
  constexpr uint64_t kTotal = kWriters * kAppendsPerWriter + 50;
  for (uint64_t i = 0; i < 50; ++i) {
    ASSERT_THAT(log_->Append("pre", ExpectedRevision::Any(), {Event(900000 + i)}), IsOk());
  }
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kAppendsPerWriter; ++i) {
        ASSERT_THAT(log_->Append(absl::StrFormat("w-%d", t), ExpectedRevision::Any(),
                                 {Event(10000 * (t + 1) + i)}),
                    IsOk());
      }
    });
  }
  // Subscribe while the writers are running.
  SubscribeRequest request;
  request.from_position = 0;
  request.max_batch = 7;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subscription> subscription, log_->Subscribe(request));
  uint64_t expected_position = 1;
  int caught_up = 0;
  while (expected_position <= kTotal) {
    ASSERT_OK_AND_ASSIGN(SubscriptionItem item, subscription->Next());
    if (std::holds_alternative<CaughtUp>(item)) {
      ++caught_up;
      EXPECT_EQ(std::get<CaughtUp>(item).head_position, expected_position - 1);
      continue;
    }
    for (const RecordedEvent& event : std::get<EventBatch>(item).events) {
      ASSERT_EQ(event.position, expected_position) << "gap or duplicate";
      ++expected_position;
    }
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(caught_up, 1) << "caught-up is sent exactly once";

  // Nothing more: a Next() now blocks until cancelled from another thread.
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(50));
    subscription->Cancel();
  });
  auto after = subscription->Next();
  canceller.join();
  if (after.ok() && std::holds_alternative<CaughtUp>(*after)) after = subscription->Next();
  EXPECT_THAT(after, StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancelled")));
}

TEST_P(LogContractTest, FilteredSubscriptionAndShutdownCancel) {
  ASSERT_THAT(log_->Append("tender-1", ExpectedRevision::Any(), {Event(1, "A")}), IsOk());
  ASSERT_THAT(log_->Append("other", ExpectedRevision::Any(), {Event(2, "A")}), IsOk());
  ASSERT_THAT(log_->Append("tender-2", ExpectedRevision::Any(), {Event(3, "B")}), IsOk());
  SubscribeRequest request;
  request.filter.stream_prefix = "tender-";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Subscription> subscription, log_->Subscribe(request));
  ASSERT_OK_AND_ASSIGN(SubscriptionItem first, subscription->Next());
  ASSERT_TRUE(std::holds_alternative<EventBatch>(first));
  const EventBatch& batch = std::get<EventBatch>(first);
  ASSERT_EQ(batch.events.size(), 2u);
  EXPECT_EQ(batch.events[0].stream_id, "tender-1");
  EXPECT_EQ(batch.events[1].stream_id, "tender-2");
  EXPECT_EQ(batch.next_position, 4u);
  ASSERT_OK_AND_ASSIGN(SubscriptionItem second, subscription->Next());
  EXPECT_TRUE(std::holds_alternative<CaughtUp>(second));

  std::thread live([&] {
    absl::SleepFor(absl::Milliseconds(20));
    ASSERT_THAT(log_->Append("other", ExpectedRevision::Any(), {Event(4, "A")}), IsOk());
    ASSERT_THAT(log_->Append("tender-3", ExpectedRevision::Any(), {Event(5, "A")}), IsOk());
  });
  ASSERT_OK_AND_ASSIGN(SubscriptionItem third, subscription->Next());
  live.join();
  ASSERT_TRUE(std::holds_alternative<EventBatch>(third));
  ASSERT_EQ(std::get<EventBatch>(third).events.size(), 1u);
  EXPECT_EQ(std::get<EventBatch>(third).events[0].position, 5u);

  std::thread shutdown([&] {
    absl::SleepFor(absl::Milliseconds(20));
    log_->CancelSubscriptions();
  });
  EXPECT_THAT(subscription->Next(), StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancelled")));
  shutdown.join();
}

// The chain is SHA-256 over the previous hash then the record's bytes
// (docs/architecture.md), whatever way the build reaches OpenSSL's SHA-256:
// checked against FIPS 180-2's published digests, the message split in two.
TEST(ChainHashTest, IsSha256OfThePreviousHashThenTheRecord) {
  auto hex = [](const std::string& bytes) { return absl::BytesToHexString(bytes); };
  EXPECT_EQ(hex(internal::ChainHash("", "abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  EXPECT_EQ(hex(internal::ChainHash(message.substr(0, 32), message.substr(32))),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Twice on one thread (its digest context is reused) and on another.
  EXPECT_EQ(internal::ChainHash("", "abc"), internal::ChainHash("", "abc"));
  std::string elsewhere;
  std::thread([&] { elsewhere = internal::ChainHash("", "abc"); }).join();
  EXPECT_EQ(elsewhere, internal::ChainHash("", "abc"));
}

}  // namespace
}  // namespace bidtrail::eventlog
