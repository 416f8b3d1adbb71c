// The EventStore service over real gRPC on 127.0.0.1:0, backed by a real
// RocksDB log, reached through the GrpcEventStore client; and bidtraild as a
// real process.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bidtrail/auth/testing/events.h"
#include "bidtrail/eventlog/forwarding_event_store.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/eventstore/convert.h"
#include "bidtrail/eventstore/grpc_client.h"
#include "bidtrail/eventstore/service.h"
#include "bidtrail/rpc/call_log.h"
#include "bidtrail/rpc/check.h"
#include "bidtrail/rpc/limits.h"
#include "bidtrail/rpc/status.h"
#include "bidtrail/testing/process.h"
#include "bidtrail/testing/status_matchers.h"
#include "bidtrail/v1/queries.pb.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace bidtrail::eventstore {
namespace {

using ::bidtrail::testing::BidtraildProcess;
using ::bidtrail::testing::IsOk;
using ::bidtrail::testing::ScratchDir;
using ::bidtrail::testing::StatusIs;
using eventlog::ExpectedRevision;
using ::testing::HasSubstr;

std::string Id(uint64_t n) { return absl::StrFormat("00000000-0000-4000-8000-%012x", n); }

eventlog::ProposedEvent Event(uint64_t n, std::string type = "bidtrail.v1.BidSubmitted") {
  eventlog::ProposedEvent event;
  event.event_id = Id(n);
  event.type = std::move(type);
  event.data = absl::StrFormat("payload-%d", n);
  event.occurred_at =
      absl::FromUnixSeconds(1767225600 + static_cast<int64_t>(n)) + absl::Nanoseconds(123456789);
  event.actor = "bob";
  event.correlation_id = "c";
  event.causation_id = "d";
  return event;
}

// `service` served on a free loopback port (`*port`); null when it cannot start.
std::unique_ptr<grpc::Server> ServeOnLoopback(grpc::Service* service, int* port) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), port);
  builder.RegisterService(service);
  return builder.BuildAndStart();
}

using AppendStreamCall =
    grpc::ClientReaderWriter<v1::AppendStreamRequest, v1::AppendStreamResponse>;

// Writes append `id` to an open AppendStream, in a message of its own: one
// event, to `stream_id`.
bool WriteAppend(AppendStreamCall* stream, uint64_t id, const std::string& stream_id,
                 v1::ExpectedRevisionKind kind = v1::EXPECTED_REVISION_KIND_ANY) {
  v1::AppendPackedRequest append;
  append.set_stream_id(stream_id);
  append.set_expected_kind(kind);
  ToPacked({Event(id)}, append.mutable_events());
  v1::AppendStreamRequest request;
  v1::AppendStreamEntry* entry = request.add_appends();
  entry->set_request_id(id);
  append.SerializeToString(entry->mutable_append());
  return stream->Write(request);
}

// The answers of an AppendStream, one at a time, whatever messages carry them.
class Answers {
 public:
  explicit Answers(AppendStreamCall* stream) : stream_(stream) {}
  bool Next(v1::AppendStreamAnswer* answer) {
    while (next_ >= message_.answers_size()) {
      if (!stream_->Read(&message_)) return false;
      next_ = 0;
    }
    *answer = message_.answers(next_++);
    return true;
  }
  // Every answer until the call ends.
  std::vector<v1::AppendStreamAnswer> Rest() {
    std::vector<v1::AppendStreamAnswer> all;
    v1::AppendStreamAnswer answer;
    while (Next(&answer)) all.push_back(answer);
    return all;
  }

 private:
  AppendStreamCall* const stream_;
  v1::AppendStreamResponse message_;
  int next_ = 0;
};

class EventStoreServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventlog::RocksEventLog::Options options;
    options.path = dir_.path() + "/log";
    options.sync = false;
    ASSERT_OK_AND_ASSIGN(log_, eventlog::RocksEventLog::Open(options));
    EventStoreGrpcService::Options service_options;
    service_options.backup_dir = dir_.path() + "/backups";
    service_ = std::make_unique<EventStoreGrpcService>(log_.get(), service_options);
    server_ = ServeOnLoopback(service_.get(), &port_);
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
    channel_ = GrpcEventStore::Connect(absl::StrFormat("127.0.0.1:%d", port_));
    client_ = std::make_unique<GrpcEventStore>(channel_, GrpcEventStore::Options());
    stub_ = v1::EventStoreService::NewStub(channel_);
  }

  void TearDown() override { Shutdown(); }

  void Shutdown() {
    if (server_ == nullptr) return;
    service_->BeginShutdown();
    server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    service_->WaitForStreams();
    server_->Wait();
    server_.reset();
    service_.reset();
    log_.reset();
  }

  ScratchDir dir_;
  std::unique_ptr<eventlog::RocksEventLog> log_;
  std::unique_ptr<EventStoreGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<GrpcEventStore> client_;
  std::unique_ptr<v1::EventStoreService::Stub> stub_;
};

TEST_F(EventStoreServiceTest, RoundTripsEveryCall) {
  ASSERT_OK_AND_ASSIGN(eventlog::AppendResult appended,
                       client_->Append("tender-1", ExpectedRevision::NoStream(),
                                       {Event(1), Event(2, "bidtrail.v1.AwardAnnounced")}));
  EXPECT_EQ(appended.first_position, 1u);
  EXPECT_EQ(appended.last_revision, 1u);
  ASSERT_OK_AND_ASSIGN(eventlog::AppendResult retried,
                       client_->Append("tender-1", ExpectedRevision::Any(),
                                       {Event(1), Event(2, "bidtrail.v1.AwardAnnounced")}));
  EXPECT_TRUE(retried.already_recorded);
  ASSERT_THAT(client_->Append("tender-2", ExpectedRevision::Any(), {Event(3)}), IsOk());

  eventlog::ReadStreamRequest read;
  read.stream_id = "tender-1";
  ASSERT_OK_AND_ASSIGN(eventlog::ReadStreamResult stream, client_->ReadStream(read));
  ASSERT_EQ(stream.events.size(), 2u);
  EXPECT_TRUE(stream.end_of_stream);
  const eventlog::RecordedEvent& first = stream.events[0];
  EXPECT_EQ(first.event_id, Id(1));
  EXPECT_EQ(first.occurred_at, Event(1).occurred_at) << "nanoseconds survive the wire";
  EXPECT_EQ(first.actor, "bob");
  EXPECT_EQ(first.data, "payload-1");
  EXPECT_EQ(first.hash.size(), 32u);

  eventlog::ReadAllRequest all;
  all.max_count = 100;
  ASSERT_OK_AND_ASSIGN(eventlog::ReadAllResult everything, client_->ReadAll(all));
  ASSERT_EQ(everything.events.size(), 3u);
  EXPECT_EQ(everything.next_position, 4u);
  all.filter.event_types = {"bidtrail.v1.AwardAnnounced"};
  ASSERT_OK_AND_ASSIGN(eventlog::ReadAllResult awards, client_->ReadAll(all));
  ASSERT_EQ(awards.events.size(), 1u);
  EXPECT_EQ(awards.events[0].position, 2u);

  ASSERT_OK_AND_ASSIGN(eventlog::StreamInfo info, client_->GetStreamInfo("tender-1"));
  EXPECT_TRUE(info.exists);
  EXPECT_EQ(info.event_count, 2u);
  ASSERT_OK_AND_ASSIGN(uint64_t head, client_->HeadPosition());
  EXPECT_EQ(head, 3u);
  ASSERT_OK_AND_ASSIGN(eventlog::VerifyResult verified, client_->Verify());
  EXPECT_TRUE(verified.ok);
  EXPECT_EQ(verified.records_checked, 3u);
  EXPECT_EQ(verified.head_hash, log_->ChainHead());
}

