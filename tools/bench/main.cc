// bidtrail-bench: benchmarks of bidtrail's components, one subcommand each,
// each reporting its figures against a baseline measured in the same run.
#include <cstdio>
#include <cstring>

#include "absl/synchronization/mutex.h"
#include "bench_util.h"
#include "eventstore_bench.h"
#include "ocds_bench.h"
#include "projections_bench.h"

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);  // argv[0] is the subcommand's name
};

constexpr Subcommand kSubcommands[] = {
    {"eventstore", "synced appends and replays: raw RocksDB, the log in process, over gRPC",
     bidtrail::bench::RunEventstoreBench},
    {"ocds", "OCDS releases parsed and mapped onto tender events, per second",
     bidtrail::bench::RunOcdsBench},
    {"projections", "projection rebuild vs raw scan, query latencies over gRPC, live lag",
     bidtrail::bench::RunProjectionsBench},
};

void PrintUsage(std::FILE* out) {
  std::fprintf(out,
               "usage: bidtrail-bench <subcommand> [flags]\n"
               "       bidtrail-bench <subcommand> --help\n"
               "\n"
               "subcommands:\n");
  for (const Subcommand& subcommand : kSubcommands) {
    std::fprintf(out, "  %-12s %s\n", subcommand.name, subcommand.summary);
  }
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's abseil is built with absl::Mutex deadlock detection on: a lock
  // graph updated at every acquisition, a few percent of the CPU of a busy
  // server. bidtraild turns it off likewise; the tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Ctrl-C leaves no PostgreSQL server running and no scratch folder behind.
  bidtrail::bench::TakeInterrupts();
  if (argc < 2) {
    PrintUsage(stderr);
    return 2;
  }
  const char* command = argv[1];
  if (std::strcmp(command, "--help") == 0 || std::strcmp(command, "-h") == 0 ||
      std::strcmp(command, "help") == 0) {
    PrintUsage(stdout);
    return 0;
  }
  for (const Subcommand& subcommand : kSubcommands) {
    if (std::strcmp(command, subcommand.name) == 0) {
      return bidtrail::bench::ExitStatus(subcommand.run(argc - 1, argv + 1));
    }
  }
  std::fprintf(stderr, "bidtrail-bench: unknown subcommand \"%s\"\n\n", command);
  PrintUsage(stderr);
  return 2;
}
