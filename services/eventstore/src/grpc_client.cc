#include "bidtrail/eventstore/grpc_client.h"

#include <atomic>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/eventstore/convert.h"
#include "bidtrail/rpc/status.h"
#include "bidtrail/rpc/wire.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace bidtrail::eventstore {
namespace {

void SetDeadline(grpc::ClientContext* context, absl::Duration timeout) {
  context->set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

void SetToken(grpc::ClientContext* context, const std::string& token) {
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
}

// Of an AppendResponse or an AppendPackedResponse, which carry the same fields.
template <typename Response>
eventlog::AppendResult ResultOf(const Response& response) {
  eventlog::AppendResult result;
  result.first_revision = response.first_revision();
  result.last_revision = response.last_revision();
  result.first_position = response.first_position();
  result.last_position = response.last_position();
  result.already_recorded = response.already_recorded();
  return result;
}

// An append's request for AppendPacked, or (serialized) for AppendStream.
v1::AppendPackedRequest PackedRequest(const std::string& stream_id,
                                      const eventlog::ExpectedRevision& expected,
                                      const std::vector<eventlog::ProposedEvent>& events) {
  v1::AppendPackedRequest request;
  request.set_stream_id(stream_id);
  ToProto(expected, &request);
  ToPacked(events, request.mutable_events());
  return request;
}

// One unary call of the stub's `method`, with a deadline of `timeout`.
template <typename Request, typename Response>
absl::Status Call(v1::EventStoreService::Stub* stub,
                  grpc::Status (v1::EventStoreService::Stub::*method)(grpc::ClientContext*,
                                                                      const Request&, Response*),
                  absl::Duration timeout, const std::string& token, const Request& request,
                  Response* response) {
  grpc::ClientContext context;
  SetDeadline(&context, timeout);
  SetToken(&context, token);
  return rpc::FromGrpcStatus((stub->*method)(&context, request, response));
}

// Appends the events of one ReadAll message, which a server sends in
// records (as asked) or, when it cannot, in events: to `packed` when the
// caller asked for packed views, else to `events` (lean as asked). DATA_LOSS
// when the records do not decode.
absl::Status TakeEvents(v1::ReadAllResponse& message, bool lean, bool packed,
                        std::vector<eventlog::RecordedEvent>* events,
                        eventlog::PackedEvents* packed_events) {
  const absl::Status decoded = packed ? eventlog::DecodeRecords(message.records(), packed_events)
                                      : eventlog::DecodeRecords(message.records(), lean, events);
  if (!decoded.ok()) {
    return absl::DataLossError(
        absl::StrCat("the server sent records that do not decode (", decoded.message(), ")"));
  }
  for (v1::RecordedEvent& event : *message.mutable_events()) {
    if (packed) {
      packed_events->Add(eventlog::ViewOf(FromProto(event)));
    } else {
      events->push_back(FromProto(std::move(event)));
    }
  }
  return absl::OkStatus();
}

class GrpcSubscription final : public eventlog::Subscription {
 public:
  // `lean` and `packed`: as eventlog::SubscribeRequest asked (the server
  // sends records, decoded here as the caller wants them).
  GrpcSubscription(v1::EventStoreService::Stub* stub, const v1::SubscribeRequest& request,
                   const std::string& token, bool lean, bool packed)
      : lean_(lean),
        packed_(packed),
        reader_((SetToken(&context_, token), stub->Subscribe(&context_, request))) {}

  ~GrpcSubscription() override {
    if (finished_) return;
    Cancel();
    // Drain so that Finish() may be called; its CANCELLED status is expected.
    v1::SubscribeResponse ignored;
    while (reader_->Read(&ignored)) {
    }
    (void)reader_->Finish();
  }

  absl::StatusOr<eventlog::SubscriptionItem> Next() override {
    v1::SubscribeResponse message;
    if (!reader_->Read(&message)) {
      absl::Status status = rpc::FromGrpcStatus(reader_->Finish());
      finished_ = true;
      // As the in-process log says it, whatever gRPC's words for it.
      if (cancelled_.load()) return absl::CancelledError("subscription cancelled");
      if (status.ok()) return absl::UnavailableError("the server ended the subscription");
      return status;
    }
    if (message.has_caught_up()) {
      return eventlog::SubscriptionItem(eventlog::CaughtUp{message.caught_up().head_position()});
    }
    eventlog::EventBatch batch;
    if (absl::Status taken =
            TakeEvents(*message.mutable_events(), lean_, packed_, &batch.events, &batch.packed);
        !taken.ok()) {
      return absl::DataLossError(absl::StrCat("Subscribe: ", taken.message()));
    }
    batch.next_position = message.events().next_position();
    return eventlog::SubscriptionItem(std::move(batch));
  }

  void Cancel() override {
    cancelled_.store(true);
    context_.TryCancel();
  }

 private:
  const bool lean_;
  const bool packed_;
  grpc::ClientContext context_;
  std::atomic<bool> cancelled_{false};
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader_;
  bool finished_ = false;
};

}  // namespace

std::shared_ptr<grpc::Channel> GrpcEventStore::Connect(
    const std::string& address, std::shared_ptr<grpc::ChannelCredentials> credentials) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(rpc::kMaxMessageBytes);
  args.SetMaxSendMessageSize(rpc::kMaxMessageBytes);
  return grpc::CreateCustomChannel(
      address, credentials != nullptr ? credentials : grpc::InsecureChannelCredentials(), args);
}