// A client names a backup; it goes into the server's backup folder and
// nowhere else.
// With an authenticator: raw appends and log reads for service and admin
// only; an admin's events carry the admin as actor, a service's the user it
// names; refusals append nothing.
TEST_F(EventStoreServiceTest, WithAccessTheLogIsForServicesAndAdmins) {
  auth::Authenticator authenticator(log_.get());
  ASSERT_OK_AND_ASSIGN(const std::string root, authenticator.Bootstrap("root"));
  const std::string alice = auth::NewToken();
  const std::string svc = auth::NewToken();
  ASSERT_THAT(authenticator.Record({auth::testing::Granted("alice", v1::ROLE_BIDDER, {"*"}),
                                    auth::testing::Granted("svc-tenders", v1::ROLE_SERVICE),
                                    auth::testing::Issued(alice, "alice"),
                                    auth::testing::Issued(svc, "svc-tenders")},
                                   "root", eventlog::ExpectedRevision::Any()),
              IsOk());
  EventStoreGrpcService::Options options;
  options.authenticator = &authenticator;
  options.backup_dir = dir_.path() + "/guarded-backups";
  EventStoreGrpcService guarded(log_.get(), options);
  int port = 0;
  std::unique_ptr<grpc::Server> server = ServeOnLoopback(&guarded, &port);
  ASSERT_GT(port, 0);
  auto as = [&](const std::string& token) {
    GrpcEventStore::Options client_options;
    client_options.token = token;
    return std::make_unique<GrpcEventStore>(
        GrpcEventStore::Connect(absl::StrFormat("127.0.0.1:%d", port)), client_options);
  };
  const uint64_t before = log_->HeadPosition().value();
  const uint64_t denied_before = rpc::DeniedCalls();
  eventlog::ProposedEvent forged = Event(1);
  forged.actor = "the-ceo";
  EXPECT_THAT(as("")->Append("tender-1", ExpectedRevision::Any(), {forged}),
              StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no credential")));
  EXPECT_THAT(as(alice)->Append("tender-1", ExpectedRevision::Any(), {forged}),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("needs service or admin")));
  // Refused within the append stream, each is counted and logged as a
  // refused call is (this server has no call log: only the stream's note).
  EXPECT_EQ(rpc::DeniedCalls(), denied_before + 2);
  EXPECT_THAT(as(alice)->ReadAll(eventlog::ReadAllRequest()),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("needs service or admin")));
  EXPECT_EQ(log_->HeadPosition().value(), before) << "refusals append nothing";
  // A service names the user it acts for; an admin is itself.
  // The event then says which service wrote it, or the service that
  // relayed it says which one did.
  ASSERT_THAT(as(svc)->Append("tender-1", ExpectedRevision::Any(), {forged}), IsOk());
  eventlog::ProposedEvent second = Event(2);
  second.actor = "the-ceo";
  second.written_by = "someone";
  ASSERT_THAT(as(root)->Append("tender-1", ExpectedRevision::Any(), {second}), IsOk());
  eventlog::ProposedEvent relayed = Event(3);
  relayed.actor = "zhu";
  relayed.written_by = "demo-loader";
  eventlog::ProposedEvent own = Event(4);
  own.actor = "svc-tenders";
  ASSERT_THAT(as(svc)->Append("tender-1", ExpectedRevision::Any(), {relayed, own}), IsOk());
  eventlog::ReadStreamRequest read;
  read.stream_id = "tender-1";
  ASSERT_OK_AND_ASSIGN(eventlog::ReadStreamResult stream, as(svc)->ReadStream(read));
  ASSERT_EQ(stream.events.size(), 4u);
  EXPECT_EQ(stream.events[0].actor, "the-ceo");
  EXPECT_EQ(stream.events[0].written_by, "svc-tenders");
  EXPECT_EQ(stream.events[1].actor, "root");
  EXPECT_EQ(stream.events[1].written_by, "");
  EXPECT_EQ(stream.events[2].actor, "zhu");
  EXPECT_EQ(stream.events[2].written_by, "demo-loader");
  EXPECT_EQ(stream.events[3].written_by, "");
  EXPECT_THAT(as(svc)->Backup("copy"),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("needs admin")));
  EXPECT_THAT(as(root)->Backup("copy"), IsOk());
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

