// The Tenders service over real gRPC on loopback with the real event store:
// in one process (both services on one server) and in two (bidtraild
// processes: one hosting the event store, one hosting tenders).
#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "bidtrail/auth/authenticator.h"
#include "bidtrail/auth/testing/events.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/eventstore/grpc_client.h"
#include "bidtrail/eventstore/service.h"
#include "bidtrail/rpc/wire.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/testing/events.h"
#include "bidtrail/tenders/client.h"
#include "bidtrail/tenders/commands.h"
#include "bidtrail/tenders/service.h"
#include "bidtrail/testing/lagging_replica.h"
#include "bidtrail/testing/process.h"
#include "bidtrail/testing/status_matchers.h"
#include "bidtrail/v1/tenders.grpc.pb.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "gtest/gtest.h"

namespace bidtrail::tenders {
namespace {

using ::bidtrail::testing::BidtraildProcess;
using ::bidtrail::testing::ScratchDir;
using ::testing::HasSubstr;
using namespace ::bidtrail::tender::testing;  // NOLINT: event builders

// A client of TendersService as a user would hold one.
class TendersClient {
 public:
  explicit TendersClient(const std::string& address, std::string actor = "alice",
                         std::string token = "")
      : stub_(v1::TendersService::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))),
        actor_(std::move(actor)),
        token_(std::move(token)) {}

  // Sends `event` through the RPC for its type.
  grpc::Status Send(const std::string& request_id, const v1::TenderEvent& event,
                    v1::CommandResult* result, const v1::LateRecording& late = {}) {
    grpc::ClientContext context;
    if (!actor_.empty()) context.AddMetadata(rpc::kActorHeader, actor_);
    if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    return SendCommand(stub_.get(), &context, request_id, event, result, late);
  }

  grpc::Status Get(const std::string& tender_id, v1::GetTenderResponse* response) {
    grpc::ClientContext context;
    context.AddMetadata(rpc::kActorHeader, actor_);
    if (!token_.empty()) context.AddMetadata("authorization", "Bearer " + token_);
    v1::GetTenderRequest request;
    request.set_tender_id(tender_id);
    return stub_->GetTender(&context, request, response);
  }

 private:
  std::unique_ptr<v1::TendersService::Stub> stub_;
  std::string actor_;
  std::string token_;
};

// Both services on one in-process server, the log on disk.
class TendersServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventlog::RocksEventLog::Options log_options;
    log_options.path = dir_.path() + "/log";
    log_options.sync = false;
    auto opened = eventlog::RocksEventLog::Open(log_options);
    ASSERT_TRUE(opened.ok()) << opened.status();
    log_ = std::move(opened).value();
    TenderCommands::Options options;
    options.domain.own_party_id = kUs;
    // Each command is recorded an hour after it happened (RecordedSoonAfter):
    // the late-recording rules have tests of their own.
    options.clock = [this] {
      absl::MutexLock lock(&clock_mu_);
      return now_;
    };
    commands_ = std::make_unique<TenderCommands>(log_.get(), options);
    tenders_ = std::make_unique<TendersGrpcService>(commands_.get());
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
    builder.RegisterService(tenders_.get());
    server_ = builder.BuildAndStart();
    ASSERT_GT(port, 0);
    address_ = absl::StrFormat("127.0.0.1:%d", port);
    client_ = std::make_unique<TendersClient>(address_);
  }

  void TearDown() override {
    client_.reset();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    server_->Wait();
  }

  uint64_t Head() { return log_->HeadPosition().value(); }

  void RecordedSoonAfter(const v1::TenderEvent& event) {
    absl::MutexLock lock(&clock_mu_);
    now_ = tender::OccurredAtOf(event) + absl::Hours(1);
  }

  v1::CommandResult Ok(const std::string& request_id, const v1::TenderEvent& event) {
    RecordedSoonAfter(event);
    v1::CommandResult result;
    const grpc::Status status = client_->Send(request_id, event, &result);
    EXPECT_TRUE(status.ok()) << request_id << ": " << status.error_message();
    return result;
  }

  absl::Mutex clock_mu_;
  absl::Time now_ ABSL_GUARDED_BY(clock_mu_) = Day(0);
  ScratchDir dir_;
  std::unique_ptr<eventlog::RocksEventLog> log_;
  std::unique_ptr<TenderCommands> commands_;
  std::unique_ptr<TendersGrpcService> tenders_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
  std::unique_ptr<TendersClient> client_;
};

