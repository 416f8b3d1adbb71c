#include "bidtrail/eventstore/service.h"

#include <cctype>
#include <filesystem>
#include <functional>
#include <optional>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/eventstore/convert.h"
#include "bidtrail/rpc/call_log.h"
#include "bidtrail/rpc/limits.h"
#include "bidtrail/rpc/status.h"
#include "bidtrail/rpc/stream_writer.h"
#include "bidtrail/rpc/unary.h"
#include "bidtrail/rpc/wire.h"

namespace bidtrail::eventstore {
namespace {

using rpc::RefusedWriter;
using rpc::ThreadDrivenWriter;

constexpr uint32_t kDefaultReadCount = 1000;
// A streamed message carries at most this many events, and stops growing once
// it holds this many bytes of event data.
constexpr uint64_t kEventsPerMessage = 4096;
constexpr uint64_t kBytesPerMessage = uint64_t{4} << 20;

absl::Status ShuttingDown() {
  return absl::UnavailableError(
      "bidtraild is shutting down; reconnect and resume from the last "
      "position you received");
}

absl::Status ValidateFilter(const v1::EventFilter& filter) {
  for (int i = 0; i < filter.event_types_size(); ++i) {
    if (filter.event_types(i).empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("filter.event_types[", i, "]: empty; name a type or leave the list empty"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

bool EventStoreGrpcService::StreamRegistry::Open(int max_open) {
  absl::MutexLock lock(&mu_);
  if (shutting_down() || open_ >= max_open) return false;
  ++open_;
  return true;
}

void EventStoreGrpcService::StreamRegistry::Close() {
  absl::MutexLock lock(&mu_);
  --open_;
}

bool EventStoreGrpcService::StreamRegistry::Track(eventlog::Subscription* subscription) {
  absl::MutexLock lock(&mu_);
  if (shutting_down()) return false;
  subscriptions_.insert(subscription);
  return true;
}

void EventStoreGrpcService::StreamRegistry::Untrack(eventlog::Subscription* subscription) {
  absl::MutexLock lock(&mu_);
  subscriptions_.erase(subscription);
}

void EventStoreGrpcService::StreamRegistry::WaitUntilEmpty() {
  absl::MutexLock lock(&mu_);
  auto empty = [this]()
                   ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return open_ == 0 && appends_.empty(); };
  mu_.Await(absl::Condition(&empty));
}

EventStoreGrpcService::EventStoreGrpcService(eventlog::EventStore* store, const Options& options)
    : store_(store), options_(options), pool_(options.worker_threads, "eventstore-work") {}

EventStoreGrpcService::~EventStoreGrpcService() {
  streams_.BeginShutdown();
  streams_.WaitUntilEmpty();
}

void EventStoreGrpcService::BeginShutdown() { streams_.BeginShutdown(); }

rpc::StreamHooks EventStoreGrpcService::Hooks(std::function<void()> on_cancel) {
  rpc::StreamHooks hooks;
  hooks.on_cancel = std::move(on_cancel);
  hooks.map_error = [this](const absl::Status& status) {
    return streams_.shutting_down() ? ShuttingDown() : status;
  };
  hooks.on_finish = [this] { streams_.Close(); };
  return hooks;
}

void EventStoreGrpcService::WaitForStreams() { streams_.WaitUntilEmpty(); }

absl::StatusOr<EventStoreGrpcService::Caller> EventStoreGrpcService::Allowed(
    const std::string& authorization, auth::Action action) const {
  Caller caller;
  if (options_.authenticator == nullptr) return caller;
  ASSIGN_OR_RETURN(const auth::Authenticator::Verified verified,
                   options_.authenticator->Resolve(authorization));
  caller.principal = verified.principal;
  const auth::AccessState& access = *verified.access;
  RETURN_IF_ERROR(auth::Allow(access, caller.principal, action));
  caller.service = access.Has(caller.principal, v1::ROLE_SERVICE);
  return caller;
}

namespace {

// An append's events, as the log takes them. Packed events are checked here,
// before the caller is looked at, as CheckRequest checks an Append's event
// messages: both calls answer a bad request alike.
absl::StatusOr<std::vector<eventlog::ProposedEvent>> EventsOf(const v1::AppendRequest& request) {
  std::vector<eventlog::ProposedEvent> events;
  events.reserve(request.events_size());
  for (const v1::ProposedEvent& event : request.events()) events.push_back(FromProto(event));
  return events;
}
absl::StatusOr<std::vector<eventlog::ProposedEvent>> EventsOf(
    const v1::AppendPackedRequest& request) {
  return FromPacked(request.events());
}

// AppendResponse or AppendPackedResponse, which carry the same fields.
template <typename Response>
absl::Status Answer(const absl::StatusOr<eventlog::AppendResult>& result, Response* response) {
  RETURN_IF_ERROR(result.status());
  response->set_first_revision(result->first_revision);
  response->set_last_revision(result->last_revision);
  response->set_first_position(result->first_position);
  response->set_last_position(result->last_position);
  response->set_already_recorded(result->already_recorded);
  return absl::OkStatus();
}

}  // namespace

template <typename Request>
absl::StatusOr<EventStoreGrpcService::AppendCall> EventStoreGrpcService::ToAppend(
    const std::string& authorization, const Request& request) const {
  ASSIGN_OR_RETURN(std::vector<eventlog::ProposedEvent> events, EventsOf(request));
  ASSIGN_OR_RETURN(const Caller caller, Allowed(authorization, auth::Action::kRawAppend));
  ASSIGN_OR_RETURN(const eventlog::ExpectedRevision expected,
                   FromProto(request.expected_kind(), request.expected_revision()));
  AppendCall call{expected, std::move(events)};
  for (eventlog::ProposedEvent& proposed : call.events) {
    if (caller.principal.empty()) continue;  // no authenticator (in-process tests)
    // Who appends is proven: only a service names the user it acts
    // for, and the event then says which service wrote it.
    if (!caller.service) {
      proposed.actor = caller.principal;
      proposed.written_by.clear();
    } else if (proposed.written_by.empty() && proposed.actor != caller.principal) {
      proposed.written_by = caller.principal;
    }
  }
  return call;
}

grpc::ServerUnaryReactor* EventStoreGrpcService::Append(grpc::CallbackServerContext* context,
                                                        const v1::AppendRequest* request,
                                                        v1::AppendResponse* response) {
  return AppendCallOf(context, request, response);
}

grpc::ServerUnaryReactor* EventStoreGrpcService::AppendPacked(
    grpc::CallbackServerContext* context, const v1::AppendPackedRequest* request,
    v1::AppendPackedResponse* response) {
  return AppendCallOf(context, request, response);
}

template <typename Request, typename Response>
grpc::ServerUnaryReactor* EventStoreGrpcService::AppendCallOf(grpc::CallbackServerContext* context,
                                                              const Request* request,
                                                              Response* response) {
  if (store_->AppendsAsynchronously()) {
    // Decided here, on gRPC's thread (checks and a lookup of the caller's
    // grants, no disk wait); answered from the log's committer thread after
    // the group's sync. No thread waits for the commit.
    return rpc::RunWithoutPool(context, request, [this, context, request, response](auto finish) {
      absl::StatusOr<AppendCall> call = ToAppend(rpc::Credential(*context), *request);
      if (!call.ok()) {
        finish(call.status());
        return;
      }
      store_->AppendAsync(request->stream_id(), call->expected, std::move(call->events),
                          [response, finish](absl::StatusOr<eventlog::AppendResult> result) {
                            finish(Answer(result, response));
                          });
    });
  }
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(AppendCall call, ToAppend(authorization, *request));
        return Answer(store_->Append(request->stream_id(), call.expected, call.events), response);
      });
}

// One AppendStream call. Each append read is checked on gRPC's thread and
// handed to the store as AppendPacked's would be; its answer is written at
// once, or, while a write is under way, queued with the others that complete
// meanwhile and written with them in one message when that write is done.
// Reading pauses while kMaxInFlight of the call's appends wait for their
// commit. Finish comes once the client has closed its side (or the server
// shuts down), no append is in flight and every answer is written; gRPC then
// calls OnDone, which deletes.
class EventStoreGrpcService::AppendStreamReactor final
    : public grpc::ServerBidiReactor<v1::AppendStreamRequest, v1::AppendStreamResponse> {
 public:
  // Appends of one call waiting for their commit at once; the next request
  // is read when one of them is answered.
  static constexpr int kMaxInFlight = 256;
  static constexpr char kMethod[] = "/bidtrail.v1.EventStoreService/AppendStream";

  AppendStreamReactor(EventStoreGrpcService* service, grpc::CallbackServerContext* context)
      : service_(service), credential_(rpc::Credential(*context)) {
    StartRead(&request_);
    service_->streams_.TrackAppends(this);
  }

  // From BeginShutdown, or at once for a call opened after it: appends read
  // from now on are refused with UNAVAILABLE, and the call ends once those in
  // flight are answered.
  void Shutdown() ABSL_LOCKS_EXCLUDED(mu_) {
    bool finish;
    {
      absl::MutexLock lock(&mu_);
      shutting_down_ = true;
      finish = ShouldFinishLocked(/*reads_over=*/true);
    }
    // Not on this thread: the registry's lock is held, and gRPC may run
    // OnDone (which takes it) within Finish.
    if (finish) {
      service_->pool_.Schedule([this] { Finish(rpc::ToGrpcStatus(ShuttingDown())); });
    }
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the client closed its side, or the call broke
      bool finish;
      {
        absl::MutexLock lock(&mu_);
        reads_done_ = true;
        finish = ShouldFinishLocked(false);
      }
      if (finish) Finish(FinalStatus());
      return;
    }
    for (const v1::AppendStreamEntry& entry : request_.appends()) Take(entry);
    bool read_more;
    {
      absl::MutexLock lock(&mu_);
      read_more = MayReadLocked();
      reading_ = read_more;
      starting_read_ = read_more;
    }
    if (read_more) IssueRead();
  }

  void OnWriteDone(bool ok) override {
    const v1::AppendStreamResponse* next = nullptr;
    bool finish;
    {
      absl::MutexLock lock(&mu_);
      written_.Clear();
      if (!ok) {
        // The client is gone: nobody reads the answers still queued.
        broken_ = true;
        queued_.Clear();
      }
      if (queued_.answers_size() > 0) {
        // What queued meanwhile goes out together.
        written_.Swap(&queued_);
        next = &written_;
      } else {
        writing_ = false;
      }
      finish = ShouldFinishLocked(false);
    }
    if (next != nullptr) StartWrite(next);
    if (finish) Finish(FinalStatus());
  }

  void OnDone() override {
    service_->streams_.UntrackAppends(this);
    delete this;
  }

 private:
  // Checks the request and hands it to the store, or answers it at once.
  void Take(const v1::AppendStreamEntry& request) ABSL_LOCKS_EXCLUDED(mu_) {
    const uint64_t id = request.request_id();
    const absl::Time began = absl::Now();
    bool refused;
    {
      absl::MutexLock lock(&mu_);
      refused = shutting_down_;
      if (!refused) ++in_flight_;
    }
    if (refused) {
      Reply(id, began, ShuttingDown(), nullptr, false);
      return;
    }
    v1::AppendPackedRequest append;
    if (!append.ParseFromString(request.append())) {
      Reply(id, began,
            absl::InvalidArgumentError(
                "append: does not parse as the message bidtrail.v1.AppendPackedRequest: a "
                "string field that is not valid UTF-8, or bytes that are not that message"),
            nullptr, true);
      return;
    }
    if (absl::Status checked = rpc::CheckRequest(append); !checked.ok()) {
      Reply(id, began, checked, nullptr, true);
      return;
    }
    absl::StatusOr<std::shared_ptr<rpc::CallLimits::Slot>> slot = rpc::EnterCall(credential_);
    if (!slot.ok()) {
      Reply(id, began, slot.status(), nullptr, true);
      return;
    }
    absl::StatusOr<AppendCall> call = service_->ToAppend(credential_, append);
    if (!call.ok()) {
      Reply(id, began, call.status(), nullptr, true);
      return;
    }
    auto done = [this, id, began,
                 slot = *std::move(slot)](absl::StatusOr<eventlog::AppendResult> result) {
      *slot = rpc::CallLimits::Slot();
      Reply(id, began, result.status(), result.ok() ? &*result : nullptr, true);
    };
    if (service_->store_->AppendsAsynchronously()) {
      service_->store_->AppendAsync(append.stream_id(), call->expected, std::move(call->events),
                                    std::move(done));
      return;
    }
    // A store that waits for its commit: on the service's workers.
    service_->pool_.Schedule([this, stream_id = append.stream_id(), call = *std::move(call),
                              done = std::move(done)]() mutable {
      done(service_->store_->Append(stream_id, call.expected, call.events));
    });
  }

  // Queues the answer to request `id`, read at `began`; `counted`: the
  // request was counted in flight. Counted and logged as a unary call would
  // be (rpc::NoteStreamedCall).
  void Reply(uint64_t id, absl::Time began, const absl::Status& status,
             const eventlog::AppendResult* result, bool counted) ABSL_LOCKS_EXCLUDED(mu_) {
    const grpc::Status wire = rpc::ToGrpcStatus(status);
    rpc::NoteStreamedCall(kMethod, wire, absl::Now() - began);
    v1::AppendStreamAnswer answer;
    answer.set_request_id(id);
    if (result != nullptr) {
      (void)Answer(*result, answer.mutable_result());
    } else {
      answer.set_code(static_cast<int32_t>(wire.error_code()));
      answer.set_message(wire.error_message());
    }
    const v1::AppendStreamResponse* write = nullptr;
    bool read = false;
    bool finish = false;
    {
      absl::MutexLock lock(&mu_);
      if (counted) --in_flight_;
      if (!broken_ && !finished_) {
        if (!writing_) {
          writing_ = true;
          *written_.add_answers() = std::move(answer);
          write = &written_;
        } else {
          *queued_.add_answers() = std::move(answer);
        }
      }
      // Reading paused at kMaxInFlight resumes; the reader itself (OnReadDone,
      // reading_ still set) decides on its own.
      if (!reading_ && !reads_done_ && MayReadLocked()) {
        reading_ = true;
        starting_read_ = true;
        read = true;
      }
      finish = ShouldFinishLocked(false);
    }
    if (write != nullptr) StartWrite(write);
    if (read) IssueRead();
    if (finish) Finish(FinalStatus());
  }

  // Whether to read the next request: while fewer than kMaxInFlight appends
  // wait, and, once shutting down, only while some do (what is read then is
  // refused at once), so that the call can end.
  bool MayReadLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return in_flight_ < kMaxInFlight && !finished_ && (!shutting_down_ || in_flight_ > 0);
  }

