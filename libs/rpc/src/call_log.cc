#include "bidtrail/rpc/call_log.h"

#include <array>
#include <atomic>
#include <memory>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bidtrail/common/log.h"
#include "bidtrail/metrics/metrics.h"
#include "google/protobuf/descriptor.h"
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

// The calls' metrics (docs/web.md).
struct CallMetrics {
  prometheus::Family<prometheus::Counter>& calls = metrics::Counters(
      "bidtrail_rpc_calls_total", "gRPC calls answered, by method and status code");
  prometheus::Family<prometheus::Histogram>& seconds =
      metrics::Histograms("bidtrail_rpc_seconds", "Time to answer a unary gRPC call, by method");
  prometheus::Family<prometheus::Counter>& denied = metrics::Counters(
      "bidtrail_rpc_denied_total",
      "Calls refused for their caller, by reason: unauthenticated (no or a bad credential), "
      "permission_denied (the caller's roles do not allow it)");
};

CallMetrics& Measured() {
  static CallMetrics* call_metrics = new CallMetrics();
  return *call_metrics;
}

// "OK", "INVALID_ARGUMENT", ... in lower case.
std::string CodeWord(grpc::StatusCode code) {
  return absl::AsciiStrToLower(absl::StatusCodeToString(static_cast<absl::StatusCode>(code)));
}

bool ServerSideError(grpc::StatusCode code, bool unary) {
  return code == grpc::StatusCode::INTERNAL || code == grpc::StatusCode::UNKNOWN ||
         code == grpc::StatusCode::DATA_LOSS || (unary && code == grpc::StatusCode::UNAVAILABLE);
}

// A method's counters (one per status code) and histogram, found in their
// families once per thread: a family's Add hashes and looks up a map of labels,
// a few microseconds that each append over a stream would otherwise pay. The
// families never drop a metric, so the pointers stay valid.
struct MethodMetrics {
  std::array<prometheus::Counter*, 17> calls{};  // by grpc::StatusCode, OK to UNAUTHENTICATED
  prometheus::Histogram* seconds = nullptr;
};

MethodMetrics& MetricsOf(std::string_view method) {
  thread_local absl::flat_hash_map<std::string, std::unique_ptr<MethodMetrics>> by_method;
  auto it = by_method.find(absl::string_view(method.data(), method.size()));
  if (it == by_method.end()) {
    // Methods are few; names a client made up are not cached for good.
    if (by_method.size() >= 256) by_method.clear();
    it = by_method.emplace(std::string(method), std::make_unique<MethodMetrics>()).first;
  }
  return *it->second;
}

// Counts and, where an operator should hear of it, logs one answered call:
// `unary` calls are timed, and slower than `slow` logged.
void Note(const char* method_name, const grpc::Status& status, absl::Duration elapsed, bool unary,
          absl::Duration slow) {
  const std::string_view method = method_name != nullptr ? method_name : "";
  MethodMetrics& of_method = MetricsOf(method);
  const auto counter = [&] {
    return &Measured().calls.Add(
        {{"method", std::string(method)}, {"code", CodeWord(status.error_code())}});
  };
  const auto code = static_cast<size_t>(status.error_code());
  if (code < of_method.calls.size()) {
    if (of_method.calls[code] == nullptr) of_method.calls[code] = counter();
    of_method.calls[code]->Increment();
  } else {
    counter()->Increment();
  }
  if (unary) {
    if (of_method.seconds == nullptr) {
      of_method.seconds =
          &Measured().seconds.Add({{"method", std::string(method)}}, metrics::LatencyBuckets());
    }
    of_method.seconds->Observe(absl::ToDoubleSeconds(elapsed));
  }
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
      status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    Measured().denied.Add({{"reason", CodeWord(status.error_code())}}).Increment();
  }
  if (ServerSideError(status.error_code(), unary)) {
    const log::Level level = status.error_code() == grpc::StatusCode::UNAVAILABLE
                                 ? log::Level::kWarning
                                 : log::Level::kError;
    log::Write(level, "rpc", "call failed",
               {{"method", method_name},
                {"code", static_cast<int>(status.error_code())},
                {"error", status.error_message()},
                {"elapsed", elapsed}});
  } else if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED ||
             status.error_code() == grpc::StatusCode::PERMISSION_DENIED) {
    // A refused caller: one line each, counted; never in the log of events.
    log::Warn("rpc", "access denied",
              {{"method", method_name},
               {"code", static_cast<int>(status.error_code())},
               {"error", status.error_message()},
               {"denied_total", denied_calls.fetch_add(1) + 1}});
  } else if (unary && elapsed > slow) {
    log::Warn("rpc", "slow call",
              {{"method", method_name},
               {"code", static_cast<int>(status.error_code())},
               {"elapsed", elapsed}});
  }
}

class CallLog final : public grpc::experimental::Interceptor {
 public:
  CallLog(ServerRpcInfo* info, const CallLogOptions* options)
      : method_(info->method()),
        unary_(info->type() == ServerRpcInfo::Type::UNARY),
        options_(options),
        start_(absl::Now()) {}

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      grpc::Status status = methods->GetSendStatus();
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED &&
          status.error_message().empty() && Hosted()) {
        status = grpc::Status(
            grpc::StatusCode::INVALID_ARGUMENT,
            absl::StrCat("the request does not parse as the message ", method_,
                         " takes: a string field that is not valid UTF-8, or bytes that are not "
                         "that protobuf message"));
        methods->ModifySendStatus(status);
      }
      Note(method_, status, absl::Now() - start_, unary_,
           unary_ ? options_->slow_call : absl::InfiniteDuration());
    }
    methods->Proceed();
  }

 private:
  // Whether the method is one of a service this server hosts:
  // "/bidtrail.v1.TendersService/LogActivity".
  bool Hosted() const {
    if (method_ == nullptr) return false;
    const std::string_view path(method_);
    const size_t slash = path.find('/', 1);
    if (path.empty() || path[0] != '/' || slash == std::string_view::npos) return false;
    const std::string service(path.substr(1, slash - 1));
    if (options_->hosted_services.count(service) == 0) return false;
    // A method the service has (not a name nobody defined).
    return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(
               absl::StrCat(service, ".", std::string(path.substr(slash + 1)))) != nullptr;
  }

  const char* const method_;
  const bool unary_;
  const CallLogOptions* const options_;
  const absl::Time start_;
};

class CallLogFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit CallLogFactory(const CallLogOptions& options) : options_(options) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new CallLog(info, &options_);
  }

 private:
  const CallLogOptions options_;
};

}  // namespace

uint64_t DeniedCalls() { return denied_calls.load(); }

void NoteStreamedCall(const char* method, const grpc::Status& status, absl::Duration elapsed) {
  Note(method, status, elapsed, /*unary=*/true, absl::InfiniteDuration());
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewCallLogFactory(
    const CallLogOptions& options) {
  return std::make_unique<CallLogFactory>(options);
}

}  // namespace bidtrail::rpc
