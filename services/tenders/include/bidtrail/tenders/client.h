// Client side of TendersService: sends a tender command (the event the client
// proposes) through the RPC for its type. Thread-safe (the stub is).
#ifndef BIDTRAIL_TENDERS_CLIENT_H_
#define BIDTRAIL_TENDERS_CLIENT_H_

#include <string>

#include "bidtrail/v1/tenders.grpc.pb.h"
#include "grpcpp/client_context.h"

namespace bidtrail::tenders {

// `context` carries the deadline and the rpc::kActorHeader metadata; `late`
// explains a fact recorded late (v1::LateRecording; empty otherwise). On
// success `result` has what the command appended.
grpc::Status SendCommand(v1::TendersService::StubInterface* stub, grpc::ClientContext* context,
                         const std::string& request_id, const v1::TenderEvent& event,
                         v1::CommandResult* result,
                         const v1::LateRecording& late = v1::LateRecording());

}  // namespace bidtrail::tenders

#endif  // BIDTRAIL_TENDERS_CLIENT_H_