TEST_F(EventStoreServiceTest, BackupsGoIntoTheBackupFolderUnderAName) {
  ASSERT_THAT(client_->Append("s", ExpectedRevision::Any(), {Event(1)}), IsOk());
  auto checkpoint = [&](const std::string& name, v1::CheckpointResponse* response) {
    v1::CheckpointRequest request;
    request.set_path(name);
    grpc::ClientContext context;
    return stub_->Checkpoint(&context, request, response);
  };
  for (const std::string& bad : {std::string(dir_.path() + "/elsewhere"), std::string("../up"),
                                 std::string("a/b"), std::string(".hidden"), std::string(""),
                                 std::string("with space"), std::string(101, 'x')}) {
    v1::CheckpointResponse response;
    const grpc::Status status = checkpoint(bad, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << bad;
    EXPECT_THAT(status.error_message(), HasSubstr("is not a backup name")) << bad;
  }
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/elsewhere"));
  EXPECT_FALSE(std::filesystem::exists(dir_.path() + "/up"));
  v1::CheckpointResponse response;
  ASSERT_TRUE(checkpoint("nightly-1", &response).ok());
  EXPECT_EQ(response.path(), dir_.path() + "/backups/nightly-1");
  EXPECT_EQ(response.head_position(), 1u);
  EXPECT_TRUE(std::filesystem::is_directory(dir_.path() + "/backups/nightly-1"));
  EXPECT_EQ(checkpoint("nightly-1", &response).error_code(), grpc::StatusCode::ALREADY_EXISTS);
}

TEST_F(EventStoreServiceTest, ReadAllStreamsManyMessagesUpToTheHead) {
  for (uint64_t batch = 0; batch < 5; ++batch) {
    std::vector<eventlog::ProposedEvent> events;
    for (uint64_t i = 0; i < 1000; ++i) events.push_back(Event(batch * 1000 + i + 1));
    ASSERT_THAT(client_->Append(absl::StrFormat("s-%d", batch), ExpectedRevision::Any(), events),
                IsOk());
  }
  eventlog::ReadAllRequest all;
  all.from_position = 2;
  all.max_count = 4500;
  ASSERT_OK_AND_ASSIGN(eventlog::ReadAllResult result, client_->ReadAll(all));
  ASSERT_EQ(result.events.size(), 4500u);
  for (size_t i = 0; i < result.events.size(); ++i) ASSERT_EQ(result.events[i].position, i + 2);
  EXPECT_EQ(result.next_position, 4502u);

  // On the wire: a client that does not ask for records (an older one)
  // gets RecordedEvent messages; one that asks gets the records, the same
  // events, in fewer bytes to decode.
  for (const bool records : {false, true}) {
    SCOPED_TRACE(records ? "records" : "events");
    v1::ReadAllRequest request;
    request.set_from_position(10);
    request.set_max_count(4200);
    request.mutable_filter()->set_stream_prefix("s-");
    request.set_records(records);
    grpc::ClientContext context;
    auto reader = stub_->ReadAll(&context, request);
    v1::ReadAllResponse message;
    std::vector<eventlog::RecordedEvent> events;
    int messages = 0;
    while (reader->Read(&message)) {
      ++messages;
      EXPECT_EQ(message.records().empty(), !records || message.events_size() > 0);
      for (const v1::RecordedEvent& event : message.events()) events.push_back(FromProto(event));
      ASSERT_THAT(eventlog::DecodeRecords(message.records(), false, &events), IsOk());
    }
    ASSERT_THAT(rpc::FromGrpcStatus(reader->Finish()), IsOk());
    EXPECT_GE(messages, 2);  // at most 4,096 events a message
    ASSERT_EQ(events.size(), 4200u);
    for (size_t i = 0; i < events.size(); ++i) {
      ASSERT_EQ(events[i].position, i + 10);
      ASSERT_EQ(events[i].event_id, Id(i + 10));
      ASSERT_EQ(events[i].hash.size(), 32u);
    }
  }
}

TEST_F(EventStoreServiceTest, ErrorsCarryTheirCodeAndMessage) {
  ASSERT_THAT(client_->Append("t", ExpectedRevision::NoStream(), {Event(1)}), IsOk());
  EXPECT_THAT(client_->Append("t", ExpectedRevision::Exact(5), {Event(2)}),
              StatusIs(absl::StatusCode::kAborted,
                       "stream t: expected revision 5 but its last revision is 0"));
  EXPECT_THAT(client_->Append("$t", ExpectedRevision::Any(), {Event(2)}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("stream_id: must not start")));
  eventlog::ProposedEvent no_time = Event(2);
  no_time.occurred_at = absl::InfinitePast();
  EXPECT_THAT(
      client_->Append("t", ExpectedRevision::Any(), {no_time}),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].occurred_at: required")));
  // Text checks name the field of the event it is in.
  eventlog::ProposedEvent bell = Event(4);
  bell.actor =
      "b\a"
      "b";
  EXPECT_THAT(client_->Append("t", ExpectedRevision::Any(), {Event(3), bell}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].actor: byte 1 is a control character (0x07)")));
  v1::AppendRequest far_future;
  far_future.set_stream_id("t");
  far_future.set_expected_kind(v1::EXPECTED_REVISION_KIND_ANY);
  ToProto(Event(5), far_future.add_events());
  far_future.mutable_events(0)->mutable_occurred_at()->set_seconds(253402300800);
  v1::AppendResponse far_response;
  grpc::ClientContext far_context;
  const grpc::Status far = stub_->Append(&far_context, far_future, &far_response);
  EXPECT_EQ(far.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(far.error_message(), HasSubstr("events[0].occurred_at.seconds: 253402300800"));
  EXPECT_THAT(client_->Append("t", ExpectedRevision::Any(), {Event(1), Event(3)}),
              StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already recorded")));
  eventlog::ReadStreamRequest read;
  read.stream_id = "nope";
  EXPECT_THAT(client_->ReadStream(read),
              StatusIs(absl::StatusCode::kNotFound, "stream nope does not exist"));

  // A request with no expected revision at all is refused, naming the field.
  v1::AppendRequest unspecified;
  unspecified.set_stream_id("t");
  auto* event = unspecified.add_events();
  event->set_event_id(Id(9));
  event->set_type("x");
  event->mutable_occurred_at()->set_seconds(1767225600);
  v1::AppendResponse response;
  grpc::ClientContext context;
  const grpc::Status status = stub_->Append(&context, unspecified, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("expected_kind: 0 is not one of ANY (1)"));

  v1::SubscribeRequest bad_filter;
  bad_filter.mutable_filter()->add_event_types("");
  grpc::ClientContext subscribe_context;
  auto reader = stub_->Subscribe(&subscribe_context, bad_filter);
  v1::SubscribeResponse ignored;
  EXPECT_FALSE(reader->Read(&ignored));
  const grpc::Status refused = reader->Finish();
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(refused.error_message(), HasSubstr("filter.event_types[0]: empty"));

  ASSERT_OK_AND_ASSIGN(uint64_t head, client_->HeadPosition());
  EXPECT_EQ(head, 1u) << "no failed call wrote anything";
}

TEST_F(EventStoreServiceTest, SubscriptionCatchesUpThenGoesLive) {
  for (uint64_t i = 1; i <= 20; ++i) {
    ASSERT_THAT(client_->Append("a", ExpectedRevision::Any(), {Event(i)}), IsOk());
  }
  eventlog::SubscribeRequest request;
  request.from_position = 5;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<eventlog::Subscription> subscription,
                       client_->Subscribe(request));
  std::thread writer([&] {
    for (uint64_t i = 21; i <= 60; ++i) {
      ASSERT_THAT(client_->Append("b", ExpectedRevision::Any(), {Event(i)}), IsOk());
    }
  });
  uint64_t expected = 5;
  int caught_up = 0;
  while (expected <= 60) {
    ASSERT_OK_AND_ASSIGN(eventlog::SubscriptionItem item, subscription->Next());
    if (std::holds_alternative<eventlog::CaughtUp>(item)) {
      ++caught_up;
      continue;
    }
    for (const eventlog::RecordedEvent& event : std::get<eventlog::EventBatch>(item).events) {
      ASSERT_EQ(event.position, expected);
      ++expected;
    }
  }
  writer.join();
  EXPECT_LE(caught_up, 1);
  subscription->Cancel();
  EXPECT_THAT(subscription->Next(),
              StatusIs(absl::StatusCode::kCancelled, "subscription cancelled"));

  // Packed, as a projection asks: the records arrive decoded into packed views.
  eventlog::SubscribeRequest packed_request;
  packed_request.packed = true;
  packed_request.lean = true;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<eventlog::Subscription> packed,
                       client_->Subscribe(packed_request));
  uint64_t next = 1;
  while (next <= 60) {
    ASSERT_OK_AND_ASSIGN(eventlog::SubscriptionItem item, packed->Next());
    ASSERT_TRUE(std::holds_alternative<eventlog::EventBatch>(item)) << "at " << next;
    const eventlog::EventBatch& batch = std::get<eventlog::EventBatch>(item);
    EXPECT_TRUE(batch.events.empty());
    for (size_t i = 0; i < batch.packed.size(); ++i, ++next) {
      ASSERT_EQ(batch.packed[i].position, next);
      ASSERT_EQ(batch.packed[i].data, absl::StrFormat("payload-%d", next));
      ASSERT_EQ(batch.packed[i].stream_id, next <= 20 ? "a" : "b");
    }
  }
}

TEST_F(EventStoreServiceTest, ShutdownEndsAnOpenSubscription) {
  ASSERT_THAT(client_->Append("a", ExpectedRevision::Any(), {Event(1)}), IsOk());
  eventlog::SubscribeRequest request;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<eventlog::Subscription> subscription,
                       client_->Subscribe(request));
  ASSERT_OK_AND_ASSIGN(eventlog::SubscriptionItem first, subscription->Next());
  ASSERT_TRUE(std::holds_alternative<eventlog::EventBatch>(first));
  ASSERT_OK_AND_ASSIGN(eventlog::SubscriptionItem second, subscription->Next());
  ASSERT_TRUE(std::holds_alternative<eventlog::CaughtUp>(second));
  // The subscriber is now blocked waiting for live events; stop the server.
  const absl::Time start = absl::Now();
  Shutdown();
  EXPECT_LT(absl::Now() - start, absl::Seconds(4)) << "shutdown waited for the grace deadline";
  EXPECT_THAT(subscription->Next(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
}

// Per-principal limits: counted per principal, exempt principals free, a
// slot given back when its call ends.
TEST(CallLimitsTest, CountsPerPrincipalAndFreesSlots) {
  rpc::CallLimits::Options options;
  options.max_calls = 2;
  options.max_streams = 1;
  int identified = 0;
  rpc::CallLimits limits(options, [&](const std::string& credential) {
    ++identified;
    return rpc::CallLimits::Identity{credential == "t-svc" ? "svc" : credential.substr(2),
                                     credential == "t-svc"};
  });
  ASSERT_OK_AND_ASSIGN(rpc::CallLimits::Slot first, limits.EnterCall("t-alice"));
  {
    ASSERT_OK_AND_ASSIGN(rpc::CallLimits::Slot second, limits.EnterCall("t-alice"));
    EXPECT_EQ(limits.calls("alice"), 2);
    EXPECT_THAT(limits.EnterCall("t-alice"),
                StatusIs(absl::StatusCode::kResourceExhausted,
                         "alice has 2 calls in flight; at most 2 (bidtraild "
                         "--max_calls_per_principal); retry when some have finished"));
    EXPECT_THAT(limits.EnterCall("t-bob"), IsOk()) << "another principal is not held up";
  }
  EXPECT_EQ(limits.calls("alice"), 1);
  EXPECT_THAT(limits.EnterCall("t-alice"), IsOk());
  ASSERT_OK_AND_ASSIGN(rpc::CallLimits::Slot stream, limits.EnterStream("t-alice"));
  EXPECT_THAT(limits.EnterStream("t-alice"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("1 streams open")));
  for (int i = 0; i < 5; ++i) EXPECT_THAT(limits.EnterStream("t-svc"), IsOk());
  EXPECT_LE(identified, 3) << "each credential is identified once";
  rpc::CallLimits::Slot moved = std::move(stream);
  EXPECT_EQ(limits.streams("alice"), 1);
  moved = rpc::CallLimits::Slot();
  EXPECT_EQ(limits.streams("alice"), 0);
}

// Installed in a server: a principal's second stream past the limit is
// refused; unary calls one after the other never are (their slots are back
// before the client sees the answer).
TEST_F(EventStoreServiceTest, LimitsHoldThroughTheService) {
  rpc::CallLimits::Options options;
  options.max_calls = 1;
  options.max_streams = 1;
  rpc::CallLimits limits(options, [](const std::string&) {
    return rpc::CallLimits::Identity{"anyone", false};
  });
  rpc::CallLimits::Install(&limits);
  struct Uninstall {
    ~Uninstall() { rpc::CallLimits::Install(nullptr); }
  } uninstall;
  for (uint64_t i = 1; i <= 20; ++i) {
    ASSERT_THAT(client_->Append("a", ExpectedRevision::Any(), {Event(i)}), IsOk());
  }
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<eventlog::Subscription> open,
                         client_->Subscribe(eventlog::SubscribeRequest()));
    ASSERT_THAT(open->Next(), IsOk());
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<eventlog::Subscription> second,
                         client_->Subscribe(eventlog::SubscribeRequest()));
    EXPECT_THAT(second->Next(), StatusIs(absl::StatusCode::kResourceExhausted,
                                         HasSubstr("anyone has 1 streams open; at most 1")));
    open->Cancel();
  }
  // The cancelled stream gives its slot back once its thread has ended.
  bool reopened = false;
  for (int i = 0; i < 200 && !reopened; ++i) {
    reopened = limits.streams("anyone") == 0;
    if (!reopened) absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(reopened);
}

TEST_F(EventStoreServiceTest, ConcurrentClientsShareGroupCommits) {
  constexpr int kThreads = 16;
  constexpr int kAppends = 40;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kAppends; ++i) {
        ASSERT_THAT(client_->Append(absl::StrFormat("s-%d", t), ExpectedRevision::Any(),
                                    {Event(1000 * (t + 1) + i)}),
                    IsOk());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_OK_AND_ASSIGN(uint64_t head, client_->HeadPosition());
  EXPECT_EQ(head, uint64_t{kThreads * kAppends});
  ASSERT_OK_AND_ASSIGN(eventlog::VerifyResult verified, client_->Verify());
  EXPECT_TRUE(verified.ok) << verified.problem;
}

// A store that answers in events whatever it is asked (an older server, or
// a backend without records), and appends through Append alone.
class EventsOnlyStore final : public eventlog::ForwardingEventStore {
 public:
  using ForwardingEventStore::ForwardingEventStore;
  absl::StatusOr<eventlog::ReadAllResult> ReadAll(
      const eventlog::ReadAllRequest& request) override {
    eventlog::ReadAllRequest plain = request;
    plain.records = false;
    return store()->ReadAll(plain);
  }
  absl::StatusOr<std::unique_ptr<eventlog::Subscription>> Subscribe(
      const eventlog::SubscribeRequest& request) override {
    eventlog::SubscribeRequest plain = request;
    plain.records = false;
    return store()->Subscribe(plain);
  }
};

// GrpcEventStore asks for records and appends that no thread waits for;
// against a store that can do neither, it reads and writes the same.
TEST_F(EventStoreServiceTest, AStoreWithoutRecordsOrAsyncAppendsServesTheSame) {
  EventsOnlyStore plain_store(log_.get());
  EXPECT_FALSE(plain_store.AppendsAsynchronously());
  EventStoreGrpcService plain_service(&plain_store, EventStoreGrpcService::Options());
  int port = 0;
  std::unique_ptr<grpc::Server> server = ServeOnLoopback(&plain_service, &port);
  ASSERT_GT(port, 0);
  {
    GrpcEventStore client(GrpcEventStore::Connect(absl::StrFormat("127.0.0.1:%d", port)),
                          GrpcEventStore::Options());
    for (uint64_t i = 1; i <= 30; ++i) {
      ASSERT_THAT(
          client.Append(absl::StrFormat("s-%d", i % 3), ExpectedRevision::Any(), {Event(i)}),
          IsOk());
    }
    eventlog::ReadAllRequest all;
    all.max_count = 100;
    ASSERT_OK_AND_ASSIGN(eventlog::ReadAllResult events, client.ReadAll(all));
    ASSERT_EQ(events.events.size(), 30u);
    all.packed = true;
    ASSERT_OK_AND_ASSIGN(eventlog::ReadAllResult packed, client.ReadAll(all));
    ASSERT_EQ(packed.packed.size(), 30u);
    EXPECT_TRUE(packed.events.empty());
    for (size_t i = 0; i < packed.packed.size(); ++i) {
      EXPECT_EQ(packed.packed[i].data, events.events[i].data);
    }
    eventlog::SubscribeRequest subscribe;
    subscribe.packed = true;
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<eventlog::Subscription> subscription,
                         client.Subscribe(subscribe));
    size_t seen = 0;
    while (seen < 30) {
      ASSERT_OK_AND_ASSIGN(eventlog::SubscriptionItem item, subscription->Next());
      ASSERT_TRUE(std::holds_alternative<eventlog::EventBatch>(item));
      const auto& batch = std::get<eventlog::EventBatch>(item);
      for (size_t i = 0; i < batch.packed.size(); ++i, ++seen) {
        EXPECT_EQ(batch.packed[i].position, seen + 1);
      }
    }
    subscription.reset();
  }
  plain_service.BeginShutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  plain_service.WaitForStreams();
  server->Wait();
}

