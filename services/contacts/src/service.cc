#include "bidtrail/contacts/service.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/common/validate.h"
#include "bidtrail/rpc/wire.h"

namespace bidtrail::contacts {

ContactsGrpcService::ContactsGrpcService(ContactBook* book, int worker_threads,
                                         auth::Authenticator* authenticator)
    : book_(book), authenticator_(authenticator), pool_(worker_threads, "contacts-work") {}

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
          const auth::Acting acting = auth::ActingFor(verified, caller.actor);
          caller.principal = verified.principal;
          caller.actor = acting.actor;
          caller.written_by = acting.written_by;
          caller.access = std::move(verified.access);
        }
        if (IsBlank(caller.actor)) return rpc::ActorRequired();
        return work(caller);
      });
}

// Each RPC: the book's method of the same request, its answer into
// `target` (the whole response for a query, its result for a command).
#define BIDTRAIL_CONTACTS_RPC(Rpc, Method, target)                                            \
  grpc::ServerUnaryReactor* ContactsGrpcService::Rpc(grpc::CallbackServerContext* context,    \
                                                     const v1::Rpc##Request* request,         \
                                                     v1::Rpc##Response* response) {           \
    return Run(context, request,                                                              \
               [this, request, response](const ContactBook::Caller& caller) -> absl::Status { \
                 ASSIGN_OR_RETURN(target, book_->Method(caller, *request));                   \
                 return absl::OkStatus();                                                     \
               });                                                                            \
  }
BIDTRAIL_CONTACTS_RPC(AddContact, Add, *response->mutable_result())
BIDTRAIL_CONTACTS_RPC(ChangeContact, Change, *response->mutable_result())
BIDTRAIL_CONTACTS_RPC(NoteContact, Note, *response->mutable_result())
BIDTRAIL_CONTACTS_RPC(RecordContactLeft, Left, *response->mutable_result())
BIDTRAIL_CONTACTS_RPC(ForgetContact, Forget, *response->mutable_result())
BIDTRAIL_CONTACTS_RPC(GetContact, Get, *response)
BIDTRAIL_CONTACTS_RPC(ListContacts, List, *response)
BIDTRAIL_CONTACTS_RPC(BuyerCoverage, Coverage, *response)
#undef BIDTRAIL_CONTACTS_RPC

}  // namespace bidtrail::contacts
