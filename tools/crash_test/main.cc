// bidtrail-crash-test: real bidtraild processes, concurrent durable clients,
// kill -9 at random moments, restarts, and a check after each round that
// every acknowledged event is in the log exactly once, at the position it
// was acknowledged at, with positions and revisions gapless and the hash
// chain intact. Prints one JSON line; exits 1 when anything was lost.
// (docs/reliability.md; tools/crash-test builds and runs it.)
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bidtrail/common/uuid.h"
#include "bidtrail/eventstore/grpc_client.h"
#include "bidtrail/v1/access.grpc.pb.h"
#include "bidtrail/v1/queries.grpc.pb.h"
#include "grpcpp/create_channel.h"

ABSL_FLAG(int, rounds, 5, "rounds of load, kill -9 and restart");
ABSL_FLAG(int, clients, 8, "concurrent appending clients");
ABSL_FLAG(bool, sync, true, "bidtraild --sync: with false, acknowledged appends may be lost");
ABSL_FLAG(int, min_ms, 100, "shortest load before a kill, in milliseconds");
ABSL_FLAG(int, max_ms, 800, "longest load before a kill, in milliseconds");
ABSL_FLAG(uint64_t, seed, 0, "random seed (0: from the clock)");
ABSL_FLAG(std::string, bidtraild, "", "the bidtraild binary (default: beside this one)");
ABSL_FLAG(std::string, work_dir, "", "scratch folder (default: a new one under $TMPDIR)");

namespace {

using bidtrail::eventlog::ExpectedRevision;
using bidtrail::eventstore::GrpcEventStore;

// One bidtraild, all services, on a free loopback port.
class Server {
 public:
  Server(std::string binary, std::string dir, bool sync)
      : binary_(std::move(binary)), dir_(std::move(dir)), sync_(sync) {}
  ~Server() { Kill(); }

  bool Start() {
    const std::string port_file = dir_ + "/port";
    std::filesystem::remove(port_file);
    pid_ = fork();
    if (pid_ == 0) {
      const std::string log = dir_ + "/bidtraild.log";
      freopen(log.c_str(), "a", stderr);
      execl(binary_.c_str(), binary_.c_str(), "--services=all", "--listen=127.0.0.1:0",
            ("--port_file=" + port_file).c_str(), ("--data_dir=" + dir_ + "/data").c_str(),
            sync_ ? "--sync=true" : "--sync=false", "--log_level=warn", nullptr);
      _exit(127);
    }
    for (int i = 0; i < 600; ++i) {
      std::ifstream in(port_file);
      if (in >> port_ && port_ > 0) return true;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      absl::SleepFor(absl::Milliseconds(25));
    }
    return false;
  }

  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string address() const { return absl::StrCat("127.0.0.1:", port_); }

