#include "bench_util.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "bidtrail/common/json.h"
#include "bidtrail/eventlog/nats_upstream.h"

namespace bidtrail::bench {
namespace {

std::string FormatJsonNumber(double value) {
  if (!std::isfinite(value)) return "null";
  // Rates are large and their fraction is noise; ratios and milliseconds are
  // small and need their significant digits.
  if (std::fabs(value) >= 1e5) return absl::StrFormat("%.0f", value);
  return absl::StrFormat("%.6g", value);
}

}  // namespace

double Percentile(const std::vector<double>& sorted, double fraction) {
  if (sorted.empty()) return 0;
  const double rank = std::ceil(fraction * static_cast<double>(sorted.size()));
  const size_t index = static_cast<size_t>(std::max(rank, 1.0)) - 1;
  return sorted[std::min(index, sorted.size() - 1)];
}

bool HostReclaimRunning() {
  std::error_code error;
  const std::filesystem::path kdamonds = "/sys/kernel/mm/damon/admin/kdamonds";
  for (std::filesystem::directory_iterator it(kdamonds, error), end; !error && it != end;
       it.increment(error)) {
    std::ifstream file(it->path() / "state");
    std::string state;
    if (file >> state && state == "on") return true;
  }
  return false;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

absl::StatusOr<Measurement> RunTimedOps(int threads, uint64_t max_ops, absl::Duration budget,
                                        const TimedOp& op) {
  using Clock = std::chrono::steady_clock;
  std::atomic<uint64_t> next_index{0};
  std::atomic<uint64_t> events{0};
  std::atomic<bool> failed{false};
  absl::Mutex error_mu;
  absl::Status first_error;
  std::vector<std::vector<double>> latencies_ms(threads);
  // Written before `start` is notified and only read after it, so the
  // notification orders the accesses.
  absl::Time deadline;
  absl::Notification start;

  auto work = [&](int thread) {
    start.WaitForNotification();
    std::vector<double>& mine = latencies_ms[thread];
    while (!failed.load(std::memory_order_relaxed)) {
      const uint64_t index = next_index.fetch_add(1, std::memory_order_relaxed);
      if (index >= max_ops || absl::Now() >= deadline) break;
      const Clock::time_point began = Clock::now();
      absl::StatusOr<uint64_t> done = op(thread, index);
      const Clock::time_point ended = Clock::now();
      if (!done.ok()) {
        absl::MutexLock lock(&error_mu);
        if (first_error.ok()) first_error = done.status();
        failed.store(true, std::memory_order_relaxed);
        break;
      }
      mine.push_back(std::chrono::duration<double, std::milli>(ended - began).count());
      events.fetch_add(*done, std::memory_order_relaxed);
    }
  };

  std::vector<std::thread> workers;
  workers.reserve(threads);
  for (int thread = 0; thread < threads; ++thread) workers.emplace_back(work, thread);
  const Clock::time_point began = Clock::now();
  const double cpu_began = ProcessCpuSeconds();
  deadline = absl::Now() + budget;
  start.Notify();
  for (std::thread& worker : workers) worker.join();
  const Clock::time_point ended = Clock::now();
  const double cpu_used = ProcessCpuSeconds() - cpu_began;

  {
    absl::MutexLock lock(&error_mu);
    if (!first_error.ok()) return first_error;
  }
  std::vector<double> all;
  for (const std::vector<double>& mine : latencies_ms)
    all.insert(all.end(), mine.begin(), mine.end());
  std::sort(all.begin(), all.end());
  Measurement measurement;
  measurement.events = events.load();
  measurement.seconds = std::chrono::duration<double>(ended - began).count();
  measurement.cpu_seconds = cpu_used;
  measurement.has_latency = true;
  measurement.p50_ms = Percentile(all, 0.50);
  measurement.p99_ms = Percentile(all, 0.99);
  return measurement;
}

std::string ShellQuoted(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out.push_back(c);
    }
  }
  return out + "'";
}

