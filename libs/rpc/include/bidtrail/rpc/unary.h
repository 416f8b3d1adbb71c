// Runs a unary gRPC call's work on a ThreadPool and finishes the call with
// its status, so that blocking work (a synced append, reading a stream) never
// blocks a gRPC callback thread. Header-only.
#ifndef BIDTRAIL_RPC_UNARY_H_
#define BIDTRAIL_RPC_UNARY_H_

#include <memory>
#include <utility>

#include "bidtrail/common/thread_pool.h"
#include "bidtrail/rpc/check.h"
#include "bidtrail/rpc/limits.h"
#include "bidtrail/rpc/status.h"
#include "bidtrail/rpc/wire.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"

namespace bidtrail::rpc {

namespace internal {

// The call's place against its principal's limit of calls in flight
// (CallLimits, when installed), shared because the work that frees it is
// copied; null once `reactor` has been finished with RESOURCE_EXHAUSTED.
inline std::shared_ptr<CallLimits::Slot> EnterCall(const grpc::CallbackServerContext& context,
                                                   grpc::ServerUnaryReactor* reactor) {
  absl::StatusOr<std::shared_ptr<CallLimits::Slot>> slot = rpc::EnterCall(Credential(context));
  if (!slot.ok()) {
    reactor->Finish(ToGrpcStatus(slot.status()));
    return nullptr;
  }
  return *std::move(slot);
}

}  // namespace internal

// `work` returns absl::Status and fills the response it captured. The call
// counts against its principal's limit of calls in flight (CallLimits, when
// installed) from now until it finishes; past the limit it ends at once
// with RESOURCE_EXHAUSTED.
template <typename Work>
grpc::ServerUnaryReactor* RunOnPool(ThreadPool* pool, grpc::CallbackServerContext* context,
                                    Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  std::shared_ptr<CallLimits::Slot> slot = internal::EnterCall(*context, reactor);
  if (slot == nullptr) return reactor;
  pool->Schedule([reactor, work = std::move(work), slot = std::move(slot)]() mutable {
    const grpc::Status status = ToGrpcStatus(work());
    // Free before Finish: a client that calls again at once is not refused.
    *slot = CallLimits::Slot();
    reactor->Finish(status);
  });
  return reactor;
}

// For a unary call whose work never blocks and answers later (an append the
// log completes from its committer thread): `work(finish)` runs on this gRPC
// thread and calls `finish(status)` exactly once, from any thread, once it
// has filled the response. No pool thread is held while the call waits.
// Counts against CallLimits as RunOnPool does; `request` is first held to
// CheckRequest.
template <typename Work>
grpc::ServerUnaryReactor* RunWithoutPool(grpc::CallbackServerContext* context,
                                         const google::protobuf::Message* request, Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (absl::Status checked = CheckRequest(*request); !checked.ok()) {
    reactor->Finish(ToGrpcStatus(checked));
    return reactor;
  }
  std::shared_ptr<CallLimits::Slot> slot = internal::EnterCall(*context, reactor);
  if (slot == nullptr) return reactor;
  work([reactor, slot = std::move(slot)](const absl::Status& status) {
    // Free before Finish: a client that calls again at once is not refused.
    *slot = CallLimits::Slot();
    reactor->Finish(ToGrpcStatus(status));
  });
  return reactor;
}

// A unary call answered at once with `status` (a refusal), off the pool.
inline grpc::ServerUnaryReactor* Refused(grpc::CallbackServerContext* context,
                                         const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

// RunOnPool for a call whose `request` is first held to CheckRequest
// (bidtrail/rpc/check.h): a refusal never reaches the pool.
template <typename Work>
grpc::ServerUnaryReactor* RunOnPool(ThreadPool* pool, grpc::CallbackServerContext* context,
                                    const google::protobuf::Message* request, Work work) {
  if (absl::Status checked = CheckRequest(*request); !checked.ok()) {
    return Refused(context, checked);
  }
  return RunOnPool(pool, context, std::move(work));
}

}  // namespace bidtrail::rpc

// In a callback service's class: the override of unary RPC `Name`, whose
// messages are v1::NameRequest and v1::NameResponse.
#define BIDTRAIL_UNARY_RPC(Name)                                                                 \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* context,                           \
                                 const v1::Name##Request* request, v1::Name##Response* response) \
      override

#endif  // BIDTRAIL_RPC_UNARY_H_
