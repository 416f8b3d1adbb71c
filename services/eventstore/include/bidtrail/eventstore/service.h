// EventStoreGrpcService: bidtrail.v1.EventStoreService over any EventStore
// backend (the embedded RocksDB log, or another store reached over gRPC).
// Thread-safe.
//
// Callback API. An Append to a store that appends asynchronously (the
// embedded RocksDB log) is checked on gRPC's thread and answered from the
// log's committer thread after its group's sync: no thread waits for the
// commit, and concurrent appends share one. Other unary calls (and appends
// to other stores) run on the service's own worker threads, so a call that
// waits never blocks a gRPC reactor. Each streaming call (ReadAll,
// Subscribe) is driven by a thread of its own that produces one message, hands
// it to gRPC and waits for the write to complete before producing the next:
// a slow client slows only its own call, and nothing is buffered for it.
// An AppendStream call holds no thread: each append it reads takes Append's
// path and its answer is written when it completes (AppendStreamReactor).
//
// Shutdown: BeginShutdown() ends open streams with UNAVAILABLE (an append
// stream once its appends in flight are answered); then shut the
// grpc::Server down; then WaitForStreams() before destroying the store.
#ifndef BIDTRAIL_EVENTSTORE_SERVICE_H_
#define BIDTRAIL_EVENTSTORE_SERVICE_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "bidtrail/auth/authenticator.h"
#include "bidtrail/common/thread_pool.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/rpc/stream_writer.h"
#include "bidtrail/rpc/unary.h"
#include "bidtrail/v1/eventstore.grpc.pb.h"

namespace bidtrail::eventstore {

class EventStoreGrpcService final : public v1::EventStoreService::CallbackService {
 public:
  struct Options {
    // Threads running unary calls (all but asynchronous appends); for a
    // store that appends synchronously, also the most appends that can wait
    // for one group commit together.
    int worker_threads = 64;
    // Most ReadAll and Subscribe calls open at once; more get RESOURCE_EXHAUSTED.
    int max_open_streams = 256;
    // Checkpoint writes only into this folder (created when missing), under
    // a name the client gives: never at a path of the client's choosing.
    // Empty: Checkpoint is refused.
    std::string backup_dir;
    // Called after a backup to `path` was made, to copy beside it what
    // belongs with the log (the notebook's keys); its error fails the call.
    std::function<absl::Status(const std::string& path)> after_backup = nullptr;
    // When set, every call needs a token (docs/security.md): appends and
    // log reads are for service and admin; Verify and Checkpoint for admin.
    // An admin's appended events carry the admin as actor; a service's keep
    // the end user it names. Must outlive the service.
    auth::Authenticator* authenticator = nullptr;
  };

  // `store` must outlive the service.
  EventStoreGrpcService(eventlog::EventStore* store, const Options& options);
  ~EventStoreGrpcService() override;

  // Ends every open stream with UNAVAILABLE and refuses new ones.
  void BeginShutdown();
  // Blocks until every streaming call's thread has finished.
  void WaitForStreams();

  BIDTRAIL_UNARY_RPC(Append);
  BIDTRAIL_UNARY_RPC(AppendPacked);
  BIDTRAIL_UNARY_RPC(ReadStream);
  BIDTRAIL_UNARY_RPC(GetStreamInfo);
  BIDTRAIL_UNARY_RPC(GetHead);
  BIDTRAIL_UNARY_RPC(Verify);
  BIDTRAIL_UNARY_RPC(Checkpoint);
  grpc::ServerBidiReactor<v1::AppendStreamRequest, v1::AppendStreamResponse>* AppendStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerWriteReactor<v1::ReadAllResponse>* ReadAll(
      grpc::CallbackServerContext* context, const v1::ReadAllRequest* request) override;
  grpc::ServerWriteReactor<v1::SubscribeResponse>* Subscribe(
      grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) override;

  // One AppendStream call (service.cc).
  class AppendStreamReactor;

  // Book-keeping of open streams, used by the stream threads.
  class StreamRegistry {
   public:
    // False when shutting down or full.
    bool Open(int max_open) ABSL_LOCKS_EXCLUDED(mu_);
    void Close() ABSL_LOCKS_EXCLUDED(mu_);
    // Registers a cancel hook for shutdown; false when already shutting down.
    bool Track(eventlog::Subscription* subscription) ABSL_LOCKS_EXCLUDED(mu_);
    void Untrack(eventlog::Subscription* subscription) ABSL_LOCKS_EXCLUDED(mu_);
    // AppendStream calls, told to end at shutdown; one tracked late is told
    // at once.
    void TrackAppends(AppendStreamReactor* reactor) ABSL_LOCKS_EXCLUDED(mu_);
    void UntrackAppends(AppendStreamReactor* reactor) ABSL_LOCKS_EXCLUDED(mu_);
    void BeginShutdown() ABSL_LOCKS_EXCLUDED(mu_);
    bool shutting_down() const { return shutting_down_.load(std::memory_order_acquire); }
    void WaitUntilEmpty() ABSL_LOCKS_EXCLUDED(mu_);

   private:
    absl::Mutex mu_;
    int open_ ABSL_GUARDED_BY(mu_) = 0;
    absl::flat_hash_set<eventlog::Subscription*> subscriptions_ ABSL_GUARDED_BY(mu_);
    absl::flat_hash_set<AppendStreamReactor*> appends_ ABSL_GUARDED_BY(mu_);
    std::atomic<bool> shutting_down_{false};
  };

 private:
  struct Caller {
    std::string principal;  // "" when the service checks no token
    bool service = false;   // may name the end user it acts for
  };
  // The caller of a call with this `authorization`, when it may do
  // `action`; UNAUTHENTICATED or PERMISSION_DENIED otherwise.
  absl::StatusOr<Caller> Allowed(const std::string& authorization, auth::Action action) const;

  // An Append request as the log takes it, once its caller may append: the
  // actor and writer set from who is calling.
  struct AppendCall {
    eventlog::ExpectedRevision expected;
    std::vector<eventlog::ProposedEvent> events;
  };
  // Of a v1::AppendRequest or a v1::AppendPackedRequest.
  template <typename Request>
  absl::StatusOr<AppendCall> ToAppend(const std::string& authorization,
                                      const Request& request) const;
  // Append and AppendPacked.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* AppendCallOf(grpc::CallbackServerContext* context,
                                         const Request* request, Response* response);

  // Stream hooks: UNAVAILABLE once shutting down; the registry told at the end.
  rpc::StreamHooks Hooks(std::function<void()> on_cancel);

  eventlog::EventStore* const store_;
  const Options options_;
  StreamRegistry streams_;
  // Declared last: destroyed (joined) first, while everything it uses lives.
  ThreadPool pool_;
};

}  // namespace bidtrail::eventstore

#endif  // BIDTRAIL_EVENTSTORE_SERVICE_H_
