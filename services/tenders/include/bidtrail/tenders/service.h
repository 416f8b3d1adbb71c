// TendersGrpcService: bidtrail.v1.TendersService over TenderCommands.
// Thread-safe. Callback API; every call runs on the service's worker threads
// (reading and appending may block on storage or the network).
//
// The caller's name comes from the request metadata rpc::kActorHeader
// (UNAUTHENTICATED without it) and an optional rpc::kCorrelationHeader.
#ifndef BIDTRAIL_TENDERS_SERVICE_H_
#define BIDTRAIL_TENDERS_SERVICE_H_

#include "bidtrail/auth/authenticator.h"
#include "bidtrail/common/thread_pool.h"
#include "bidtrail/rpc/unary.h"
#include "bidtrail/tenders/command_table.h"
#include "bidtrail/tenders/commands.h"
#include "bidtrail/v1/tenders.grpc.pb.h"

namespace bidtrail::tenders {

class TendersGrpcService final : public v1::TendersService::CallbackService {
 public:
  // `commands` (and `authenticator`, when given) must outlive the service.
  // With an authenticator every call needs a token: the actor of what it
  // records is the token's principal (the actor header is ignored), and it
  // records only on tenders of its territories (docs/security.md).
  TendersGrpcService(TenderCommands* commands, int worker_threads = 32,
                     auth::Authenticator* authenticator = nullptr);

#define BIDTRAIL_TENDERS_RPC(Rpc, request_field, EventCase, event_field) BIDTRAIL_UNARY_RPC(Rpc);
  BIDTRAIL_TENDER_COMMANDS(BIDTRAIL_TENDERS_RPC)
#undef BIDTRAIL_TENDERS_RPC
  BIDTRAIL_UNARY_RPC(GetTender);
  BIDTRAIL_UNARY_RPC(SetQuota);

 private:
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, const std::string& request_id,
                                v1::TenderEvent command, const v1::LateRecording& late,
                                v1::CommandResult* result);

  TenderCommands* const commands_;
  auth::Authenticator* const authenticator_;
  ThreadPool pool_;  // last: joined first
};

}  // namespace bidtrail::tenders

#endif  // BIDTRAIL_TENDERS_SERVICE_H_