// The same request through Append (an event message each) and AppendPacked
// (the events in one buffer): the same answer, success or error.
TEST_F(EventStoreServiceTest, PackedAndPlainAppendsAnswerAlike) {
  auto send = [&](bool packed, const std::vector<eventlog::ProposedEvent>& events,
                  v1::AppendResponse* response) {
    grpc::ClientContext context;
    if (packed) {
      v1::AppendPackedRequest request;
      request.set_stream_id("t");
      request.set_expected_kind(v1::EXPECTED_REVISION_KIND_ANY);
      ToPacked(events, request.mutable_events());
      v1::AppendPackedResponse packed_response;
      const grpc::Status status = stub_->AppendPacked(&context, request, &packed_response);
      response->set_first_position(packed_response.first_position());
      response->set_last_position(packed_response.last_position());
      response->set_already_recorded(packed_response.already_recorded());
      return status;
    }
    v1::AppendRequest request;
    request.set_stream_id("t");
    request.set_expected_kind(v1::EXPECTED_REVISION_KIND_ANY);
    for (const eventlog::ProposedEvent& event : events) ToProto(event, request.add_events());
    return stub_->Append(&context, request, response);
  };
  // The same through AppendStream: the answer's code and message.
  auto streamed = [&](const std::vector<eventlog::ProposedEvent>& events) {
    grpc::ClientContext context;
    auto stream = stub_->AppendStream(&context);
    v1::AppendPackedRequest append;
    append.set_stream_id("t");
    append.set_expected_kind(v1::EXPECTED_REVISION_KIND_ANY);
    ToPacked(events, append.mutable_events());
    v1::AppendStreamRequest request;
    v1::AppendStreamEntry* entry = request.add_appends();
    entry->set_request_id(77);
    append.SerializeToString(entry->mutable_append());
    EXPECT_TRUE(stream->Write(request));
    EXPECT_TRUE(stream->WritesDone());
    const std::vector<v1::AppendStreamAnswer> answers = Answers(stream.get()).Rest();
    EXPECT_TRUE(stream->Finish().ok()) << "a refused append does not end the stream";
    EXPECT_EQ(answers.size(), 1u) << "one append, one answer";
    if (answers.empty()) return grpc::Status(grpc::StatusCode::INTERNAL, "no answer");
    EXPECT_EQ(answers[0].request_id(), 77u);
    return grpc::Status(static_cast<grpc::StatusCode>(answers[0].code()), answers[0].message());
  };
  eventlog::ProposedEvent bell = Event(2);
  bell.type = "bidtrail\x07";
  eventlog::ProposedEvent far = Event(3);
  far.occurred_at = absl::FromUnixSeconds(253402300800);
  eventlog::ProposedEvent no_time = Event(4);
  no_time.occurred_at = absl::InfinitePast();
  eventlog::ProposedEvent bad_id = Event(5);
  bad_id.event_id = "not-a-uuid";
  eventlog::ProposedEvent two_wrongs = far;  // the time is reported first, by field number
  two_wrongs.actor = "b\x07";
  for (const std::vector<eventlog::ProposedEvent>& events :
       std::vector<std::vector<eventlog::ProposedEvent>>{
           {Event(1), bell}, {far}, {Event(1), no_time}, {bad_id}, {two_wrongs}}) {
    v1::AppendResponse plain_response;
    v1::AppendResponse packed_response;
    const grpc::Status plain = send(false, events, &plain_response);
    const grpc::Status packed = send(true, events, &packed_response);
    EXPECT_EQ(plain.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << plain.error_message();
    EXPECT_EQ(packed.error_code(), plain.error_code());
    EXPECT_EQ(packed.error_message(), plain.error_message());
    const grpc::Status in_stream = streamed(events);
    EXPECT_EQ(in_stream.error_code(), plain.error_code());
    EXPECT_EQ(in_stream.error_message(), plain.error_message());
  }
  ASSERT_OK_AND_ASSIGN(uint64_t head, client_->HeadPosition());
  EXPECT_EQ(head, 0u) << "no refused append wrote anything";

  v1::AppendResponse first;
  ASSERT_TRUE(send(true, {Event(1), Event(2)}, &first).ok());
  EXPECT_EQ(first.first_position(), 1u);
  EXPECT_EQ(first.last_position(), 2u);
  v1::AppendResponse again;
  ASSERT_TRUE(send(false, {Event(1), Event(2)}, &again).ok());
  EXPECT_TRUE(again.already_recorded()) << "a retry the other way is the same append";
  EXPECT_EQ(again.first_position(), 1u);
  eventlog::ReadStreamRequest read;
  read.stream_id = "t";
  read.max_count = 10;
  ASSERT_OK_AND_ASSIGN(eventlog::ReadStreamResult stored, client_->ReadStream(read));
  ASSERT_EQ(stored.events.size(), 2u);
  EXPECT_EQ(stored.events[1].data, Event(2).data);
  EXPECT_EQ(stored.events[1].occurred_at, Event(2).occurred_at);
  EXPECT_EQ(stored.events[1].actor, "bob");

  // Bytes that do not decode; an expected revision left out, as for Append.
  auto raw = [&](const std::string& events, v1::ExpectedRevisionKind kind) {
    v1::AppendPackedRequest request;
    request.set_stream_id("t");
    request.set_expected_kind(kind);
    request.set_events(events);
    v1::AppendPackedResponse response;
    grpc::ClientContext context;
    return stub_->AppendPacked(&context, request, &response);
  };
  const grpc::Status cut = raw(std::string("\x05") + "ab", v1::EXPECTED_REVISION_KIND_ANY);
  EXPECT_EQ(cut.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(cut.error_message(), HasSubstr("events: packed event 0 is cut short"));
  std::string one;
  ToPacked({Event(9)}, &one);
  const grpc::Status unspecified = raw(one, v1::EXPECTED_REVISION_KIND_UNSPECIFIED);
  EXPECT_EQ(unspecified.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(unspecified.error_message(), HasSubstr("expected_kind: 0 is not one of ANY (1)"));
  const grpc::Status none = raw("", v1::EXPECTED_REVISION_KIND_ANY);
  EXPECT_EQ(none.error_code(), grpc::StatusCode::INVALID_ARGUMENT) << none.error_message();
  ASSERT_OK_AND_ASSIGN(head, client_->HeadPosition());
  EXPECT_EQ(head, 2u);
}

// A server of a build before AppendStream and AppendPacked: the client
// appends with Append.
class WithoutPackedAppends final : public v1::EventStoreService::CallbackService {
 public:
  explicit WithoutPackedAppends(EventStoreGrpcService* real) : real_(real) {}
  grpc::ServerUnaryReactor* Append(grpc::CallbackServerContext* context,
                                   const v1::AppendRequest* request,
                                   v1::AppendResponse* response) override {
    ++appends;
    return real_->Append(context, request, response);
  }
  // As a server without these calls answers them.
  grpc::ServerBidiReactor<v1::AppendStreamRequest, v1::AppendStreamResponse>* AppendStream(
      grpc::CallbackServerContext* context) override {
    ++stream_attempts;
    return v1::EventStoreService::CallbackService::AppendStream(context);
  }
  grpc::ServerUnaryReactor* AppendPacked(grpc::CallbackServerContext* context,
                                         const v1::AppendPackedRequest*,
                                         v1::AppendPackedResponse*) override {
    ++packed_attempts;
    grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
    reactor->Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED, ""));
    return reactor;
  }
  std::atomic<int> appends{0};
  std::atomic<int> packed_attempts{0};
  std::atomic<int> stream_attempts{0};

 private:
  EventStoreGrpcService* const real_;
};

TEST_F(EventStoreServiceTest, TheClientAppendsTheOldWayToAServerWithoutPackedAppends) {
  WithoutPackedAppends older(service_.get());
  int port = 0;
  std::unique_ptr<grpc::Server> server = ServeOnLoopback(&older, &port);
  ASSERT_GT(port, 0);
  {
    GrpcEventStore client(GrpcEventStore::Connect(absl::StrFormat("127.0.0.1:%d", port)),
                          GrpcEventStore::Options());
    for (uint64_t i = 1; i <= 3; ++i) {
      ASSERT_OK_AND_ASSIGN(eventlog::AppendResult appended,
                           client.Append("t", ExpectedRevision::Any(), {Event(i)}));
      EXPECT_EQ(appended.first_position, i);
    }
  }
  EXPECT_EQ(older.appends.load(), 3);
  EXPECT_EQ(older.stream_attempts.load(), 1) << "after one UNIMPLEMENTED, the client stops trying";
  EXPECT_EQ(older.packed_attempts.load(), 1) << "after one UNIMPLEMENTED, the client stops trying";
  ASSERT_OK_AND_ASSIGN(uint64_t head, log_->HeadPosition());
  EXPECT_EQ(head, 3u) << "each append landed once";
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  server->Wait();
}

// A store whose appends wait until the test lets them through, so that many
// are in flight at once; each then goes to the real log, in the order
// released.
class HeldStore final : public eventlog::ForwardingEventStore {
 public:
  using ForwardingEventStore::ForwardingEventStore;
  bool AppendsAsynchronously() const override { return true; }
  void AppendAsync(std::string stream_id, ExpectedRevision expected,
                   std::vector<eventlog::ProposedEvent> events, AppendDone done) override {
    absl::MutexLock lock(&mu_);
    held_.push_back(Held{std::move(stream_id), expected, std::move(events), std::move(done)});
  }
  size_t held() {
    absl::MutexLock lock(&mu_);
    return held_.size();
  }
  // Waits up to 10 s until `count` appends are held.
  bool AwaitHeld(size_t count) {
    absl::MutexLock lock(&mu_);
    auto reached = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return held_.size() >= count; };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(10));
  }
  // Lets every held append through, the last one held first.
  void ReleaseNewestFirst() {
    std::vector<Held> taken;
    {
      absl::MutexLock lock(&mu_);
      taken.swap(held_);
    }
    for (auto held = taken.rbegin(); held != taken.rend(); ++held) {
      held->done(store()->Append(held->stream_id, held->expected, held->events));
    }
  }

 private:
  struct Held {
    std::string stream_id;
    ExpectedRevision expected;
    std::vector<eventlog::ProposedEvent> events;
    AppendDone done;
  };
  absl::Mutex mu_;
  std::vector<Held> held_ ABSL_GUARDED_BY(mu_);
};

