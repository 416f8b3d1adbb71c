// The one map between absl::Status (the language of the core) and
// grpc::Status (the language of the wire), used by every service and client.
// Pure functions; thread-safe.
#ifndef BIDTRAIL_RPC_STATUS_H_
#define BIDTRAIL_RPC_STATUS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace bidtrail::rpc {

// Longest message a status carries on the wire; longer ones are cut there.
inline constexpr size_t kMaxStatusMessageBytes = 1024;

// Same code, same message (cut to kMaxStatusMessageBytes, saying so). absl
// and gRPC share the canonical code numbers.
grpc::Status ToGrpcStatus(const absl::Status& status);

// Same code, same message. A client that could not reach the server gets
// UNAVAILABLE with a message that says so in one line.
absl::Status FromGrpcStatus(const grpc::Status& status);

}  // namespace bidtrail::rpc

#endif  // BIDTRAIL_RPC_STATUS_H_
