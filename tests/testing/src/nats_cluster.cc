#include "bidtrail/testing/nats_cluster.h"

#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "bidtrail/testing/status_matchers.h"

namespace bidtrail::testing {
namespace {

// A port nobody listens on now (the kernel's pick for port 0).
int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    socklen_t size = sizeof(address);
    getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size);
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

absl::StatusOr<std::unique_ptr<NatsCluster>> NatsCluster::Start(const std::string& dir, int nodes) {
  // Debian installs it in /usr/sbin, which a user's PATH may lack.
  std::string binary;
  for (const char* candidate :
       {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"}) {
    if (access(candidate, X_OK) == 0) {
      binary = candidate;
      break;
    }
  }
  if (binary.empty()) {
    return absl::FailedPreconditionError("nats-server is not installed (tools/install-deps)");
  }
  auto cluster = std::unique_ptr<NatsCluster>(new NatsCluster(dir, binary));
  for (int i = 0; i < nodes; ++i) {
    Node node;
    node.name = absl::StrCat("n", i + 1);
    node.client_port = FreePort();
    node.cluster_port = FreePort();
    cluster->nodes_.push_back(node);
  }
  for (Node& node : cluster->nodes_) {
    absl::Status launched = cluster->Launch(node);
    if (!launched.ok()) return launched;
  }
  absl::Status ready = cluster->WaitForLeader();
  if (!ready.ok()) return ready;
  return cluster;
}

NatsCluster::~NatsCluster() {
  for (int i = 0; i < size(); ++i) Kill(i);
}

std::vector<std::string> NatsCluster::Urls() const {
  std::vector<std::string> urls;
  for (const Node& node : nodes_)
    urls.push_back(absl::StrCat("nats://127.0.0.1:", node.client_port));
  return urls;
}

void NatsCluster::Kill(int index) {
  Node& node = nodes_[index];
  if (node.pid <= 0) return;
  kill(node.pid, SIGKILL);
  waitpid(node.pid, nullptr, 0);
  node.pid = -1;
}

absl::Status NatsCluster::Restart(int index) {
  Kill(index);
  return Launch(nodes_[index]);
}

absl::Status NatsCluster::Launch(Node& node) {
  const std::string data = absl::StrCat(dir_, "/", node.name);
  std::filesystem::create_directories(data);
  std::vector<std::string> routes;
  for (const Node& other : nodes_) {
    routes.push_back(absl::StrCat("nats-route://127.0.0.1:", other.cluster_port));
  }
  std::vector<std::string> args = {
      "nats-server", "--jetstream", "--store_dir", data,     "--server_name",
      node.name,     "--addr",      "127.0.0.1",   "--port", std::to_string(node.client_port),
      "--log",       data + ".log"};
  if (nodes_.size() > 1) {
    args.insert(args.end(), {"--cluster_name", "bidtrail-test", "--cluster",
                             absl::StrCat("nats://127.0.0.1:", node.cluster_port), "--routes",
                             absl::StrJoin(routes, ",")});
  }
  node.pid = fork();
  if (node.pid == 0) {
    // Dies with the test, however the test ends.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    std::vector<char*> argv;
    for (std::string& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
  if (node.pid < 0) return absl::InternalError("fork failed");
  return absl::OkStatus();
}

absl::Status NatsCluster::WaitForLeader() {
  for (int i = 0; i < 400; ++i) {
    for (const Node& node : nodes_) {
      const std::string log = ReadFile(absl::StrCat(dir_, "/", node.name, ".log"));
      if (nodes_.size() == 1
              ? log.find("Server is ready") != std::string::npos
              : log.find("JetStream cluster new metadata leader") != std::string::npos ||
                    log.find("Self is new JetStream cluster metadata leader") !=
                        std::string::npos) {
        return absl::OkStatus();
      }
    }
    absl::SleepFor(absl::Milliseconds(25));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("the NATS cluster in ", dir_, " did not elect a leader"));
}

absl::StatusOr<NatsCluster*> SharedNatsCluster() {
  // Destroyed at exit: the cluster (its processes killed) before its folder.
  static std::unique_ptr<ScratchDir> dir;
  static std::unique_ptr<NatsCluster> cluster;
  static absl::Status failed;
  if (cluster == nullptr && failed.ok()) {
    dir = std::make_unique<ScratchDir>();
    absl::StatusOr<std::unique_ptr<NatsCluster>> started = NatsCluster::Start(dir->path(), 3);
    if (started.ok()) {
      cluster = std::move(started).value();
    } else {
      failed = started.status();
    }
  }
  if (!failed.ok()) return failed;
  return cluster.get();
}

}  // namespace bidtrail::testing
