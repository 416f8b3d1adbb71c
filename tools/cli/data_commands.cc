// The commands that move data in and out: backups, the demo history, imports.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <deque>
#include <functional>
#include <optional>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bidtrail/demo/generator.h"
#include "bidtrail/eventstore/grpc_client.h"
#include "bidtrail/ocds/importer.h"
#include "bidtrail/rpc/wire.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tenders/client.h"
#include "commands.h"

namespace bidtrail::cli {
namespace {

int Backup(const Client& client, const Args& args) {
  auto stub = v1::EventStoreService::NewStub(client.channel);
  v1::CheckpointRequest request;
  request.set_path(args.positional()[0]);
  v1::CheckpointResponse response;
  auto context = client.Context(std::chrono::seconds(3600));
  const grpc::Status status = stub->Checkpoint(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  Table table({"path", "head_position"});
  table.Add({Cell::Text(response.path()), Cell::Position(response.head_position())});
  if (client.format == Format::kTable) {
    std::printf(
        "backup of the log up to position %llu written to %s on the server's machine, the "
        "customer notebook's keys to %s.keys\n"
        "restore: stop bidtraild, move %s into place as <data_dir>/eventlog and %s.keys as "
        "<data_dir>/keys, start (docs/operations.md, \"Backup and restore\")\n",
        static_cast<unsigned long long>(response.head_position()), response.path().c_str(),
        response.path().c_str(), response.path().c_str(), response.path().c_str());
    return 0;
  }
  table.Print(client.format);
  return 0;
}

// Shows "what: done / total" on one line of a terminal, or a line every few
// seconds elsewhere.
class ProgressLine {
 public:
  explicit ProgressLine(std::string what) : what_(std::move(what)), tty_(isatty(fileno(stderr))) {}
  void Show(uint64_t done, uint64_t total, bool last = false) {
    const absl::Time now = absl::Now();
    if (!last && now - shown_ < (tty_ ? absl::Milliseconds(200) : absl::Seconds(5))) return;
    shown_ = now;
    const double percent = total == 0 ? 100 : 100.0 * static_cast<double>(done) / total;
    std::fprintf(stderr, tty_ ? "\r%s: %llu / %llu (%.0f%%)   " : "%s: %llu / %llu (%.0f%%)\n",
                 what_.c_str(), static_cast<unsigned long long>(done),
                 static_cast<unsigned long long>(total), std::min(percent, 100.0));
    if (last && tty_) std::fprintf(stderr, "\n");
  }

 private:
  const std::string what_;
  const bool tty_;
  absl::Time shown_ = absl::InfinitePast();
};

// The demo's made-up history never goes into a team's log unasked: it loads
// into an empty log, or tops up a log that already holds this demo (loading
// is idempotent), else only with --mix. "" when it may load, else why not.
std::string DemoRefusal(const Client& client, const demo::Options& options) {
  demo::Generator probe(options);
  demo::Command first;
  if (!probe.Next(&first)) return "";
  v1::GetTenderRequest tender_request;
  tender_request.set_tender_id(tender::TenderIdOf(first.event));
  v1::GetTenderResponse tender_response;
  auto tender_context = client.Context();
  if (client.tenders->GetTender(tender_context.get(), tender_request, &tender_response).ok()) {
    return "";  // this demo is there already: loading again tops it up
  }
  v1::GetProjectionStatusResponse status;
  auto status_context = client.Context();
  const grpc::Status asked = client.queries->GetProjectionStatus(
      status_context.get(), v1::GetProjectionStatusRequest(), &status);
  // Tokens and grants are not data: a log holding only those is empty.
  if (asked.ok() && status.head_position() <= status.access_events()) return "";
  const std::string holds =
      asked.ok() ? absl::StrCat("the log at ", client.server, " already holds ",
                                status.head_position() - status.access_events(),
                                " events, and not this demo (", options.tenders, " tenders, seed ",
                                options.seed, ": its first tender ", tender_request.tender_id(),
                                " is not there; a demo tops up only with the "
                                "--tenders and --seed it was loaded with)")
                 : absl::StrCat("cannot tell whether the log at ", client.server,
                                " is empty (it hosts no QueriesService)");
  return absl::StrCat(
      holds,
      "; the demo's made-up tenders would stay in it for good. Load the demo into a data folder "
      "of its own (tools/up keeps it in var/demo), or pass --mix to load it here anyway");
}

// Sends the generated history through the Tenders service: one worker per
// slice of tenders, so each tender's commands stay in order while tenders
// load in parallel.
int DemoLoad(const Client& client, const Args& args) {
  demo::Options options;
  absl::StatusOr<std::optional<uint64_t>> tenders = args.Number("tenders");
  absl::StatusOr<std::optional<uint64_t>> seed = args.Number("seed");
  if (!tenders.ok() || !seed.ok()) {
    std::fprintf(stderr, "bidtrail: %s\n",
                 std::string((tenders.ok() ? seed.status() : tenders.status()).message()).c_str());
    return 2;
  }
  options.tenders = static_cast<int>(tenders->value_or(2000));
  options.seed = seed->value_or(1);
  // The history is anchored to the start of today (UTC), so that loading
  // again the same day sends the very same commands: a retry, not a change.
  options.now = absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) / 86400 * 86400);
  options.own_party_id = args.Get("own-party-id", "us");
  if (options.tenders <= 0 || options.tenders > 1000000) {
    std::fprintf(stderr, "bidtrail: --tenders: %d; must be 1 to 1000000\n", options.tenders);
    return 2;
  }
  // Recorded as the people of the history: only a service may name them.
  {
    v1::WhoAmIResponse me;
    auto context = client.Context();
    const grpc::Status status = client.access->WhoAmI(context.get(), v1::WhoAmIRequest(), &me);
    if (!status.ok()) return client.Fail(status);
    const bool service = std::any_of(me.roles().begin(), me.roles().end(), [](const auto& role) {
      return role.role() == v1::ROLE_SERVICE;
    });
    if (!service) {
      std::fprintf(stderr,
                   "bidtrail: demo load records each fact as the team member the history names, "
                   "which only a service may do, and %s is not one. An admin sets it up:\n"
                   "  bidtrail auth grant demo-loader service\n"
                   "  bidtrail auth grant demo-manager manager --territory '*'\n"
                   "  bidtrail auth token demo-loader       # then: bidtrail demo load --token "
                   "TOKEN\n",
                   me.principal().c_str());
      return 1;
    }
  }
  if (!args.Has("mix")) {
    if (const std::string refusal = DemoRefusal(client, options); !refusal.empty()) {
      std::fprintf(stderr, "bidtrail: %s\n", refusal.c_str());
      return 1;
    }
  }
  constexpr int kWorkers = 8;
  struct Queue {
    absl::Mutex mu;
    std::deque<demo::Command> commands ABSL_GUARDED_BY(mu);
    bool closed ABSL_GUARDED_BY(mu) = false;
  };
  std::vector<std::unique_ptr<Queue>> queues;
  for (int i = 0; i < kWorkers; ++i) queues.push_back(std::make_unique<Queue>());
  std::atomic<uint64_t> sent{0}, appended{0}, retried{0};
  absl::Mutex failure_mu;
  grpc::Status failure;
  std::vector<std::thread> workers;
  for (int i = 0; i < kWorkers; ++i) {
    workers.emplace_back([&, queue = queues[i].get()] {
      while (true) {
        demo::Command command;
        {
          absl::MutexLock lock(&queue->mu);
          queue->mu.Await(absl::Condition(
              +[](Queue* q)
                   ABSL_NO_THREAD_SAFETY_ANALYSIS { return q->closed || !q->commands.empty(); },
              queue));
          if (queue->commands.empty()) return;
          command = std::move(queue->commands.front());
          queue->commands.pop_front();
        }
        // Each command is recorded by the team member the history names.
        auto context = client.ContextAs(client.token, command.actor, std::chrono::seconds(60));
        v1::CommandResult result;
        // Recorded now, all at once: our facts say why (demo/generator.h).
        v1::LateRecording late;
        late.set_reason(demo::kLoadReason);
        late.set_approver(demo::kLoadManager);
        const grpc::Status status = tenders::SendCommand(
            client.tenders.get(), context.get(), command.request_id, command.event, &result, late);
        if (!status.ok()) {
          absl::MutexLock lock(&failure_mu);
          if (failure.ok()) failure = status;
          continue;
        }
        ++sent;
        (result.already_applied() ? retried : appended) += 1;
      }
    });
  }
  demo::Generator generator(options);
  ProgressLine progress("loading demo history");
  demo::Command command;
  uint64_t produced = 0;
  while (generator.Next(&command)) {
    const size_t slice = std::hash<std::string>()(tender::TenderIdOf(command.event)) % kWorkers;
    Queue& queue = *queues[slice];
    {
      absl::MutexLock lock(&queue.mu);
      // Bounded: wait while this worker is far behind.
      queue.mu.Await(absl::Condition(
          +[](Queue* q) ABSL_NO_THREAD_SAFETY_ANALYSIS { return q->commands.size() < 1000; },
          &queue));
      queue.commands.push_back(std::move(command));
    }
    ++produced;
    progress.Show(sent, generator.estimated_total());
    {
      absl::MutexLock lock(&failure_mu);
      if (!failure.ok()) break;
    }
  }
  for (auto& queue : queues) {
    absl::MutexLock lock(&queue->mu);
    queue->closed = true;
  }
  for (std::thread& worker : workers) worker.join();
  progress.Show(sent, produced, true);
  if (!failure.ok()) return client.Fail(failure);
  Table table({"tenders", "commands", "appended", "already_recorded"});
  table.Add({Cell::Integer(options.tenders), Cell::Integer(static_cast<int64_t>(sent)),
             Cell::Integer(static_cast<int64_t>(appended)),
             Cell::Integer(static_cast<int64_t>(retried))});
  if (client.format == Format::kTable) {
    std::printf("demo history: %d tenders, %llu commands (%llu appended, %llu already there)\n",
                options.tenders, static_cast<unsigned long long>(sent.load()),
                static_cast<unsigned long long>(appended.load()),
                static_cast<unsigned long long>(retried.load()));
    return 0;
  }
  table.Print(client.format);
  return 0;
}

// Imports OCDS files into the log through the event store's gRPC API.
int ImportOcds(const Client& client, const Args& args) {
  eventstore::GrpcEventStore::Options store_options;
  store_options.token = client.token;  // an admin's: imports append to the log
  eventstore::GrpcEventStore store(client.channel, store_options);
  ocds::ImportOptions options;
  options.actor = args.Get("actor-name", "ocds-import");
  options.dry_run = args.Has("dry-run");
  const absl::StatusOr<std::optional<uint64_t>> threads = args.Number("threads");
  if (!threads.ok()) {
    std::fprintf(stderr, "bidtrail: %s\n", std::string(threads.status().message()).c_str());
    return 2;
  }
  if (threads->has_value()) {
    if (**threads < 1 || **threads > 256) {
      std::fprintf(stderr, "bidtrail: --threads: %llu; must be 1 to 256\n",
                   static_cast<unsigned long long>(**threads));
      return 2;
    }
    options.append_threads = static_cast<int>(**threads);
  }
  ProgressLine reading("reading OCDS files");
  ProgressLine appending("importing tenders");
  absl::StatusOr<ocds::ImportSummary> summary = ocds::ImportPaths(
      args.positional(), options.dry_run ? nullptr : &store, options,
      [&](const ocds::Progress& progress) {
        switch (progress.phase) {
          case ocds::Progress::Phase::kReading:
            reading.Show(progress.files_done, progress.files_total);
            break;
          case ocds::Progress::Phase::kAppending:
            appending.Show(progress.processes_done, progress.processes_total);
            break;
          case ocds::Progress::Phase::kDone:
            appending.Show(progress.processes_done, progress.processes_total, true);
            break;
        }
      });
  if (!summary.ok()) {
    if (summary.status().code() == absl::StatusCode::kNotFound ||
        summary.status().code() == absl::StatusCode::kInvalidArgument) {
      std::fprintf(stderr, "bidtrail: %s\n", std::string(summary.status().message()).c_str());
      return summary.status().code() == absl::StatusCode::kNotFound ? 1 : 2;
    }
    return client.Fail(grpc::Status(static_cast<grpc::StatusCode>(summary.status().code()),
                                    std::string(summary.status().message())));
  }
  std::printf("%s\n", client.format == Format::kJson ? summary->ToJson().c_str()
                                                     : summary->ToText().c_str());
  if (summary->files > 0 && summary->FilesSkipped() == summary->files) {
    // Nothing was read: a wrong file or folder, not an import that found
    // everything already recorded.
    std::fprintf(stderr,
                 "bidtrail: none of the %llu file(s) is an OCDS document this import reads "
                 "(release or record packages, releases or records, as JSON or .gz; the problems "
                 "above say why); nothing imported\n",
                 static_cast<unsigned long long>(summary->files));
    return 1;
  }
  return 0;
}

}  // namespace