GrpcEventStore::GrpcEventStore(std::shared_ptr<grpc::Channel> channel, const Options& options)
    : stub_(v1::EventStoreService::NewStub(std::move(channel))), options_(options) {}

namespace {

// One append call of the stub's async `method`, waited for.
template <typename Request, typename Response, typename Method>
absl::StatusOr<eventlog::AppendResult> AppendCall(Method method, absl::Duration timeout,
                                                  const std::string& token,
                                                  const Request& request) {
  Response response;
  grpc::ClientContext context;
  SetDeadline(&context, timeout);
  SetToken(&context, token);
  absl::Notification done;
  grpc::Status status;
  method(&context, &request, &response, [&](grpc::Status s) {
    status = std::move(s);
    done.Notify();
  });
  done.WaitForNotification();
  // The code kept as gRPC's: the caller tells UNIMPLEMENTED apart.
  RETURN_IF_ERROR(rpc::FromGrpcStatus(status));
  return ResultOf(response);
}

}  // namespace

// One AppendStream call, shared by the store's callers: each append is
// written with a number and its caller waits for the answer of that number.
// Alive until gRPC's OnDone (it holds itself), which fails the appends still
// waiting with the call's status.
class GrpcEventStore::AppendStreamCall final
    : public grpc::ClientBidiReactor<v1::AppendStreamRequest, v1::AppendStreamResponse> {
 public:
  // What one caller waits for.
  struct Waiter {
    absl::Notification done;
    // The answer; or, when the call ended first, its status.
    absl::StatusOr<eventlog::AppendResult> result;
    // The call ended before answering.
    bool call_ended = false;
    // The append was handed to the connection (gRPC's write completed): if
    // the call ended without answering, it may have been recorded.
    bool written = false;
  };

  static std::shared_ptr<AppendStreamCall> Open(v1::EventStoreService::Stub* stub,
                                                const std::string& token) {
    std::shared_ptr<AppendStreamCall> call(new AppendStreamCall());
    call->self_ = call;
    SetToken(&call->context_, token);
    stub->async()->AppendStream(&call->context_, call.get());
    call->StartRead(&call->response_);
    // Callers start writes from their own threads: the hold keeps the call
    // from completing under them. Released once the call's read has failed
    // (it is over) and no caller is still starting one (Released).
    call->AddHold();
    call->StartCall();
    return call;
  }

  // Sends the serialized AppendPackedRequest `append` numbered, at once or,
  // while a write is under way, with the others queued meanwhile when it is
  // done; false when the call has ended or is closing (the caller opens
  // another). `*id`: its number, for Forget.
  bool Send(std::string append, std::shared_ptr<Waiter> waiter, uint64_t* id)
      ABSL_LOCKS_EXCLUDED(mu_) {
    const v1::AppendStreamRequest* write = nullptr;
    {
      absl::MutexLock lock(&mu_);
      if (OverLocked() || closing_) return false;
      *id = next_id_++;
      v1::AppendStreamEntry* entry = writing_ ? queued_.add_appends() : written_.add_appends();
      entry->set_request_id(*id);
      *entry->mutable_append() = std::move(append);
      (writing_ ? queued_waiters_ : written_waiters_).push_back(waiter);
      waiting_.emplace(*id, std::move(waiter));
      if (!writing_) {
        writing_ = true;
        write = &written_;
        ++starting_;
      }
    }
    if (write != nullptr) {
      StartWrite(write);
      Started();
    }
    return true;
  }

  // A caller that stopped waiting (its deadline passed): its append is not
  // sent if it has not been yet.
  void Forget(uint64_t id) ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    waiting_.erase(id);
    for (int i = 0; i < queued_.appends_size(); ++i) {
      if (queued_.appends(i).request_id() == id) {
        queued_.mutable_appends()->DeleteSubrange(i, 1);
        queued_waiters_.erase(queued_waiters_.begin() + i);
        break;
      }
    }
  }

  // The status the call ended with, once it has (waiting up to `timeout`
  // for it; UNAVAILABLE if it has not ended by then).
  absl::Status EndStatus(absl::Duration timeout) {
    if (!ended_note_.WaitForNotificationWithTimeout(timeout)) {
      return absl::UnavailableError("the append stream did not end in time");
    }
    return end_status_;
  }

  // gRPC is done with the call (OnDone has run).
  bool done() const { return ended_note_.HasBeenNotified(); }

  // `call` is done and its OnDone has let go of it: `call` is its only
  // owner, so that dropping it destroys it on the caller's thread.
  static bool OnlyOwner(const std::shared_ptr<AppendStreamCall>& call) {
    return call->done() && call.use_count() == 1;
  }

  // The call is over or going (the caller opens another).
  bool ended() const ABSL_LOCKS_EXCLUDED(mu_) {
    absl::MutexLock lock(&mu_);
    return OverLocked();
  }

  // Closes the client's side once everything queued is written; waits up
  // to `grace` for the server to end the call, then cancels it.
  void Close(absl::Duration grace) ABSL_LOCKS_EXCLUDED(mu_) {
    bool writes_done = false;
    {
      absl::MutexLock lock(&mu_);
      if (!OverLocked() && !closing_) {
        closing_ = true;
        writes_done = !writing_;
        closed_ = writes_done;
        if (writes_done) ++starting_;
      }
    }
    if (writes_done) {
      StartWritesDone();
      Started();
    }
    if (!ended_note_.WaitForNotificationWithTimeout(grace)) {
      context_.TryCancel();
      ended_note_.WaitForNotification();
    }
  }

  void OnWriteDone(bool ok) override {
    const v1::AppendStreamRequest* write = nullptr;
    bool writes_done = false;
    {
      absl::MutexLock lock(&mu_);
      if (ok) {
        for (const std::shared_ptr<Waiter>& waiter : written_waiters_) waiter->written = true;
      }
      written_.Clear();
      written_waiters_.clear();
      if (!ok) {
        // The call is broken; OnDone follows and fails the waiters.
        writing_ = false;
        broken_ = true;
        return;
      }
      if (queued_.appends_size() > 0) {
        // What queued meanwhile goes out together.
        written_.Swap(&queued_);
        written_waiters_.swap(queued_waiters_);
        write = &written_;
      } else {
        writing_ = false;
        if (closing_ && !closed_) writes_done = closed_ = true;
      }
    }
    if (write != nullptr) StartWrite(write);
    if (writes_done) StartWritesDone();
  }

  void OnReadDone(bool ok) override {
    if (!ok) {  // the call is over; OnDone follows once the hold is released
      bool release;
      {
        absl::MutexLock lock(&mu_);
        read_over_ = true;
        release = ReleaseLocked();
      }
      if (release) RemoveHold();
      return;
    }
    for (const v1::AppendStreamAnswer& answer : response_.answers()) {
      std::shared_ptr<Waiter> waiter;
      {
        absl::MutexLock lock(&mu_);
        auto found = waiting_.find(answer.request_id());
        if (found != waiting_.end()) {
          waiter = std::move(found->second);
          waiting_.erase(found);
        }
      }
      if (waiter == nullptr) continue;  // its caller stopped waiting
      if (answer.code() != 0) {
        waiter->result = rpc::FromGrpcStatus(
            grpc::Status(static_cast<grpc::StatusCode>(answer.code()), answer.message()));
      } else {
        waiter->result = ResultOf(answer.result());
      }
      waiter->done.Notify();
    }
    StartRead(&response_);
  }

  void OnDone(const grpc::Status& status) override {
    absl::flat_hash_map<uint64_t, std::shared_ptr<Waiter>> waiting;
    {
      absl::MutexLock lock(&mu_);
      waiting.swap(waiting_);
    }
    absl::Status ended = rpc::FromGrpcStatus(status);
    if (ended.ok()) ended = absl::UnavailableError("the event store ended the append stream");
    end_status_ = ended;  // read by EndStatus after ended_note_
    for (auto& [id, waiter] : waiting) {
      waiter->result = ended;
      waiter->call_ended = true;
      waiter->done.Notify();
    }
    ended_note_.Notify();
    std::shared_ptr<AppendStreamCall> self = std::move(self_);  // may delete this
  }

 private:
  AppendStreamCall() = default;

  // OnDone comes only after read_over_ (the hold is released then).
  bool OverLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return read_over_ || broken_; }

  // Whether to release the hold now: the call is over and no caller is
  // between deciding to start an operation and starting it.
  bool ReleaseLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!read_over_ || starting_ > 0 || released_) return false;
    released_ = true;
    return true;
  }

  // A caller's operation has been started.
  void Started() ABSL_LOCKS_EXCLUDED(mu_) {
    bool release;
    {
      absl::MutexLock lock(&mu_);
      --starting_;
      release = ReleaseLocked();
    }
    if (release) RemoveHold();
  }

  grpc::ClientContext context_;
  // Filled by gRPC; one read at a time.
  v1::AppendStreamResponse response_;
  // This call, until OnDone.
  std::shared_ptr<AppendStreamCall> self_;
  absl::Notification ended_note_;
  // Set once, before ended_note_ is notified.
  absl::Status end_status_;
  mutable absl::Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  // The appends being written (when writing_), and those queued behind them
  // to go out together when that write is done; each with its waiters, in
  // the same order.
  v1::AppendStreamRequest written_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Waiter>> written_waiters_ ABSL_GUARDED_BY(mu_);
  v1::AppendStreamRequest queued_ ABSL_GUARDED_BY(mu_);
  std::vector<std::shared_ptr<Waiter>> queued_waiters_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<uint64_t, std::shared_ptr<Waiter>> waiting_ ABSL_GUARDED_BY(mu_);
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;  // WritesDone sent
  // The read failed: the call is over.
  bool read_over_ ABSL_GUARDED_BY(mu_) = false;
  // A write failed: the call is broken.
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  // Callers that decided to start an operation and have not yet.
  int starting_ ABSL_GUARDED_BY(mu_) = 0;
  bool released_ ABSL_GUARDED_BY(mu_) = false;  // the hold
};

