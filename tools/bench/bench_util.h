// Helpers shared by the bidtrail-bench subcommands: timing many operations
// on many threads, latency percentiles, a scratch folder for data, and the
// two report formats (an aligned table for people, one JSON line for scripts).
// Not thread-safe unless a function says otherwise.
#ifndef BIDTRAIL_TOOLS_BENCH_BENCH_UTIL_H_
#define BIDTRAIL_TOOLS_BENCH_BENCH_UTIL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace bidtrail::bench {

// What one measurement found.
struct Measurement {
  uint64_t events = 0;
  double seconds = 0;
  // Per operation, when the operations were timed one by one.
  bool has_latency = false;
  double p50_ms = 0;
  double p99_ms = 0;
  // CPU time of the whole process (every thread: in the eventstore bench the
  // client and the server alike) while it ran; 0 when not taken.
  double cpu_seconds = 0;

  double EventsPerSecond() const { return seconds > 0 ? static_cast<double>(events) / seconds : 0; }
};

// CPU seconds used by this process so far (user and system, every thread).
double ProcessCpuSeconds();

// One timed operation: does work item `index` on thread number `thread`
// (0 to threads - 1) and returns how many events it handled, or the error
// that ends the measurement.
using TimedOp = std::function<absl::StatusOr<uint64_t>(int thread, uint64_t index)>;

// Runs op(thread, 0), op(thread, 1), ... on `threads` threads, each index once, until
// `max_ops` operations have run or `budget` has passed, timing each operation.
// Thread start-up is outside the measured time. `op` must be thread-safe when
// threads > 1. Returns the first error any operation returned.
absl::StatusOr<Measurement> RunTimedOps(int threads, uint64_t max_ops, absl::Duration budget,
                                        const TimedOp& op);

// Nearest-rank percentile (fraction 0.5 for p50, 0.99 for p99) of values
// sorted in ascending order; 0 when there are none. Thread-safe.
double Percentile(const std::vector<double>& sorted, double fraction);

// Whether the kernel's DAMON runs here (any kdamond whose state is "on"):
// on VMs it pages out idle file pages and hands memory back to the host, and
// query tails follow it (docs/performance.md, "this VM's memory reclaim").
// The benches print it beside their figures. Thread-safe.
bool HostReclaimRunning();
inline constexpr char kHostReclaimNote[] =
    "host: the kernel's DAMON reclaim is running (kdamond); query tails follow it "
    "(docs/performance.md)";

// A shell word, quoted ('it'\''s'). Thread-safe.
std::string ShellQuoted(const std::string& text);

// Ctrl-C (SIGINT), SIGTERM, SIGHUP and SIGPIPE (its output piped into a
// program that has exited, as `| head` does) end the bench without leaving a
// PostgreSQL server running or a scratch folder behind: a thread of its own
// runs the cleanup steps registered at that moment (newest first), says so,
// and exits with 128 + the signal. A signal the bench was started with
// ignored (nohup) stays ignored. Call once, first thing in main.
void TakeInterrupts();

// What main returns: `status`, unless one of those signals has arrived, in
// which case this waits for the cleanup to end the process with 128 + the
// signal (a measurement failing because the signal interrupted it, or a
// write failing on the closed pipe, must not end the bench with its own
// status first, before the cleanup has run).
int ExitStatus(int status);

// A cleanup step (a shell command, its output discarded) run if the bench is
// interrupted while this object lives. Thread-safe.
class OnInterrupt {
 public:
  explicit OnInterrupt(std::string command);
  ~OnInterrupt();
  OnInterrupt(const OnInterrupt&) = delete;
  OnInterrupt& operator=(const OnInterrupt&) = delete;

 private:
  const uint64_t id_;
};

// A fresh folder (mkdtemp) under `parent`, which is created when missing;
// removed with everything in it at destruction, or if the bench is
// interrupted (TakeInterrupts).
class ScratchDir {
 public:
  // INTERNAL naming the folder when it cannot be created.
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Create(const std::string& parent);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // path()/name; not created, so that the storage engine creates it fresh.
  std::string Sub(const std::string& name) const { return path_ + "/" + name; }

 private:
  explicit ScratchDir(std::string path);
  const std::string path_;
  const OnInterrupt remove_on_interrupt_;
};

// A text table whose columns are padded to their widest cell: the first
// column left-aligned, the others right-aligned.
class Table {
 public:
  explicit Table(std::vector<std::string> header);
  void AddRow(std::vector<std::string> cells);
  std::string ToString() const;

 private:
  std::vector<std::vector<std::string>> rows_;  // rows_[0] is the header
};

// A flat JSON object built member by member, printed on one line. Strings
// are escaped for quotes and backslashes only: keys and values here are
// plain ASCII.
class JsonLine {
 public:
  void Add(const std::string& key, double value);
  void Add(const std::string& key, uint64_t value);
  void Add(const std::string& key, bool value);
  void Add(const std::string& key, const std::vector<std::string>& values);
  void AddText(const std::string& key, const std::string& value);
  std::string ToString() const;

 private:
  std::vector<std::string> members_;
};

// The flags of one bench subcommand: --help, --json, and --NAME VALUE (or
// --NAME=VALUE) for the names it takes.
struct BenchArgs {
  bool json = false;
  std::map<std::string, std::string> values;
  // Flags without a value given (--peers).
  std::vector<std::string> switches;
};

// Parses argv[1..]. Returns true to go on; false when the caller should exit
// with *exit_code: 0 after --help (usage printed), 2 after a usage error
// (message and usage on stderr).
bool ParseBenchArgs(int argc, char** argv, const std::string& command, const char* usage,
                    const std::vector<std::string>& value_names, BenchArgs* args, int* exit_code,
                    const std::vector<std::string>& switch_names = {});

// Reads --NAME as a whole number into *out when given (greater than zero when
// `positive`). False, with a usage error printed, when malformed.
bool WholeNumberArg(const BenchArgs& args, const std::string& name, bool positive,
                    const std::string& command, const char* usage, uint64_t* out);

// Reads --dir (the folder scratch folders go in) into *parent_dir and --log
// (NATS server URLs) into *nats when given. False, with a usage error
// printed, when either is malformed.
bool FolderAndLogArgs(const BenchArgs& args, const std::string& command, const char* usage,
                      std::string* parent_dir, std::vector<std::string>* nats);

// Prints "bidtrail-bench COMMAND: MESSAGE" and the usage on stderr; returns 2.
int BenchUsageError(const std::string& command, const char* usage, const std::string& message);

}  // namespace bidtrail::bench

#endif  // BIDTRAIL_TOOLS_BENCH_BENCH_UTIL_H_
