// The log on a JetStream stream (docs/nats.md), beyond the contract suite
// (rocks_event_log_test.cc runs that on both backends): replicas rebuilt from
// the stream alone, two writers racing, idempotency beyond JetStream's
// de-duplication window, and nodes of the cluster killed under load. Real
// nats-server processes on loopback.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bidtrail/eventlog/log_copy.h"
#include "bidtrail/eventlog/nats_upstream.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/testing/nats_cluster.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::eventlog {
namespace {

using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::ScratchDir;
using ::bidtrail::testing::StatusIs;

std::string Id(uint64_t n) { return absl::StrFormat("00000000-0000-4000-9000-%012x", n); }

ProposedEvent Event(uint64_t n) {
  ProposedEvent event;
  event.event_id = Id(n);
  event.type = "bidtrail.v1.BidSubmitted";
  event.data = absl::StrFormat("payload-%d", n);
  event.occurred_at = absl::FromUnixSeconds(1767225600 + static_cast<int64_t>(n % 100000));
  event.actor = "alice";
  return event;
}

class NatsLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(cluster_, testing::SharedNatsCluster());
    static int streams = 0;
    stream_ = absl::StrFormat("NATSLOG_%d_%d", getpid(), ++streams);
  }

  std::shared_ptr<NatsUpstream> Connect(absl::Duration window = absl::ZeroDuration()) {
    NatsUpstream::Options options;
    options.servers = cluster_->Urls();
    options.stream = stream_;
    options.duplicate_window = window;
    absl::StatusOr<std::unique_ptr<NatsUpstream>> connected = NatsUpstream::Connect(options);
    EXPECT_TRUE(connected.ok()) << connected.status();
    return connected.ok() ? std::shared_ptr<NatsUpstream>(std::move(connected).value()) : nullptr;
  }

  // A replica in its own folder `name`, on its own connection.
  std::unique_ptr<RocksEventLog> Open(const std::string& name,
                                      std::shared_ptr<NatsUpstream> upstream = nullptr) {
    RocksEventLog::Options options;
    options.path = dir_.path() + "/" + name;
    options.upstream = upstream != nullptr ? upstream : Connect();
    options.upstream_poll = poll_;
    // Right after a node restarts, the stream may still be electing its
    // leader: an open waits for it as bidtraild's start would be retried.
    absl::StatusOr<std::unique_ptr<RocksEventLog>> opened = RocksEventLog::Open(options);
    for (int attempt = 0; attempt < 20 && !opened.ok() && !absl::IsInvalidArgument(opened.status());
         ++attempt) {
      std::cout << "opening a replica: " << opened.status() << "; retrying\n";
      absl::SleepFor(absl::Milliseconds(500));
      opened = RocksEventLog::Open(options);
    }
    EXPECT_TRUE(opened.ok()) << opened.status();
    return opened.ok() ? std::move(opened).value() : nullptr;
  }

  // Waits until `log` has reached `head` (a replica following another's
  // appends); false after 10 s.
  static bool WaitForHead(RocksEventLog& log, uint64_t head) {
    for (int i = 0; i < 1000; ++i) {
      if (log.HeadPosition().value_or(0) >= head) return true;
      absl::SleepFor(absl::Milliseconds(10));
    }
    return false;
  }

  // An outcome not known (a busy cluster timing out): a client retries the
  // same append until it is told, as real ones do.
  static absl::StatusOr<AppendResult> AppendUntilTold(RocksEventLog& log, const std::string& stream,
                                                      const ExpectedRevision& expected,
                                                      const std::vector<ProposedEvent>& events) {
    absl::StatusOr<AppendResult> appended = log.Append(stream, expected, events);
    for (int retry = 0; retry < 100 && (absl::IsUnavailable(appended.status()) ||
                                        absl::IsDeadlineExceeded(appended.status()));
         ++retry) {
      absl::SleepFor(absl::Milliseconds(50));
      appended = log.Append(stream, expected, events);
    }
    return appended;
  }

  static std::vector<RecordedEvent> All(RocksEventLog& log) {
    ReadAllRequest request;
    request.max_count = 1000000;
    absl::StatusOr<ReadAllResult> result = log.ReadAll(request);
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? result->events : std::vector<RecordedEvent>{};
  }

  testing::NatsCluster* cluster_ = nullptr;
  std::string stream_;
  ScratchDir dir_;
  // How often replicas opened by Open poll the stream.
  absl::Duration poll_ = RocksEventLog::Options().upstream_poll;
};

