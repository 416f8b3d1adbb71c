#include "bidtrail/rpc/call_log.h"

#include <atomic>

#include "bidtrail/common/log.h"
#include "grpcpp/support/interceptor.h"

namespace bidtrail::rpc {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;
using grpc::experimental::ServerRpcInfo;

// Trouble in the server or its storage, not a client's mistake. UNAVAILABLE
// counts for unary calls only: streams end with it by design when the server
// shuts down (the client reconnects and resumes).
std::atomic<uint64_t> denied_calls{0};

bool ServerSideError(grpc::StatusCode code, bool unary) {
  return code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DATA_LOSS || (unary && code == grpc::StatusCode::UNAVAILABLE);
}

class CallLog final : public grpc::experimental::Interceptor {
 public:
  CallLog(ServerRpcInfo* info, absl::Duration slow_call)
      : method_(info->method()),
        unary_(info->type() == ServerRpcInfo::Type::UNARY),
        slow_call_(slow_call),
        start_(absl::Now()) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const grpc::Status status = methods->GetSendStatus();
      const absl::Duration elapsed = absl::Now() - start_;
      if (ServerSideError(status.error_code(), unary_)) {
        const log::Level level = status.error_code() == grpc::StatusCode::UNAVAILABLE
                                     ? log::Level::kWarning
                                     : log::Level::kError;
        log::Write(level, "rpc", "call failed",
                   {{"method", method_},
                    {"code", static_cast<int>(status.error_code())},
                    {"error", status.error_message()},
                    {"elapsed", elapsed}});
      } else if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
                 status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
        // A refused caller: one line each, counted; never in the log of events.
        log::Warn("rpc", "access denied",
                  {{"method", method_},
                   {"code", static_cast<int>(status.error_code())},
                   {"error", status.error_message()},
                   {"denied_total", denied_calls.fetch_add(1) + 1}});
      } else if (unary_ && elapsed > slow_call_) {
        log::Warn("rpc", "slow call",
                  {{"method", method_},
                   {"code", static_cast<int>(status.error_code())},
                   {"elapsed", elapsed}});
      }
    }
    methods->Proceed();
  }

 private:
  const char* const method_;
  const bool unary_;
  const absl::Duration slow_call_;
  const absl::Time start_;
};

class CallLogFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallLogFactory(const CallLogOptions& options) : options_(options) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new CallLog(info, options_.slow_call);
  }

 private:
  const CallLogOptions options_;
};

}  // namespace

uint64_t DeniedCalls() { return denied_calls.load(); }

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallLogFactory(
    const CallLogOptions& options) {
  return std::make_unique<CallLogFactory>(options);
}

}  // namespace bidtrail::rpc
