// TendersGrpcService: bidtrail.v1.TendersService over TenderCommands.
// Thread-safe. Callback API; every call runs on the service's worker threads
// (reading and appending may block on storage or the network).
//
// The caller's name comes from the request metadata "x-bidtrail-actor"
// (UNAUTHENTICATED without it) and an optional "x-bidtrail-correlation-id".
#ifndef BIDTRAIL_TENDERS_SERVICE_H_
#define BIDTRAIL_TENDERS_SERVICE_H_

#include "bidtrail/rpc/thread_pool.h"
#include "bidtrail/tenders/commands.h"
#include "bidtrail/v1/tenders.grpc.pb.h"

namespace bidtrail::tenders {

inline constexpr char kActorHeader[] = "x-bidtrail-actor";
inline constexpr char kCorrelationHeader[] = "x-bidtrail-correlation-id";

class TendersGrpcService final : public v1::TendersService::CallbackService {
 public:
  // `commands` must outlive the service.
  TendersGrpcService(TenderCommands* commands, int worker_threads = 32);

#define BIDTRAIL_TENDERS_RPC(Name)                                                               \
  grpc::ServerUnaryReactor* Name(grpc::CallbackServerContext* context,                           \
                                 const v1::Name##Request* request, v1::Name##Response* response) \
      override;
  BIDTRAIL_TENDERS_RPC(DiscoverTender)
  BIDTRAIL_TENDERS_RPC(AmendTender)
  BIDTRAIL_TENDERS_RPC(RecordDocumentObtained)
  BIDTRAIL_TENDERS_RPC(DecideNoBid)
  BIDTRAIL_TENDERS_RPC(SubmitBid)
  BIDTRAIL_TENDERS_RPC(WithdrawBid)
  BIDTRAIL_TENDERS_RPC(DisqualifyBid)
  BIDTRAIL_TENDERS_RPC(AnnounceAward)
  BIDTRAIL_TENDERS_RPC(CancelAward)
  BIDTRAIL_TENDERS_RPC(CancelTender)
  BIDTRAIL_TENDERS_RPC(DeclareTenderUnsuccessful)
  BIDTRAIL_TENDERS_RPC(LogActivity)
  BIDTRAIL_TENDERS_RPC(GetTender)
#undef BIDTRAIL_TENDERS_RPC

 private:
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context, const std::string& request_id,
                                v1::TenderEvent command, v1::CommandResult* result);

  TenderCommands* const commands_;
  rpc::ThreadPool pool_;  // last: joined first
};

}  // namespace bidtrail::tenders

#endif  // BIDTRAIL_TENDERS_SERVICE_H_
