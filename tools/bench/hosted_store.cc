#include "hosted_store.h"

#include <unistd.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bidtrail/common/status_macros.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace bidtrail::bench {

absl::StatusOr<std::unique_ptr<eventlog::RocksEventLog>> OpenLog(
    const std::string& path, std::shared_ptr<eventlog::Upstream> upstream) {
  eventlog::RocksEventLog::Options options;
  options.path = path;
  options.sync = true;
  options.upstream = std::move(upstream);
  return eventlog::RocksEventLog::Open(options);
}

std::string BenchStream(const std::string& what) {
  return absl::StrCat("BENCH_", what, "_", getpid());
}

absl::StatusOr<std::shared_ptr<eventlog::NatsUpstream>> BenchUpstream(
    const std::vector<std::string>& servers, const std::string& stream) {
  eventlog::NatsUpstream::Options options;
  options.servers = servers;
  options.stream = stream;
  options.replicas = 3;
  options.timeout = absl::Seconds(10);
  ASSIGN_OR_RETURN(std::unique_ptr<eventlog::NatsUpstream> upstream,
                   eventlog::NatsUpstream::Connect(options));
  return std::shared_ptr<eventlog::NatsUpstream>(std::move(upstream));
}

absl::StatusOr<std::unique_ptr<HostedEventStore>> HostedEventStore::Start(
    const std::string& path, std::shared_ptr<eventlog::Upstream> upstream) {
  ASSIGN_OR_RETURN(std::unique_ptr<eventlog::RocksEventLog> log,
                   OpenLog(path, std::move(upstream)));
  auto hosted = std::unique_ptr<HostedEventStore>(new HostedEventStore(std::move(log)));
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(hosted->service_.get());
  hosted->server_ = builder.BuildAndStart();
  if (hosted->server_ == nullptr || port == 0) {
    return absl::UnavailableError("cannot start a gRPC server on 127.0.0.1:0");
  }
  hosted->address_ = absl::StrCat("127.0.0.1:", port);
  return hosted;
}

void HostedEventStore::Shutdown() {
  if (server_ == nullptr) return;
  service_->BeginShutdown();
  server_->Shutdown(absl::ToChronoTime(absl::Now() + absl::Seconds(5)));
  service_->WaitForStreams();
  server_->Wait();
  server_.reset();
  service_.reset();
  log_.reset();
}

HostedEventStore::HostedEventStore(std::unique_ptr<eventlog::RocksEventLog> log)
    : log_(std::move(log)),
      service_(std::make_unique<eventstore::EventStoreGrpcService>(
          log_.get(), eventstore::EventStoreGrpcService::Options())) {}

}  // namespace bidtrail::bench
