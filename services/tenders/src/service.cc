#include "bidtrail/tenders/service.h"

#include <string>

#include "bidtrail/common/status_macros.h"
#include "bidtrail/rpc/unary.h"

namespace bidtrail::tenders {
namespace {

std::string Header(const grpc::CallbackServerContext* context, const char* name) {
  const auto& metadata = context->client_metadata();
  auto it = metadata.find(name);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

TendersGrpcService::TendersGrpcService(TenderCommands* commands, int worker_threads)
    : commands_(commands), pool_(worker_threads) {}

grpc::ServerUnaryReactor* TendersGrpcService::Run(grpc::CallbackServerContext* context,
                                                  const std::string& request_id,
                                                  v1::TenderEvent command,
                                                  v1::CommandResult* result) {
  TenderCommands::Caller caller{Header(context, kActorHeader), Header(context, kCorrelationHeader)};
  return rpc::RunOnPool(
      &pool_, context,
      [this, caller = std::move(caller), request_id, command = std::move(command),
       result]() -> absl::Status {
        if (caller.actor.empty()) {
          return absl::UnauthenticatedError(
              "metadata x-bidtrail-actor: required; say who records this (bidtrail --actor)");
        }
        ASSIGN_OR_RETURN(*result, commands_->Execute(caller, request_id, command));
        return absl::OkStatus();
      });
}

#define BIDTRAIL_TENDERS_COMMAND(Name, field, mutable_event)                                    \
  grpc::ServerUnaryReactor* TendersGrpcService::Name(grpc::CallbackServerContext* context,      \
                                                     const v1::Name##Request* request,          \
                                                     v1::Name##Response* response) {            \
    v1::TenderEvent command;                                                                    \
    *command.mutable_event() = request->field();                                                \
    return Run(context, request->request_id(), std::move(command), response->mutable_result()); \
  }
BIDTRAIL_TENDERS_COMMAND(DiscoverTender, tender, mutable_tender_discovered)
BIDTRAIL_TENDERS_COMMAND(AmendTender, amendment, mutable_tender_amended)
BIDTRAIL_TENDERS_COMMAND(RecordDocumentObtained, document, mutable_document_obtained)
BIDTRAIL_TENDERS_COMMAND(DecideNoBid, decision, mutable_no_bid_decided)
BIDTRAIL_TENDERS_COMMAND(SubmitBid, bid, mutable_bid_submitted)
BIDTRAIL_TENDERS_COMMAND(WithdrawBid, withdrawal, mutable_bid_withdrawn)
BIDTRAIL_TENDERS_COMMAND(DisqualifyBid, disqualification, mutable_bid_disqualified)
BIDTRAIL_TENDERS_COMMAND(AnnounceAward, award, mutable_award_announced)
BIDTRAIL_TENDERS_COMMAND(CancelAward, cancellation, mutable_award_cancelled)
BIDTRAIL_TENDERS_COMMAND(CancelTender, cancellation, mutable_tender_cancelled)
BIDTRAIL_TENDERS_COMMAND(DeclareTenderUnsuccessful, outcome, mutable_tender_unsuccessful)
BIDTRAIL_TENDERS_COMMAND(LogActivity, activity, mutable_activity_logged)
#undef BIDTRAIL_TENDERS_COMMAND

grpc::ServerUnaryReactor* TendersGrpcService::GetTender(grpc::CallbackServerContext* context,
                                                        const v1::GetTenderRequest* request,
                                                        v1::GetTenderResponse* response) {
  return rpc::RunOnPool(&pool_, context, [this, request, response]() -> absl::Status {
    ASSIGN_OR_RETURN(auto loaded, commands_->Load(request->tender_id()));
    *response->mutable_tender() =
        tender::ToView(loaded.first, commands_->options().domain.own_party_id);
    response->set_revision(loaded.second);
    return absl::OkStatus();
  });
}

}  // namespace bidtrail::tenders