namespace {

// The cleanup steps of the objects alive, in the order they were made.
struct InterruptSteps {
  absl::Mutex mu;
  uint64_t next_id ABSL_GUARDED_BY(mu) = 0;
  std::vector<std::pair<uint64_t, std::string>> steps ABSL_GUARDED_BY(mu);
};

InterruptSteps& Steps() {
  static InterruptSteps* const steps = new InterruptSteps();
  return *steps;
}

// Written by the signal handler (one byte: the signal), read by the thread
// that cleans up: all a handler may safely do is write.
int interrupt_pipe[2] = {-1, -1};

// The first signal taken, set by the handler before it writes: main's exit
// path reads it (ExitStatus) so as not to race the cleanup.
std::atomic<int> interrupt_signal{0};
static_assert(std::atomic<int>::is_always_lock_free, "set in a signal handler");

extern "C" void OnInterruptSignal(int signal) {
  int none = 0;
  interrupt_signal.compare_exchange_strong(none, signal);
  const unsigned char byte = static_cast<unsigned char>(signal);
  // Nothing to do if it fails: the signal is then not acted on.
  [[maybe_unused]] const ssize_t written = write(interrupt_pipe[1], &byte, 1);
}

[[noreturn]] void CleanUpAndExit(int signal) {
  std::vector<std::string> commands;
  {
    InterruptSteps& steps = Steps();
    absl::MutexLock lock(&steps.mu);
    for (auto it = steps.steps.rbegin(); it != steps.steps.rend(); ++it) {
      commands.push_back(it->second);
    }
  }
  std::fprintf(stderr, "\nbidtrail-bench: interrupted (%s); cleaning up\n", strsignal(signal));
  for (const std::string& command : commands) {
    if (std::system(("{ " + command + "; } >/dev/null 2>&1").c_str()) != 0) {
      std::fprintf(stderr, "bidtrail-bench: failed: %s\n", command.c_str());
    }
  }
  std::_Exit(128 + signal);
}

}  // namespace

void TakeInterrupts() {
  if (pipe2(interrupt_pipe, O_CLOEXEC) != 0) return;  // then signals act as by default
  struct sigaction action {};
  action.sa_handler = OnInterruptSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  // SIGPIPE: the reader of its output went away (`bidtrail-bench ... | head`).
  for (int signal : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
    // A signal ignored by whoever started the bench (nohup, a background job
    // of a script) stays ignored.
    struct sigaction inherited {};
    if (sigaction(signal, nullptr, &inherited) == 0 && inherited.sa_handler == SIG_IGN) continue;
    sigaction(signal, &action, nullptr);
  }
  std::thread([] {
    unsigned char byte = 0;
    ssize_t got = 0;
    do {
      got = read(interrupt_pipe[0], &byte, 1);
    } while (got < 0 && errno == EINTR);
    if (got == 1) CleanUpAndExit(byte);
  }).detach();
}

int ExitStatus(int status) {
  if (interrupt_signal.load() == 0) return status;
  // The cleanup's thread ends the process; until it does, this thread must
  // not exit (its status would win the race, and static destructors would
  // run under the cleanup).
  for (;;) pause();
}

OnInterrupt::OnInterrupt(std::string command)
    : id_([&] {
        InterruptSteps& steps = Steps();
        absl::MutexLock lock(&steps.mu);
        const uint64_t id = steps.next_id++;
        steps.steps.emplace_back(id, std::move(command));
        return id;
      }()) {}

OnInterrupt::~OnInterrupt() {
  InterruptSteps& steps = Steps();
  absl::MutexLock lock(&steps.mu);
  std::erase_if(steps.steps, [this](const auto& step) { return step.first == id_; });
}

absl::StatusOr<std::unique_ptr<ScratchDir>> ScratchDir::Create(const std::string& parent) {
  std::error_code error;
  std::filesystem::create_directories(parent, error);
  if (error) {
    return absl::InternalError(
        absl::StrCat("cannot create the folder ", parent, ": ", error.message()));
  }
  std::string pattern = parent + "/bidtrail-bench-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("cannot create a scratch folder in ", parent, ": ",
                                            std::generic_category().message(errno)));
  }
  return std::unique_ptr<ScratchDir>(new ScratchDir(pattern));
}

// Interrupted, the bench's other threads go on until it exits: a storage
// engine may still be writing into the folder while it is removed, so the
// removal is tried again until the folder is gone (a second or so at most).
ScratchDir::ScratchDir(std::string path)
    : path_(std::move(path)),
      remove_on_interrupt_(absl::StrCat(
          "for try in 1 2 3 4 5 6 7 8 9 10; do rm -rf ", ShellQuoted(path_), "; [ -e ",
          ShellQuoted(path_), " ] || break; sleep 0.1; done; [ ! -e ", ShellQuoted(path_), " ]")) {}

ScratchDir::~ScratchDir() {
  std::error_code error;
  std::filesystem::remove_all(path_, error);
  // A destructor cannot return the error; the user must know about the
  // leftover data, so say so rather than drop it.
  if (error) {
    std::fprintf(stderr, "bidtrail-bench: could not remove %s: %s\n", path_.c_str(),
                 error.message().c_str());
  }
}

Table::Table(std::vector<std::string> header) { rows_.push_back(std::move(header)); }

void Table::AddRow(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }

