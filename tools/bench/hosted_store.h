// What several benches share: the log opened as bidtraild opens it (synced),
// and the EventStore service hosted over it on loopback in the bench's own
// process, on RocksDB or on a JetStream stream of the bench's own.
#ifndef BIDTRAIL_TOOLS_BENCH_HOSTED_STORE_H_
#define BIDTRAIL_TOOLS_BENCH_HOSTED_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bidtrail/eventlog/nats_upstream.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/eventstore/service.h"
#include "grpcpp/server.h"

namespace bidtrail::bench {

// A fresh log at `path`, synced; on `upstream` when given.
absl::StatusOr<std::unique_ptr<eventlog::RocksEventLog>> OpenLog(
    const std::string& path, std::shared_ptr<eventlog::Upstream> upstream = nullptr);

// A JetStream stream name of this run's own: BENCH_<what>_<pid>.
std::string BenchStream(const std::string& what);

// A connection to `stream` (created R3 if missing) on the cluster `servers`.
absl::StatusOr<std::shared_ptr<eventlog::NatsUpstream>> BenchUpstream(
    const std::vector<std::string>& servers, const std::string& stream);

// The EventStore service on 127.0.0.1 (a free port) in this process, over a
// fresh log: bidtraild's serving path without the process boundary.
class HostedEventStore {
 public:
  static absl::StatusOr<std::unique_ptr<HostedEventStore>> Start(
      const std::string& path, std::shared_ptr<eventlog::Upstream> upstream = nullptr);

  ~HostedEventStore() { Shutdown(); }

  const std::string& address() const { return address_; }

  // Ends open streams, drains calls in flight, then closes the log. Clients
  // should be destroyed first: an idle client's connection delays shutdown.
  void Shutdown();

 private:
  explicit HostedEventStore(std::unique_ptr<eventlog::RocksEventLog> log);

  std::unique_ptr<eventlog::RocksEventLog> log_;
  std::unique_ptr<eventstore::EventStoreGrpcService> service_;
  std::unique_ptr<grpc::Server> server_;
  std::string address_;
};

}  // namespace bidtrail::bench

#endif  // BIDTRAIL_TOOLS_BENCH_HOSTED_STORE_H_
