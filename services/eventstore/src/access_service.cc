#include "bidtrail/eventstore/access_service.h"

#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bidtrail/common/proto_time.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/rpc/wire.h"

namespace bidtrail::eventstore {
namespace {

// What proves the caller (rpc::Credential).
std::string Authorization(const grpc::CallbackServerContext* context) {
  return rpc::Credential(*context);
}

// A principal's name: printable ASCII without spaces, 1 to 100 bytes.
absl::Status CheckPrincipal(const std::string& name, const char* field) {
  bool ok = !name.empty() && name.size() <= 100 && IsPrintableAscii(name);
  for (char c : name) ok &= c != ' ';
  if (ok) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(field, ": \"", name.substr(0, 100),
                   "\" is not a principal: 1 to 100 printable ASCII bytes, no spaces"));
}

absl::Status CheckRole(v1::Role role,
                       const google::protobuf::RepeatedPtrField<std::string>& territories,
                       bool withdrawing) {
  if (v1::Role_descriptor()->FindValueByNumber(role) == nullptr || role == v1::ROLE_UNSPECIFIED) {
    return absl::InvalidArgumentError("role: one of bidder, manager, analyst, admin, service");
  }
  const bool territorial = role == v1::ROLE_BIDDER || role == v1::ROLE_MANAGER;
  if (territorial && territories.empty() && !withdrawing) {
    return absl::InvalidArgumentError(
        absl::StrCat("territories: a ", auth::RoleWord(role),
                     " holds territories; name one or more (* for all)"));
  }
  if (!territorial && !territories.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("territories: a ", auth::RoleWord(role), " holds no territories"));
  }
  for (const std::string& territory : territories) {
    if (territory.empty() || !IsPrintableAscii(territory) || territory.size() > 100) {
      return absl::InvalidArgumentError(
          absl::StrCat("territories: \"", territory.substr(0, 100), "\" is not a territory"));
    }
  }
  return absl::OkStatus();
}

void AddRoles(const auth::AccessState& state, const std::string& principal,
              google::protobuf::RepeatedPtrField<v1::PrincipalRole>* out) {
  auto found = state.roles().find(principal);
  if (found == state.roles().end()) return;
  for (const auto& [role, territories] : found->second) {
    v1::PrincipalRole* each = out->Add();
    each->set_role(role);
    for (const std::string& territory : territories) each->add_territories(territory);
  }
}

}  // namespace

AccessGrpcService::AccessGrpcService(auth::Authenticator* authenticator, int worker_threads)
    : authenticator_(authenticator), pool_(worker_threads, "access-work") {}

absl::StatusOr<AccessGrpcService::Caller> AccessGrpcService::Admin(
    const std::string& authorization) {
  Caller caller;
  ASSIGN_OR_RETURN(auth::Authenticator::Verified verified, authenticator_->Resolve(authorization));
  caller.principal = std::move(verified.principal);
  caller.state = *verified.access;
  RETURN_IF_ERROR(auth::Allow(caller.state, caller.principal, auth::Action::kAdminister));
  return caller;
}

grpc::ServerUnaryReactor* AccessGrpcService::Init(grpc::CallbackServerContext* context,
                                                  const v1::InitRequest* request,
                                                  v1::InitResponse* response) {
  return rpc::RunOnPool(&pool_, context, request, [this, request, response]() -> absl::Status {
    RETURN_IF_ERROR(CheckPrincipal(request->principal(), "principal"));
    ASSIGN_OR_RETURN(std::string token, authenticator_->Bootstrap(request->principal()));
    response->set_principal(request->principal());
    response->set_token(std::move(token));
    return absl::OkStatus();
  });
}

grpc::ServerUnaryReactor* AccessGrpcService::WhoAmI(grpc::CallbackServerContext* context,
                                                    const v1::WhoAmIRequest* /*request*/,
                                                    v1::WhoAmIResponse* response) {
  return rpc::RunOnPool(&pool_, context,
                        [this, authorization = Authorization(context), response]() -> absl::Status {
                          ASSIGN_OR_RETURN(const auth::Authenticator::Verified caller,
                                           authenticator_->Resolve(authorization));
                          response->set_principal(caller.principal);
                          AddRoles(*caller.access, caller.principal, response->mutable_roles());
                          return absl::OkStatus();
                        });
}