  // Starts the read decided under the lock (starting_read_ set), which holds
  // off Finish until it is issued: no read is started on a finished call.
  void IssueRead() ABSL_LOCKS_EXCLUDED(mu_) {
    StartRead(&request_);
    bool finish;
    {
      absl::MutexLock lock(&mu_);
      starting_read_ = false;
      finish = ShouldFinishLocked(false);
    }
    if (finish) Finish(FinalStatus());
  }

  // Whether the call can end now; marks it ended. `reads_over`: stop
  // waiting for the client to close its side.
  bool ShouldFinishLocked(bool reads_over) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (finished_ || starting_read_) return false;
    if (!(reads_done_ || reads_over || shutting_down_)) return false;
    if (in_flight_ > 0 || writing_) return false;
    finished_ = true;
    return true;
  }

  grpc::Status FinalStatus() ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return shutting_down_ ? rpc::ToGrpcStatus(ShuttingDown()) : grpc::Status::OK;
  }

  EventStoreGrpcService* const service_;
  const std::string credential_;
  // Filled by gRPC; read only by OnReadDone (one read at a time).
  v1::AppendStreamRequest request_;
  absl::Mutex mu_;
  // A read is outstanding, or OnReadDone is running.
  bool reading_ ABSL_GUARDED_BY(mu_) = true;
  // A read is decided but not yet started (IssueRead).
  bool starting_read_ ABSL_GUARDED_BY(mu_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mu_) = false;
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  // The answers being written (when writing_), and those queued behind them,
  // to go out together when that write is done.
  v1::AppendStreamResponse written_ ABSL_GUARDED_BY(mu_);
  v1::AppendStreamResponse queued_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