GrpcEventStore::~GrpcEventStore() {
  std::vector<std::shared_ptr<AppendStreamCall>> calls;
  {
    absl::MutexLock lock(&mu_);
    calls = std::move(retired_streams_);
    if (append_stream_ != nullptr) calls.push_back(std::move(append_stream_));
  }
  // Each until gRPC is done with it (its OnDone): the channel, which may go
  // with this store, must outlive every operation of its calls.
  for (const std::shared_ptr<AppendStreamCall>& call : calls) call->Close(absl::Seconds(2));
  // Then until its OnDone has let go of it (a moment after it is done), so
  // that each call is destroyed here, before the stub. A call's context
  // holds the channel: had it the last reference, the channel would go on
  // gRPC's callback thread, and with it, when no other channel or server
  // uses it, gRPC 1.51's callback completion queue, torn down from one of
  // its own threads (which joins itself; the queue is freed twice).
  for (std::shared_ptr<AppendStreamCall>& call : calls) {
    while (!AppendStreamCall::OnlyOwner(call)) absl::SleepFor(absl::Microseconds(50));
    call.reset();
  }
}

std::shared_ptr<GrpcEventStore::AppendStreamCall> GrpcEventStore::OpenAppendStream() {
  absl::MutexLock lock(&mu_);
  if (append_stream_ == nullptr || append_stream_->ended()) {
    // One that is over may not be done yet: kept until it is, and until its
    // OnDone has let go of it (see the destructor).
    std::erase_if(retired_streams_, [](const std::shared_ptr<AppendStreamCall>& call) {
      return AppendStreamCall::OnlyOwner(call);
    });
    if (append_stream_ != nullptr) retired_streams_.push_back(std::move(append_stream_));
    append_stream_ = AppendStreamCall::Open(stub_.get(), options_.token);
  }
  return append_stream_;
}