grpc::ServerUnaryReactor* AccessGrpcService::IssueToken(grpc::CallbackServerContext* context,
                                                        const v1::IssueTokenRequest* request,
                                                        v1::IssueTokenResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = Authorization(context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Caller admin, Admin(authorization));
        const std::string& caller = admin.principal;
        RETURN_IF_ERROR(CheckPrincipal(request->principal(), "principal"));
        const std::string token = auth::NewToken();
        v1::AccessEvent issued;
        issued.mutable_token_issued()->set_token_hash(auth::TokenHash(token));
        issued.mutable_token_issued()->set_principal(request->principal());
        issued.mutable_token_issued()->set_label(request->label());
        if (request->has_expires_at()) {
          *issued.mutable_token_issued()->mutable_expires_at() = request->expires_at();
        }
        RETURN_IF_ERROR(
            authenticator_->Record({issued}, caller, eventlog::ExpectedRevision::Any()));
        response->set_token(token);
        response->set_token_hash(auth::TokenHash(token));
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AccessGrpcService::RevokeToken(grpc::CallbackServerContext* context,
                                                         const v1::RevokeTokenRequest* request,
                                                         v1::RevokeTokenResponse* response) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = Authorization(context), request, response]() -> absl::Status {
        ASSIGN_OR_RETURN(const Caller admin, Admin(authorization));
        const std::string& caller = admin.principal;
        const auth::AccessState& state = admin.state;
        std::string hash =
            request->token().empty() ? request->token_hash() : auth::TokenHash(request->token());
        if (hash.size() < 8) {
          return absl::InvalidArgumentError(
              "token_hash: give the token, its hash, or 8 or more hex digits of the hash");
        }
        std::vector<std::string> matches;
        for (const auto& [each, token] : state.tokens()) {
          if (each.rfind(hash, 0) == 0) matches.push_back(each);
        }
        if (matches.empty()) {
          return absl::NotFoundError(absl::StrCat("no token's hash starts with ", hash));
        }
        if (matches.size() > 1) {
          return absl::InvalidArgumentError(
              absl::StrCat("token_hash: ", hash, " starts ", matches.size(), " hashes; give more"));
        }
        v1::AccessEvent revoked;
        revoked.mutable_token_revoked()->set_token_hash(matches[0]);
        revoked.mutable_token_revoked()->set_reason(request->reason());
        RETURN_IF_ERROR(
            authenticator_->Record({revoked}, caller, eventlog::ExpectedRevision::Any()));
        response->set_token_hash(matches[0]);
        return absl::OkStatus();
      });
}

grpc::ServerUnaryReactor* AccessGrpcService::Grant(grpc::CallbackServerContext* context,
                                                   const v1::GrantRequest* request,
                                                   v1::GrantResponse* /*response*/) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = Authorization(context), request]() -> absl::Status {
        ASSIGN_OR_RETURN(const Caller admin, Admin(authorization));
        const std::string& caller = admin.principal;
        RETURN_IF_ERROR(CheckPrincipal(request->grant().principal(), "grant.principal"));
        RETURN_IF_ERROR(CheckRole(request->grant().role(), request->grant().territories(), false));
        v1::AccessEvent granted;
        *granted.mutable_role_granted() = request->grant();
        return authenticator_->Record({granted}, caller, eventlog::ExpectedRevision::Any());
      });
}

grpc::ServerUnaryReactor* AccessGrpcService::Withdraw(grpc::CallbackServerContext* context,
                                                      const v1::WithdrawRequest* request,
                                                      v1::WithdrawResponse* /*response*/) {
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, authorization = Authorization(context), request]() -> absl::Status {
        ASSIGN_OR_RETURN(const Caller admin, Admin(authorization));
        const std::string& caller = admin.principal;
        const auth::AccessState& state = admin.state;
        const v1::RoleWithdrawn& withdrawal = request->withdrawal();
        RETURN_IF_ERROR(CheckPrincipal(withdrawal.principal(), "withdrawal.principal"));
        RETURN_IF_ERROR(CheckRole(withdrawal.role(), withdrawal.territories(), true));
        if (!state.Has(withdrawal.principal(), withdrawal.role())) {
          return absl::FailedPreconditionError(absl::StrCat(
              withdrawal.principal(), " does not hold ", auth::RoleWord(withdrawal.role())));
        }
        // The last admin stays: without one, nobody could grant again.
        if (withdrawal.role() == v1::ROLE_ADMIN) {
          int admins = 0;
          for (const auto& [principal, roles] : state.roles())
            admins += roles.count(v1::ROLE_ADMIN);
          if (admins <= 1) {
            return absl::FailedPreconditionError(
                absl::StrCat(withdrawal.principal(), " is the last admin; grant another first"));
          }
        }
        v1::AccessEvent withdrawn;
        *withdrawn.mutable_role_withdrawn() = withdrawal;
        return authenticator_->Record({withdrawn}, caller, eventlog::ExpectedRevision::Any());
      });
}

grpc::ServerUnaryReactor* AccessGrpcService::ListAccess(grpc::CallbackServerContext* context,
                                                        const v1::ListAccessRequest* /*request*/,
                                                        v1::ListAccessResponse* response) {
  return rpc::RunOnPool(&pool_, context,
                        [this, authorization = Authorization(context), response]() -> absl::Status {
                          ASSIGN_OR_RETURN(const Caller admin, Admin(authorization));
                          const auth::AccessState& state = admin.state;
                          for (const auto& [principal, roles] : state.roles()) {
                            v1::PrincipalAccess* each = response->add_principals();
                            each->set_principal(principal);
                            AddRoles(state, principal, each->mutable_roles());
                          }
                          for (const auto& [hash, token] : state.tokens()) {
                            v1::TokenSummary* each = response->add_tokens();
                            each->set_token_hash(hash);
                            each->set_principal(token.principal);
                            each->set_revoked(token.revoked);
                            if (token.expires_at)
                              ToProtoTime(*token.expires_at, each->mutable_expires_at());
                          }
                          return absl::OkStatus();
                        });
}

}  // namespace bidtrail::eventstore