void EventStoreGrpcService::StreamRegistry::TrackAppends(AppendStreamReactor* reactor) {
  bool late;
  {
    absl::MutexLock lock(&mu_);
    late = shutting_down();
    appends_.insert(reactor);  // WaitUntilEmpty waits for it all the same
  }
  if (late) reactor->Shutdown();
}

void EventStoreGrpcService::StreamRegistry::UntrackAppends(AppendStreamReactor* reactor) {
  absl::MutexLock lock(&mu_);
  appends_.erase(reactor);
}

void EventStoreGrpcService::StreamRegistry::BeginShutdown() {
  absl::MutexLock lock(&mu_);
  shutting_down_.store(true, std::memory_order_release);
  for (eventlog::Subscription* subscription : subscriptions_) subscription->Cancel();
  for (AppendStreamReactor* reactor : appends_) reactor->Shutdown();
}

grpc::ServerBidiReactor<v1::AppendStreamRequest, v1::AppendStreamResponse>*
EventStoreGrpcService::AppendStream(grpc::CallbackServerContext* context) {
  // Tracked for shutdown, but counted neither against max_open_streams nor
  // against the caller's streams (CallLimits), which bound threads and
  // reads: an idle append stream holds neither. Each append in it counts as
  // a call while in flight. Once shutting down, it ends at once
  // (TrackAppends).
  return new AppendStreamReactor(this, context);
}

