// ContactsGrpcService: bidtrail.v1.ContactsService over a ContactBook.
// Thread-safe. Callback API; every call runs on the service's worker
// threads. With an authenticator every call needs a credential; the actor of
// what it records is the principal it proves (a service names the person it
// records for, as for tenders: docs/security.md).
#ifndef BIDTRAIL_CONTACTS_SERVICE_H_
#define BIDTRAIL_CONTACTS_SERVICE_H_

#include "bidtrail/auth/authenticator.h"
#include "bidtrail/common/thread_pool.h"
#include "bidtrail/contacts/book.h"
#include "bidtrail/rpc/unary.h"
#include "bidtrail/v1/contacts.grpc.pb.h"

namespace bidtrail::contacts {

class ContactsGrpcService final : public v1::ContactsService::CallbackService {
 public:
  // `book` (and `authenticator`, when given) must outlive the service.
  ContactsGrpcService(ContactBook* book, int worker_threads = 8,
                      auth::Authenticator* authenticator = nullptr);

  BIDTRAIL_UNARY_RPC(AddContact);
  BIDTRAIL_UNARY_RPC(ChangeContact);
  BIDTRAIL_UNARY_RPC(NoteContact);
  BIDTRAIL_UNARY_RPC(RecordContactLeft);
  BIDTRAIL_UNARY_RPC(ForgetContact);
  BIDTRAIL_UNARY_RPC(GetContact);
  BIDTRAIL_UNARY_RPC(ListContacts);
  BIDTRAIL_UNARY_RPC(BuyerCoverage);

 private:
  // Runs `work(caller)` on the pool once the caller is known.
  template <typename Work>
  grpc::ServerUnaryReactor* Run(grpc::CallbackServerContext* context,
                                const google::protobuf::Message* request, Work work);

  ContactBook* const book_;
  auth::Authenticator* const authenticator_;
  ThreadPool pool_;  // last: joined first
};

}  // namespace bidtrail::contacts

#endif  // BIDTRAIL_CONTACTS_SERVICE_H_
