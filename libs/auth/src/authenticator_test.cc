// The authenticator over a real event log: the first admin only once, tokens
// proving their principal, a revocation holding from the next call.
#include "bidtrail/auth/authenticator.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bidtrail/auth/testing/events.h"
#include "bidtrail/eventlog/forwarding_event_store.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/testing/lagging_replica.h"
#include "bidtrail/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace bidtrail::auth {
namespace {

using ::bidtrail::testing::ScratchDir;
using ::testing::HasSubstr;

class AuthenticatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    eventlog::RocksEventLog::Options options;
    options.path = dir_.path() + "/log";
    options.sync = false;
    ASSERT_OK_AND_ASSIGN(log_, eventlog::RocksEventLog::Open(options));
  }

  ScratchDir dir_;
  std::unique_ptr<eventlog::RocksEventLog> log_;
};

TEST_F(AuthenticatorTest, TheFirstAdminOnceThenTokensUntilRevoked) {
  Authenticator authenticator(log_.get());
  ASSERT_OK_AND_ASSIGN(AccessState empty, authenticator.State());
  EXPECT_TRUE(empty.empty());
  EXPECT_THAT(authenticator.Authenticate(""),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated,
                                            HasSubstr("no credential")));

  ASSERT_OK_AND_ASSIGN(const std::string token, authenticator.Bootstrap("root"));
  ASSERT_OK_AND_ASSIGN(const std::string principal, authenticator.Authenticate("Bearer " + token));
  EXPECT_EQ(principal, "root");
  // The log holds the hash, never the token.
  eventlog::ReadStreamRequest read;
  read.stream_id = kAccessStream;
  ASSERT_OK_AND_ASSIGN(eventlog::ReadStreamResult stream, log_->ReadStream(read));
  ASSERT_EQ(stream.events.size(), 2u);
  for (const eventlog::RecordedEvent& event : stream.events) {
    EXPECT_EQ(event.data.find(token), std::string::npos);
    EXPECT_EQ(event.actor, "root");
  }
  EXPECT_EQ(stream.events[0].type, "bidtrail.v1.RoleGranted");
  EXPECT_EQ(stream.events[1].type, "bidtrail.v1.TokenIssued");

  // A second bootstrap, by anyone, is refused and appends nothing.
  EXPECT_THAT(authenticator.Bootstrap("mallory"),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                            HasSubstr("set up already")));
  EXPECT_EQ(log_->HeadPosition().value(), 2u);

  // Another process's authenticator over the same log sees the grants.
  Authenticator other(log_.get());
  ASSERT_OK_AND_ASSIGN(AccessState state, other.State());
  EXPECT_TRUE(state.Has("root", v1::ROLE_ADMIN));

  // Revoked through one authenticator: refused by both on the next call.
  ASSERT_THAT(
      authenticator.Record({testing::Revoked(token)}, "root", eventlog::ExpectedRevision::Any()),
      ::bidtrail::testing::IsOk());
  EXPECT_THAT(
      other.Authenticate("Bearer " + token),
      ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
  EXPECT_THAT(
      authenticator.Authenticate("bearer " + token),
      ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
  EXPECT_THAT(authenticator.Authenticate(token),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated,
                                            HasSubstr("not `Bearer <token>`")));
}

// A verified client certificate, as rpc::Credential passes it, proves its
// subject; the form cannot come from a client's metadata (a newline).
TEST_F(AuthenticatorTest, AClientCertificateProvesItsSubject) {
  Authenticator authenticator(log_.get());
  ASSERT_OK_AND_ASSIGN(const std::string principal, authenticator.Authenticate("\nx509:carol"));
  EXPECT_EQ(principal, "carol");
  EXPECT_THAT(authenticator.Authenticate("x509:carol"),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated,
                                            HasSubstr("not `Bearer <token>`")));
  EXPECT_THAT(authenticator.Authenticate("\nx509:"),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated,
                                            HasSubstr("not `Bearer <token>`")));
}