grpc::ServerUnaryReactor* EventStoreGrpcService::ReadStream(grpc::CallbackServerContext* context,
                                                            const v1::ReadStreamRequest* request,
                                                            v1::ReadStreamResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        RETURN_IF_ERROR(Allowed(authorization, auth::Action::kFollowLog).status());
        eventlog::ReadStreamRequest read;
        read.stream_id = request->stream_id();
        read.direction = request->direction() == v1::READ_DIRECTION_BACKWARD
                             ? eventlog::Direction::kBackward
                             : eventlog::Direction::kForward;
        if (request->direction() != v1::READ_DIRECTION_UNSPECIFIED &&
            request->direction() != v1::READ_DIRECTION_FORWARD &&
            request->direction() != v1::READ_DIRECTION_BACKWARD) {
          return absl::InvalidArgumentError(
              absl::StrCat("direction: ", static_cast<int>(request->direction()),
                           " is not one of FORWARD (1), BACKWARD (2)"));
        }
        read.has_from_revision = request->has_from_revision();
        read.from_revision = request->from_revision();
        read.max_count = request->max_count() == 0 ? kDefaultReadCount : request->max_count();
        read.fresh = request->fresh();
        ASSIGN_OR_RETURN(eventlog::ReadStreamResult result, store_->ReadStream(read));
        for (const eventlog::RecordedEvent& event : result.events) {
          ToProto(event, response->add_events());
        }
        response->set_end_of_stream(result.end_of_stream);
        response->set_next_revision(result.next_revision);
        return absl::OkStatus();
      });
}

