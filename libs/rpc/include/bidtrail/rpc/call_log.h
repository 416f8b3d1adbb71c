// Server-side logging of calls an operator should hear about: one structured
// line (bidtrail/common/log.h) for each unary call slower than a threshold,
// and for each call that ends with a server-side error: INTERNAL, UNKNOWN or
// DATA_LOSS (ERROR), and UNAVAILABLE for unary calls (WARN; streams end with
// it by design when the server shuts down). Client mistakes are not logged,
// refused callers are (one line each). A request that does not parse gets a
// status that says so (CallLogOptions::hosted_services).
// Installed on a grpc::ServerBuilder; thread-safe.
#ifndef BIDTRAIL_RPC_CALL_LOG_H_
#define BIDTRAIL_RPC_CALL_LOG_H_

#include <cstdint>
#include <memory>
#include <set>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/support/server_interceptor.h"

namespace bidtrail::rpc {

struct CallLogOptions {
  // Unary calls taking longer are logged as slow (WARN).
  absl::Duration slow_call = absl::Seconds(1);
  // Services this server hosts ("bidtrail.v1.TendersService"). gRPC answers
  // a request that does not parse (a string that is not UTF-8, bytes that
  // are not a message) with UNIMPLEMENTED and no message, as it answers an
  // unknown method: for a method of these services the interceptor makes it
  // INVALID_ARGUMENT saying why.
  std::set<std::string> hosted_services;
};

// An interceptor factory for ServerBuilder::experimental().SetInterceptorCreators.
std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallLogFactory(
    const CallLogOptions& options);

// For a request answered within a streaming call as a unary call would be
// (an append of AppendStream): counted, timed and logged as such a unary
// call under `method` (slow ones are not logged: the log's own slow commits
// are). The stream's end is counted as well, by the interceptor.
void NoteStreamedCall(const char* method, const grpc::Status& status, absl::Duration elapsed);

// Calls refused with UNAUTHENTICATED or PERMISSION_DENIED since the process
// started (each also logged, "access denied").
uint64_t DeniedCalls();

}  // namespace bidtrail::rpc

#endif  // BIDTRAIL_RPC_CALL_LOG_H_