absl::StatusOr<eventlog::AppendResult> GrpcEventStore::Append(
    const std::string& stream_id, const eventlog::ExpectedRevision& expected,
    const std::vector<eventlog::ProposedEvent>& events) {
  if (options_.streamed_appends && !stream_unsupported_.load()) {
    // An append the call ended without handing to the connection (the server
    // restarted, say) cannot have been recorded: it is sent again on a new
    // call, then as a call of its own.
    for (int attempt = 0; attempt < 2; ++attempt) {
      std::shared_ptr<AppendStreamCall> call = OpenAppendStream();
      auto waiter = std::make_shared<AppendStreamCall::Waiter>();
      uint64_t id = 0;
      if (!call->Send(PackedRequest(stream_id, expected, events).SerializeAsString(), waiter,
                      &id)) {
        // Over before this append was sent: an older server may have
        // refused the call itself.
        if (call->EndStatus(options_.timeout).code() == absl::StatusCode::kUnimplemented) {
          stream_unsupported_.store(true);
          break;
        }
        continue;
      }
      if (!waiter->done.WaitForNotificationWithTimeout(options_.timeout)) {
        call->Forget(id);
        return absl::DeadlineExceededError(
            absl::StrCat("the event store did not answer the append to ", stream_id, " within ",
                         absl::FormatDuration(options_.timeout),
                         "; it may still be recorded: appending the same events again is safe"));
      }
      if (!waiter->call_ended) return waiter->result;
      if (waiter->result.status().code() == absl::StatusCode::kUnimplemented) {
        stream_unsupported_.store(true);  // an older server: a call each from now on
        break;
      }
      if (waiter->written) return waiter->result.status();
    }
  }
  return AppendByCall(stream_id, expected, events);
}