 private:
  const std::string binary_;
  const std::string dir_;
  const bool sync_;
  pid_t pid_ = -1;
  int port_ = 0;
};

// What clients were told.
struct Acknowledged {
  std::string stream;
  uint64_t revision = 0;
  uint64_t position = 0;
};

struct Figures {
  uint64_t acknowledged = 0;
  uint64_t lost = 0;                   // acknowledged, not in the log
  uint64_t moved = 0;                  // in the log at another position than acknowledged
  uint64_t duplicated = 0;             // one event id more than once
  uint64_t gaps = 0;                   // positions or revisions not gapless
  uint64_t verify_failures = 0;        // the hash chain did not verify
  uint64_t unacknowledged_landed = 0;  // failed or cut off, yet in the log (allowed)
  uint64_t restarts_failed = 0;
  uint64_t in_log = 0;                 // crash-test events in the log
  bool projections_converged = false;  // folded every one, and a rebuild agrees
};

std::string InitAdmin(const std::string& address) {
  auto stub = bidtrail::v1::AccessService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  bidtrail::v1::InitRequest request;
  request.set_principal("crash-test");
  bidtrail::v1::InitResponse response;
  const grpc::Status status = stub->Init(&context, request, &response);
  return status.ok() ? response.token() : "";
}

// Reads the whole log and checks it against what was acknowledged.
void Check(GrpcEventStore& store, const std::map<std::string, Acknowledged>& acked,
           const std::set<std::string>& attempted, Figures* figures) {
  std::map<std::string, uint64_t> seen;  // event id -> position
  std::map<std::string, uint64_t> next_revision;
  uint64_t expected_position = 1;
  bidtrail::eventlog::ReadAllRequest read;
  read.max_count = 5000;
  while (true) {
    absl::StatusOr<bidtrail::eventlog::ReadAllResult> page = store.ReadAll(read);
    if (!page.ok()) {
      std::fprintf(stderr, "crash-test: reading the log: %s\n", page.status().ToString().c_str());
      ++figures->verify_failures;
      return;
    }
    for (const bidtrail::eventlog::RecordedEvent& event : page->events) {
      if (event.position != expected_position) ++figures->gaps;
      expected_position = event.position + 1;
      if (event.stream_id.rfind("crash-", 0) == 0) {
        if (event.revision != next_revision[event.stream_id]) ++figures->gaps;
        next_revision[event.stream_id] = event.revision + 1;
        if (!seen.emplace(event.event_id, event.position).second) ++figures->duplicated;
      }
    }
    if (page->next_position == read.from_position || page->events.empty()) break;
    read.from_position = page->next_position;
  }
  for (const auto& [id, ack] : acked) {
    auto found = seen.find(id);
    if (found == seen.end()) {
      ++figures->lost;
    } else if (found->second != ack.position) {
      ++figures->moved;
    }
  }
  figures->in_log = seen.size();
  figures->unacknowledged_landed = 0;
  for (const std::string& id : attempted) {
    if (acked.count(id) == 0 && seen.count(id) > 0) ++figures->unacknowledged_landed;
  }
  absl::StatusOr<bidtrail::eventlog::VerifyResult> verified = store.Verify();
  if (!verified.ok() || !verified->ok) ++figures->verify_failures;
}

// The projections fold the log too: after the crashes, they must reach its
// head having seen each crash-test event once (an unknown type, counted, never
// twice), and a rebuild from zero must count the same.
bool ProjectionsConverge(const std::string& address, const std::string& token, uint64_t events) {
  auto stub = bidtrail::v1::QueriesService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
  auto context = [&](int seconds) {
    auto made = std::make_unique<grpc::ClientContext>();
    made->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(seconds));
    made->AddMetadata("authorization", "Bearer " + token);
    return made;
  };
  auto settled = [&]() -> std::optional<uint64_t> {
    for (int i = 0; i < 600; ++i) {
      bidtrail::v1::GetProjectionStatusResponse status;
      if (stub->GetProjectionStatus(context(10).get(), {}, &status).ok() && status.lag() == 0 &&
          !status.rebuilding()) {
        return status.unknown_events_skipped();
      }
      absl::SleepFor(absl::Milliseconds(100));
    }
    return std::nullopt;
  };
  const std::optional<uint64_t> folded = settled();
  if (!folded || *folded != events) {
    std::fprintf(stderr,
                 "crash-test: the projections counted %s crash-test events, the log has %llu\n",
                 folded ? std::to_string(*folded).c_str() : "(no answer)",
                 static_cast<unsigned long long>(events));
    return false;
  }
  auto rebuild_context = context(600);
  std::unique_ptr<grpc::ClientReader<bidtrail::v1::RebuildResponse>> reader =
      stub->Rebuild(rebuild_context.get(), bidtrail::v1::RebuildRequest());
  bidtrail::v1::RebuildResponse step;
  while (reader->Read(&step)) {
  }
  if (!reader->Finish().ok()) return false;
  const std::optional<uint64_t> rebuilt = settled();
  return rebuilt && *rebuilt == events;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "bidtrail-crash-test: kill -9 a loaded bidtraild again and again; nothing acknowledged "
      "may be lost.\n  bidtrail-crash-test --rounds 50 --clients 16");
  // --help lists this program's flags: they are defined in its main.cc,
  // which absl's default (a file named after the program) does not match.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view file) {
    return absl::StrContains(file, "/crash_test/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  const int rounds = absl::GetFlag(FLAGS_rounds);
  const int clients = absl::GetFlag(FLAGS_clients);
  const int min_ms = absl::GetFlag(FLAGS_min_ms);
  const int max_ms = std::max(min_ms, absl::GetFlag(FLAGS_max_ms));
  if (rounds < 1 || clients < 1 || min_ms < 0) {
    std::fprintf(stderr, "crash-test: --rounds and --clients at least 1, --min_ms at least 0\n");
    return 2;
  }
  std::string binary = absl::GetFlag(FLAGS_bidtraild);
  if (binary.empty()) {
    binary = (std::filesystem::path(argv[0]).parent_path() / "bidtraild").string();
  }
  std::string dir = absl::GetFlag(FLAGS_work_dir);
  if (dir.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = std::string(tmp != nullptr ? tmp : "/tmp") + "/bidtrail-crash-XXXXXX";
    if (mkdtemp(pattern.data()) == nullptr) {
      std::perror("crash-test: mkdtemp");
      return 1;
    }
    dir = pattern;
  }
  uint64_t seed = absl::GetFlag(FLAGS_seed);
  if (seed == 0) seed = static_cast<uint64_t>(absl::ToUnixNanos(absl::Now()));
  std::mt19937_64 random(seed);
  const absl::Time start = absl::Now();

  Server server(binary, dir, absl::GetFlag(FLAGS_sync));
  if (!server.Start()) {
    std::fprintf(stderr, "crash-test: bidtraild did not start (see %s/bidtraild.log)\n",
                 dir.c_str());
    return 1;
  }
  GrpcEventStore::Options options;
  options.token = InitAdmin(server.address());
  options.timeout = absl::Seconds(10);
  if (options.token.empty()) {
    std::fprintf(stderr, "crash-test: could not make the first admin\n");
    return 1;
  }

  absl::Mutex mu;
  std::map<std::string, Acknowledged> acked;  // guarded by mu
  std::set<std::string> attempted;            // guarded by mu
  std::vector<uint64_t> sequence(clients, 0);
  Figures figures;
  for (int round = 1; round <= rounds; ++round) {
    if (round > 1 && !server.Start()) {
      ++figures.restarts_failed;
      break;
    }
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
      threads.emplace_back([&, c] {
        GrpcEventStore store(GrpcEventStore::Connect(server.address()), options);
        const std::string stream = absl::StrCat("crash-", c);
        while (!stop.load()) {
          bidtrail::eventlog::ProposedEvent event;
          const uint64_t n = sequence[c]++;
          event.event_id = bidtrail::NameBasedUuid(absl::StrCat("crash ", seed, " ", c, " ", n));
          event.type = "bidtrail.v1.CrashTestEvent";
          event.data = absl::StrCat("client ", c, " event ", n);
          event.occurred_at = absl::Now();
          event.actor = "crash-test";
          {
            absl::MutexLock lock(&mu);
            attempted.insert(event.event_id);
          }
          absl::StatusOr<bidtrail::eventlog::AppendResult> result =
              store.Append(stream, ExpectedRevision::Any(), {event});
          if (result.ok()) {
            absl::MutexLock lock(&mu);
            acked[event.event_id] = {stream, result->first_revision, result->first_position};
          } else {
            absl::SleepFor(absl::Milliseconds(5));  // the server is gone: wait for the stop
          }
        }
      });
    }
    const int load_ms =
        min_ms + static_cast<int>(random() % static_cast<uint64_t>(max_ms - min_ms + 1));
    absl::SleepFor(absl::Milliseconds(load_ms));
    server.Kill();
    stop = true;
    for (std::thread& thread : threads) thread.join();
    if (!server.Start()) {
      ++figures.restarts_failed;
      break;
    }
    GrpcEventStore checker(GrpcEventStore::Connect(server.address()), options);
    Figures round_figures;
    {
      absl::MutexLock lock(&mu);
      Check(checker, acked, attempted, &round_figures);
    }
    figures.lost = std::max(figures.lost, round_figures.lost);
    figures.moved = std::max(figures.moved, round_figures.moved);
    figures.duplicated = std::max(figures.duplicated, round_figures.duplicated);
    figures.gaps += round_figures.gaps;
    figures.verify_failures += round_figures.verify_failures;
    figures.unacknowledged_landed = round_figures.unacknowledged_landed;
    figures.in_log = round_figures.in_log;
    if (round == rounds) {
      figures.projections_converged =
          ProjectionsConverge(server.address(), options.token, figures.in_log);
    }
    server.Kill();
  }
  {
    absl::MutexLock lock(&mu);
    figures.acknowledged = acked.size();
  }
  const bool clean = figures.lost == 0 && figures.moved == 0 && figures.duplicated == 0 &&
                     figures.gaps == 0 && figures.verify_failures == 0 &&
                     figures.restarts_failed == 0 && figures.projections_converged;
  std::printf(
      "{\"rounds\":%d,\"clients\":%d,\"sync\":%s,\"seed\":%llu,\"acknowledged\":%llu,"
      "\"lost\":%llu,\"moved\":%llu,\"duplicated\":%llu,\"gaps\":%llu,\"verify_failures\":%llu,"
      "\"restarts_failed\":%llu,\"unacknowledged_landed\":%llu,\"projections_converged\":%s,"
      "\"elapsed_s\":%.1f,\"ok\":%s}\n",
      rounds, clients, absl::GetFlag(FLAGS_sync) ? "true" : "false",
      static_cast<unsigned long long>(seed), static_cast<unsigned long long>(figures.acknowledged),
      static_cast<unsigned long long>(figures.lost), static_cast<unsigned long long>(figures.moved),
      static_cast<unsigned long long>(figures.duplicated),
      static_cast<unsigned long long>(figures.gaps),
      static_cast<unsigned long long>(figures.verify_failures),
      static_cast<unsigned long long>(figures.restarts_failed),
      static_cast<unsigned long long>(figures.unacknowledged_landed),
      figures.projections_converged ? "true" : "false", absl::ToDoubleSeconds(absl::Now() - start),
      clean ? "true" : "false");
  if (clean && absl::GetFlag(FLAGS_work_dir).empty()) std::filesystem::remove_all(dir);
  return clean ? 0 : 1;
}