grpc::ServerWriteReactor<v1::ReadAllResponse>* EventStoreGrpcService::ReadAll(
    grpc::CallbackServerContext* context, const v1::ReadAllRequest* request) {
  if (absl::Status allowed = Allowed(rpc::Credential(*context), auth::Action::kFollowLog).status();
      !allowed.ok()) {
    return new RefusedWriter<v1::ReadAllResponse>(allowed);
  }
  if (absl::Status valid = rpc::CheckRequest(*request); !valid.ok()) {
    return new RefusedWriter<v1::ReadAllResponse>(valid);
  }
  if (absl::Status valid = ValidateFilter(request->filter()); !valid.ok()) {
    return new RefusedWriter<v1::ReadAllResponse>(valid);
  }
  // Held by the producer: the principal's stream ends with it.
  absl::StatusOr<std::shared_ptr<rpc::CallLimits::Slot>> slot =
      rpc::EnterStream(rpc::Credential(*context));
  if (!slot.ok()) return new RefusedWriter<v1::ReadAllResponse>(slot.status());
  if (!streams_.Open(options_.max_open_streams)) {
    return new RefusedWriter<v1::ReadAllResponse>(
        streams_.shutting_down()
            ? ShuttingDown()
            : absl::ResourceExhaustedError(
                  absl::StrCat("too many open streams; at most ", options_.max_open_streams)));
  }
  struct Cursor {
    uint64_t next = 1;
    uint64_t end = 0;        // last position to read: the head when the call started
    uint64_t remaining = 0;  // matching events still wanted; 0 = no limit
    bool limited = false;
    bool done = false;
    eventlog::EventFilter filter;
  };
  const bool records = request->records();
  auto cursor = std::make_shared<Cursor>();
  cursor->next = std::max<uint64_t>(1, request->from_position());
  cursor->limited = request->max_count() > 0;
  cursor->remaining = request->max_count();
  cursor->filter = FromProto(request->filter());
  auto produce = [this, cursor, records,
                  slot = *std::move(slot)]() -> absl::StatusOr<std::optional<v1::ReadAllResponse>> {
    if (cursor->end == 0 && !cursor->done) {
      ASSIGN_OR_RETURN(cursor->end, store_->HeadPosition());
    }
    if (cursor->done || cursor->next > cursor->end || (cursor->limited && cursor->remaining == 0)) {
      return std::optional<v1::ReadAllResponse>();
    }
    eventlog::ReadAllRequest read;
    read.from_position = cursor->next;
    // Never past the head as of the start of the call.
    const uint64_t left = cursor->end - cursor->next + 1;
    read.max_count = std::min(kEventsPerMessage, left);
    if (cursor->limited) read.max_count = std::min(read.max_count, cursor->remaining);
    read.max_scan = std::min<uint64_t>(100000, left);
    read.max_bytes = kBytesPerMessage;
    read.filter = cursor->filter;
    read.records = records;
    ASSIGN_OR_RETURN(eventlog::ReadAllResult result, store_->ReadAll(read));
    v1::ReadAllResponse message;
    uint64_t sent = 0;
    if (!result.records.empty()) {
      // As stored, passed on: the store kept to max_count and max_scan.
      // Counted only where a limit needs the count.
      if (cursor->limited) {
        ASSIGN_OR_RETURN(sent, eventlog::CountRecords(result.records));
      }
      message.set_records(std::move(result.records));
    }
    for (eventlog::RecordedEvent& event : result.events) {
      if (event.position > cursor->end) break;
      ToProto(std::move(event), message.add_events());
      ++sent;
    }
    if (cursor->limited) cursor->remaining -= std::min(cursor->remaining, sent);
    if (result.next_position == cursor->next) cursor->done = true;  // nothing more stored
    cursor->next = result.next_position;
    message.set_next_position(cursor->next);
    return std::optional<v1::ReadAllResponse>(std::move(message));
  };
  return new ThreadDrivenWriter<v1::ReadAllResponse>(std::move(produce), Hooks(nullptr));
}