// A HeldStore over `log`, served on a loopback port of its own.
struct HeldServer {
  explicit HeldServer(eventlog::EventStore* log)
      : held(log), service(&held, EventStoreGrpcService::Options()) {
    server = ServeOnLoopback(&service, &port);
    stub = v1::EventStoreService::NewStub(Channel());
  }
  ~HeldServer() {
    if (server == nullptr) return;
    server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
    server->Wait();
  }
  std::shared_ptr<grpc::Channel> Channel() const {
    return GrpcEventStore::Connect(absl::StrFormat("127.0.0.1:%d", port));
  }
  HeldStore held;
  EventStoreGrpcService service;
  int port = 0;
  std::unique_ptr<grpc::Server> server;
  std::unique_ptr<v1::EventStoreService::Stub> stub;
};

TEST_F(EventStoreServiceTest, AnAppendStreamAnswersEachAppendByItsNumberAsItCompletes) {
  HeldServer held_server(log_.get());
  ASSERT_GT(held_server.port, 0);
  HeldStore& held = held_server.held;
  grpc::ClientContext context;
  auto stream = held_server.stub->AppendStream(&context);
  // More than the service reads while appends wait (256): it stops reading,
  // and reads on as they are answered.
  constexpr int kAppends = 300;
  std::thread writer([&] {
    for (int i = 1; i <= kAppends; ++i) {
      ASSERT_TRUE(WriteAppend(stream.get(), 1000 + i, absl::StrCat("s-", i),
                              v1::EXPECTED_REVISION_KIND_NO_STREAM));
    }
    ASSERT_TRUE(stream->WritesDone());
  });
  ASSERT_TRUE(held.AwaitHeld(256));
  absl::SleepFor(absl::Milliseconds(200));
  EXPECT_EQ(held.held(), 256u) << "the service read past its limit of appends in flight";
  held.ReleaseNewestFirst();
  ASSERT_TRUE(held.AwaitHeld(kAppends - 256));
  held.ReleaseNewestFirst();
  writer.join();
  const std::vector<v1::AppendStreamAnswer> answers = Answers(stream.get()).Rest();
  ASSERT_TRUE(stream->Finish().ok());
  ASSERT_EQ(answers.size(), size_t{kAppends});
  EXPECT_EQ(answers[0].request_id(), 1256u) << "answered as completed: the newest held first";
  std::set<uint64_t> answered;
  for (const v1::AppendStreamAnswer& each : answers) {
    ASSERT_EQ(each.code(), 0) << each.message();
    EXPECT_TRUE(answered.insert(each.request_id()).second) << "answered twice";
    // The answer is the append of that number: its position holds its stream.
    eventlog::ReadAllRequest read;
    read.from_position = each.result().first_position();
    read.max_count = 1;
    ASSERT_OK_AND_ASSIGN(eventlog::ReadAllResult stored, log_->ReadAll(read));
    ASSERT_EQ(stored.events.size(), 1u);
    EXPECT_EQ(stored.events[0].stream_id, absl::StrCat("s-", each.request_id() - 1000));
  }
}

