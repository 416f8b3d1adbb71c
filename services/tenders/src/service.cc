#include "bidtrail/tenders/service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "bidtrail/api/views.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/rpc/unary.h"
#include "bidtrail/rpc/wire.h"

namespace bidtrail::tenders {

TendersGrpcService::TendersGrpcService(TenderCommands* commands, int worker_threads)
    : commands_(commands), pool_(worker_threads) {}

grpc::ServerUnaryReactor* TendersGrpcService::Run(grpc::CallbackServerContext* context,
                                                  const std::string& request_id,
                                                  v1::TenderEvent command,
                                                  const v1::LateRecording& late,
                                                  v1::CommandResult* result) {
  TenderCommands::Caller caller{rpc::Metadata(*context, rpc::kActorHeader),
                                rpc::Metadata(*context, rpc::kCorrelationHeader)};
  return rpc::RunOnPool(
      &pool_, context,
      [this, caller = std::move(caller), request_id, command = std::move(command),
       late = tender::LateRecording{late.reason(), late.approver()}, result]() -> absl::Status {
        if (IsBlank(caller.actor)) {
          return absl::UnauthenticatedError(absl::StrCat(
              "metadata ", rpc::kActorHeader,
              ": required; say who records this (bidtrail --actor NAME, or BIDTRAIL_ACTOR)"));
        }
        ASSIGN_OR_RETURN(*result, commands_->Execute(caller, request_id, command, late));
        return absl::OkStatus();
      });
}

#define BIDTRAIL_TENDERS_COMMAND(Rpc, request_field, EventCase, event_field)              \
  grpc::ServerUnaryReactor* TendersGrpcService::Rpc(grpc::CallbackServerContext* context, \
                                                    const v1::Rpc##Request* request,      \
                                                    v1::Rpc##Response* response) {        \
    v1::TenderEvent command;                                                              \
    *command.mutable_##event_field() = request->request_field();                          \
    return Run(context, request->request_id(), std::move(command), request->late(),       \
               response->mutable_result());                                               \
  }
BIDTRAIL_TENDER_COMMANDS(BIDTRAIL_TENDERS_COMMAND)
#undef BIDTRAIL_TENDERS_COMMAND

grpc::ServerUnaryReactor* TendersGrpcService::GetTender(grpc::CallbackServerContext* context,
                                                        const v1::GetTenderRequest* request,
                                                        v1::GetTenderResponse* response) {
  return rpc::RunOnPool(&pool_, context, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(auto loaded, commands_->Load(request->tender_id()));
    *response->mutable_tender() =
        api::TenderViewOf(loaded.first, commands_->options().domain.own_party_id);
    response->set_revision(loaded.second);
    return absl::OkStatus();
  });
}

}  // namespace bidtrail::tenders
