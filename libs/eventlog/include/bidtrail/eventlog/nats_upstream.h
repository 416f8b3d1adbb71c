// NatsUpstream: the upstream (upstream.h) of a log kept on a NATS JetStream
// stream, replicated across a cluster (docs/nats.md). One JetStream message
// per group commit; the stream-wide expected last sequence is the fence.
// Thread-safe.
#ifndef BIDTRAIL_EVENTLOG_NATS_UPSTREAM_H_
#define BIDTRAIL_EVENTLOG_NATS_UPSTREAM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/eventlog/upstream.h"

namespace bidtrail::eventlog {

class NatsUpstream final : public Upstream {
 public:
  struct Options {
    // nats://host:port URLs of the cluster's nodes (any of them will do; the
    // client finds the others).
    std::vector<std::string> servers;
    // The JetStream stream; its subject is "<stream>.log".
    std::string stream = "BIDTRAIL";
    // Copies of each message (1, 3 or 5; 3 survives the loss of one node).
    int replicas = 3;
    // How long a publish or a read waits for the cluster.
    absl::Duration timeout = absl::Seconds(2);
    // JetStream's de-duplication window of message ids (0: its default, 2
    // minutes). Idempotency does not depend on it (the replica's event ids
    // do); tests shorten it.
    absl::Duration duplicate_window = absl::ZeroDuration();
  };

  // Connects, and creates the stream when it does not exist (file storage,
  // `replicas` copies, deletes and purges denied, nothing ever removed) with
  // its genesis message. FAILED_PRECONDITION when a stream of that name
  // exists that is not a bidtrail log or allows deletes; UNAVAILABLE when
  // the cluster cannot be reached.
  static absl::StatusOr<std::unique_ptr<NatsUpstream>> Connect(const Options& options);

  // "nats://a:4222,nats://b:4222,..." (a comma-separated list) into URLs.
  // INVALID_ARGUMENT naming what is not a nats:// URL.
  static absl::StatusOr<std::vector<std::string>> ParseServers(const std::string& text);

  ~NatsUpstream() override;

  absl::StatusOr<uint64_t> Publish(uint64_t after, std::string_view group) override;
  void PublishAsync(const Fence& fence, std::string_view group, PublishDone done) override;
  std::string GroupId(std::string_view group) const override;
  absl::StatusOr<uint64_t> ReadAfter(
      uint64_t after,
      const std::function<absl::Status(uint64_t sequence, std::string_view group)>& apply) override;
  absl::StatusOr<uint64_t> LastSequence() override;
  // The cluster's max_payload (1 MiB unless configured), less room for the
  // message's headers.
  size_t MaxGroupBytes() const override;
  std::string Describe() const override;

  // The server name of the node leading the stream now (its replicas follow
  // it): for status pages and the node-loss tests.
  absl::StatusOr<std::string> StreamLeader();

  class Impl;

 private:
  explicit NatsUpstream(std::unique_ptr<Impl> impl);
  const std::unique_ptr<Impl> impl_;
};

}  // namespace bidtrail::eventlog

#endif  // BIDTRAIL_EVENTLOG_NATS_UPSTREAM_H_