TEST_F(EventStoreServiceTest, AStreamedAppendNotAnsweredInTimeIsADeadlineAndTheStreamGoesOn) {
  HeldServer held_server(log_.get());
  ASSERT_GT(held_server.port, 0);
  HeldStore& held = held_server.held;
  {
    GrpcEventStore::Options options;
    options.timeout = absl::Milliseconds(300);
    GrpcEventStore client(held_server.Channel(), options);
    EXPECT_THAT(client.Append("late", ExpectedRevision::Any(), {Event(1)}),
                StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("may still be recorded")));
    held.ReleaseNewestFirst();  // its answer comes when nobody waits for it
    absl::StatusOr<eventlog::AppendResult> next;
    std::thread appender(
        [&] { next = client.Append("late", ExpectedRevision::Any(), {Event(2)}); });
    ASSERT_TRUE(held.AwaitHeld(1));
    held.ReleaseNewestFirst();
    appender.join();
    ASSERT_THAT(next, IsOk());
    EXPECT_EQ(next->first_position, 2u);
  }
}

TEST_F(EventStoreServiceTest, ShutdownAnswersTheStreamsAppendsInFlightAndRefusesNewOnes) {
  HeldServer held_server(log_.get());
  ASSERT_GT(held_server.port, 0);
  HeldStore& held = held_server.held;
  grpc::ClientContext context;
  auto stream = held_server.stub->AppendStream(&context);
  auto send = [&](uint64_t id) { return WriteAppend(stream.get(), id, "s"); };
  ASSERT_TRUE(send(1));
  ASSERT_TRUE(held.AwaitHeld(1));
  held_server.service.BeginShutdown();
  ASSERT_TRUE(send(2));
  Answers answers(stream.get());
  v1::AppendStreamAnswer answer;
  ASSERT_TRUE(answers.Next(&answer));
  EXPECT_EQ(answer.request_id(), 2u);
  EXPECT_EQ(answer.code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(answer.message(), HasSubstr("shutting down"));
  held.ReleaseNewestFirst();
  ASSERT_TRUE(answers.Next(&answer));
  EXPECT_EQ(answer.request_id(), 1u);
  EXPECT_EQ(answer.code(), 0) << "the append in flight is answered before the stream ends";
  EXPECT_FALSE(answers.Next(&answer));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
  ASSERT_OK_AND_ASSIGN(uint64_t head, log_->HeadPosition());
  EXPECT_EQ(head, 1u);
}

TEST_F(EventStoreServiceTest, ShutdownEndsAnOpenAppendStreamAtOnce) {
  ASSERT_THAT(client_->Append("s", ExpectedRevision::Any(), {Event(1)}), IsOk());
  const absl::Time began = absl::Now();
  Shutdown();
  EXPECT_LT(absl::Now() - began, absl::Seconds(3))
      << "the client's open append stream held shutdown to its deadline (5 s)";
  EXPECT_THAT(client_->Append("s", ExpectedRevision::Any(), {Event(2)}),
              StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
}

TEST_F(EventStoreServiceTest, AppendersRacingAShutdownLoseNothingAcknowledged) {
  constexpr int kThreads = 8;
  std::atomic<bool> stop{false};
  std::vector<std::vector<uint64_t>> acknowledged(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (uint64_t i = 1; !stop.load(); ++i) {
        const uint64_t n = 100000 * (t + 1) + i;
        absl::StatusOr<eventlog::AppendResult> appended =
            client_->Append(absl::StrCat("race-", t), ExpectedRevision::Any(), {Event(n)});
        if (appended.ok()) {
          acknowledged[t].push_back(n);
        } else {
          // The stream ends under it, or the server is gone.
          EXPECT_THAT(appended.status().code(), ::testing::AnyOf(absl::StatusCode::kUnavailable,
                                                                 absl::StatusCode::kCancelled))
              << appended.status();
        }
      }
    });
  }
  absl::SleepFor(absl::Milliseconds(150));
  Shutdown();
  absl::SleepFor(absl::Milliseconds(50));
  stop.store(true);
  for (std::thread& thread : threads) thread.join();
  eventlog::RocksEventLog::Options options;
  options.path = dir_.path() + "/log";
  ASSERT_OK_AND_ASSIGN(log_, eventlog::RocksEventLog::Open(options));
  size_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    eventlog::ReadStreamRequest read;
    read.stream_id = absl::StrCat("race-", t);
    read.max_count = 10000;
    absl::StatusOr<eventlog::ReadStreamResult> stored = log_->ReadStream(read);
    if (acknowledged[t].empty()) continue;
    ASSERT_THAT(stored, IsOk());
    std::set<std::string> ids;
    for (const eventlog::RecordedEvent& event : stored->events) {
      EXPECT_TRUE(ids.insert(event.event_id).second) << "recorded twice: " << event.event_id;
    }
    for (uint64_t n : acknowledged[t]) {
      EXPECT_EQ(ids.count(Event(n).event_id), 1u) << "acknowledged, not recorded: " << n;
    }
    total += acknowledged[t].size();
  }
  EXPECT_GT(total, 0u) << "nothing was appended before the shutdown";
}

TEST_F(EventStoreServiceTest, AppendStreamsLeaveReadersTheirPlaces) {
  EventStoreGrpcService::Options options;
  options.max_open_streams = 1;
  EventStoreGrpcService narrow(log_.get(), options);
  int port = 0;
  std::unique_ptr<grpc::Server> server = ServeOnLoopback(&narrow, &port);
  ASSERT_GT(port, 0);
  {
    // Three clients, three append streams open.
    std::vector<std::unique_ptr<GrpcEventStore>> clients;
    for (uint64_t i = 1; i <= 3; ++i) {
      clients.push_back(std::make_unique<GrpcEventStore>(
          GrpcEventStore::Connect(absl::StrFormat("127.0.0.1:%d", port)),
          GrpcEventStore::Options()));
      ASSERT_THAT(clients.back()->Append("s", ExpectedRevision::Any(), {Event(i)}), IsOk());
    }
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<eventlog::Subscription> subscription,
                         clients[0]->Subscribe(eventlog::SubscribeRequest()));
    EXPECT_THAT(subscription->Next(), IsOk()) << "the append streams took the one reader's place";
    subscription->Cancel();
  }
  narrow.BeginShutdown();
  server->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  narrow.WaitForStreams();
  server->Wait();
}

