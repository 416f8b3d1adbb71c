// Server-streaming calls driven by a thread of their own, for the callback
// API: the thread produces one message, hands it to gRPC and produces the
// next while that one is written, waiting for each write to complete, so a
// slow client slows only its own call and at most two messages exist at once.
// Header-only.
#ifndef BIDTRAIL_RPC_STREAM_WRITER_H_
#define BIDTRAIL_RPC_STREAM_WRITER_H_

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "bidtrail/rpc/status.h"
#include "grpcpp/support/server_callback.h"

namespace bidtrail::rpc {

struct StreamHooks {
  // Wakes a blocked `produce` when the client goes away; may be empty.
  std::function<void()> on_cancel;
  // Turns the producer's error into the call's status (for example,
  // UNAVAILABLE during a shutdown); may be empty.
  std::function<absl::Status(const absl::Status&)> map_error;
  // Runs last, after Finish(), on the stream's thread; may be empty.
  std::function<void()> on_finish;
};

// `produce` returns the next message, std::nullopt at the end of the stream,
// or an error; it runs on the stream's thread and may block (a subscription
// waiting for new events).
template <typename Response>
class ThreadDrivenWriter final : public grpc::ServerWriteReactor<Response> {
 public:
  using Producer = std::function<absl::StatusOr<std::optional<Response>>()>;

  ThreadDrivenWriter(Producer produce, StreamHooks hooks) : state_(std::make_shared<State>()) {
    state_->produce = std::move(produce);
    state_->hooks = std::move(hooks);
    std::thread([this, state = state_] { Run(state); }).detach();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&state_->mu);
    state_->write_done = true;
    state_->write_ok = ok;
  }

  void OnCancel() override {
    state_->cancelled.store(true, std::memory_order_release);
    if (state_->hooks.on_cancel) state_->hooks.on_cancel();
  }

  void OnDone() override { delete this; }

 private:
  struct State {
    Producer produce;
    StreamHooks hooks;
    std::atomic<bool> cancelled{false};
    absl::Mutex mu;
    bool write_done ABSL_GUARDED_BY(mu) = false;
    bool write_ok ABSL_GUARDED_BY(mu) = false;
  };

  // Touches the reactor only until it calls Finish(): after that gRPC may
  // delete it at any moment (OnDone). Everything used later is in `state`.
  // Produces the next message while the previous one is being written, so
  // reading storage and sending overlap; at most two messages exist at once.
  void Run(std::shared_ptr<State> state) {
    Response in_flight;
    grpc::Status final_status = grpc::Status::OK;
    absl::StatusOr<std::optional<Response>> next = state->produce();
    bool writing = false;
    while (true) {
      if (state->cancelled.load(std::memory_order_acquire)) {
        final_status = grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client");
      } else if (!next.ok()) {
        final_status = ToGrpcStatus(state->hooks.map_error ? state->hooks.map_error(next.status())
                                                           : next.status());
      }
      if (writing && !WaitForWrite(*state)) {
        final_status = grpc::Status(grpc::StatusCode::CANCELLED, "the client went away");
        break;
      }
      writing = false;
      if (!final_status.ok() || !next->has_value()) break;
      in_flight = std::move(**next);
      {
        absl::MutexLock lock(&state->mu);
        state->write_done = false;
      }
      this->StartWrite(&in_flight);
      writing = true;
      next = state->produce();
    }
    // Release what the producer holds (a subscription on the store) before
    // the call can complete and the server go on to close the store.
    state->produce = nullptr;
    std::function<void()> on_finish = std::move(state->hooks.on_finish);
    this->Finish(final_status);
    if (on_finish) on_finish();
  }

  // Blocks until the write in flight completes; false when it failed.
  static bool WaitForWrite(State& state) {
    absl::MutexLock lock(&state.mu);
    state.mu.Await(absl::Condition(&state.write_done));
    return state.write_ok;
  }

  std::shared_ptr<State> state_;
};

// A call refused before it started.
template <typename Response>
class RefusedWriter final : public grpc::ServerWriteReactor<Response> {
 public:
  explicit RefusedWriter(const absl::Status& status) { this->Finish(ToGrpcStatus(status)); }
  void OnDone() override { delete this; }
};

}  // namespace bidtrail::rpc

#endif  // BIDTRAIL_RPC_STREAM_WRITER_H_
