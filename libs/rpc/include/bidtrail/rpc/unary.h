// Runs a unary gRPC call's work on a ThreadPool and finishes the call with
// its status, so that blocking work (a synced append, reading a stream) never
// blocks a gRPC callback thread. Header-only.
#ifndef BIDTRAIL_RPC_UNARY_H_
#define BIDTRAIL_RPC_UNARY_H_

#include <utility>

#include "bidtrail/common/thread_pool.h"
#include "bidtrail/rpc/status.h"
#include "grpcpp/server_context.h"
#include "grpcpp/support/server_callback.h"

namespace bidtrail::rpc {

// `work` returns absl::Status and fills the response it captured.
template <typename Work>
grpc::ServerUnaryReactor* RunOnPool(ThreadPool* pool, grpc::CallbackServerContext* context,
                                    Work work) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pool->Schedule(
      [reactor, work = std::move(work)]() mutable { reactor->Finish(ToGrpcStatus(work())); });
  return reactor;
}

}  // namespace bidtrail::rpc

// In a callback service's class: the override of unary RPC `Name`, whose
// messages are v1::NameRequest and v1::NameResponse.
#define BIDTRAIL_UNARY_RPC(Name)                                                                 \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* context,                           \
                                 const v1::Name##Request* request, v1::Name##Response* response) \
      override

#endif  // BIDTRAIL_RPC_UNARY_H_