TEST_F(EventStoreServiceTest, TheClientAppendsOnANewStreamOnceTheServerIsBack) {
  ASSERT_THAT(client_->Append("s", ExpectedRevision::Any(), {Event(1)}), IsOk());
  Shutdown();
  eventlog::RocksEventLog::Options options;
  options.path = dir_.path() + "/log";
  options.sync = false;
  ASSERT_OK_AND_ASSIGN(log_, eventlog::RocksEventLog::Open(options));
  service_ = std::make_unique<EventStoreGrpcService>(log_.get(), EventStoreGrpcService::Options());
  grpc::ServerBuilder builder;
  builder.AddListeningPort(absl::StrFormat("127.0.0.1:%d", port_),
                           grpc::InsecureServerCredentials());
  builder.RegisterService(service_.get());
  server_ = builder.BuildAndStart();
  ASSERT_NE(server_, nullptr);
  // The channel reconnects in its own time; until then appends are
  // UNAVAILABLE, and none is recorded twice.
  absl::StatusOr<eventlog::AppendResult> second;
  for (int i = 0; i < 100; ++i) {
    second = client_->Append("s", ExpectedRevision::Any(), {Event(2)});
    if (second.ok()) break;
    EXPECT_THAT(second, StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_THAT(second, IsOk());
  EXPECT_EQ(second->first_position, 2u);
  ASSERT_OK_AND_ASSIGN(uint64_t head, log_->HeadPosition());
  EXPECT_EQ(head, 2u);
}

// A client's append stream holds the channel (its gRPC context does). Once
// the client is destroyed, no reference may be left on gRPC's callback
// threads: were the channel's last one dropped there, gRPC 1.51 would tear
// down its callback completion queue from one of that queue's own threads
// and free it twice (docs/nats.md). The window is short: many rounds.
TEST_F(EventStoreServiceTest, ADestroyedClientLeavesItsChannelToItsOwnerAlone) {
  for (int round = 0; round < 200; ++round) {
    std::shared_ptr<grpc::Channel> channel =
        GrpcEventStore::Connect(absl::StrFormat("127.0.0.1:%d", port_));
    {
      GrpcEventStore client(channel, GrpcEventStore::Options());
      ASSERT_THAT(client.Append(absl::StrCat("s-", round), ExpectedRevision::NoStream(),
                                {Event(round + 1)}),
                  IsOk());
    }
    ASSERT_EQ(channel.use_count(), 1) << "round " << round;
  }
}

TEST_F(EventStoreServiceTest, AnAppendThatDoesNotParseIsRefusedAloneInItsStreamAndItsMessage) {
  grpc::ClientContext context;
  auto stream = stub_->AppendStream(&context);
  auto send = [&](uint64_t id, const std::string& stream_id) {
    return WriteAppend(stream.get(), id, stream_id);
  };
  ASSERT_TRUE(send(1, "before"));
  ASSERT_TRUE(send(2, "bad\xff"));  // a string field that is not UTF-8
  // One message, three appends: bytes that are no AppendPackedRequest between
  // two that are.
  v1::AppendStreamRequest several;
  for (uint64_t id : {3, 4, 5}) {
    v1::AppendPackedRequest append;
    append.set_stream_id(absl::StrCat("after-", id));
    append.set_expected_kind(v1::EXPECTED_REVISION_KIND_ANY);
    ToPacked({Event(id)}, append.mutable_events());
    v1::AppendStreamEntry* entry = several.add_appends();
    entry->set_request_id(id);
    entry->set_append(id == 4 ? std::string("\xff\xff\xff") : append.SerializeAsString());
  }
  ASSERT_TRUE(stream->Write(several));
  ASSERT_TRUE(stream->WritesDone());
  std::map<uint64_t, v1::AppendStreamAnswer> answers;
  for (const v1::AppendStreamAnswer& answer : Answers(stream.get()).Rest()) {
    answers[answer.request_id()] = answer;
  }
  EXPECT_TRUE(stream->Finish().ok());
  ASSERT_EQ(answers.size(), 5u);
  for (uint64_t recorded : {1, 3, 5}) EXPECT_EQ(answers[recorded].code(), 0) << recorded;
  for (uint64_t refused : {2, 4}) {
    EXPECT_EQ(answers[refused].code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(answers[refused].message(), HasSubstr("append: does not parse"));
  }
  ASSERT_OK_AND_ASSIGN(uint64_t head, log_->HeadPosition());
  EXPECT_EQ(head, 3u);
}

TEST(PackedEventsTest, DecodeWhatWasEncodedAndNameWhatIsWrong) {
  std::vector<eventlog::ProposedEvent> events = {Event(1), Event(2), Event(3)};
  events[0].actor = std::string(300, 'a');  // a length over one varint byte
  events[0].data = std::string("\0\xff\x01", 3);
  events[1].occurred_at = absl::InfinitePast();
  events[1].correlation_id.clear();
  events[2].occurred_at = absl::FromUnixSeconds(-1) + absl::Milliseconds(500);
  events[2].written_by = "svc-tenders";
  events[2].type = "bidtrail.v1.Präsentation";
  std::string packed;
  ToPacked(events, &packed);
  ASSERT_OK_AND_ASSIGN(std::vector<eventlog::ProposedEvent> decoded, FromPacked(packed));
  ASSERT_EQ(decoded.size(), events.size());
  for (size_t i = 0; i < events.size(); ++i) {
    EXPECT_EQ(decoded[i].event_id, events[i].event_id);
    EXPECT_EQ(decoded[i].type, events[i].type);
    EXPECT_EQ(decoded[i].data, events[i].data);
    EXPECT_EQ(decoded[i].occurred_at, events[i].occurred_at);
    EXPECT_EQ(decoded[i].actor, events[i].actor);
    EXPECT_EQ(decoded[i].correlation_id, events[i].correlation_id);
    EXPECT_EQ(decoded[i].causation_id, events[i].causation_id);
    EXPECT_EQ(decoded[i].written_by, events[i].written_by);
  }
  EXPECT_THAT(FromPacked(""), IsOk());

  eventlog::ProposedEvent latin1 = Event(4);
  latin1.correlation_id = "caf\xe9";
  std::string bad;
  ToPacked({Event(3), latin1}, &bad);
  EXPECT_THAT(FromPacked(bad), StatusIs(absl::StatusCode::kInvalidArgument,
                                        "events[1].correlation_id: not valid UTF-8"));
  for (const char* overlong : {"\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x82"}) {
    eventlog::ProposedEvent event = Event(5);
    event.actor = overlong;
    std::string packed_one;
    ToPacked({event}, &packed_one);
    EXPECT_THAT(FromPacked(packed_one),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("events[0].actor")));
  }
  std::string trailing;
  ToPacked({Event(6)}, &trailing);
  trailing[0] = static_cast<char>(trailing[0] + 1);  // the entry claims a byte more...
  trailing.push_back('x');                           // ...which follows its occurred_at
  EXPECT_THAT(FromPacked(trailing),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events: packed event 0 has bytes after its occurred_at")));
  // A million empty entries: refused at the first, nothing large reserved.
  EXPECT_THAT(FromPacked(std::string(1000000, '\0')),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events: packed event 0 is cut short in its event_id")));
  std::string cut;
  ToPacked({Event(7)}, &cut);
  cut.pop_back();
  EXPECT_THAT(FromPacked(cut), StatusIs(absl::StatusCode::kInvalidArgument,
                                        HasSubstr("events: packed event 0 is cut short")));
}

// CheckRequest directly: every request type, at any depth, the first field
// in error (in field number order) named with its range.
TEST(CheckRequestTest, NamesTheFirstFieldInErrorAtAnyDepth) {
  v1::AppendRequest append;
  append.set_stream_id("t");
  append.add_events()->set_type("fine");
  v1::ProposedEvent* second = append.add_events();
  second->set_correlation_id("c\x01");  // field 6
  second->set_actor("a\x02");           // field 5, set after: still reported first
  EXPECT_THAT(rpc::CheckRequest(append),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].actor: byte 1 is a control character (0x02)")));
  second->set_actor("a");
  EXPECT_THAT(
      rpc::CheckRequest(append),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("events[1].correlation_id: byte 1 is a control character (0x01)")));
  second->set_correlation_id("tabs\tand\r\nline breaks");
  second->set_data(std::string("\0\x01\x7f", 3));  // bytes are not looked into
  EXPECT_THAT(rpc::CheckRequest(append), IsOk());
  second->mutable_occurred_at()->set_nanos(-1);
  EXPECT_THAT(rpc::CheckRequest(append),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].occurred_at.nanos: -1; must be 0 to 999,999,999")));
  second->mutable_occurred_at()->set_nanos(0);
  second->mutable_occurred_at()->set_seconds(-62135596801);
  EXPECT_THAT(rpc::CheckRequest(append),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("events[1].occurred_at.seconds: -62135596801; must be a time "
                                 "from 0001-01-01 to 9999-12-31 UTC")));
  append.set_stream_id("t\n\x1b");  // field 1: before the events
  EXPECT_THAT(rpc::CheckRequest(append),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("stream_id: byte 2 is a control character (0x1b)")));

  // Durations; an unset message is not checked, a set one is (even all zero).
  v1::DeadlinesRequest deadlines;
  EXPECT_THAT(rpc::CheckRequest(deadlines), IsOk());
  deadlines.mutable_within();
  EXPECT_THAT(rpc::CheckRequest(deadlines), IsOk());
  deadlines.mutable_within()->set_seconds(1);
  deadlines.mutable_within()->set_nanos(-1);
  EXPECT_THAT(rpc::CheckRequest(deadlines),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("within: seconds 1 and nanos -1 have different signs")));
  deadlines.mutable_within()->set_nanos(0);
  deadlines.mutable_stale_after()->set_seconds(315576000001);  // field 9
  EXPECT_THAT(rpc::CheckRequest(deadlines),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("stale_after.seconds: 315576000001; must be within "
                                 "±315,576,000,000")));
  deadlines.set_territory("x\x7f");  // field 4: before stale_after
  EXPECT_THAT(rpc::CheckRequest(deadlines),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("territory: byte 1 is a control character (0x7f)")));
}

