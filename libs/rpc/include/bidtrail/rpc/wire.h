// What every bidtrail server and client agrees on beyond the .proto files:
// the request metadata names and the message size limit. Header-only.
#ifndef BIDTRAIL_RPC_WIRE_H_
#define BIDTRAIL_RPC_WIRE_H_

#include <string>

#include "grpcpp/server_context.h"

namespace bidtrail::rpc {

// Who records (the actor stored on every event), and the correlation id a
// client may give to tie its calls together.
inline constexpr char kActorHeader[] = "x-bidtrail-actor";
inline constexpr char kCorrelationHeader[] = "x-bidtrail-correlation-id";

// The largest message a server or client sends or accepts: a page of events
// (up to 10,000 events of up to 1 MiB each are refused by the log's own
// limits first; pages are cut by bytes well below this).
inline constexpr int kMaxMessageBytes = 64 << 20;

// The value of request metadata `name`, or "" when absent.
inline std::string Metadata(const grpc::ServerContextBase& context, const char* name) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(name);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace bidtrail::rpc

#endif  // BIDTRAIL_RPC_WIRE_H_