grpc::ServerWriteReactor<v1::SubscribeResponse>* EventStoreGrpcService::Subscribe(
    grpc::CallbackServerContext* context, const v1::SubscribeRequest* request) {
  if (absl::Status allowed = Allowed(rpc::Credential(*context), auth::Action::kFollowLog).status();
      !allowed.ok()) {
    return new RefusedWriter<v1::SubscribeResponse>(allowed);
  }
  if (absl::Status valid = rpc::CheckRequest(*request); !valid.ok()) {
    return new RefusedWriter<v1::SubscribeResponse>(valid);
  }
  if (absl::Status valid = ValidateFilter(request->filter()); !valid.ok()) {
    return new RefusedWriter<v1::SubscribeResponse>(valid);
  }
  // Held by the producer: the principal's stream ends with it.
  absl::StatusOr<std::shared_ptr<rpc::CallLimits::Slot>> slot =
      rpc::EnterStream(rpc::Credential(*context));
  if (!slot.ok()) return new RefusedWriter<v1::SubscribeResponse>(slot.status());
  if (!streams_.Open(options_.max_open_streams)) {
    return new RefusedWriter<v1::SubscribeResponse>(
        streams_.shutting_down()
            ? ShuttingDown()
            : absl::ResourceExhaustedError(
                  absl::StrCat("too many open streams; at most ", options_.max_open_streams)));
  }
  eventlog::SubscribeRequest subscribe;
  subscribe.from_position = request->from_position();
  subscribe.filter = FromProto(request->filter());
  subscribe.max_batch = kEventsPerMessage;
  subscribe.max_batch_bytes = kBytesPerMessage;
  subscribe.records = request->records();
  absl::StatusOr<std::unique_ptr<eventlog::Subscription>> opened = store_->Subscribe(subscribe);
  if (!opened.ok()) {
    streams_.Close();
    return new RefusedWriter<v1::SubscribeResponse>(opened.status());
  }
  // Shared between the producer (the stream's thread) and the cancel hook
  // (a gRPC thread); the registry cancels it at shutdown.
  struct Tracked {
    Tracked(std::unique_ptr<eventlog::Subscription> subscription, StreamRegistry* registry)
        : subscription(std::move(subscription)), registry(registry) {
      if (!registry->Track(this->subscription.get())) this->subscription->Cancel();
    }
    ~Tracked() { registry->Untrack(subscription.get()); }
    std::unique_ptr<eventlog::Subscription> subscription;
    StreamRegistry* registry;
  };
  auto tracked = std::make_shared<Tracked>(std::move(opened).value(), &streams_);
  eventlog::Subscription* raw = tracked->subscription.get();
  auto produce =
      [tracked, slot = *std::move(slot)]() -> absl::StatusOr<std::optional<v1::SubscribeResponse>> {
    ASSIGN_OR_RETURN(eventlog::SubscriptionItem item, tracked->subscription->Next());
    v1::SubscribeResponse message;
    if (const auto* caught_up = std::get_if<eventlog::CaughtUp>(&item)) {
      message.mutable_caught_up()->set_head_position(caught_up->head_position);
    } else {
      auto& batch = std::get<eventlog::EventBatch>(item);
      if (!batch.records.empty()) message.mutable_events()->set_records(std::move(batch.records));
      for (eventlog::RecordedEvent& event : batch.events) {
        ToProto(std::move(event), message.mutable_events()->add_events());
      }
      message.mutable_events()->set_next_position(batch.next_position);
    }
    return std::optional<v1::SubscribeResponse>(std::move(message));
  };
  // The cancel hook may run after the producer (and `tracked`) is gone, so
  // it holds its own reference.
  auto on_cancel = [tracked_ref = std::weak_ptr<Tracked>(tracked), raw] {
    if (auto alive = tracked_ref.lock()) raw->Cancel();
  };
  return new ThreadDrivenWriter<v1::SubscribeResponse>(std::move(produce),
                                                       Hooks(std::move(on_cancel)));
}

