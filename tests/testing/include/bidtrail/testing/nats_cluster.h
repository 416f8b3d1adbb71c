// A NATS JetStream cluster of real nats-server processes on free loopback
// ports, for tests of the log on JetStream (docs/nats.md). Test-only.
#ifndef BIDTRAIL_TESTING_NATS_CLUSTER_H_
#define BIDTRAIL_TESTING_NATS_CLUSTER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace bidtrail::testing {

class NatsCluster {
 public:
  // Starts `nodes` nats-server processes with JetStream (their data and logs
  // under `dir`) and waits until the cluster has a JetStream leader.
  // FAILED_PRECONDITION when nats-server is not installed.
  static absl::StatusOr<std::unique_ptr<NatsCluster>> Start(const std::string& dir, int nodes = 3);
  // Kills every node.
  ~NatsCluster();
  NatsCluster(const NatsCluster&) = delete;
  NatsCluster& operator=(const NatsCluster&) = delete;

  // nats://127.0.0.1:PORT of each node.
  std::vector<std::string> Urls() const;
  int size() const { return static_cast<int>(nodes_.size()); }
  // kill -9 of one node; Restart starts it again on its ports and data.
  void Kill(int node);
  absl::Status Restart(int node);

 private:
  struct Node {
    std::string name;
    int client_port = 0;
    int cluster_port = 0;
    pid_t pid = -1;
  };
  NatsCluster(std::string dir, std::string binary)
      : dir_(std::move(dir)), binary_(std::move(binary)) {}
  absl::Status Launch(Node& node);
  absl::Status WaitForLeader();

  const std::string dir_;
  const std::string binary_;
  std::vector<Node> nodes_;
};

// A 3-node cluster shared by the tests of one test program: started on first
// use (in a scratch folder), stopped when the program ends. Tests keep out
// of each other's way by each using a JetStream stream of its own.
absl::StatusOr<NatsCluster*> SharedNatsCluster();

}  // namespace bidtrail::testing

#endif  // BIDTRAIL_TESTING_NATS_CLUSTER_H_