std::string Table::ToString() const {
  std::vector<size_t> widths;
  for (const std::vector<std::string>& row : rows_) {
    if (widths.size() < row.size()) widths.resize(row.size(), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string text;
  for (const std::vector<std::string>& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      if (i > 0) line += "  ";
      const std::string padding(widths[i] - row[i].size(), ' ');
      absl::StrAppend(&line, i == 0 ? row[i] + padding : padding + row[i]);
    }
    line.erase(line.find_last_not_of(' ') + 1);
    absl::StrAppend(&text, line, "\n");
  }
  return text;
}

void JsonLine::Add(const std::string& key, double value) {
  members_.push_back(absl::StrCat(JsonString(key), ":", FormatJsonNumber(value)));
}

void JsonLine::Add(const std::string& key, uint64_t value) {
  members_.push_back(absl::StrCat(JsonString(key), ":", value));
}

void JsonLine::Add(const std::string& key, bool value) {
  members_.push_back(absl::StrCat(JsonString(key), ":", value ? "true" : "false"));
}

void JsonLine::Add(const std::string& key, const std::vector<std::string>& values) {
  std::vector<std::string> quoted;
  quoted.reserve(values.size());
  for (const std::string& value : values) quoted.push_back(JsonString(value));
  members_.push_back(absl::StrCat(JsonString(key), ":[", absl::StrJoin(quoted, ","), "]"));
}

void JsonLine::AddText(const std::string& key, const std::string& value) {
  members_.push_back(absl::StrCat(JsonString(key), ":", JsonString(value)));
}

std::string JsonLine::ToString() const {
  return absl::StrCat("{", absl::StrJoin(members_, ","), "}");
}

int BenchUsageError(const std::string& command, const char* usage, const std::string& message) {
  std::fprintf(stderr, "bidtrail-bench %s: %s\n\n%s", command.c_str(), message.c_str(), usage);
  return 2;
}

bool ParseBenchArgs(int argc, char** argv, const std::string& command, const char* usage,
                    const std::vector<std::string>& value_names, BenchArgs* args, int* exit_code,
                    const std::vector<std::string>& switch_names) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    std::string value;
    bool has_value = false;
    if (const size_t equals = flag.find('='); flag.rfind("--", 0) == 0 && equals != flag.npos) {
      value = flag.substr(equals + 1);
      flag.resize(equals);
      has_value = true;
    }
    if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      *exit_code = 0;
      return false;
    }
    if (flag == "--json" && !has_value) {
      args->json = true;
      continue;
    }
    const std::string name = flag.rfind("--", 0) == 0 ? flag.substr(2) : "";
    if (!name.empty() && !has_value &&
        std::find(switch_names.begin(), switch_names.end(), name) != switch_names.end()) {
      args->switches.push_back(name);
      continue;
    }
    if (!name.empty() &&
        std::find(value_names.begin(), value_names.end(), name) != value_names.end()) {
      if (!has_value) {
        if (i + 1 >= argc) {
          *exit_code = BenchUsageError(command, usage, flag + " needs a value");
          return false;
        }
        value = argv[++i];
      }
      args->values[name] = value;
      continue;
    }
    *exit_code =
        BenchUsageError(command, usage, std::string("unknown argument \"") + argv[i] + "\"");
    return false;
  }
  return true;
}

bool WholeNumberArg(const BenchArgs& args, const std::string& name, bool positive,
                    const std::string& command, const char* usage, uint64_t* out) {
  auto it = args.values.find(name);
  if (it == args.values.end()) return true;
  uint64_t value = 0;
  if (!absl::SimpleAtoi(it->second, &value) || (positive && value == 0)) {
    BenchUsageError(command, usage,
                    "--" + name + ": \"" + it->second + "\" is not a " +
                        (positive ? "positive " : "") + "whole number");
    return false;
  }
  *out = value;
  return true;
}

bool FolderAndLogArgs(const BenchArgs& args, const std::string& command, const char* usage,
                      std::string* parent_dir, std::vector<std::string>* nats) {
  if (auto dir = args.values.find("dir"); dir != args.values.end()) {
    if (dir->second.empty()) {
      BenchUsageError(command, usage, "--dir: needs a folder");
      return false;
    }
    *parent_dir = dir->second;
  }
  if (auto log = args.values.find("log"); log != args.values.end()) {
    absl::StatusOr<std::vector<std::string>> servers =
        eventlog::NatsUpstream::ParseServers(log->second);
    if (!servers.ok()) {
      BenchUsageError(command, usage, absl::StrCat("--log: ", servers.status().message()));
      return false;
    }
    *nats = *std::move(servers);
  }
  return true;
}

}  // namespace bidtrail::bench