absl::StatusOr<eventlog::AppendResult> GrpcEventStore::AppendByCall(
    const std::string& stream_id, const eventlog::ExpectedRevision& expected,
    const std::vector<eventlog::ProposedEvent>& events) {
  // Packed (AppendPacked) unless this server said it has no such call: an
  // UNIMPLEMENTED answer means it did nothing, so the append is sent again
  // the old way, and so are the next ones.
  if (options_.packed_appends && !packed_unsupported_.load()) {
    const v1::AppendPackedRequest request = PackedRequest(stream_id, expected, events);
    absl::StatusOr<eventlog::AppendResult> appended =
        AppendCall<v1::AppendPackedRequest, v1::AppendPackedResponse>(
            [this](auto... args) { stub_->async()->AppendPacked(args...); }, options_.timeout,
            options_.token, request);
    if (appended.status().code() != absl::StatusCode::kUnimplemented) return appended;
    packed_unsupported_.store(true);
  }
  v1::AppendRequest request;
  request.set_stream_id(stream_id);
  ToProto(expected, &request);
  for (const eventlog::ProposedEvent& event : events) ToProto(event, request.add_events());
  return AppendCall<v1::AppendRequest, v1::AppendResponse>(
      [this](auto... args) { stub_->async()->Append(args...); }, options_.timeout, options_.token,
      request);
}

absl::StatusOr<eventlog::ReadStreamResult> GrpcEventStore::ReadStream(
    const eventlog::ReadStreamRequest& request) {
  v1::ReadStreamRequest wire;
  wire.set_stream_id(request.stream_id);
  wire.set_direction(request.direction == eventlog::Direction::kBackward
                         ? v1::READ_DIRECTION_BACKWARD
                         : v1::READ_DIRECTION_FORWARD);
  if (request.has_from_revision) wire.set_from_revision(request.from_revision);
  wire.set_max_count(request.max_count);
  wire.set_fresh(request.fresh);
  if (request.max_count == 0) {
    // 0 means "the default" on the wire but is an error in process: keep the
    // two backends answering alike.
    return absl::InvalidArgumentError("max_count: 0; must be 1 to 10000");
  }
  v1::ReadStreamResponse response;
  RETURN_IF_ERROR(Call(stub_.get(), &v1::EventStoreService::Stub::ReadStream, options_.timeout,
                       options_.token, wire, &response));
  eventlog::ReadStreamResult result;
  result.events.reserve(response.events_size());
  for (const v1::RecordedEvent& event : response.events())
    result.events.push_back(FromProto(event));
  result.end_of_stream = response.end_of_stream();
  result.next_revision = response.next_revision();
  return result;
}

