#include "bidtrail/tenders/service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "bidtrail/api/views.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/rpc/unary.h"
#include "bidtrail/rpc/wire.h"

namespace bidtrail::tenders {

TendersGrpcService::TendersGrpcService(TenderCommands* commands, int worker_threads,
                                       auth::Authenticator* authenticator)
    : commands_(commands), authenticator_(authenticator), pool_(worker_threads, "tenders-work") {}

namespace {

// The tender's territory: as recorded, or as a discovery states it.
std::string TerritoryOf(const tender::TenderState& state, const v1::TenderEvent& command) {
  if (state.exists) return state.details.territory();
  return command.has_tender_discovered() ? command.tender_discovered().territory() : "";
}

}  // namespace

grpc::ServerUnaryReactor* TendersGrpcService::Run(grpc::CallbackServerContext* context,
                                                  const std::string& request_id,
                                                  v1::TenderEvent command,
                                                  const v1::LateRecording& late,
                                                  v1::CommandResult* result) {
  TenderCommands::Caller caller{rpc::Metadata(*context, rpc::kActorHeader),
                                rpc::Metadata(*context, rpc::kCorrelationHeader)};
  return rpc::RunOnPool(
      &pool_, context,
      [this, caller = std::move(caller), authorization = rpc::Credential(*context), request_id,
       command = std::move(command), late = tender::LateRecording{late.reason(), late.approver()},
       result]() mutable -> absl::Status {
        if (authenticator_ != nullptr) {
          // Who records is proven, not claimed.
          ASSIGN_OR_RETURN(auth::Authenticator::Verified verified,
                           authenticator_->Resolve(authorization));
          const auth::Acting acting = auth::ActingFor(verified, caller.actor);
          caller.actor = acting.actor;
          caller.written_by = acting.written_by;
          const std::string principal = verified.principal;
          const bool service = acting.service;
          const std::shared_ptr<const auth::AccessState> access = std::move(verified.access);
          caller.authorize = [access = std::move(access), principal, service](
                                 const tender::TenderState& state, const v1::TenderEvent& command,
                                 const tender::LateRecording& late) -> absl::Status {
            const std::string territory = TerritoryOf(state, command);
            if (!service) {
              RETURN_IF_ERROR(auth::Allow(*access, principal, auth::Action::kRecord, territory));
            }
            // Handed over only by a manager of the territory it leaves.
            if (command.has_tender_handed_over() && !service &&
                !auth::Allow(*access, principal, auth::Action::kApproveLate, territory).ok()) {
              return absl::PermissionDeniedError(
                  absl::StrCat(principal, " may not hand this tender over: only a manager of ",
                               territory, ", the territory it leaves, may"));
            }
            if (!late.approver.empty() &&
                !auth::Allow(*access, late.approver, auth::Action::kApproveLate, territory).ok()) {
              return absl::PermissionDeniedError(
                  absl::StrCat("late.approver: ", late.approver, " is not a manager of territory ",
                               territory, "; a late fact needs the approval of one"));
            }
            return absl::OkStatus();
          };
        }
        if (IsBlank(caller.actor)) return rpc::ActorRequired();
        ASSIGN_OR_RETURN(*result, commands_->Execute(caller, request_id, command, late));
        return absl::OkStatus();
      });
}

#define BIDTRAIL_TENDERS_COMMAND(Rpc, request_field, EventCase, event_field)              \
  grpc::ServerUnaryReactor* TendersGrpcService::Rpc(grpc::CallbackServerContext* context, \
                                                    const v1::Rpc##Request* request,      \
                                                    v1::Rpc##Response* response) {        \
    if (absl::Status checked = rpc::CheckRequest(*request); !checked.ok()) {              \
      return rpc::Refused(context, checked);                                              \
    }                                                                                     \
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
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = rpc::Credential(*context), request, response]() -> absl::Status {
        // Authenticated before anything is read: no probing without a token.
        auth::Authenticator::Verified caller;
        if (authenticator_ != nullptr) {
          ASSIGN_OR_RETURN(caller, authenticator_->Resolve(authorization));
        }
        ASSIGN_OR_RETURN(auto loaded, commands_->Load(request->tender_id()));
        if (authenticator_ != nullptr) {
          RETURN_IF_ERROR(auth::Allow(*caller.access, caller.principal, auth::Action::kQuery,
                                      loaded.first.details.territory()));
        }
        *response->mutable_tender() =
            api::TenderViewOf(loaded.first, commands_->options().domain.own_party_id);
        response->set_revision(loaded.second);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* TendersGrpcService::SetQuota(grpc::CallbackServerContext* context,
                                                       const v1::SetQuotaRequest* request,
                                                       v1::SetQuotaResponse* response) {
  TenderCommands::Caller caller{rpc::Metadata(*context, rpc::kActorHeader),
                                rpc::Metadata(*context, rpc::kCorrelationHeader)};
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, caller = std::move(caller), authorization = rpc::Credential(*context), request,
       response]() mutable -> absl::Status {
        if (authenticator_ != nullptr) {
          ASSIGN_OR_RETURN(auth::Authenticator::Verified verified,
                           authenticator_->Resolve(authorization));
          const auth::AccessState& access = *verified.access;
          const auth::Acting acting = auth::ActingFor(verified, caller.actor);
          caller.actor = acting.actor;
          caller.written_by = acting.written_by;
          // Quotas are set by those who answer for them.
          if (!acting.service && !access.Has(verified.principal, v1::ROLE_MANAGER) &&
              !access.Has(verified.principal, v1::ROLE_ADMIN)) {
            return absl::PermissionDeniedError(
                absl::StrCat(verified.principal, " may not set quotas: it needs manager or admin"));
          }
        }
        if (IsBlank(caller.actor)) return rpc::ActorRequired();
        ASSIGN_OR_RETURN(*response,
                         commands_->SetQuota(caller, request->request_id(), request->quota()));
        return absl::OkStatus();
      });
}

}  // namespace bidtrail::tenders