void AddDataCommands(std::vector<Subcommand>* commands) {
  commands->push_back(
      {{"backup"},
       "NAME",
       "copy the log, online, into the server's backup folder",
       "Writes a consistent copy of the event log (a RocksDB checkpoint) into NAME, a new folder "
       "in the server's backup folder (bidtraild --backup_dir, default <data_dir>/backups) on the "
       "machine bidtraild runs on. NAME is letters, digits, '.', '_' and '-': a client names a "
       "copy, never a path.",
       {},
       1,
       1,
       Backup});
  commands->push_back(
      {{"demo", "load"},
       "[--tenders N] [--seed S]",
       "load a realistic, deterministic demo history through the Tenders service",
       "Generates about two years of tenders (territories and their teams, buyers of several "
       "kinds, our company and competitors, partners, lots, amendments, late documents, no-bids, "
       "cancellations, re-awards, activities, stale tenders, deadlines in the coming days) and "
       "records them. The same seed gives the same history: loading it again appends nothing. "
       "Its tenders are DEMO-<year>-<n>. It loads only into an empty log (or one holding this "
       "demo): a team's log gets made-up tenders only with --mix. It records each fact as the "
       "team member the history names, so it needs a service token (--token), and demo-manager "
       "approves its late facts as a manager of every territory; tools/up sets both up.",
       {{"tenders", "N", "how many tenders (default 2000)"},
        {"seed", "S", "the seed (default 1)"},
        {"mix", "", "load into a log that holds other data (the demo stays in it for good)"},
        {"own-party-id", "ID", "our party id, as bidtraild --own_party_id (default us)"}},
       0,
       0,
       DemoLoad});
  commands->push_back(
      {{"import", "ocds"},
       "PATH... [--dry-run] [--threads N] [--json]",
       "import public procurement data (OCDS releases and records)",
       "Imports Open Contracting Data Standard files or folders (release packages, record "
       "packages, single releases and records; .json and .json.gz) as tender events: tenders, "
       "bids, awards, cancellations. Importing the same files again appends nothing. Ends with a "
       "summary that accounts for every release, with what was skipped and why "
       "(docs/ocds-import.md).",
       {{"dry-run", "", "map and report, append nothing"},
        {"actor-name", "NAME", "actor stored on the events (default ocds-import)"},
        {"threads", "N",
         "tenders appended at once, 1 to 256 (default 16); each waits for its append to be "
         "durable, so more in flight import faster, on JetStream most"}},
       1,
       100000,
       ImportOcds});
}

}  // namespace bidtrail::cli