// A type whose fields are declared out of number order: the first field in
// error is still the lowest-numbered one (as ListFields orders them).
TEST(CheckRequestTest, ReportsFieldsInNumberOrderWhateverTheirDeclaration) {
  google::protobuf::FileDescriptorProto file;
  file.set_name("check_order_test.proto");
  file.set_syntax("proto3");
  google::protobuf::DescriptorProto* type = file.add_message_type();
  type->set_name("Shuffled");
  for (const auto& [name, number] : {std::pair<const char*, int>{"second", 2}, {"first", 1}}) {
    google::protobuf::FieldDescriptorProto* field = type->add_field();
    field->set_name(name);
    field->set_number(number);
    field->set_type(google::protobuf::FieldDescriptorProto::TYPE_STRING);
    field->set_label(google::protobuf::FieldDescriptorProto::LABEL_OPTIONAL);
  }
  google::protobuf::DescriptorPool pool;
  const google::protobuf::FileDescriptor* built = pool.BuildFile(file);
  ASSERT_NE(built, nullptr);
  google::protobuf::DynamicMessageFactory factory(&pool);
  std::unique_ptr<google::protobuf::Message> message(
      factory.GetPrototype(built->message_type(0))->New());
  const google::protobuf::Reflection& reflection = *message->GetReflection();
  const google::protobuf::Descriptor& descriptor = *message->GetDescriptor();
  reflection.SetString(message.get(), descriptor.FindFieldByName("second"), "2\x02");
  reflection.SetString(message.get(), descriptor.FindFieldByName("first"), "1\x01");
  EXPECT_THAT(rpc::CheckRequest(*message),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("first: byte 1 is a control character (0x01)")));
  reflection.SetString(message.get(), descriptor.FindFieldByName("first"), "1");
  EXPECT_THAT(rpc::CheckRequest(*message),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("second: byte 1 is a control character (0x02)")));
}

// Plans are worked out on first use, by whichever thread meets a type first.
TEST(CheckRequestTest, ChecksFromManyThreadsAtOnce) {
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&wrong] {
      for (int i = 0; i < 500; ++i) {
        v1::WinLossRequest win_loss;
        win_loss.mutable_from()->set_seconds(1767225600);
        win_loss.set_bidder_id(i % 2 == 0 ? "us" : "u\x03s");
        if (rpc::CheckRequest(win_loss).ok() != (i % 2 == 0)) ++wrong;
        v1::TimelineRequest timeline;
        timeline.set_tender_id(i % 3 == 0 ? "T\x04" : "T-1");
        if (rpc::CheckRequest(timeline).ok() != (i % 3 != 0)) ++wrong;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
}

TEST(StatusMapTest, KeepsCodeAndMessageBothWays) {
  for (absl::StatusCode code : {absl::StatusCode::kInvalidArgument, absl::StatusCode::kAborted,
                                absl::StatusCode::kFailedPrecondition, absl::StatusCode::kNotFound,
                                absl::StatusCode::kAlreadyExists, absl::StatusCode::kUnavailable,
                                absl::StatusCode::kUnauthenticated, absl::StatusCode::kInternal}) {
    const absl::Status status(code, "what and why");
    const grpc::Status wire = rpc::ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(wire.error_code()), static_cast<int>(code));
    EXPECT_EQ(wire.error_message(), "what and why");
    EXPECT_EQ(rpc::FromGrpcStatus(wire), status);
  }
  EXPECT_TRUE(rpc::ToGrpcStatus(absl::OkStatus()).ok());
}

// bidtraild as a real process: starts, serves, stops cleanly on SIGTERM, and
// a restarted server sees what the first one acknowledged.
TEST(BidtraildTest, ServesStopsCleanlyAndKeepsDataAcrossRestart) {
  ScratchDir dir;
  const std::vector<std::string> flags = {"--services=all", "--data_dir=" + dir.path() + "/data"};
  GrpcEventStore::Options as_admin;
  {
    BidtraildProcess server(dir.path(), flags);
    ASSERT_GT(server.port(), 0) << "bidtraild did not start";
    {
      // An idle synchronous client does not answer the server's closing ping
      // (it only polls during calls), which would make shutdown wait out the
      // grace period: close it first.
      GrpcEventStore anonymous(GrpcEventStore::Connect(server.address()),
                               GrpcEventStore::Options());
      // Every call proves who makes it: nothing is written without a token.
      EXPECT_THAT(anonymous.Append("tender-9", ExpectedRevision::NoStream(), {Event(1)}),
                  StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("bidtrail auth init")));
      ASSERT_OK_AND_ASSIGN(as_admin.token,
                           ::bidtrail::testing::InitAdmin(server.address(), "root"));
      GrpcEventStore client(GrpcEventStore::Connect(server.address()), as_admin);
      ASSERT_THAT(client.Append("tender-9", ExpectedRevision::NoStream(), {Event(1), Event(2)}),
                  IsOk());
    }
    EXPECT_EQ(server.Stop(), 0);
  }
  BidtraildProcess server(dir.path(), flags);
  ASSERT_GT(server.port(), 0);
  {
    // Tokens and grants are in the log: they hold after a restart.
    GrpcEventStore anonymous(GrpcEventStore::Connect(server.address()), GrpcEventStore::Options());
    EXPECT_THAT(anonymous.GetStreamInfo("tender-9"),
                StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("no credential")));
    GrpcEventStore client(GrpcEventStore::Connect(server.address()), as_admin);
    ASSERT_OK_AND_ASSIGN(eventlog::StreamInfo info, client.GetStreamInfo("tender-9"));
    EXPECT_EQ(info.event_count, 2u);
    ASSERT_OK_AND_ASSIGN(eventlog::VerifyResult verified, client.Verify());
    EXPECT_TRUE(verified.ok);
  }
  {
    // Bytes that do not parse as the method's message: said, not UNIMPLEMENTED.
    grpc::GenericStub generic(
        grpc::CreateChannel(server.address(), grpc::InsecureChannelCredentials()));
    auto call = [&](const std::string& method, const std::string& bytes) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
      grpc::Slice slice(bytes);
      grpc::ByteBuffer request(&slice, 1);
      grpc::ByteBuffer response;
      grpc::Status status;
      absl::Notification done;
      generic.UnaryCall(&context, method, grpc::StubOptions(), &request, &response,
                        [&](grpc::Status s) {
                          status = std::move(s);
                          done.Notify();
                        });
      done.WaitForNotification();
      return status;
    };
    // Field 1 (stream_id) as a string of invalid UTF-8; then a broken tag.
    const grpc::Status bad_utf8 =
        call("/bidtrail.v1.EventStoreService/GetStreamInfo", std::string("\x0a\x02\xff\xfe", 4));
    EXPECT_EQ(bad_utf8.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(bad_utf8.error_message(),
                HasSubstr("does not parse as the message "
                          "/bidtrail.v1.EventStoreService/GetStreamInfo takes"));
    EXPECT_EQ(
        call("/bidtrail.v1.AccessService/WhoAmI", std::string("\xff\xff\xff", 3)).error_code(),
        grpc::StatusCode::INVALID_ARGUMENT);
    // A method nobody defined stays UNIMPLEMENTED.
    EXPECT_EQ(call("/bidtrail.v1.EventStoreService/NoSuchMethod", "").error_code(),
              grpc::StatusCode::UNIMPLEMENTED);
  }
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace bidtrail::eventstore