absl::StatusOr<eventlog::ReadAllResult> GrpcEventStore::ReadAll(
    const eventlog::ReadAllRequest& request) {
  if (request.max_count == 0) {
    return absl::InvalidArgumentError("max_count: must be at least 1");
  }
  v1::ReadAllRequest wire;
  wire.set_from_position(request.from_position);
  wire.set_max_count(request.max_count);
  ToProto(request.filter, wire.mutable_filter());
  wire.set_records(true);
  grpc::ClientContext context;
  SetDeadline(&context, options_.timeout);
  SetToken(&context, options_.token);
  std::unique_ptr<grpc::ClientReader<v1::ReadAllResponse>> reader = stub_->ReadAll(&context, wire);
  eventlog::ReadAllResult result;
  result.next_position = std::max<uint64_t>(1, request.from_position);
  if (!request.packed) result.events.reserve(std::min<uint64_t>(request.max_count, 100000));
  v1::ReadAllResponse message;
  absl::Status taken;
  while (taken.ok() && reader->Read(&message)) {
    taken = TakeEvents(message, request.lean, request.packed, &result.events, &result.packed);
    result.next_position = message.next_position();
  }
  if (!taken.ok()) {
    context.TryCancel();
    reader->Finish();
    return absl::DataLossError(absl::StrCat("ReadAll: ", taken.message()));
  }
  RETURN_IF_ERROR(rpc::FromGrpcStatus(reader->Finish()));
  return result;
}

absl::StatusOr<eventlog::StreamInfo> GrpcEventStore::GetStreamInfo(const std::string& stream_id) {
  v1::GetStreamInfoRequest request;
  request.set_stream_id(stream_id);
  v1::GetStreamInfoResponse response;
  RETURN_IF_ERROR(Call(stub_.get(), &v1::EventStoreService::Stub::GetStreamInfo, options_.timeout,
                       options_.token, request, &response));
  eventlog::StreamInfo info;
  info.exists = response.exists();
  info.last_revision = response.last_revision();
  info.event_count = response.event_count();
  return info;
}

absl::StatusOr<uint64_t> GrpcEventStore::HeadPosition() {
  v1::GetHeadResponse response;
  RETURN_IF_ERROR(Call(stub_.get(), &v1::EventStoreService::Stub::GetHead, options_.timeout,
                       options_.token, v1::GetHeadRequest(), &response));
  return response.head_position();
}

absl::StatusOr<std::unique_ptr<eventlog::Subscription>> GrpcEventStore::Subscribe(
    const eventlog::SubscribeRequest& request) {
  v1::SubscribeRequest wire;
  wire.set_from_position(request.from_position);
  ToProto(request.filter, wire.mutable_filter());
  wire.set_records(true);
  return std::unique_ptr<eventlog::Subscription>(
      new GrpcSubscription(stub_.get(), wire, options_.token, request.lean, request.packed));
}

absl::StatusOr<eventlog::VerifyResult> GrpcEventStore::Verify() {
  v1::VerifyResponse response;
  RETURN_IF_ERROR(Call(stub_.get(), &v1::EventStoreService::Stub::Verify, options_.verify_timeout,
                       options_.token, v1::VerifyRequest(), &response));
  eventlog::VerifyResult result;
  result.ok = response.ok();
  result.records_checked = response.records_checked();
  result.first_bad_position = response.first_bad_position();
  result.problem = response.problem();
  result.head_hash = response.head_hash();
  return result;
}

absl::StatusOr<uint64_t> GrpcEventStore::Backup(const std::string& path) {
  v1::CheckpointRequest request;
  request.set_path(path);
  v1::CheckpointResponse response;
  RETURN_IF_ERROR(Call(stub_.get(), &v1::EventStoreService::Stub::Checkpoint,
                       options_.verify_timeout, options_.token, request, &response));
  return response.head_position();
}

}  // namespace bidtrail::eventstore
