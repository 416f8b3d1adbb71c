// AccessService (proto/bidtrail/v1/access.proto): gives and takes rights as
// events of the access stream, checking the caller's own rights first
// (docs/security.md). Hosted with the EventStore service: the first admin
// is made where the log is. Thread-safe.
#ifndef BIDTRAIL_EVENTSTORE_ACCESS_SERVICE_H_
#define BIDTRAIL_EVENTSTORE_ACCESS_SERVICE_H_

#include "bidtrail/auth/authenticator.h"
#include "bidtrail/common/thread_pool.h"
#include "bidtrail/rpc/unary.h"
#include "bidtrail/v1/access.grpc.pb.h"

namespace bidtrail::eventstore {

class AccessGrpcService final : public v1::AccessService::CallbackService {
 public:
  // `authenticator` must outlive the service.
  explicit AccessGrpcService(auth::Authenticator* authenticator, int worker_threads = 4);

  BIDTRAIL_UNARY_RPC(Init);
  BIDTRAIL_UNARY_RPC(WhoAmI);
  BIDTRAIL_UNARY_RPC(IssueToken);
  BIDTRAIL_UNARY_RPC(RevokeToken);
  BIDTRAIL_UNARY_RPC(Grant);
  BIDTRAIL_UNARY_RPC(Withdraw);
  BIDTRAIL_UNARY_RPC(ListAccess);

 private:
  struct Caller {
    std::string principal;
    auth::AccessState state;
  };
  // The caller, when its token proves an admin.
  absl::StatusOr<Caller> Admin(const std::string& authorization);

  auth::Authenticator* const authenticator_;
  ThreadPool pool_;  // last: joined first
};

}  // namespace bidtrail::eventstore

#endif  // BIDTRAIL_EVENTSTORE_ACCESS_SERVICE_H_
