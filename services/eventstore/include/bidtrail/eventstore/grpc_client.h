// GrpcEventStore: the EventStore interface over gRPC, for services that run in
// another process than the event store. Everything above the interface works
// the same with this client or with the in-process RocksEventLog.
// Thread-safe.
#ifndef BIDTRAIL_EVENTSTORE_GRPC_CLIENT_H_
#define BIDTRAIL_EVENTSTORE_GRPC_CLIENT_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/v1/eventstore.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"

namespace bidtrail::eventstore {

class GrpcEventStore final : public eventlog::EventStore {
 public:
  struct Options {
    // Deadline of each unary call and of each ReadAll.
    absl::Duration timeout = absl::Seconds(30);
    // Deadline of Verify, which reads the whole log.
    absl::Duration verify_timeout = absl::Hours(2);
    // Sent as `authorization: Bearer <token>` on every call when not empty
    // (a service's or an admin's token).
    std::string token;
    // Appends go out as AppendPacked (the events in one buffer: less to build
    // here and to parse and check on the server); false, or a server that
    // answers UNIMPLEMENTED, sends them as Append.
    bool packed_appends = true;
    // Appends go out over one AppendStream call kept open (packed, each
    // answered by its number): less per append than a call each. False, or
    // a server that answers UNIMPLEMENTED, makes a call of each append.
    bool streamed_appends = true;
  };

  // A channel to `address` ("127.0.0.1:50051") that accepts messages up to
  // 64 MiB (an append of many large events): plaintext, or TLS with
  // `credentials` (grpc::SslCredentials for an event store serving TLS).
  static std::shared_ptr<grpc::Channel> Connect(
      const std::string& address, std::shared_ptr<grpc::ChannelCredentials> credentials = nullptr);

  GrpcEventStore(std::shared_ptr<grpc::Channel> channel, const Options& options);
  // Closes the append stream, if one is open; no call may be in flight.
  ~GrpcEventStore() override;

  // Errors are the server's status and message; UNAVAILABLE when the server
  // cannot be reached, DEADLINE_EXCEEDED when it does not answer in time.
  absl::StatusOr<eventlog::AppendResult> Append(
      const std::string& stream_id, const eventlog::ExpectedRevision& expected,
      const std::vector<eventlog::ProposedEvent>& events) override;
  absl::StatusOr<eventlog::ReadStreamResult> ReadStream(
      const eventlog::ReadStreamRequest& request) override;
  // One ReadAll call; collects at most request.max_count events.
  absl::StatusOr<eventlog::ReadAllResult> ReadAll(const eventlog::ReadAllRequest& request) override;
  absl::StatusOr<eventlog::StreamInfo> GetStreamInfo(const std::string& stream_id) override;
  absl::StatusOr<uint64_t> HeadPosition() override;
  // A subscription has no deadline: it lasts until cancelled.
  absl::StatusOr<std::unique_ptr<eventlog::Subscription>> Subscribe(
      const eventlog::SubscribeRequest& request) override;
  absl::StatusOr<eventlog::VerifyResult> Verify() override;
  // The copy is made on the server's machine.
  absl::StatusOr<uint64_t> Backup(const std::string& path) override;

 private:
  // The open AppendStream call (grpc_client.cc).
  class AppendStreamCall;
  // An append as one call of its own (AppendPacked, or Append).
  absl::StatusOr<eventlog::AppendResult> AppendByCall(
      const std::string& stream_id, const eventlog::ExpectedRevision& expected,
      const std::vector<eventlog::ProposedEvent>& events);
  // The append stream, opened when there is none or the last one ended.
  std::shared_ptr<AppendStreamCall> OpenAppendStream() ABSL_LOCKS_EXCLUDED(mu_);

  const std::unique_ptr<v1::EventStoreService::Stub> stub_;
  const Options options_;
  // The server answered AppendPacked with UNIMPLEMENTED (an older bidtraild).
  std::atomic<bool> packed_unsupported_{false};
  // The server answered AppendStream with UNIMPLEMENTED.
  std::atomic<bool> stream_unsupported_{false};
  absl::Mutex mu_;
  std::shared_ptr<AppendStreamCall> append_stream_ ABSL_GUARDED_BY(mu_);
  // Calls replaced while gRPC may not be done with them yet: the destructor
  // waits for them.
  std::vector<std::shared_ptr<AppendStreamCall>> retired_streams_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bidtrail::eventstore

#endif  // BIDTRAIL_EVENTSTORE_GRPC_CLIENT_H_
