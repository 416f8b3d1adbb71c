#include "bidtrail/contacts/service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/rpc/wire.h"

namespace bidtrail::contacts {

ContactsGrpcService::ContactsGrpcService(ContactBook* book, int worker_threads,
                                         auth::Authenticator* authenticator)
    : book_(book), authenticator_(authenticator), pool_(worker_threads) {}

template <typename Work>
grpc::ServerUnaryReactor* ContactsGrpcService::Run(grpc::CallbackServerContext* context,
                                                   const google::protobuf::Message* request,
                                                   Work work) {
  ContactBook::Caller caller;
  caller.actor = rpc::Metadata(*context, rpc::kActorHeader);
  return rpc::RunOnPool(
      &pool_, context, request,
      [this, caller = std::move(caller), authorization = rpc::Credential(*context),
       work = std::move(work)]() mutable -> absl::Status {
        if (authenticator_ != nullptr) {
          // Who records is proven, not claimed; a service acts for the user
          // it names.
          ASSIGN_OR_RETURN(auth::Authenticator::Verified verified,
                           authenticator_->Resolve(authorization));
          const bool service = verified.access->Has(verified.principal, v1::ROLE_SERVICE);
          const std::string claimed = caller.actor;
          caller.principal = verified.principal;
          caller.actor = service && !IsBlank(claimed) ? claimed : verified.principal;
          if (caller.actor != verified.principal) caller.written_by = verified.principal;
          caller.access = std::move(verified.access);
        }
        if (IsBlank(caller.actor)) {
          return absl::UnauthenticatedError(absl::StrCat(
              "metadata ", rpc::kActorHeader,
              ": required; say who records this (bidtrail --actor NAME, or BIDTRAIL_ACTOR)"));
        }
        return work(caller);
      });
}

#define BIDTRAIL_CONTACTS_RPC(Rpc, Method, field)                                                 \
  grpc::ServerUnaryReactor* ContactsGrpcService::Rpc(grpc::CallbackServerContext* context,        \
                                                     const v1::Rpc##Request* request,             \
                                                     v1::Rpc##Response* response) {               \
    return Run(context, request,                                                                  \
               [this, request, response](const ContactBook::Caller& caller) -> absl::Status {     \
                 ASSIGN_OR_RETURN(*response->mutable_##field(), book_->Method(caller, *request)); \
                 return absl::OkStatus();                                                         \
               });                                                                                \
  }
BIDTRAIL_CONTACTS_RPC(AddContact, Add, result)
BIDTRAIL_CONTACTS_RPC(ChangeContact, Change, result)
BIDTRAIL_CONTACTS_RPC(NoteContact, Note, result)
BIDTRAIL_CONTACTS_RPC(RecordContactLeft, Left, result)
BIDTRAIL_CONTACTS_RPC(ForgetContact, Forget, result)
#undef BIDTRAIL_CONTACTS_RPC

#define BIDTRAIL_CONTACTS_QUERY(Rpc, Method)                                                  \
  grpc::ServerUnaryReactor* ContactsGrpcService::Rpc(grpc::CallbackServerContext* context,    \
                                                     const v1::Rpc##Request* request,         \
                                                     v1::Rpc##Response* response) {           \
    return Run(context, request,                                                              \
               [this, request, response](const ContactBook::Caller& caller) -> absl::Status { \
                 ASSIGN_OR_RETURN(*response, book_->Method(caller, *request));                \
                 return absl::OkStatus();                                                     \
               });                                                                            \
  }
BIDTRAIL_CONTACTS_QUERY(GetContact, Get)
BIDTRAIL_CONTACTS_QUERY(ListContacts, List)
BIDTRAIL_CONTACTS_QUERY(BuyerCoverage, Coverage)
#undef BIDTRAIL_CONTACTS_QUERY

}  // namespace bidtrail::contacts