TEST_F(AuthenticatorTest, RacingBootstrapsHaveOneWinner) {
  std::vector<std::thread> threads;
  std::atomic<int> won{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      Authenticator authenticator(log_.get());
      if (authenticator.Bootstrap("admin-" + std::to_string(i)).ok()) ++won;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(log_->HeadPosition().value(), 2u);
}

// Break glass: a new admin whatever the stream holds, recorded as who ran it.
TEST_F(AuthenticatorTest, RecoverMakesANewAdminAndRecordsWhoDidIt) {
  Authenticator authenticator(log_.get());
  ASSERT_OK_AND_ASSIGN(const std::string lost, authenticator.Bootstrap("root"));
  ASSERT_OK_AND_ASSIGN(const std::string token, authenticator.Recover("rescue", "console:ops"));
  ASSERT_OK_AND_ASSIGN(const std::string principal, authenticator.Authenticate("Bearer " + token));
  EXPECT_EQ(principal, "rescue");
  EXPECT_TRUE(authenticator.Authenticate("Bearer " + lost).ok()) << "revoking is for the admin";
  ASSERT_OK_AND_ASSIGN(AccessState state, authenticator.State());
  EXPECT_TRUE(state.Has("rescue", v1::ROLE_ADMIN));
  eventlog::ReadStreamRequest read;
  read.stream_id = kAccessStream;
  ASSERT_OK_AND_ASSIGN(eventlog::ReadStreamResult stream, log_->ReadStream(read));
  ASSERT_EQ(stream.events.size(), 4u);
  EXPECT_EQ(stream.events[2].actor, "console:ops");
  EXPECT_EQ(stream.events[3].actor, "console:ops");
  EXPECT_THAT(authenticator.Recover("", "console:ops"),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kInvalidArgument, ::testing::_));
}

TEST_F(AuthenticatorTest, ExpiredTokensFailAtTheirTime) {
  absl::Time now = absl::FromUnixSeconds(1800000000);
  Authenticator::Options options;
  options.clock = [&now] { return now; };
  Authenticator authenticator(log_.get(), options);
  const std::string token = NewToken();
  ASSERT_THAT(authenticator.Record({testing::Issued(token, "temp", now + absl::Seconds(60))},
                                   "root", eventlog::ExpectedRevision::Any()),
              ::bidtrail::testing::IsOk());
  EXPECT_TRUE(authenticator.Authenticate("Bearer " + token).ok());
  now += absl::Seconds(60);
  EXPECT_THAT(
      authenticator.Authenticate("Bearer " + token),
      ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("expired")));
}

// A store whose stream reads fail with `failure` while it is set (a remote
// event store that went away).
class FlakyStore : public eventlog::ForwardingEventStore {
 public:
  using ForwardingEventStore::ForwardingEventStore;
  absl::Status failure = absl::OkStatus();

  absl::StatusOr<eventlog::ReadStreamResult> ReadStream(
      const eventlog::ReadStreamRequest& request) override {
    if (!failure.ok()) return failure;
    return store()->ReadStream(request);
  }
};