grpc::ServerUnaryReactor* EventStoreGrpcService::GetStreamInfo(
    grpc::CallbackServerContext* context, const v1::GetStreamInfoRequest* request,
    v1::GetStreamInfoResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        RETURN_IF_ERROR(Allowed(authorization, auth::Action::kFollowLog).status());
        ASSIGN_OR_RETURN(eventlog::StreamInfo info, store_->GetStreamInfo(request->stream_id()));
        response->set_exists(info.exists);
        response->set_last_revision(info.last_revision);
        response->set_event_count(info.event_count);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* EventStoreGrpcService::GetHead(grpc::CallbackServerContext* context,
                                                         const v1::GetHeadRequest* /*request*/,
                                                         v1::GetHeadResponse* response) {
  return rpc::RunOnPool(
      &pool_, context,
      [this, authorization = rpc::Credential(*context), response]() -> absl::Status {
        RETURN_IF_ERROR(Allowed(authorization, auth::Action::kFollowLog).status());
        ASSIGN_OR_RETURN(uint64_t head, store_->HeadPosition());
        response->set_head_position(head);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* EventStoreGrpcService::Verify(grpc::CallbackServerContext* context,
                                                        const v1::VerifyRequest* /*request*/,
                                                        v1::VerifyResponse* response) {
  return rpc::RunOnPool(
      &pool_, context,
      [this, authorization = rpc::Credential(*context), response]() -> absl::Status {
        // Whoever may read the whole log may recompute its chain: admins, and
        // the projections service verifying for an admin.
        RETURN_IF_ERROR(Allowed(authorization, auth::Action::kFollowLog).status());
        ASSIGN_OR_RETURN(eventlog::VerifyResult result, store_->Verify());
        ToProto(result, response);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* EventStoreGrpcService::Checkpoint(grpc::CallbackServerContext* context,
                                                            const v1::CheckpointRequest* request,
                                                            v1::CheckpointResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        RETURN_IF_ERROR(Allowed(authorization, auth::Action::kAdminister).status());
        if (options_.backup_dir.empty()) {
          return absl::FailedPreconditionError(
              "this server takes no backups: start bidtraild with --backup_dir");
        }
        // A name, not a path: the copy goes into the backup folder and nowhere
        // else, whoever asks.
        const std::string& name = request->path();
        bool plausible = !name.empty() && name.size() <= 100 && name[0] != '.';
        for (char c : name) {
          plausible &=
              std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-';
        }
        if (!plausible) {
          return absl::InvalidArgumentError(
              absl::StrCat("path: \"", name.substr(0, 100),
                           "\" is not a backup name: 1 to 100 letters, digits, '.', '_' or '-', "
                           "not starting with "
                           "'.' (no '/'); the copy goes into the server's backup folder, ",
                           options_.backup_dir));
        }
        std::error_code error;
        std::filesystem::create_directories(options_.backup_dir, error);
        if (error) {
          return absl::FailedPreconditionError(absl::StrCat(
              "the backup folder ", options_.backup_dir, " cannot be created: ", error.message()));
        }
        const std::string path = (std::filesystem::path(options_.backup_dir) / name).string();
        ASSIGN_OR_RETURN(const uint64_t head, store_->Backup(path));
        if (options_.after_backup) RETURN_IF_ERROR(options_.after_backup(path));
        response->set_path(path);
        response->set_head_position(head);
        return absl::OkStatus();
      });
}

}  // namespace bidtrail::eventstore