// A node that loses its data folder (or a new one) rebuilds its replica from
// the stream alone: the same events at the same positions, the same chain.
// And a replica nobody appends through follows the others' appends live.
TEST_F(NatsLogTest, AReplicaRebuildsFromTheStreamAndFollowsIt) {
  std::unique_ptr<RocksEventLog> a = Open("a");
  ASSERT_NE(a, nullptr);
  for (uint64_t n = 1; n <= 40; n += 2) {
    ASSERT_THAT(a->Append(absl::StrFormat("tender-%d", n % 7), ExpectedRevision::Any(),
                          {Event(n), Event(n + 1)}),
                IsOk());
  }
  std::unique_ptr<RocksEventLog> b = Open("b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->HeadPosition().value(), 40u);
  EXPECT_EQ(b->ChainHead(), a->ChainHead());
  const std::vector<RecordedEvent> from_a = All(*a);
  const std::vector<RecordedEvent> from_b = All(*b);
  ASSERT_EQ(from_a.size(), from_b.size());
  for (size_t i = 0; i < from_a.size(); ++i) {
    EXPECT_EQ(from_a[i].event_id, from_b[i].event_id);
    EXPECT_EQ(from_a[i].position, from_b[i].position);
    EXPECT_EQ(from_a[i].revision, from_b[i].revision);
    EXPECT_EQ(from_a[i].hash, from_b[i].hash);
  }
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, b->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
  // b's stream index and revisions came from the stream (a run of records
  // of one stream: one entry), a's from its own appends: every page reads
  // the same from both.
  for (int stream = 0; stream < 7; ++stream) {
    const std::string id = absl::StrFormat("tender-%d", stream);
    ASSERT_OK_AND_ASSIGN(StreamInfo info_a, a->GetStreamInfo(id));
    ASSERT_OK_AND_ASSIGN(StreamInfo info_b, b->GetStreamInfo(id));
    EXPECT_EQ(info_a.last_revision, info_b.last_revision);
    for (const Direction direction : {Direction::kForward, Direction::kBackward}) {
      for (uint64_t from = 0; from <= info_a.last_revision; ++from) {
        for (uint32_t page : {1u, 3u, 100u}) {
          ReadStreamRequest read;
          read.stream_id = id;
          read.direction = direction;
          read.has_from_revision = true;
          read.from_revision = from;
          read.max_count = page;
          ASSERT_OK_AND_ASSIGN(ReadStreamResult read_a, a->ReadStream(read));
          ASSERT_OK_AND_ASSIGN(ReadStreamResult read_b, b->ReadStream(read));
          ASSERT_EQ(read_a.events.size(), read_b.events.size()) << id << " from " << from;
          for (size_t i = 0; i < read_a.events.size(); ++i) {
            EXPECT_EQ(read_a.events[i].event_id, read_b.events[i].event_id);
            EXPECT_EQ(read_a.events[i].position, read_b.events[i].position);
          }
          EXPECT_EQ(read_a.end_of_stream, read_b.end_of_stream);
        }
      }
    }
  }
  // b appends; a follows without appending.
  ASSERT_OK_AND_ASSIGN(AppendResult appended,
                       b->Append("tender-x", ExpectedRevision::NoStream(), {Event(100)}));
  EXPECT_EQ(appended.first_position, 41u);
  EXPECT_TRUE(WaitForHead(*a, 41));
  EXPECT_EQ(a->ChainHead(), b->ChainHead());
  // A retry through the other replica is recognised: idempotency lives in
  // every replica's index.
  ASSERT_OK_AND_ASSIGN(AppendResult retried,
                       a->Append("tender-x", ExpectedRevision::NoStream(), {Event(100)}));
  EXPECT_TRUE(retried.already_recorded);
  EXPECT_EQ(retried.first_position, 41u);
}

// A replica that has not yet seen what another server just wrote reads its
// stream as unknown; a fresh read (ReadStreamRequest::fresh) catches up
// first and sees it, also while the replica's own appends are in flight.
// What a command refused on a stale view is decided again on
// (services/tenders: a bid through one bidtraild on a tender discovered
// through the other).
TEST_F(NatsLogTest, AFreshReadSeesWhatAnotherServerJustAppended) {
  poll_ = absl::Hours(1);  // the replicas follow only when asked
  std::unique_ptr<RocksEventLog> a = Open("a");
  std::unique_ptr<RocksEventLog> b = Open("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_THAT(a->Append("tender-1", ExpectedRevision::NoStream(), {Event(1), Event(2)}), IsOk());
  ReadStreamRequest read;
  read.stream_id = "tender-1";
  EXPECT_THAT(b->ReadStream(read), StatusIs(absl::StatusCode::kNotFound, ::testing::_));
  read.fresh = true;
  ASSERT_OK_AND_ASSIGN(ReadStreamResult fresh, b->ReadStream(read));
  ASSERT_EQ(fresh.events.size(), 2u);
  EXPECT_EQ(fresh.events[0].event_id, Id(1));
  EXPECT_EQ(fresh.events[1].position, 2u);
  EXPECT_EQ(b->ChainHead(), a->ChainHead());

  // b's own appends in flight (pipelined groups) while a writes and b reads
  // fresh: the read waits for b's groups to settle, then catches up.
  std::atomic<bool> stop = false;
  std::atomic<int> appended = 0;
  std::vector<std::thread> appenders;
  for (int t = 0; t < 4; ++t) {
    appenders.emplace_back([&, t] {
      for (uint64_t n = 0; !stop.load() && n < 400; ++n) {
        if (AppendUntilTold(*b, absl::StrFormat("busy-%d", t), ExpectedRevision::Any(),
                            {Event(1000 + t * 1000 + n)})
                .ok()) {
          ++appended;
        }
      }
    });
  }
  while (appended.load() < 20) absl::SleepFor(absl::Milliseconds(1));
  for (int round = 0; round < 5; ++round) {
    const std::string id = absl::StrFormat("tender-from-a-%d", round);
    ASSERT_THAT(AppendUntilTold(*a, id, ExpectedRevision::NoStream(), {Event(100 + round)}),
                IsOk());
    read.stream_id = id;
    ASSERT_OK_AND_ASSIGN(ReadStreamResult seen, b->ReadStream(read));
    ASSERT_EQ(seen.events.size(), 1u) << id;
    EXPECT_EQ(seen.events[0].event_id, Id(100 + round));
  }
  stop = true;
  for (std::thread& appender : appenders) appender.join();
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, b->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
}

// Two bidtraild writers on the same streams, racing with exact expected
// revisions: JetStream's fence lets exactly one win each revision, and
// nothing acknowledged is lost.
TEST_F(NatsLogTest, TwoWritersRacingHaveOneWinnerPerRevision) {
  std::unique_ptr<RocksEventLog> a = Open("a");
  std::unique_ptr<RocksEventLog> b = Open("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::mutex mu;
  std::map<uint64_t, std::vector<std::string>> winners;  // revision -> event ids
  std::atomic<uint64_t> next_id{1};
  std::atomic<int> aborted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    RocksEventLog* log = t % 2 == 0 ? a.get() : b.get();
    threads.emplace_back([&, log] {
      for (int round = 0; round < 25; ++round) {
        absl::StatusOr<StreamInfo> info = log->GetStreamInfo("race");
        if (!info.ok()) continue;
        const ExpectedRevision expected = info->exists
                                              ? ExpectedRevision::Exact(info->last_revision)
                                              : ExpectedRevision::NoStream();
        const uint64_t id = next_id.fetch_add(1);
        absl::StatusOr<AppendResult> appended =
            AppendUntilTold(*log, "race", expected, {Event(id)});
        if (appended.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          winners[appended->first_revision].push_back(Id(id));
        } else if (appended.status().code() == absl::StatusCode::kAborted) {
          ++aborted;
        } else {
          ADD_FAILURE() << appended.status();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_GT(aborted.load(), 0) << "the writers did race";
  ASSERT_FALSE(winners.empty());
  const uint64_t head = std::max(a->HeadPosition().value(), b->HeadPosition().value());
  ASSERT_TRUE(WaitForHead(*a, head));
  ASSERT_TRUE(WaitForHead(*b, head));
  EXPECT_EQ(a->ChainHead(), b->ChainHead());
  ASSERT_OK_AND_ASSIGN(std::vector<RecordedEvent> stream, ReadWholeStream(*a, "race"));
  ASSERT_EQ(stream.size(), winners.size());
  for (const RecordedEvent& event : stream) {
    ASSERT_EQ(winners[event.revision].size(), 1u) << "revision " << event.revision;
    EXPECT_EQ(winners[event.revision][0], event.event_id);
  }
  ASSERT_OK_AND_ASSIGN(VerifyResult verified, b->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
}

// The fence of a publish pipelined behind one still in flight names that
// group, not only a sequence: when another writer's group takes the place
// of the refused one, the sequence the next publish expects is met, but the
// group before it is not the one it was decided on.
TEST_F(NatsLogTest, APipelinedPublishIsFencedOnTheGroupBeforeItNotOnlyItsSequence) {
  std::shared_ptr<NatsUpstream> mine = Connect();
  std::shared_ptr<NatsUpstream> theirs = Connect();
  ASSERT_NE(mine, nullptr);
  ASSERT_NE(theirs, nullptr);
  ASSERT_OK_AND_ASSIGN(const uint64_t start, mine->LastSequence());
  ASSERT_THAT(theirs->Publish(start, "their group"), IsOk());
  struct Answer {
    absl::Mutex mu;
    std::optional<absl::StatusOr<uint64_t>> outcome ABSL_GUARDED_BY(mu);
    absl::StatusOr<uint64_t> Wait() {
      absl::MutexLock lock(&mu);
      mu.Await(absl::Condition(
          +[](std::optional<absl::StatusOr<uint64_t>>* o) { return o->has_value(); }, &outcome));
      return *outcome;
    }
  };
  auto publish = [](Upstream& upstream, Upstream::Fence fence, std::string group, Answer* answer) {
    upstream.PublishAsync(fence, group, [answer](absl::StatusOr<uint64_t> outcome) {
      absl::MutexLock lock(&answer->mu);
      answer->outcome = std::move(outcome);
    });
  };
  Answer first, second, alone;
  // Decided on `start`: refused, their group took that place.
  publish(*mine, {start, ""}, "my first group", &first);
  // Pipelined behind it: sequence start + 1 is now the last, as expected,
  // but the group there is not "my first group".
  publish(*mine, {start + 1, mine->GroupId("my first group")}, "my second group", &second);
  EXPECT_TRUE(IsFenced(first.Wait().status())) << first.Wait().status();
  EXPECT_TRUE(IsFenced(second.Wait().status())) << second.Wait().status();
  // Naming the group that is there, it lands.
  publish(*mine, {start + 1, mine->GroupId("their group")}, "my third group", &alone);
  const absl::StatusOr<uint64_t> landed = alone.Wait();
  ASSERT_TRUE(landed.ok()) << landed.status();
  EXPECT_EQ(*landed, start + 2);
}

// Two writers, each with many appends in flight at once (pipelined group
// commits), on streams of their own and on shared ones: every acknowledged
// event is in the stream once, where it was acknowledged, and a replica
// built from the stream alone holds exactly that, with the chain intact.
TEST_F(NatsLogTest, TwoPipelinedWritersLeaveOneConsistentLog) {
  std::unique_ptr<RocksEventLog> a = Open("a");
  std::unique_ptr<RocksEventLog> b = Open("b");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  std::mutex mu;
  std::map<std::string, uint64_t> acked;  // event id -> position
  std::atomic<uint64_t> next_id{1};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    RocksEventLog* log = t % 2 == 0 ? a.get() : b.get();
    threads.emplace_back([&, log, t] {
      for (int round = 0; round < 30; ++round) {
        const std::string stream =
            round % 3 == 0 ? "shared" : absl::StrFormat("own-%d-%d", t, round % 4);
        std::vector<ProposedEvent> events;
        for (int i = 0; i < 1 + round % 5; ++i) events.push_back(Event(next_id.fetch_add(1)));
        absl::StatusOr<AppendResult> appended =
            AppendUntilTold(*log, stream, ExpectedRevision::Any(), events);
        ASSERT_TRUE(appended.ok()) << appended.status();
        std::lock_guard<std::mutex> lock(mu);
        for (size_t i = 0; i < events.size(); ++i) {
          acked[events[i].event_id] = appended->first_position + i;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  const uint64_t head = std::max(a->HeadPosition().value(), b->HeadPosition().value());
  EXPECT_EQ(head, acked.size());
  std::unique_ptr<RocksEventLog> fresh = Open("fresh");
  ASSERT_NE(fresh, nullptr);
  for (RocksEventLog* replica : {a.get(), b.get(), fresh.get()}) {
    ASSERT_TRUE(WaitForHead(*replica, head));
    const std::vector<RecordedEvent> events = All(*replica);
    ASSERT_EQ(events.size(), acked.size());
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].position, i + 1);
      ASSERT_EQ(acked[events[i].event_id], events[i].position) << events[i].event_id;
    }
    ASSERT_OK_AND_ASSIGN(VerifyResult verified, replica->Verify());
    EXPECT_TRUE(verified.ok) << verified.problem;
    EXPECT_EQ(replica->ChainHead(), fresh->ChainHead());
  }
}

// JetStream forgets message ids after its de-duplication window; the log's
// idempotency does not depend on it.
TEST_F(NatsLogTest, RetriesAreIdempotentBeyondTheDeduplicationWindow) {
  std::shared_ptr<NatsUpstream> upstream = Connect(absl::Milliseconds(500));
  ASSERT_NE(upstream, nullptr);
  std::unique_ptr<RocksEventLog> a = Open("a", upstream);
  ASSERT_NE(a, nullptr);
  ASSERT_OK_AND_ASSIGN(AppendResult first,
                       a->Append("t", ExpectedRevision::Any(), {Event(1), Event(2)}));
  ASSERT_OK_AND_ASSIGN(const uint64_t sequence, upstream->LastSequence());
  absl::SleepFor(absl::Milliseconds(1200));
  ASSERT_OK_AND_ASSIGN(AppendResult again,
                       a->Append("t", ExpectedRevision::Any(), {Event(1), Event(2)}));
  EXPECT_TRUE(again.already_recorded);
  EXPECT_EQ(again.first_position, first.first_position);
  // And through a replica rebuilt from nothing.
  std::unique_ptr<RocksEventLog> fresh = Open("fresh");
  ASSERT_NE(fresh, nullptr);
  ASSERT_OK_AND_ASSIGN(AppendResult through_fresh,
                       fresh->Append("t", ExpectedRevision::Any(), {Event(1), Event(2)}));
  EXPECT_TRUE(through_fresh.already_recorded);
  ASSERT_OK_AND_ASSIGN(const uint64_t after, upstream->LastSequence());
  EXPECT_EQ(after, sequence) << "nothing was published";
}

// A RocksDB log moved onto JetStream record for record: the replica of the
// copy holds the same events at the same positions with the same chain, and
// appends go on from there. A stream that already holds a log is refused.
TEST_F(NatsLogTest, ARocksDbLogCopiedOntoJetStreamVerifiesTheSame) {
  std::unique_ptr<RocksEventLog> source;
  {
    RocksEventLog::Options options;
    options.path = dir_.path() + "/source";
    ASSERT_OK_AND_ASSIGN(source, RocksEventLog::Open(options));
  }
  for (uint64_t n = 1; n <= 3000; n += 3) {
    ProposedEvent third = Event(n + 2);
    third.written_by = "importer";
    ASSERT_THAT(source->Append(absl::StrFormat("tender-%d", n % 11), ExpectedRevision::Any(),
                               {Event(n), Event(n + 1), third}),
                IsOk());
  }
  std::shared_ptr<NatsUpstream> upstream = Connect();
  ASSERT_NE(upstream, nullptr);
  uint64_t reported = 0;
  ASSERT_OK_AND_ASSIGN(
      const uint64_t copied,
      CopyLogToUpstream(*source, *upstream, [&](uint64_t done, uint64_t) { reported = done; }));
  EXPECT_EQ(copied, 3000u);
  EXPECT_EQ(reported, 3000u);
  std::unique_ptr<RocksEventLog> replica = Open("replica", upstream);
  ASSERT_NE(replica, nullptr);
  EXPECT_EQ(replica->HeadPosition().value(), 3000u);
  EXPECT_EQ(replica->ChainHead(), source->ChainHead());
  const std::vector<RecordedEvent> from_source = All(*source);
  const std::vector<RecordedEvent> from_replica = All(*replica);
  ASSERT_EQ(from_source.size(), from_replica.size());
  for (size_t i = 0; i < from_source.size(); ++i) {
    EXPECT_EQ(from_source[i].hash, from_replica[i].hash);
    EXPECT_EQ(from_source[i].written_by, from_replica[i].written_by);
    EXPECT_EQ(from_source[i].recorded_at, from_replica[i].recorded_at);
  }
  ASSERT_OK_AND_ASSIGN(AppendResult next,
                       replica->Append("tender-new", ExpectedRevision::NoStream(), {Event(9999)}));
  EXPECT_EQ(next.first_position, 3001u);
  EXPECT_THAT(
      CopyLogToUpstream(*source, *upstream).status(),
      StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr("already holds")));
  // The source folder itself becomes a replica of the stream (bidtraild
  // started with --log=nats://... on the data folder it imported): the
  // records it holds are recognised, the rest applied.
  const std::string source_hash = source->ChainHead();
  source.reset();
  RocksEventLog::Options as_replica;
  as_replica.path = dir_.path() + "/source";
  as_replica.upstream = upstream;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<RocksEventLog> became, RocksEventLog::Open(as_replica));
  EXPECT_EQ(became->HeadPosition().value(), 3001u);
  EXPECT_EQ(became->ChainHead(), replica->ChainHead());
  EXPECT_NE(became->ChainHead(), source_hash);
  became.reset();
  // A replica of another log is refused, not mixed in.
  std::unique_ptr<RocksEventLog> other;
  {
    RocksEventLog::Options options;
    options.path = dir_.path() + "/other";
    ASSERT_OK_AND_ASSIGN(other, RocksEventLog::Open(options));
  }
  ASSERT_THAT(other->Append("elsewhere", ExpectedRevision::Any(), {Event(77777)}), IsOk());
  other.reset();
  RocksEventLog::Options wrong;
  wrong.path = dir_.path() + "/other";
  wrong.upstream = upstream;
  EXPECT_THAT(RocksEventLog::Open(wrong).status(),
              StatusIs(absl::StatusCode::kDataLoss, ::testing::HasSubstr("another log")));
}

// A log that went on after it was copied onto a stream holds positions the
// stream does not: its folder is refused as the stream's replica (adopting it
// would put the stream's next positions after ones it never saw), and the
// stream stays whole.
TEST_F(NatsLogTest, AFolderAheadOfTheStreamIsRefused) {
  std::unique_ptr<RocksEventLog> source;
  {
    RocksEventLog::Options options;
    options.path = dir_.path() + "/source";
    ASSERT_OK_AND_ASSIGN(source, RocksEventLog::Open(options));
  }
  for (uint64_t n = 1; n <= 10; ++n) {
    ASSERT_THAT(source->Append("t", ExpectedRevision::Any(), {Event(n)}), IsOk());
  }
  std::shared_ptr<NatsUpstream> upstream = Connect();
  ASSERT_NE(upstream, nullptr);
  ASSERT_THAT(CopyLogToUpstream(*source, *upstream), IsOk());
  ASSERT_THAT(source->Append("t", ExpectedRevision::Any(), {Event(11), Event(12)}), IsOk());
  source.reset();
  RocksEventLog::Options as_replica;
  as_replica.path = dir_.path() + "/source";
  as_replica.upstream = upstream;
  EXPECT_THAT(RocksEventLog::Open(as_replica).status(),
              StatusIs(absl::StatusCode::kDataLoss,
                       ::testing::HasSubstr("holds positions 11 to 12, which")));
  std::unique_ptr<RocksEventLog> fresh = Open("fresh", upstream);
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(fresh->HeadPosition().value(), 10u);
  ASSERT_OK_AND_ASSIGN(AppendResult next, fresh->Append("t", ExpectedRevision::Any(), {Event(13)}));
  EXPECT_EQ(next.first_position, 11u);
}

// An append larger than one JetStream message is refused, naming the limit;
// many large appends at once are split over several messages.
TEST_F(NatsLogTest, AppendsLargerThanAMessageAreRefusedAndGroupsFitInOne) {
  std::shared_ptr<NatsUpstream> upstream = Connect();
  ASSERT_NE(upstream, nullptr);
  std::unique_ptr<RocksEventLog> log = Open("a", upstream);
  ASSERT_NE(log, nullptr);
  ProposedEvent huge = Event(1);
  huge.data = std::string(upstream->MaxGroupBytes(), 'x');
  EXPECT_THAT(log->Append("big", ExpectedRevision::Any(), {huge}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("more than one message of")));
  std::vector<std::thread> threads;
  std::atomic<int> failed{0};
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&, t] {
      ProposedEvent large = Event(100 + t);
      large.data = std::string(upstream->MaxGroupBytes() / 4, 'y');
      if (!log->Append(absl::StrFormat("big-%d", t), ExpectedRevision::Any(), {large}).ok()) {
        ++failed;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(log->HeadPosition().value(), 16u);
}

// Nodes killed under load: 32 durable appenders, each retrying a refused
// append with the same event id until it is acknowledged; kill -9 a node
// that does not lead the stream, then the stream's leader, each restarted.
// Every acknowledged event is in the log once, at the position it was
// acknowledged at; positions gapless; the chain verifies; appends resume
// within a stated time of each kill.
TEST_F(NatsLogTest, NodesKilledUnderLoadLoseNothingAcknowledged) {
  std::shared_ptr<NatsUpstream> upstream = Connect();
  ASSERT_NE(upstream, nullptr);
  std::unique_ptr<RocksEventLog> log = Open("a", upstream);
  ASSERT_NE(log, nullptr);
  struct Acked {
    std::string stream;
    uint64_t position;
    std::string event_id;
  };
  std::mutex mu;
  std::vector<Acked> acked;
  std::map<std::string, int> refusals;  // what appenders were told, and how often
  std::atomic<bool> stop{false};
  std::atomic<int64_t> last_ack_ns{absl::GetCurrentTimeNanos()};
  std::atomic<int64_t> longest_pause_ns{0};
  std::vector<std::thread> appenders;
  for (int t = 0; t < 32; ++t) {
    appenders.emplace_back([&, t] {
      const std::string stream = absl::StrFormat("load-%d", t);
      for (uint64_t n = 1; !stop.load(); ++n) {
        const uint64_t id = static_cast<uint64_t>(t) << 32 | n;
        while (!stop.load()) {
          absl::StatusOr<AppendResult> appended =
              log->Append(stream, ExpectedRevision::Any(), {Event(id)});
          if (appended.ok()) {
            const int64_t now = absl::GetCurrentTimeNanos();
            const int64_t pause = now - last_ack_ns.exchange(now);
            int64_t longest = longest_pause_ns.load();
            while (pause > longest && !longest_pause_ns.compare_exchange_weak(longest, pause)) {
            }
            std::lock_guard<std::mutex> lock(mu);
            acked.push_back({stream, appended->first_position, Id(id)});
            break;
          }
          {
            std::lock_guard<std::mutex> lock(mu);
            ++refusals[std::string(appended.status().message().substr(0, 120))];
          }
          absl::SleepFor(absl::Milliseconds(50));
        }
      }
    });
  }
  auto index_of = [&](const std::string& name) { return name.empty() ? 0 : name.back() - '1'; };
  absl::SleepFor(absl::Seconds(1));
  ASSERT_OK_AND_ASSIGN(const std::string leader, upstream->StreamLeader());
  const int follower = (index_of(leader) + 1) % cluster_->size();
  cluster_->Kill(follower);
  absl::SleepFor(absl::Seconds(2));
  ASSERT_THAT(cluster_->Restart(follower), IsOk());
  absl::SleepFor(absl::Seconds(2));
  ASSERT_OK_AND_ASSIGN(const std::string leader_now, upstream->StreamLeader());
  cluster_->Kill(index_of(leader_now));
  absl::SleepFor(absl::Seconds(4));
  ASSERT_THAT(cluster_->Restart(index_of(leader_now)), IsOk());
  absl::SleepFor(absl::Seconds(2));
  stop = true;
  for (std::thread& appender : appenders) appender.join();
  // A pause still going on at the end counts too.
  longest_pause_ns =
      std::max(longest_pause_ns.load(), absl::GetCurrentTimeNanos() - last_ack_ns.load());
  for (const auto& [message, count] : refusals) std::cout << count << " x " << message << "\n";

  std::cout << "{\"nats_node_loss\":{\"acknowledged\":" << acked.size()
            << ",\"longest_pause_ms\":" << longest_pause_ns.load() / 1000000 << "}}\n";
  ASSERT_GT(acked.size(), 100u);
  EXPECT_LT(longest_pause_ns.load(), absl::ToInt64Nanoseconds(absl::Seconds(20)))
      << "appends resume within 20 s of losing the stream's leader";
  std::unique_ptr<RocksEventLog> fresh = Open("fresh");
  ASSERT_NE(fresh, nullptr);
  for (RocksEventLog* replica : {log.get(), fresh.get()}) {
    ASSERT_TRUE(WaitForHead(*replica, log->HeadPosition().value()));
    const std::vector<RecordedEvent> events = All(*replica);
    std::map<uint64_t, const RecordedEvent*> by_position;
    std::map<std::string, int> seen;
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].position, i + 1) << "gapless";
      by_position[events[i].position] = &events[i];
      ++seen[events[i].event_id];
    }
    for (const Acked& append : acked) {
      ASSERT_EQ(seen[append.event_id], 1) << append.event_id << " once";
      ASSERT_EQ(by_position[append.position]->event_id, append.event_id) << "where acknowledged";
    }
    ASSERT_OK_AND_ASSIGN(VerifyResult verified, replica->Verify());
    EXPECT_TRUE(verified.ok) << verified.problem;
  }
  EXPECT_EQ(fresh->ChainHead(), log->ChainHead());
}

}  // namespace
}  // namespace bidtrail::eventlog