TEST_F(AuthenticatorTest, AnUnreachableStoreKeepsTheGrantsLastReadButNeverNone) {
  FlakyStore store(log_.get());
  const std::string token = NewToken();
  ASSERT_THAT(
      Authenticator(log_.get())
          .Record({testing::Issued(token, "alice")}, "root", eventlog::ExpectedRevision::Any()),
      ::bidtrail::testing::IsOk());
  // Never read: refused with the store's error.
  {
    store.failure = absl::UnavailableError("connection refused");
    Authenticator fresh(&store);
    EXPECT_THAT(fresh.Authenticate("Bearer " + token),
                ::bidtrail::testing::StatusIs(absl::StatusCode::kUnavailable, ::testing::_));
  }
  store.failure = absl::OkStatus();
  Authenticator authenticator(&store);
  ASSERT_OK_AND_ASSIGN(std::string principal, authenticator.Authenticate("Bearer " + token));
  EXPECT_EQ(principal, "alice");
  // Gone for a while: the grants last read still judge calls.
  store.failure = absl::UnavailableError("connection refused");
  ASSERT_OK_AND_ASSIGN(principal, authenticator.Authenticate("Bearer " + token));
  EXPECT_EQ(principal, "alice");
  EXPECT_THAT(authenticator.Authenticate("Bearer " + NewToken()),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  // Any other failure is not waited out.
  store.failure = absl::DataLossError("damaged");
  EXPECT_THAT(authenticator.Authenticate("Bearer " + token),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kDataLoss, ::testing::_));
  // Back: a revocation made meanwhile holds from the next call.
  store.failure = absl::OkStatus();
  ASSERT_THAT(Authenticator(log_.get())
                  .Record({testing::Revoked(token)}, "root", eventlog::ExpectedRevision::Any()),
              ::bidtrail::testing::IsOk());
  EXPECT_THAT(
      authenticator.Authenticate("Bearer " + token),
      ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
}

// On a server whose log is a replica (docs/nats.md), a token issued and a
// first admin made through another server a moment ago are looked up again
// on what the log holds now before the call is refused.
TEST_F(AuthenticatorTest, ATokenIssuedThroughAnotherServerIsFoundOnAFreshRead) {
  ::bidtrail::testing::LaggingReplica replica(log_.get());
  Authenticator::Options options;
  options.min_fresh_read_interval = absl::ZeroDuration();
  Authenticator here(&replica, options);
  ASSERT_OK_AND_ASSIGN(AccessState empty, here.State());
  EXPECT_TRUE(empty.empty());
  ASSERT_THAT(Authenticator(log_.get()).Bootstrap("root"), ::bidtrail::testing::IsOk());
  // The view still stands before the first admin: an anonymous call is
  // told what it lacks as the log stands now (somebody has rights).
  EXPECT_THAT(here.Authenticate(""),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated,
                                            HasSubstr("send `authorization: Bearer")));
  EXPECT_EQ(replica.fresh_reads, 1);
  const std::string token = NewToken();
  ASSERT_THAT(
      Authenticator(log_.get())
          .Record({testing::Issued(token, "alice")}, "root", eventlog::ExpectedRevision::Any()),
      ::bidtrail::testing::IsOk());
  ASSERT_OK_AND_ASSIGN(const std::string principal, here.Authenticate("Bearer " + token));
  EXPECT_EQ(principal, "alice");
  EXPECT_EQ(replica.fresh_reads, 2);
  // A known token needs no fresh read; an unknown one is refused after one.
  ASSERT_OK_AND_ASSIGN(const std::string again, here.Authenticate("Bearer " + token));
  EXPECT_EQ(again, "alice");
  EXPECT_EQ(replica.fresh_reads, 2);
  EXPECT_THAT(
      here.Authenticate("Bearer " + NewToken()),
      ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("not known")));
  EXPECT_EQ(replica.fresh_reads, 3);
  // Not a bidtrail token, or one known to be revoked: no fresh read.
  EXPECT_THAT(here.Authenticate("Bearer nonsense"),
              ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  ASSERT_THAT(Authenticator(log_.get())
                  .Record({testing::Revoked(token)}, "root", eventlog::ExpectedRevision::Any()),
              ::bidtrail::testing::IsOk());
  replica.seen = log_->HeadPosition().value();
  EXPECT_THAT(
      here.Authenticate("Bearer " + token),
      ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated, HasSubstr("revoked")));
  EXPECT_EQ(replica.fresh_reads, 3);
  // Bad tokens in a stream read fresh at most once per interval (10 ms).
  Authenticator throttled(&replica);
  replica.fresh_reads = 0;
  const absl::Time began = absl::Now();
  for (int i = 0; i < 20; ++i) {
    EXPECT_THAT(throttled.Authenticate("Bearer " + NewToken()),
                ::bidtrail::testing::StatusIs(absl::StatusCode::kUnauthenticated, ::testing::_));
  }
  EXPECT_GE(replica.fresh_reads, 1);
  EXPECT_LE(replica.fresh_reads,
            1 + static_cast<int>((absl::Now() - began) / absl::Milliseconds(10)));
}

}  // namespace
}  // namespace bidtrail::auth