// With an authenticator: a token on every call, the actor its principal
// (never the claimed header), writes only in the caller's territories, a late
// fact's approver a manager of the territory; a refusal appends nothing.
TEST_F(TendersServiceTest, WithAccessTheCallerIsProvenAndKeptToItsTerritories) {
  auth::Authenticator authenticator(log_.get());
  ASSERT_OK_AND_ASSIGN(const std::string root, authenticator.Bootstrap("root"));
  const std::string alice = auth::NewToken();
  const std::string zhao = auth::NewToken();
  const std::string loader = auth::NewToken();
  ASSERT_THAT(authenticator.Record(
                  {auth::testing::Granted("alice", v1::ROLE_BIDDER, {"north"}),
                   auth::testing::Granted("zhao", v1::ROLE_MANAGER, {"north"}),
                   auth::testing::Granted("loader", v1::ROLE_SERVICE),
                   auth::testing::Issued(alice, "alice"), auth::testing::Issued(zhao, "zhao"),
                   auth::testing::Issued(loader, "loader")},
                  "root", eventlog::ExpectedRevision::Any()),
              ::bidtrail::testing::IsOk());

  TendersGrpcService guarded(commands_.get(), 4, &authenticator);
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&guarded);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_GT(port, 0);
  auto stub = v1::TendersService::NewStub(grpc::CreateChannel(absl::StrFormat("127.0.0.1:%d", port),
                                                              grpc::InsecureChannelCredentials()));
  auto send = [&](const std::string& bearer, const std::string& request_id,
                  const v1::TenderEvent& event, v1::CommandResult* result,
                  const v1::LateRecording& late = {}) {
    RecordedSoonAfter(event);
    grpc::ClientContext context;
    context.AddMetadata(rpc::kActorHeader, "the-ceo");  // claimed, never believed
    if (!bearer.empty()) context.AddMetadata("authorization", "Bearer " + bearer);
    return SendCommand(stub.get(), &context, request_id, event, result, late);
  };
  const uint64_t before = Head();
  v1::CommandResult result;
  EXPECT_EQ(send("", "r1", ForTender("N-1", Discovered()), &result).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(send(auth::NewToken(), "r1", ForTender("N-1", Discovered()), &result).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
  // Discovered() is in territory north.
  ASSERT_TRUE(send(alice, "r2", ForTender("N-1", Discovered()), &result).ok());
  v1::TenderEvent south = ForTender("S-1", Discovered());
  south.mutable_tender_discovered()->set_territory("south");
  const grpc::Status refused = send(alice, "r3", south, &result);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("needs bidder or manager of territory south; alice is bidder of north"));
  // A root token records nothing on tenders: admin is not a bidder.
  EXPECT_EQ(send(root, "r4", south, &result).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  // A late fact approved by someone who is not a manager of north: refused.
  v1::LateRecording late;
  late.set_reason("from the paper file");
  late.set_approver("bob");
  v1::TenderEvent document = ForTender("N-1", Document(Day(2)));
  RecordedSoonAfter(document);
  {
    absl::MutexLock lock(&clock_mu_);
    now_ = Day(12);  // after the documents cut-off: the approver is needed
  }
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + alice);
  const grpc::Status unapproved = SendCommand(stub.get(), &context, "r5", document, &result, late);
  EXPECT_EQ(unapproved.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(unapproved.error_message(), HasSubstr("bob is not a manager of territory north"));
  EXPECT_EQ(Head(), before + 1) << "refused calls appended nothing";
  // What was recorded carries the proven actor.
  eventlog::ReadStreamRequest read;
  read.stream_id = "tender-N-1";
  ASSERT_OK_AND_ASSIGN(eventlog::ReadStreamResult stream, log_->ReadStream(read));
  ASSERT_EQ(stream.events.size(), 1u);
  EXPECT_EQ(stream.events[0].actor, "alice");
  EXPECT_EQ(stream.events[0].written_by, "") << "alice wrote it herself";
  // A service records for the user it names, and the event says it wrote it.
  ASSERT_TRUE(send(loader, "s1", ForTender("N-2", Discovered()), &result).ok());
  read.stream_id = "tender-N-2";
  ASSERT_OK_AND_ASSIGN(stream, log_->ReadStream(read));
  ASSERT_EQ(stream.events.size(), 1u);
  EXPECT_EQ(stream.events[0].actor, "the-ceo");
  EXPECT_EQ(stream.events[0].written_by, "loader");

  // A handover: not by a bidder, by a manager of the territory it leaves;
  // then the tender is the receiving territory's.
  const grpc::Status by_bidder =
      send(alice, "h1", ForTender("N-1", HandedOver("south", Day(2))), &result);
  EXPECT_EQ(by_bidder.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(by_bidder.error_message(), HasSubstr("only a manager of north"));
  ASSERT_TRUE(send(zhao, "h2", ForTender("N-1", HandedOver("south", Day(2))), &result).ok());
  const grpc::Status after = send(alice, "h3", ForTender("N-1", Activity(Day(3))), &result);
  EXPECT_EQ(after.error_code(), grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_THAT(after.error_message(), HasSubstr("territory south"));
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
}

TEST_F(TendersServiceTest, DocumentObtainedByWhoeverRecordsItUnlessNamed) {
  Ok("d1", Discovered());
  // Not named (blank): the actor recording it, here bob.
  v1::TenderEvent unnamed = Document(Day(1));
  unnamed.mutable_document_obtained()->set_obtained_by("  ");
  RecordedSoonAfter(unnamed);
  TendersClient bob(address_, "bob");
  v1::CommandResult result;
  ASSERT_TRUE(bob.Send("d2", unnamed, &result).ok());
  ASSERT_EQ(result.events_size(), 1);
  EXPECT_EQ(result.events(0).document_obtained().obtained_by(), "bob");
  // Named: as named, whoever records it.
  v1::TenderEvent named = Document(Day(1.5));
  named.mutable_document_obtained()->set_obtained_by("carol");
  RecordedSoonAfter(named);
  ASSERT_TRUE(bob.Send("d3", named, &result).ok());
  EXPECT_EQ(result.events(0).document_obtained().obtained_by(), "carol");
}

TEST_F(TendersServiceTest, FullLifecycleThroughTheService) {
  Ok("r1", Discovered({"L1", "L2"}));
  v1::TenderEvent amendment = Amended(Day(2));
  ToProtoTime(
      Day(22),
      amendment.mutable_tender_amended()->mutable_key_dates()->mutable_submission_deadline());
  ToProtoTime(Day(23),
              amendment.mutable_tender_amended()->mutable_key_dates()->mutable_bid_opening_at());
  Ok("r2", amendment);
  const v1::CommandResult late_docs = Ok("r3", Document(Day(13), "division chief Li"));
  ASSERT_EQ(late_docs.events_size(), 1);
  EXPECT_TRUE(late_docs.events(0).document_obtained().exception());
  Ok("r4", Bid(kUs, "480000.00", Day(21), "L1"));
  Ok("r5", Bid("C-1", "450000.00", Day(21), "L1"));
  Ok("r6", Bid("C-2", "470000.00", Day(21.5), "L1"));
  Ok("r7", Award("A1", "C-1", "450000.00", Day(30), "L1"));
  Ok("r8", AwardCancelled("A1", Day(35)));
  Ok("r9", Disqualified("C-1", Day(35), "L1"));
  const v1::CommandResult reaward = Ok("r10", Award("A2", kUs, "480000.00", Day(36), "L1"));
  EXPECT_EQ(reaward.revision(), 9u);
  EXPECT_EQ(reaward.events(0).award_announced().lot_id(), "L1");

  v1::GetTenderResponse got;
  ASSERT_TRUE(client_->Get(kTender, &got).ok());
  EXPECT_EQ(got.revision(), 9u);
  const v1::TenderView& view = got.tender();
  EXPECT_EQ(view.status(), v1::TENDER_STATUS_OPEN);
  EXPECT_TRUE(view.documents_exception());
  EXPECT_EQ(FromProtoTime(view.details().key_dates().submission_deadline()), Day(22));
  ASSERT_EQ(view.lots_size(), 2);
  EXPECT_EQ(view.lots(0).status(), v1::LOT_STATUS_AWARDED);
  ASSERT_EQ(view.lots(0).awards_size(), 2);
  EXPECT_TRUE(view.lots(0).awards(0).cancelled());
  EXPECT_FALSE(view.lots(0).awards(1).cancelled());
  EXPECT_TRUE(view.lots(0).bids(0).ours());
  EXPECT_EQ(view.lots(0).bids(1).status(), v1::BID_STATUS_DISQUALIFIED);

  // The log: gapless revisions, the actor and the request on every event.
  eventlog::ReadStreamRequest read;
  read.stream_id = "tender-T-1";
  auto stream = log_->ReadStream(read);
  ASSERT_TRUE(stream.ok());
  ASSERT_EQ(stream->events.size(), 10u);
  for (size_t i = 0; i < stream->events.size(); ++i) {
    const eventlog::RecordedEvent& event = stream->events[i];
    EXPECT_EQ(event.revision, i);
    EXPECT_EQ(event.actor, "alice");
    EXPECT_EQ(event.causation_id, absl::StrFormat("r%d", i + 1));
    // Derived from the request id and the command: not the id of the same
    // request id without the command.
    EXPECT_NE(event.event_id, DeriveEventId("tender-T-1", event.causation_id, 0));
    EXPECT_TRUE(tender::IsTenderEventType(event.type)) << event.type;
  }
  EXPECT_EQ(stream->events[3].occurred_at, Day(21));
}

// A request id names one command: its exact retry is answered with the first
// result, another command under it is refused and appends nothing.
TEST_F(TendersServiceTest, ARequestIdReusedForAnotherCommandIsRefused) {
  Ok("r1", Discovered());
  Ok("r2", Activity(Day(2)));
  const uint64_t head = Head();
  const v1::CommandResult retry = Ok("r2", Activity(Day(2)));
  EXPECT_TRUE(retry.already_applied());
  v1::CommandResult result;
  const v1::TenderEvent other = Activity(Day(3));
  RecordedSoonAfter(other);
  const grpc::Status reused = client_->Send("r2", other, &result);
  EXPECT_EQ(reused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(reused.error_message(),
              HasSubstr("request_id r2 was used for another command on tender T-1 (recorded at "
                        "position 2)"));
  EXPECT_EQ(Head(), head);
}

TEST_F(TendersServiceTest, RefusalsCarryCodeAndMessageAndAppendNothing) {
  Ok("r1", Discovered());
  const uint64_t head = Head();
  struct Case {
    v1::TenderEvent command;
    grpc::StatusCode code;
    std::string message;
  };
  const std::vector<Case> cases = {
      {Discovered(), grpc::StatusCode::ALREADY_EXISTS, "tender T-1 already exists"},
      {Bid(kUs, "900.00", Day(8)), grpc::StatusCode::FAILED_PRECONDITION,
       "we have not obtained the tender documents"},
      {Bid("C-1", "0", Day(8)), grpc::StatusCode::INVALID_ARGUMENT,
       "amount.amount: must be greater than zero"},
      {Document(Day(12)), grpc::StatusCode::FAILED_PRECONDITION, "needs an exception_approver"},
      {[] {
         v1::TenderEvent other = Bid("C-1", "1.00", Day(3));
         other.mutable_bid_submitted()->set_tender_id("T-404");
         return other;
       }(),
       grpc::StatusCode::NOT_FOUND, "tender T-404 not found"},
      // What no rule would have caught: held to the request's own shape.
      {[] {
         v1::TenderEvent odd = Document(Day(3));
         odd.mutable_document_obtained()->mutable_occurred_at()->set_nanos(2000000000);
         return odd;
       }(),
       grpc::StatusCode::INVALID_ARGUMENT,
       "occurred_at.nanos: 2000000000; must be 0 to 999,999,999"},
      {[] {
         v1::TenderEvent odd = Document(Day(3));
         odd.mutable_document_obtained()->set_obtained_by(std::string("Li\0Wei", 6));
         return odd;
       }(),
       grpc::StatusCode::INVALID_ARGUMENT,
       "obtained_by: byte 2 is a control character (0x00); text may hold tabs and line breaks"},
      {[] {
         v1::TenderEvent odd = Activity(Day(2));
         odd.mutable_activity_logged()->set_contact_name(
             std::string("\x07"
                         "bell"));
         return odd;
       }(),
       grpc::StatusCode::INVALID_ARGUMENT, "contact_name: byte 0 is a control character (0x07)"},
      // A value of a megabyte: refused by its length, the message short.
      {[] {
         v1::TenderEvent big = Document(Day(3));
         big.mutable_document_obtained()->set_obtained_by(std::string(1 << 20, 'x'));
         return big;
       }(),
       grpc::StatusCode::INVALID_ARGUMENT, "obtained_by"},
  };
  int n = 0;
  for (const Case& c : cases) {
    v1::CommandResult result;
    RecordedSoonAfter(c.command);
    const grpc::Status status = client_->Send(absl::StrFormat("bad-%d", n++), c.command, &result);
    EXPECT_EQ(status.error_code(), c.code) << status.error_message().substr(0, 200);
    EXPECT_THAT(status.error_message(), HasSubstr(c.message));
    EXPECT_LE(status.error_message().size(), 1100u);
  }
  EXPECT_EQ(Head(), head) << "refusals append nothing";
  v1::CommandResult result;
  const grpc::Status no_request_id = client_->Send("", Activity(Day(2)), &result);
  EXPECT_EQ(no_request_id.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(no_request_id.error_message(), HasSubstr("request_id: 0 bytes"));

  TendersClient anonymous(address_, "");
  const grpc::Status unauthenticated = anonymous.Send("r9", Activity(Day(2)), &result);
  EXPECT_EQ(unauthenticated.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(unauthenticated.error_message(), HasSubstr("x-bidtrail-actor"));
  TendersClient blank(address_, "   ");
  const grpc::Status blank_actor = blank.Send("r10", Activity(Day(2)), &result);
  EXPECT_EQ(blank_actor.error_code(), grpc::StatusCode::UNAUTHENTICATED);
  TendersClient padded(address_, " alice");
  const grpc::Status padded_actor = padded.Send("r11", Activity(Day(2)), &result);
  EXPECT_EQ(padded_actor.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(padded_actor.error_message(),
              HasSubstr("actor: \" alice\" has white space at an end"));

  v1::GetTenderResponse missing;
  EXPECT_EQ(client_->Get("T-404", &missing).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(Head(), head) << "a refused command appended something";
}

TEST_F(TendersServiceTest, RetriedCommandReturnsTheFirstResult) {
  const v1::CommandResult first = Ok("discover-1", Discovered());
  Ok("docs-1", Document(Day(3)));
  const v1::CommandResult bid = Ok("bid-1", Bid(kUs, "10.00", Day(4)));
  const uint64_t head = Head();
  // The same requests again, even the discovery that would now be refused.
  const v1::CommandResult again = Ok("discover-1", Discovered());
  EXPECT_TRUE(again.already_applied());
  EXPECT_EQ(again.first_position(), first.first_position());
  EXPECT_EQ(again.revision(), 0u);
  ASSERT_EQ(again.events_size(), 1);
  EXPECT_TRUE(again.events(0).has_tender_discovered());
  const v1::CommandResult bid_again = Ok("bid-1", Bid(kUs, "10.00", Day(4)));
  EXPECT_TRUE(bid_again.already_applied());
  EXPECT_EQ(bid_again.revision(), bid.revision());
  EXPECT_EQ(Head(), head);
}

// A command refused on a replica's stale view (the tender was discovered
// through another server a moment ago) is decided again, once, on what the
// log holds now; so is one the log refuses (ABORTED) after the stale view
// accepted it; a refusal that holds on the fresh view stands; a malformed
// command is refused without that read.
TEST_F(TendersServiceTest, ACommandRefusedOnAStaleViewIsDecidedAgainOnAFreshOne) {
  Ok("discover-1", Discovered());  // through "the other server"
  ::bidtrail::testing::LaggingReplica replica(log_.get());
  replica.seen = 0;
  TenderCommands::Options options = commands_->options();
  TenderCommands here(&replica, options);
  const v1::TenderEvent document = Document(Day(3));
  RecordedSoonAfter(document);
  ASSERT_OK_AND_ASSIGN(v1::CommandResult recorded, here.Execute({"alice"}, "docs-1", document));
  EXPECT_EQ(replica.fresh_reads, 1);
  EXPECT_EQ(recorded.revision(), 1u);
  EXPECT_FALSE(recorded.already_applied());

  // Accepted on the stale view (no tender there yet), refused by the log
  // (ABORTED: the stream exists), decided again on a fresh view: refused
  // there, nothing written.
  const uint64_t head = Head();
  replica.seen = 0;
  replica.fresh_reads = 0;
  const v1::TenderEvent again = Discovered();
  RecordedSoonAfter(again);
  EXPECT_THAT(
      here.Execute({"alice"}, "discover-2", again),
      ::bidtrail::testing::StatusIs(absl::StatusCode::kAlreadyExists, HasSubstr("already exists")));
  EXPECT_EQ(replica.fresh_reads, 1);
  EXPECT_EQ(Head(), head);

  // Malformed whatever the log holds: no fresh read.
  replica.fresh_reads = 0;
  const v1::TenderEvent zero = Bid("C-1", "0", Day(4));
  RecordedSoonAfter(zero);
  EXPECT_THAT(here.Execute({"alice"}, "bid-0", zero),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
  EXPECT_EQ(replica.fresh_reads, 0);
  EXPECT_EQ(Head(), head);

  // The log cannot be read fresh (its upstream unreachable): the refusal
  // stands as the stale view gave it.
  replica.seen = 0;
  replica.fresh_failure = absl::UnavailableError("nats: no servers available");
  const v1::TenderEvent bid = Bid(kUs, "10.00", Day(4));
  RecordedSoonAfter(bid);
  EXPECT_THAT(here.Execute({"alice"}, "bid-1", bid),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kNotFound, HasSubstr("T-1")));
  EXPECT_EQ(Head(), head);
}

// The late-recording rule through the service: the request's `late` reaches
// Decide, and the explanation is stored after the fact.
TEST_F(TendersServiceTest, LateRecordingsCarryTheirReasonIntoTheLog) {
  Ok("r1", Discovered());
  {
    absl::MutexLock lock(&clock_mu_);
    now_ = Day(4);  // the documents, obtained on day 2, are recorded on day 4
  }
  const uint64_t head = Head();
  v1::CommandResult result;
  const grpc::Status refused = client_->Send("late-1", Document(Day(2)), &result);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(refused.error_message(), HasSubstr("needs a reason (late.reason"));
  EXPECT_EQ(Head(), head);
  v1::LateRecording late;
  late.set_reason("the courier's receipt arrived today");
  ASSERT_TRUE(client_->Send("late-2", Document(Day(2)), &result, late).ok());
  ASSERT_EQ(result.events_size(), 2);
  EXPECT_EQ(result.events(1).recorded_late().reason(), late.reason());
  EXPECT_EQ(Head(), head + 2);
  const std::vector<eventlog::RecordedEvent> stream =
      eventlog::ReadWholeStream(*log_, tender::StreamIdOf(kTender)).value();
  ASSERT_EQ(stream.size(), 3u);
  EXPECT_EQ(stream[2].type, "bidtrail.v1.RecordedLate");
  EXPECT_EQ(stream[2].actor, "alice");
  // A retry returns the first result, explanation included.
  ASSERT_TRUE(client_->Send("late-2", Document(Day(2)), &result, late).ok());
  EXPECT_TRUE(result.already_applied());
  EXPECT_EQ(result.events_size(), 2);
}

// Voiding through the service: it looks the entry up by position, fills in
// its revision and type, and the state leaves it out; mistakes in the
// voiding itself change nothing.
TEST_F(TendersServiceTest, VoidingAnEntryByItsPosition) {
  Ok("r1", Discovered());
  const v1::CommandResult document = Ok("r2", Document(Day(2)));
  {
    absl::MutexLock lock(&clock_mu_);
    now_ = Day(3);
  }
  const uint64_t head = Head();
  v1::CommandResult result;
  grpc::Status status = client_->Send("v0", Voided(head + 7, Day(3)), &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("holds no event of tender T-1"));
  status = client_->Send("v0", Voided(1, Day(3)), &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("is the discovery of tender T-1"));
  EXPECT_EQ(Head(), head);

  ASSERT_TRUE(client_->Send("v1", Voided(document.first_position(), Day(3)), &result).ok());
  ASSERT_EQ(result.events_size(), 1);
  EXPECT_EQ(result.events(0).entry_voided().revision(), 1u);
  EXPECT_EQ(result.events(0).entry_voided().voided_type(), "bidtrail.v1.DocumentObtained");
  EXPECT_EQ(Head(), head + 1);
  ASSERT_OK_AND_ASSIGN(auto loaded, commands_->Load(kTender));
  EXPECT_FALSE(loaded.first.documents_obtained);
  status = client_->Send("v2", Voided(document.first_position(), Day(3)), &result);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("is already voided"));
}

TEST_F(TendersServiceTest, SixteenConcurrentBidsAllLandOnce) {
  Ok("r1", Discovered());
  constexpr int kClients = 16;
  std::atomic<int> failures{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> threads;
  RecordedSoonAfter(Bid("C-00", "1.00", Day(15)));
  for (int i = 0; i < kClients; ++i) {
    threads.emplace_back([&, i] {
      TendersClient client(address_, absl::StrFormat("rep-%d", i));
      while (!go.load()) std::this_thread::yield();
      v1::CommandResult result;
      const grpc::Status status = client.Send(
          absl::StrFormat("bid-%d", i),
          Bid(absl::StrFormat("C-%02d", i), absl::StrFormat("%d.00", 1000 + i), Day(15)), &result);
      if (!status.ok()) {
        ++failures;
        ADD_FAILURE() << status.error_message();
      }
    });
  }
  go.store(true);
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  v1::GetTenderResponse got;
  ASSERT_TRUE(client_->Get(kTender, &got).ok());
  ASSERT_EQ(got.tender().lots_size(), 1);
  EXPECT_EQ(got.tender().lots(0).bids_size(), kClients) << "a bid was lost or doubled";
  EXPECT_EQ(got.revision(), static_cast<uint64_t>(kClients));
  std::set<std::string> bidders;
  for (const v1::BidView& bid : got.tender().lots(0).bids())
    bidders.insert(bid.bid().bidder().id());
  EXPECT_EQ(bidders.size(), static_cast<size_t>(kClients));
}

// Two bidtraild processes: the event store in one, tenders in the other.
TEST(TendersTwoProcessTest, CommandsGoThroughARemoteEventStore) {
  ScratchDir dir;
  BidtraildProcess store(
      dir.path(), {"--services=eventstore", "--sync=false", "--data_dir=" + dir.path() + "/data"});
  ASSERT_GT(store.port(), 0) << "the event store process did not start";
  // The tenders process reaches the event store with a service token, and
  // refuses to start without one.
  const std::vector<std::string> tender_flags = {
      "--services=tenders", "--eventstore=" + store.address(), "--own_party_id=us"};
  {
    BidtraildProcess tokenless(dir.path(), tender_flags);
    EXPECT_EQ(tokenless.port(), 0) << "started without BIDTRAIL_SERVICE_TOKEN";
  }
  absl::StatusOr<std::string> admin = ::bidtrail::testing::InitAdmin(store.address(), "root");
  ASSERT_TRUE(admin.ok()) << admin.status();
  absl::StatusOr<std::string> service =
      ::bidtrail::testing::GrantWithToken(store.address(), *admin, "tenders-1", "service");
  ASSERT_TRUE(service.ok()) << service.status();
  absl::StatusOr<std::string> alice =
      ::bidtrail::testing::GrantWithToken(store.address(), *admin, "alice", "manager");
  ASSERT_TRUE(alice.ok()) << alice.status();
  BidtraildProcess tenders(dir.path(), tender_flags, {{"BIDTRAIL_SERVICE_TOKEN", *service}});
  ASSERT_GT(tenders.port(), 0) << "the tenders process did not start";
  {
    TendersClient client(tenders.address(), "someone-else", *alice);
    // Real clock on this server: key dates relative to now.
    v1::TenderEvent discovered = Discovered();
    const absl::Time now = absl::Now();
    auto* tender = discovered.mutable_tender_discovered();
    ToProtoTime(now - absl::Hours(48), tender->mutable_occurred_at());
    ToProtoTime(now + absl::Hours(24),
                tender->mutable_key_dates()->mutable_documents_available_until());
    ToProtoTime(now + absl::Hours(72), tender->mutable_key_dates()->mutable_submission_deadline());
    ToProtoTime(now + absl::Hours(74), tender->mutable_key_dates()->mutable_bid_opening_at());
    v1::CommandResult result;
    ASSERT_TRUE(client.Send("p1", discovered, &result).ok());
    ASSERT_TRUE(client.Send("p2", Document(now - absl::Hours(1)), &result).ok());
    const grpc::Status bid = client.Send("p3", Bid("us", "99.00", now - absl::Minutes(5)), &result);
    ASSERT_TRUE(bid.ok()) << bid.error_message();
    EXPECT_EQ(result.revision(), 2u);
    v1::GetTenderResponse got;
    ASSERT_TRUE(client.Get(kTender, &got).ok());
    EXPECT_TRUE(got.tender().lots(0).bids(0).ours());
  }
  {
    eventstore::GrpcEventStore::Options options;
    options.token = *admin;
    eventstore::GrpcEventStore events(eventstore::GrpcEventStore::Connect(store.address()),
                                      options);
    auto info = events.GetStreamInfo("tender-T-1");
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->event_count, 3u);
    // Recorded as the user the token proves, not the one claimed.
    eventlog::ReadStreamRequest read;
    read.stream_id = "tender-T-1";
    auto events_read = events.ReadStream(read);
    ASSERT_TRUE(events_read.ok()) << events_read.status();
    for (const eventlog::RecordedEvent& event : events_read->events) {
      EXPECT_EQ(event.actor, "alice");
    }
  }
  EXPECT_EQ(tenders.Stop(), 0);
  EXPECT_EQ(store.Stop(), 0);
}

}  // namespace
}  // namespace bidtrail::tenders
