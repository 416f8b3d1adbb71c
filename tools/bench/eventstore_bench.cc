#include "eventstore_bench.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench_util.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/eventlog/nats_upstream.h"
#include "bidtrail/eventlog/rocks_event_log.h"
#include "bidtrail/eventstore/grpc_client.h"
#include "bidtrail/eventstore/service.h"
#include "bidtrail/ocds/importer.h"
#include "bidtrail/storage/rocks_status.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server.h"
#include "grpcpp/server_builder.h"
#include "grpcpp/support/channel_arguments.h"
#include "hosted_store.h"
#include "postgres_peer.h"
#include "raw_jetstream.h"
#include "rocksdb/db.h"
#include "rocksdb/iterator.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace bidtrail::bench {
namespace {

using eventlog::EventStore;
using eventlog::ExpectedRevision;
using eventlog::ProposedEvent;
using storage::FromRocks;

constexpr uint64_t kDefaultEvents = 200000;
constexpr uint64_t kEventsPerBatch = 100;
constexpr uint64_t kEventsPerStream = 20;
constexpr size_t kPayloadBytes = 250;
constexpr int kConcurrentWriters = 32;
// Separate TCP connections the concurrent gRPC writers share, as several
// client processes would.
constexpr int kGrpcConnections = 8;
// Batch writers on JetStream (5a) keep this many appends in flight, as
// `bidtrail import` does (ocds::ImportOptions::append_threads): the raw
// baseline they are compared with (4a) keeps up to 4,096 publishes in flight.
const int kBatchWriters = ocds::ImportOptions{}.append_threads;
// A synced single-event write costs one fsync: about 0.1 ms on a quiet disk
// here, 4 ms or more on a busy one. The cap is about 2 s of writes on a quiet
// disk; the budget keeps a busy disk from stretching the run to minutes while
// still giving seconds of samples.
constexpr uint64_t kMaxSingleEvents = 20000;
constexpr absl::Duration kSingleEventBudget = absl::Seconds(5);
constexpr uint64_t kReplayBatch = 10000;
// A projection runner's batch (projection::Engine::Options::batch_events).
constexpr uint32_t kCatchUpBatch = 4096;
constexpr int kReplayRounds = 3;

// Targets, as ratios against the raw RocksDB baseline of the same run.
constexpr double kGrpcBatchedTarget = 0.5;
constexpr double kGroupCommitTarget = 5;
// Issue #18: EventStoreDB's published durable writes per second on 2 cores.
constexpr double kGrpcSingleAppendersRateTarget = 15000;
constexpr double kGrpcReplayTarget = 0.4;
constexpr double kInprocessReplayTarget = 0.5;
constexpr double kInprocessReplayRateTarget = 500000;
// On JetStream (--log nats://...), against raw JetStream on the same cluster.
constexpr double kNatsGrpcBatchedTarget = 0.5;
constexpr double kNatsGroupCommitTarget = 5;
// Against PostgreSQL (--peers): bidtrail over gRPC / PostgreSQL over libpq.
constexpr double kVsPostgresTarget = 1.5;

constexpr char kUsage[] =
    "usage: bidtrail-bench eventstore [--events N] [--json] [--dir PATH] [--log nats://...]\n"
    "                                [--peers]\n"
    "\n"
    "Measures synced appends of N events and full replays of them: raw RocksDB\n"
    "(the baseline), the bidtrail log in process, and the EventStore service\n"
    "over gRPC on loopback, all in this one process. Every append measurement\n"
    "starts from a fresh data folder; the replays (ReadAll in pages of 10,000, and\n"
    "one subscription catching up, as projections read) read the batched appends'\n"
    "data, in 3 alternating rounds of which each keeps its fastest.\n"
    "\n"
    "  --events N   events per measurement (default 200000); single-event runs\n"
    "               write at most min(N, 20000) events or for 5 s\n"
    "  --json       print one JSON object on one line instead of a table\n"
    "  --dir PATH   where to create the scratch data folder (default /tmp);\n"
    "               the folder is removed at the end (also on Ctrl-C, a kill, or\n"
    "               its output closed)\n"
    "  --log URLS   also measure the log on this NATS JetStream cluster\n"
    "               (nats://HOST:PORT,...; deploy/local/nats-cluster.sh) against raw\n"
    "               JetStream publishes on it: rows 4a/4b (raw, R3) and 5a/5b/5c\n"
    "  --peers      also run the same workload on PostgreSQL 15 (postgresql-15,\n"
    "               started on a free loopback port in the scratch folder, stopped\n"
    "               after, also on Ctrl-C): an events table with a global sequence\n"
    "               and unique (stream, revision) and (stream, event id) indexes;\n"
    "               rows 6a-6d, and bidtrail over gRPC / PostgreSQL (vs_postgres_*:\n"
    "               3a/6a, 3b/6b, 3d over the faster of 6c and 6d; the paged scans\n"
    "               3c/6c as vs_postgres_paged_scan)\n"
    "  --help       print this text\n";

struct Config {
  uint64_t events = kDefaultEvents;
  bool json = false;
  std::string parent_dir = "/tmp";
  // --log: the NATS cluster's URLs; empty: RocksDB only.
  std::vector<std::string> nats;
  // --peers: PostgreSQL beside us.
  bool peers = false;
};

// The events every measurement writes. Raw RocksDB gets each event flattened
// to bytes of about the size the log stores, so that the comparison is about
// the layers above RocksDB and not about different data.
struct Workload {
  uint64_t events = 0;
  uint64_t streams = 0;
  // Appends of kEventsPerBatch events (the last may be shorter), one stream each.
  std::vector<std::vector<ProposedEvent>> batches;
  std::vector<std::string> batch_streams;
  std::vector<std::string> raw_batched_values;  // one per event, in batch order
  // Appends of one event each, spread over the streams.
  std::vector<std::vector<ProposedEvent>> singles;
  std::vector<std::string> single_streams;
  std::vector<std::string> raw_single_values;
  // What a full read must find: sums that the readers recompute.
  uint64_t raw_batched_bytes = 0;  // keys and values
  uint64_t payload_bytes = 0;      // event data
  double mean_raw_value_bytes = 0;
};

std::string PositionKey(uint64_t position) {
  std::string key(8, '\0');
  for (int i = 7; i >= 0; --i) {
    key[i] = static_cast<char>(position & 0xff);
    position >>= 8;
  }
  return key;
}

std::string StreamName(uint64_t item, uint64_t streams) {
  // A multiplicative hash spreads consecutive items over all streams, as
  // bids on many open tenders interleave.
  return absl::StrFormat("tender-%06d", (item * 2654435761u) % streams);
}

ProposedEvent MakeEvent(uint64_t n, const std::string& stream_id) {
  static constexpr char kFiller[] =
      "Delivery within 30 days of award; prices include VAT, transport and installation. ";
  ProposedEvent event;
  event.event_id = absl::StrFormat("%08x-0000-4000-8000-%012x", 1, n);
  event.type = "bidtrail.v1.BidSubmitted";
  std::string data = absl::StrFormat(
      R"({"tender_id":"%s","bid_id":"bid-%09d","bidder":"supplier-%05d","lot":%d,)"
      R"("amount":{"currency":"EUR","units":%d,"nanos":%d},"valid_until":"2026-06-30T23:59:59Z",)"
      R"("documents":["sha256:%016x"],"note":")",
      stream_id, n, n % 977, n % 7 + 1, 10000 + (n * 37) % 900000, (n * 13) % 100 * 10000000,
      n * 0x9E3779B97F4A7C15u);
  for (size_t i = 0; data.size() + 2 < kPayloadBytes; i = (i + 1) % (sizeof(kFiller) - 1)) {
    data.push_back(kFiller[i]);
  }
  data += "\"}";
  event.data = std::move(data);
  event.occurred_at = absl::FromUnixSeconds(1767225600) + absl::Milliseconds(250 * n);
  event.actor = absl::StrFormat("supplier-%05d", n % 977);
  event.correlation_id = absl::StrFormat("req-%08x", n / kEventsPerBatch);
  return event;
}

// The fields of an event in a flat byte string, for raw RocksDB.
std::string Flatten(const std::string& stream_id, const ProposedEvent& event) {
  const int64_t nanos = absl::ToUnixNanos(event.occurred_at);
  return absl::StrCat(stream_id, "\x1f", event.event_id, "\x1f", event.type, "\x1f",
                      PositionKey(static_cast<uint64_t>(nanos)), event.actor, "\x1f",
                      event.correlation_id, "\x1f", event.data);
}

Workload MakeWorkload(uint64_t events) {
  Workload workload;
  workload.events = events;
  workload.streams = std::max<uint64_t>(1, events / kEventsPerStream);
  uint64_t raw_value_bytes = 0;
  for (uint64_t first = 0; first < events; first += kEventsPerBatch) {
    const uint64_t batch = first / kEventsPerBatch;
    std::string stream = StreamName(batch, workload.streams);
    std::vector<ProposedEvent>& appended = workload.batches.emplace_back();
    for (uint64_t n = first; n < std::min(events, first + kEventsPerBatch); ++n) {
      ProposedEvent event = MakeEvent(n, stream);
      std::string value = Flatten(stream, event);
      workload.raw_batched_bytes += PositionKey(n + 1).size() + value.size();
      workload.payload_bytes += event.data.size();
      raw_value_bytes += value.size();
      workload.raw_batched_values.push_back(std::move(value));
      appended.push_back(std::move(event));
    }
    workload.batch_streams.push_back(std::move(stream));
  }
  workload.mean_raw_value_bytes =
      static_cast<double>(raw_value_bytes) / static_cast<double>(events);
  for (uint64_t n = 0; n < std::min(events, kMaxSingleEvents); ++n) {
    std::string stream = StreamName(n, workload.streams);
    ProposedEvent event = MakeEvent(n, stream);
    workload.raw_single_values.push_back(Flatten(stream, event));
    workload.singles.push_back({std::move(event)});
    workload.single_streams.push_back(std::move(stream));
  }
  return workload;
}

// The baseline database: RocksDB's defaults, as a user without tuning gets.
absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenRawDb(const std::string& path) {
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::DB::Open(options, path, &db), "opening " + path));
  return std::unique_ptr<rocksdb::DB>(db);
}

rocksdb::WriteOptions SyncedWrites() {
  rocksdb::WriteOptions options;
  options.sync = true;
  return options;
}

absl::StatusOr<Measurement> RawBatchedWrites(rocksdb::DB& db, const Workload& workload) {
  const rocksdb::WriteOptions synced = SyncedWrites();
  return RunTimedOps(1, workload.batches.size(), absl::InfiniteDuration(),
                     [&](int, uint64_t batch) -> absl::StatusOr<uint64_t> {
                       const uint64_t first = batch * kEventsPerBatch;
                       const uint64_t count = workload.batches[batch].size();
                       rocksdb::WriteBatch write;
                       for (uint64_t n = first; n < first + count; ++n) {
                         write.Put(PositionKey(n + 1), workload.raw_batched_values[n]);
                       }
                       RETURN_IF_ERROR(FromRocks(db.Write(synced, &write), "writing a batch"));
                       return count;
                     });
}

absl::StatusOr<Measurement> RawSingleWrites(rocksdb::DB& db, const Workload& workload) {
  const rocksdb::WriteOptions synced = SyncedWrites();
  return RunTimedOps(
      1, workload.singles.size(), kSingleEventBudget,
      [&](int, uint64_t n) -> absl::StatusOr<uint64_t> {
        RETURN_IF_ERROR(FromRocks(db.Put(synced, PositionKey(n + 1), workload.raw_single_values[n]),
                                  "writing an event"));
        return 1;
      });
}

// A full read's measurement, timed from `began` (and `cpu_began`, when the
// reader's CPU is this process's), once its count and bytes prove that it read
// what was written: INTERNAL naming `what` when they do not.
struct ReadTimer {
  std::chrono::steady_clock::time_point began = std::chrono::steady_clock::now();
  double cpu_began = ProcessCpuSeconds();

  absl::StatusOr<Measurement> Done(const std::string& what, uint64_t count, uint64_t bytes,
                                   uint64_t expected_count, uint64_t expected_bytes,
                                   bool with_cpu = true) const {
    const auto ended = std::chrono::steady_clock::now();
    const double cpu_ended = ProcessCpuSeconds();
    if (count != expected_count || bytes != expected_bytes) {
      return absl::InternalError(absl::StrCat(what, " found ", count, " with ", bytes,
                                              " bytes; expected ", expected_count, " with ",
                                              expected_bytes));
    }
    Measurement measurement;
    measurement.events = count;
    measurement.seconds = std::chrono::duration<double>(ended - began).count();
    if (with_cpu) measurement.cpu_seconds = cpu_ended - cpu_began;
    return measurement;
  }
};

absl::StatusOr<Measurement> RawScan(rocksdb::DB& db, const Workload& workload) {
  const ReadTimer timer;
  std::unique_ptr<rocksdb::Iterator> it(db.NewIterator(rocksdb::ReadOptions()));
  uint64_t count = 0;
  uint64_t bytes = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    bytes += it->key().size() + it->value().size();
    ++count;
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "scanning"));
  // Checking the sums proves every key and value was read (and keeps the
  // compiler from dropping the reads).
  return timer.Done("the raw scan (records, key and value bytes)", count, bytes, workload.events,
                    workload.raw_batched_bytes);
}

absl::Status CheckAppended(const eventlog::AppendResult& result, size_t count) {
  // Every event id is new, so an append that reports a retry or a different
  // number of positions means the store did not write what it was given.
  if (result.already_recorded || result.last_position - result.first_position + 1 != count) {
    return absl::InternalError(absl::StrCat(
        "an append of ", count, " new events was acknowledged as positions ", result.first_position,
        " to ", result.last_position, result.already_recorded ? " (already recorded)" : ""));
  }
  return absl::OkStatus();
}

// Appends of kEventsPerBatch events, `threads` at a time on one store.
absl::StatusOr<Measurement> AppendBatches(EventStore& store, const Workload& workload,
                                          int threads = 1) {
  return RunTimedOps(threads, workload.batches.size(), absl::InfiniteDuration(),
                     [&](int, uint64_t batch) -> absl::StatusOr<uint64_t> {
                       const std::vector<ProposedEvent>& events = workload.batches[batch];
                       ASSIGN_OR_RETURN(eventlog::AppendResult result,
                                        store.Append(workload.batch_streams[batch],
                                                     ExpectedRevision::Any(), events));
                       RETURN_IF_ERROR(CheckAppended(result, events.size()));
                       return events.size();
                     });
}

// kConcurrentWriters threads appending one event at a time; thread t uses
// stores[t % stores.size()].
absl::StatusOr<Measurement> AppendSinglesConcurrently(const std::vector<EventStore*>& stores,
                                                      const Workload& workload) {
  return RunTimedOps(kConcurrentWriters, workload.singles.size(), kSingleEventBudget,
                     [&](int thread, uint64_t n) -> absl::StatusOr<uint64_t> {
                       EventStore& store = *stores[thread % stores.size()];
                       ASSIGN_OR_RETURN(eventlog::AppendResult result,
                                        store.Append(workload.single_streams[n],
                                                     ExpectedRevision::Any(), workload.singles[n]));
                       RETURN_IF_ERROR(CheckAppended(result, 1));
                       return 1;
                     });
}

// Reads the whole log from position 1 to the head, a batch at a time, as a
// projection rebuilding from scratch does: lean events in packed batches
// (EventViews over one buffer per batch; a store may answer with events).
absl::StatusOr<Measurement> Replay(EventStore& store, const Workload& workload) {
  const ReadTimer timer;
  ASSIGN_OR_RETURN(const uint64_t head, store.HeadPosition());
  uint64_t from = 1;
  uint64_t count = 0;
  uint64_t bytes = 0;
  while (from <= head) {
    eventlog::ReadAllRequest read;
    read.from_position = from;
    read.max_count = kReplayBatch;
    read.lean = true;
    read.packed = true;
    ASSIGN_OR_RETURN(eventlog::ReadAllResult result, store.ReadAll(read));
    if (result.next_position <= from) {
      return absl::InternalError(
          absl::StrCat("ReadAll from position ", from, " made no progress; head is ", head));
    }
    for (const eventlog::RecordedEvent& event : result.events) bytes += event.data.size();
    for (size_t i = 0; i < result.packed.size(); ++i) bytes += result.packed[i].data.size();
    count += result.events.size() + result.packed.size();
    from = result.next_position;
  }
  return timer.Done("the replay (events, data bytes)", count, bytes, workload.events,
                    workload.payload_bytes);
}

// Reads the whole log from position 1 as a projection's runner does: one
// subscription, lean events in packed batches of up to kCatchUpBatch, until
// it reports having caught up with the head.
absl::StatusOr<Measurement> CatchUp(EventStore& store, const Workload& workload) {
  const ReadTimer timer;
  eventlog::SubscribeRequest request;
  request.max_batch = kCatchUpBatch;
  request.max_batch_bytes = uint64_t{16} << 20;
  request.lean = true;
  request.packed = true;
  ASSIGN_OR_RETURN(std::unique_ptr<eventlog::Subscription> subscription, store.Subscribe(request));
  uint64_t count = 0;
  uint64_t bytes = 0;
  while (true) {
    ASSIGN_OR_RETURN(eventlog::SubscriptionItem item, subscription->Next());
    if (std::holds_alternative<eventlog::CaughtUp>(item)) break;
    const eventlog::EventBatch& batch = std::get<eventlog::EventBatch>(item);
    for (const eventlog::RecordedEvent& event : batch.events) bytes += event.data.size();
    for (size_t i = 0; i < batch.packed.size(); ++i) bytes += batch.packed[i].data.size();
    count += batch.events.size() + batch.packed.size();
  }
  absl::StatusOr<Measurement> measured = timer.Done("the catch-up (events, data bytes)", count,
                                                    bytes, workload.events, workload.payload_bytes);
  subscription->Cancel();
  return measured;
}

// A client on a TCP connection of its own. GrpcEventStore::Connect gives every
// channel the same arguments, and gRPC then shares one connection among them
// (its global subchannel pool); a distinct argument keeps them apart, as in
// separate client processes. Connect's larger message limit is not needed
// for single-event appends.
absl::StatusOr<std::unique_ptr<eventstore::GrpcEventStore>> ConnectSeparately(
    const std::string& address, int connection) {
  grpc::ChannelArguments args;
  args.SetInt("bidtrail.bench.connection", connection);
  auto client = std::make_unique<eventstore::GrpcEventStore>(
      grpc::CreateCustomChannel(address, grpc::InsecureChannelCredentials(), args),
      eventstore::GrpcEventStore::Options());
  // Connects now, so that connection set-up is not part of any measurement.
  RETURN_IF_ERROR(client->HeadPosition().status());
  return client;
}

struct Results {
  Measurement raw_batched;
  Measurement raw_single;
  Measurement raw_scan;
  Measurement inprocess_batched;
  Measurement inprocess_concurrent;
  Measurement inprocess_replay;
  Measurement grpc_batched;
  Measurement grpc_concurrent;
  Measurement grpc_replay;
  Measurement inprocess_catchup;
  Measurement grpc_catchup;
  // --log nats://...
  bool nats = false;
  Measurement raw_nats_batched;
  Measurement raw_nats_single;
  Measurement nats_grpc_batched;
  Measurement nats_group_commit;
  Measurement nats_grpc_batched_one_client;
  // --peers: PostgreSQL; `postgres_skipped` says why it did not run.
  bool postgres = false;
  std::string postgres_skipped;
  std::string postgres_version;
  Measurement postgres_batched;
  Measurement postgres_concurrent;
  Measurement postgres_scan;
  Measurement postgres_cursor;
  uint64_t postgres_conflicts = 0;
};

// The workload on PostgreSQL's events table: appends of 100 in one
// transaction each, one client.
absl::StatusOr<Measurement> PostgresBatches(PostgresEvents& events, const Workload& workload) {
  return RunTimedOps(
      1, workload.batches.size(), absl::InfiniteDuration(),
      [&](int, uint64_t batch) -> absl::StatusOr<uint64_t> {
        RETURN_IF_ERROR(
            events.Append(workload.batch_streams[batch], workload.batches[batch]).status());
        return workload.batches[batch].size();
      });
}

// kConcurrentWriters threads, a connection each, appending one event at a
// time with optimistic concurrency (a revision taken meanwhile is retried).
absl::StatusOr<Measurement> PostgresSingles(
    const std::vector<std::unique_ptr<PostgresEvents>>& connections, const Workload& workload,
    uint64_t* conflicts) {
  std::atomic<uint64_t> retried{0};
  absl::StatusOr<Measurement> measured = RunTimedOps(
      kConcurrentWriters, workload.singles.size(), kSingleEventBudget,
      [&](int thread, uint64_t n) -> absl::StatusOr<uint64_t> {
        ASSIGN_OR_RETURN(const int attempts, connections[thread]->Append(workload.single_streams[n],
                                                                         workload.singles[n]));
        retried += static_cast<uint64_t>(attempts - 1);
        return 1;
      });
  *conflicts = retried.load();
  return measured;
}

// The whole table in position order, kReplayBatch rows a query (keyset
// paging), as a projection rebuilding from it would read.
absl::StatusOr<Measurement> PostgresScan(PostgresEvents& events, const Workload& workload) {
  const ReadTimer timer;
  uint64_t after = 0;
  uint64_t count = 0;
  uint64_t bytes = 0;
  while (true) {
    ASSIGN_OR_RETURN(const PostgresEvents::Page page, events.Read(after, kReplayBatch));
    if (page.rows == 0) break;
    count += page.rows;
    bytes += page.data_bytes;
    after = page.last_position;
  }
  // PostgreSQL's own CPU is another process's.
  return timer.Done("the PostgreSQL scan (rows, data bytes)", count, bytes, workload.events,
                    workload.payload_bytes, /*with_cpu=*/false);
}

// The whole table through one cursor, kCatchUpBatch rows a FETCH: PostgreSQL's
// way to stream a table, beside 3d's subscription.
absl::StatusOr<Measurement> PostgresCursorScan(PostgresEvents& events, const Workload& workload) {
  const ReadTimer timer;
  ASSIGN_OR_RETURN(const PostgresEvents::Page all, events.ReadThroughCursor(kCatchUpBatch));
  return timer.Done("the PostgreSQL cursor (rows, data bytes)", all.rows, all.data_bytes,
                    workload.events, workload.payload_bytes, /*with_cpu=*/false);
}

// Progress for a person watching; nothing when stderr is a file or a pipe,
// so that logs of scripted runs hold only the report.
void Progress(const std::string& what) {
  static const bool interactive = isatty(STDERR_FILENO) == 1;
  if (interactive) std::fprintf(stderr, "bidtrail-bench eventstore: %s\n", what.c_str());
}

// Single-event appends: 1b, 2b and 3b, each on a fresh store.
absl::Status MeasureSingleAppends(const ScratchDir& scratch, const Workload& workload,
                                  PostgresServer* postgres, Results* results) {
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::DB> raw, OpenRawDb(scratch.Sub("raw-single")));
  ASSIGN_OR_RETURN(std::unique_ptr<eventlog::RocksEventLog> log,
                   OpenLog(scratch.Sub("log-single")));
  ASSIGN_OR_RETURN(std::unique_ptr<HostedEventStore> hosted,
                   HostedEventStore::Start(scratch.Sub("grpc-single")));
  // Declared after `hosted`, so destroyed before it even on an early return.
  std::vector<std::unique_ptr<eventstore::GrpcEventStore>> clients;
  std::vector<EventStore*> grpc_stores;
  for (int connection = 0; connection < kGrpcConnections; ++connection) {
    ASSIGN_OR_RETURN(clients.emplace_back(), ConnectSeparately(hosted->address(), connection));
    grpc_stores.push_back(clients.back().get());
  }

  Progress("1b raw RocksDB, single Put, sync");
  ASSIGN_OR_RETURN(results->raw_single, RawSingleWrites(*raw, workload));
  Progress("2b in-process log, 32 threads appending single events, sync");
  ASSIGN_OR_RETURN(results->inprocess_concurrent, AppendSinglesConcurrently({log.get()}, workload));
  Progress("3b gRPC, 32 threads appending single events, sync");
  ASSIGN_OR_RETURN(results->grpc_concurrent, AppendSinglesConcurrently(grpc_stores, workload));
  if (postgres != nullptr) {
    std::vector<std::unique_ptr<PostgresEvents>> connections;
    for (int thread = 0; thread < kConcurrentWriters; ++thread) {
      ASSIGN_OR_RETURN(connections.emplace_back(),
                       PostgresEvents::Connect(*postgres, "singles", thread == 0));
    }
    Progress("6b PostgreSQL, 32 connections appending single events");
    ASSIGN_OR_RETURN(results->postgres_concurrent,
                     PostgresSingles(connections, workload, &results->postgres_conflicts));
  }

  clients.clear();
  hosted->Shutdown();
  return FromRocks(raw->Close(), "closing");
}

// Every measurement. Those of one kind run back to back (1a 2a 3a, then the
// b's, then the c's) so that each ratio compares figures taken seconds apart:
// the cost of an fsync on these disks changes from one minute to the next.
absl::Status MeasureAll(const ScratchDir& scratch, const Workload& workload, bool peers,
                        Results* results) {
  // PostgreSQL first: when it cannot start, the bench says so and goes on.
  std::unique_ptr<PostgresServer> postgres;
  std::unique_ptr<PostgresEvents> postgres_events;
  if (peers) {
    Progress("starting PostgreSQL");
    absl::StatusOr<std::unique_ptr<PostgresServer>> started =
        PostgresServer::Start(scratch.Sub("postgres"));
    if (started.ok()) {
      postgres = std::move(started).value();
      ASSIGN_OR_RETURN(postgres_events, PostgresEvents::Connect(*postgres, "postgres", true));
      results->postgres = true;
      results->postgres_version = postgres->version();
    } else {
      results->postgres_skipped = std::string(started.status().message());
    }
  }
  // The batched appends fill these stores; the replays read them back.
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::DB> raw, OpenRawDb(scratch.Sub("raw-batched")));
  ASSIGN_OR_RETURN(std::unique_ptr<eventlog::RocksEventLog> log,
                   OpenLog(scratch.Sub("log-batched")));
  ASSIGN_OR_RETURN(std::unique_ptr<HostedEventStore> hosted,
                   HostedEventStore::Start(scratch.Sub("grpc-batched")));
  // Declared after `hosted`, so destroyed before it even on an early return.
  auto client = std::make_unique<eventstore::GrpcEventStore>(
      eventstore::GrpcEventStore::Connect(hosted->address()),
      eventstore::GrpcEventStore::Options());
  RETURN_IF_ERROR(client->HeadPosition().status());  // connects before measuring

  Progress("1a raw RocksDB, WriteBatch of 100, sync");
  ASSIGN_OR_RETURN(results->raw_batched, RawBatchedWrites(*raw, workload));
  Progress("2a in-process log, Append of 100, sync");
  ASSIGN_OR_RETURN(results->inprocess_batched, AppendBatches(*log, workload));
  Progress("3a gRPC, Append of 100, sync");
  ASSIGN_OR_RETURN(results->grpc_batched, AppendBatches(*client, workload));
  if (postgres_events != nullptr) {
    Progress("6a PostgreSQL, INSERT of 100 in one transaction");
    ASSIGN_OR_RETURN(results->postgres_batched, PostgresBatches(*postgres_events, workload));
  }

  RETURN_IF_ERROR(MeasureSingleAppends(scratch, workload, postgres.get(), results));

  // A full scan takes a fraction of a second, so one scheduling hiccup moves
  // it by tens of percent: run the three in alternating rounds and keep each
  // one's fastest round, baseline and subjects alike.
  auto keep_fastest = [](const Measurement& round, Measurement* best) {
    if (best->events == 0 || round.seconds < best->seconds) *best = round;
  };
  for (int round = 1; round <= kReplayRounds; ++round) {
    Progress(absl::StrCat("1c raw RocksDB, iterator scan (round ", round, ")"));
    ASSIGN_OR_RETURN(const Measurement raw_scan, RawScan(*raw, workload));
    keep_fastest(raw_scan, &results->raw_scan);
    Progress(absl::StrCat("2c in-process log, ReadAll replay (round ", round, ")"));
    ASSIGN_OR_RETURN(const Measurement inprocess, Replay(*log, workload));
    keep_fastest(inprocess, &results->inprocess_replay);
    Progress(absl::StrCat("3c gRPC, ReadAll replay (round ", round, ")"));
    ASSIGN_OR_RETURN(const Measurement grpc, Replay(*client, workload));
    keep_fastest(grpc, &results->grpc_replay);
    Progress(absl::StrCat("2d in-process log, Subscribe catch-up (round ", round, ")"));
    ASSIGN_OR_RETURN(const Measurement inprocess_catchup, CatchUp(*log, workload));
    keep_fastest(inprocess_catchup, &results->inprocess_catchup);
    Progress(absl::StrCat("3d gRPC, Subscribe catch-up (round ", round, ")"));
    ASSIGN_OR_RETURN(const Measurement grpc_catchup, CatchUp(*client, workload));
    keep_fastest(grpc_catchup, &results->grpc_catchup);
    if (postgres_events != nullptr) {
      Progress(absl::StrCat("6c PostgreSQL, ordered scan (round ", round, ")"));
      ASSIGN_OR_RETURN(const Measurement scanned, PostgresScan(*postgres_events, workload));
      keep_fastest(scanned, &results->postgres_scan);
      Progress(absl::StrCat("6d PostgreSQL, one cursor (round ", round, ")"));
      ASSIGN_OR_RETURN(const Measurement cursor, PostgresCursorScan(*postgres_events, workload));
      keep_fastest(cursor, &results->postgres_cursor);
    }
  }
  postgres_events.reset();
  postgres.reset();

  client.reset();
  hosted->Shutdown();
  return FromRocks(raw->Close(), "closing");
}

// A JetStream stream of this run's own, named after the process.
// Batched appends through gRPC to an EventStore service hosted on a log on
// a JetStream stream of its own (BenchStream(what)), deleted afterwards.
absl::StatusOr<Measurement> AppendBatchesThroughGrpc(const ScratchDir& scratch,
                                                     const std::vector<std::string>& servers,
                                                     const std::string& what,
                                                     const Workload& workload, int writers) {
  Measurement measured;
  {
    ASSIGN_OR_RETURN(std::shared_ptr<eventlog::NatsUpstream> upstream,
                     BenchUpstream(servers, BenchStream(what)));
    ASSIGN_OR_RETURN(std::unique_ptr<HostedEventStore> hosted,
                     HostedEventStore::Start(scratch.Sub(what), upstream));
    auto client = std::make_unique<eventstore::GrpcEventStore>(
        eventstore::GrpcEventStore::Connect(hosted->address()),
        eventstore::GrpcEventStore::Options());
    RETURN_IF_ERROR(client->HeadPosition().status());
    ASSIGN_OR_RETURN(measured, AppendBatches(*client, workload, writers));
    client.reset();
    hosted->Shutdown();
  }
  RETURN_IF_ERROR(RawJetStream::Delete(servers, BenchStream(what)));
  return measured;
}

// The JetStream rows, back to back as the RocksDB ones: 4a raw async
// publishes of the batches' bytes and 5a gRPC Append of 100 on the
// JetStream log; 4b raw synchronous single publishes and 5b 32 threads of
// single appends on the JetStream log in process (its group commit). R3
// streams of this run's own, deleted at the end.
absl::Status MeasureNats(const ScratchDir& scratch, const Workload& workload,
                         const std::vector<std::string>& servers, Results* results) {
  results->nats = true;
  {
    ASSIGN_OR_RETURN(std::unique_ptr<RawJetStream> raw,
                     RawJetStream::Create(servers, BenchStream("RAW_BATCHED"), 3));
    Progress("4a raw JetStream, async publish of 100 events' bytes, R3");
    const auto began = std::chrono::steady_clock::now();
    size_t next = 0;
    std::string message;
    for (const std::vector<ProposedEvent>& batch : workload.batches) {
      message.clear();
      for (size_t i = 0; i < batch.size(); ++i) message += workload.raw_batched_values[next++];
      RETURN_IF_ERROR(raw->PublishAsync(message));
    }
    RETURN_IF_ERROR(raw->Complete());
    results->raw_nats_batched.events = workload.events;
    results->raw_nats_batched.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  }
  Progress(
      absl::StrCat("5a gRPC, ", kBatchWriters, " writers, Append of 100 on the JetStream log"));
  ASSIGN_OR_RETURN(
      results->nats_grpc_batched,
      AppendBatchesThroughGrpc(scratch, servers, "LOG_BATCHED", workload, kBatchWriters));
  // What one client that waits for each append gets: its latency.
  Progress("5c gRPC, one client, Append of 100 on the JetStream log");
  ASSIGN_OR_RETURN(results->nats_grpc_batched_one_client,
                   AppendBatchesThroughGrpc(scratch, servers, "LOG_ONE_CLIENT", workload, 1));
  {
    ASSIGN_OR_RETURN(std::unique_ptr<RawJetStream> raw,
                     RawJetStream::Create(servers, BenchStream("RAW_SINGLE"), 3));
    Progress("4b raw JetStream, single synchronous publish, R3");
    ASSIGN_OR_RETURN(results->raw_nats_single,
                     RunTimedOps(1, workload.singles.size(), kSingleEventBudget,
                                 [&](int, uint64_t n) -> absl::StatusOr<uint64_t> {
                                   RETURN_IF_ERROR(raw->PublishSync(workload.raw_single_values[n]));
                                   return 1;
                                 }));
  }
  {
    ASSIGN_OR_RETURN(std::shared_ptr<eventlog::NatsUpstream> upstream,
                     BenchUpstream(servers, BenchStream("LOG_SINGLE")));
    ASSIGN_OR_RETURN(std::unique_ptr<eventlog::RocksEventLog> log,
                     OpenLog(scratch.Sub("nats-single"), upstream));
    Progress("5b JetStream log, 32 threads appending single events");
    ASSIGN_OR_RETURN(results->nats_group_commit, AppendSinglesConcurrently({log.get()}, workload));
    log.reset();
    RETURN_IF_ERROR(RawJetStream::Delete(servers, BenchStream("LOG_SINGLE")));
  }
  return absl::OkStatus();
}

double Ratio(const Measurement& measured, const Measurement& baseline) {
  const double base = baseline.EventsPerSecond();
  return base > 0 ? measured.EventsPerSecond() / base : 0;
}

struct Target {
  std::string key;
  double value;
  double minimum;
  bool met() const { return value >= minimum; }
};

struct Row {
  std::string id;     // "2a"
  std::string label;  // what was measured
  std::string key;    // JSON prefix
  const Measurement* measured;
  std::string baseline_id;  // empty for a baseline
  const Measurement* baseline;
  std::string ratio_key;  // JSON key of measured/baseline
  std::vector<const Target*> targets;
};

std::string FormatMs(const Measurement& measurement, double ms) {
  return measurement.has_latency ? absl::StrFormat("%.3f", ms) : "-";
}

const Measurement& FasterOf(const Measurement& a, const Measurement& b) {
  return a.EventsPerSecond() >= b.EventsPerSecond() ? a : b;
}

std::string FormatTargetValue(const Target& target) {
  if (target.minimum >= 1000) return absl::StrFormat(">= %.0f/s", target.minimum);
  return absl::StrFormat(">= %gx", target.minimum);
}

void Report(const Config& config, const Workload& workload, const ScratchDir& scratch,
            const Results& r, double total_seconds) {
  const std::vector<Target> targets = {
      {"grpc_batched_vs_raw_batched_sync", Ratio(r.grpc_batched, r.raw_batched),
       kGrpcBatchedTarget},
      {"group_commit_vs_raw_single_sync", Ratio(r.grpc_concurrent, r.raw_single),
       kGroupCommitTarget},
      {"grpc_replay_vs_raw_scan", Ratio(r.grpc_replay, r.raw_scan), kGrpcReplayTarget},
      {"inprocess_replay_vs_raw_scan", Ratio(r.inprocess_replay, r.raw_scan),
       kInprocessReplayTarget},
      {"inprocess_replay_events_per_s", r.inprocess_replay.EventsPerSecond(),
       kInprocessReplayRateTarget},
      {"grpc_single_appenders_events_per_s", r.grpc_concurrent.EventsPerSecond(),
       kGrpcSingleAppendersRateTarget},
  };
  const std::vector<Target> nats_targets = {
      {"nats_grpc_batched_vs_raw_nats_batched", Ratio(r.nats_grpc_batched, r.raw_nats_batched),
       kNatsGrpcBatchedTarget},
      {"nats_group_commit_vs_raw_nats_single", Ratio(r.nats_group_commit, r.raw_nats_single),
       kNatsGroupCommitTarget},
  };
  const std::vector<Target> postgres_targets = {
      {"vs_postgres_batched", Ratio(r.grpc_batched, r.postgres_batched), kVsPostgresTarget},
      {"vs_postgres_concurrent_single", Ratio(r.grpc_concurrent, r.postgres_concurrent),
       kVsPostgresTarget},
      // Each side reading the whole log its fastest way: bidtrail's
      // subscription (how projections read it) against the faster of
      // PostgreSQL's paged scan and one cursor.
      {"vs_postgres_scan", Ratio(r.grpc_catchup, FasterOf(r.postgres_scan, r.postgres_cursor)),
       kVsPostgresTarget},
  };
  const std::string writers = absl::StrCat(kConcurrentWriters, " threads x single Append, sync");
  std::vector<Row> rows = {
      {"1a",
       "raw RocksDB: WriteBatch of 100, sync",
       "raw_batched_sync",
       &r.raw_batched,
       "",
       nullptr,
       "",
       {}},
      {"1b",
       "raw RocksDB: single Put, sync",
       "raw_single_sync",
       &r.raw_single,
       "",
       nullptr,
       "",
       {}},
      {"1c", "raw RocksDB: iterator scan", "raw_scan", &r.raw_scan, "", nullptr, "", {}},
      {"2a",
       "in-process log: Append of 100, sync",
       "inprocess_batched_sync",
       &r.inprocess_batched,
       "1a",
       &r.raw_batched,
       "inprocess_batched_vs_raw_batched_sync",
       {}},
      {"2b",
       "in-process log: " + writers,
       "inprocess_concurrent_sync",
       &r.inprocess_concurrent,
       "1b",
       &r.raw_single,
       "inprocess_concurrent_vs_raw_single_sync",
       {}},
      {"2c",
       "in-process log: ReadAll replay",
       "inprocess_replay",
       &r.inprocess_replay,
       "1c",
       &r.raw_scan,
       "inprocess_replay_vs_raw_scan",
       {&targets[3], &targets[4]}},
      {"3a",
       "gRPC: Append of 100, sync",
       "grpc_batched_sync",
       &r.grpc_batched,
       "1a",
       &r.raw_batched,
       "grpc_batched_vs_raw_batched_sync",
       {&targets[0]}},
      {"3b",
       "gRPC: " + writers,
       "grpc_concurrent_sync",
       &r.grpc_concurrent,
       "1b",
       &r.raw_single,
       "group_commit_vs_raw_single_sync",
       {&targets[1], &targets[5]}},
      {"3c",
       "gRPC: ReadAll replay",
       "grpc_replay",
       &r.grpc_replay,
       "1c",
       &r.raw_scan,
       "grpc_replay_vs_raw_scan",
       {&targets[2]}},
      {"2d",
       "in-process log: Subscribe catch-up",
       "inprocess_catchup",
       &r.inprocess_catchup,
       "1c",
       &r.raw_scan,
       "inprocess_catchup_vs_raw_scan",
       {}},
      {"3d",
       "gRPC: Subscribe catch-up",
       "grpc_catchup",
       &r.grpc_catchup,
       "1c",
       &r.raw_scan,
       "grpc_catchup_vs_raw_scan",
       {}},
  };
  if (r.nats) {
    rows.push_back({"4a",
                    "raw JetStream: async publish of 100, R3",
                    "raw_nats_batched",
                    &r.raw_nats_batched,
                    "",
                    nullptr,
                    "",
                    {}});
    rows.push_back({"4b",
                    "raw JetStream: single publish, R3",
                    "raw_nats_single",
                    &r.raw_nats_single,
                    "",
                    nullptr,
                    "",
                    {}});
    rows.push_back(
        {"5a",
         absl::StrCat("JetStream log, gRPC: ", kBatchWriters, " writers x Append of 100"),
         "nats_grpc_batched",
         &r.nats_grpc_batched,
         "4a",
         &r.raw_nats_batched,
         "nats_grpc_batched_vs_raw_nats_batched",
         {&nats_targets[0]}});
    rows.push_back(
        {"5b",
         "JetStream log: " + absl::StrCat(kConcurrentWriters, " threads x single Append"),
         "nats_group_commit",
         &r.nats_group_commit,
         "4b",
         &r.raw_nats_single,
         "nats_group_commit_vs_raw_nats_single",
         {&nats_targets[1]}});
    rows.push_back({"5c",
                    "JetStream log, gRPC: one client x Append of 100",
                    "nats_grpc_batched_one_client",
                    &r.nats_grpc_batched_one_client,
                    "4a",
                    &r.raw_nats_batched,
                    "nats_grpc_batched_one_client_vs_raw_nats_batched",
                    {}});
  }
  if (r.postgres) {
    // Baselines of their own; the targets are bidtrail's gRPC rows over them.
    rows.push_back({"6a",
                    "PostgreSQL: INSERT of 100, one transaction",
                    "postgres_batched",
                    &r.postgres_batched,
                    "",
                    nullptr,
                    "",
                    {}});
    rows.push_back({"6b",
                    absl::StrCat("PostgreSQL: ", kConcurrentWriters,
                                 " connections x single INSERT, optimistic"),
                    "postgres_concurrent",
                    &r.postgres_concurrent,
                    "",
                    nullptr,
                    "",
                    {}});
    rows.push_back({"6c",
                    "PostgreSQL: ordered scan, pages of 10000",
                    "postgres_scan",
                    &r.postgres_scan,
                    "",
                    nullptr,
                    "",
                    {}});
    rows.push_back({"6d",
                    "PostgreSQL: one cursor, FETCH 4096",
                    "postgres_cursor",
                    &r.postgres_cursor,
                    "",
                    nullptr,
                    "",
                    {}});
  }
  std::vector<std::string> missed;
  size_t target_count = targets.size();
  if (r.postgres) {
    target_count += postgres_targets.size();
    for (const Target& target : postgres_targets) {
      if (!target.met()) missed.push_back(target.key);
    }
  }
  for (const Target& target : targets) {
    if (!target.met()) missed.push_back(target.key);
  }
  if (r.nats) {
    target_count += nats_targets.size();
    for (const Target& target : nats_targets) {
      if (!target.met()) missed.push_back(target.key);
    }
  }

  if (config.json) {
    JsonLine json;
    json.Add("events", workload.events);
    json.Add("streams", workload.streams);
    json.Add("payload_bytes", static_cast<uint64_t>(kPayloadBytes));
    json.Add("raw_value_bytes_mean", workload.mean_raw_value_bytes);
    json.Add("concurrent_writers", static_cast<uint64_t>(kConcurrentWriters));
    json.Add("grpc_connections", static_cast<uint64_t>(kGrpcConnections));
    json.Add("host_reclaim_running", HostReclaimRunning());
    for (const Row& row : rows) {
      json.Add(row.key + "_events", row.measured->events);
      json.Add(row.key + "_seconds", row.measured->seconds);
      json.Add(row.key + "_events_per_s", row.measured->EventsPerSecond());
      if (row.measured->has_latency) {
        json.Add(row.key + "_p50_ms", row.measured->p50_ms);
        json.Add(row.key + "_p99_ms", row.measured->p99_ms);
      }
      if (row.measured->cpu_seconds > 0 && row.measured->events > 0) {
        json.Add(row.key + "_cpu_us_per_event",
                 1e6 * row.measured->cpu_seconds / static_cast<double>(row.measured->events));
      }
    }
    // The ratio keys of rows with a target are the targets' own keys.
    for (const Row& row : rows) {
      if (row.baseline != nullptr) json.Add(row.ratio_key, Ratio(*row.measured, *row.baseline));
    }
    json.Add("grpc_single_appenders_events_per_s", r.grpc_concurrent.EventsPerSecond());
    if (r.postgres) {
      for (const Target& target : postgres_targets) json.Add(target.key, target.value);
      json.Add("vs_postgres_paged_scan", Ratio(r.grpc_replay, r.postgres_scan));
      json.AddText("postgres_version", r.postgres_version);
      json.Add("postgres_conflicts_retried", r.postgres_conflicts);
    } else if (!r.postgres_skipped.empty()) {
      json.AddText("postgres_skipped", r.postgres_skipped);
    }
    json.Add("targets_missed", missed);
    json.Add("total_seconds", total_seconds);
    absl::PrintF("%s\n", json.ToString().c_str());
    return;
  }

  absl::PrintF(
      "bidtrail-bench eventstore: %d events of %.0f bytes (%d-byte payload) in %d streams\n"
      "every write synced (fsync); each store fresh, in %s; the replays (c: ReadAll\n"
      "pages, d: one subscription's catch-up) read what the batched appends (a) wrote;\n"
      "single-event runs (b) stop after %d events or %.0f s;\n"
      "%d writer threads; gRPC on loopback, the b writers on %d connections\n\n",
      workload.events, workload.mean_raw_value_bytes, kPayloadBytes, workload.streams,
      scratch.path(), workload.singles.size(), absl::ToDoubleSeconds(kSingleEventBudget),
      kConcurrentWriters, kGrpcConnections);
  Table table({"measurement", "events", "seconds", "events/s", "p50 ms", "p99 ms", "cpu us/ev",
               "vs baseline", "target", "result"});
  for (const Row& row : rows) {
    const Measurement& m = *row.measured;
    std::vector<std::string> target_texts;
    std::vector<std::string> results;
    for (const Target* target : row.targets) {
      target_texts.push_back(FormatTargetValue(*target));
      results.push_back(target->met() ? "pass" : "MISS");
    }
    table.AddRow({absl::StrCat(row.id, " ", row.label), absl::StrCat(m.events),
                  absl::StrFormat("%.2f", m.seconds), absl::StrFormat("%.0f", m.EventsPerSecond()),
                  FormatMs(m, m.p50_ms), FormatMs(m, m.p99_ms),
                  m.cpu_seconds > 0 && m.events > 0
                      ? absl::StrFormat("%.1f", 1e6 * m.cpu_seconds / static_cast<double>(m.events))
                      : "-",
                  row.baseline == nullptr
                      ? "baseline"
                      : absl::StrFormat("%.2fx %s", Ratio(m, *row.baseline), row.baseline_id),
                  absl::StrJoin(target_texts, ", "), absl::StrJoin(results, ", ")});
  }
  absl::PrintF("%s\n", table.ToString().c_str());
  if (r.postgres) {
    absl::PrintF("bidtrail over gRPC vs %s over libpq (%d conflicts retried in 6b):\n",
                 r.postgres_version, r.postgres_conflicts);
    const char* rows_of[] = {"3a / 6a", "3b / 6b", "3d / 6c|6d"};
    for (size_t i = 0; i < postgres_targets.size(); ++i) {
      absl::PrintF("  %-30s %s %.2fx  target >= %gx  %s\n", postgres_targets[i].key, rows_of[i],
                   postgres_targets[i].value, postgres_targets[i].minimum,
                   postgres_targets[i].met() ? "pass" : "MISS");
    }
  } else if (!r.postgres_skipped.empty()) {
    absl::PrintF("PostgreSQL skipped: %s\n", r.postgres_skipped);
  }
  absl::PrintF("targets: %d of %d met%s%s\n", target_count - missed.size(), target_count,
               missed.empty() ? "" : "; missed: ", absl::StrJoin(missed, ", "));
  if (HostReclaimRunning()) absl::PrintF("%s\n", kHostReclaimNote);
  absl::PrintF("total time: %.1f s\n", total_seconds);
}

}  // namespace

int RunEventstoreBench(int argc, char** argv) {
  Config config;
  BenchArgs args;
  int exit_code = 0;
  if (!ParseBenchArgs(argc, argv, "eventstore", kUsage, {"events", "dir", "log"}, &args, &exit_code,
                      {"peers"})) {
    return exit_code;
  }
  config.json = args.json;
  config.peers = !args.switches.empty();
  if (!WholeNumberArg(args, "events", true, "eventstore", kUsage, &config.events)) return 2;
  if (!FolderAndLogArgs(args, "eventstore", kUsage, &config.parent_dir, &config.nats)) return 2;

  const auto began = std::chrono::steady_clock::now();
  absl::StatusOr<std::unique_ptr<ScratchDir>> scratch = ScratchDir::Create(config.parent_dir);
  if (!scratch.ok()) {
    std::fprintf(stderr, "bidtrail-bench eventstore: %s\n", scratch.status().ToString().c_str());
    return 1;
  }
  Progress(absl::StrCat("preparing ", config.events, " events"));
  const Workload workload = MakeWorkload(config.events);
  Results results;
  if (const absl::Status measured = MeasureAll(**scratch, workload, config.peers, &results);
      !measured.ok()) {
    std::fprintf(stderr, "bidtrail-bench eventstore: %s\n", measured.ToString().c_str());
    return 1;
  }
  if (!config.nats.empty()) {
    if (const absl::Status measured = MeasureNats(**scratch, workload, config.nats, &results);
        !measured.ok()) {
      std::fprintf(stderr, "bidtrail-bench eventstore: %s\n", measured.ToString().c_str());
      return 1;
    }
  }
  const double total_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - began).count();
  Report(config, workload, **scratch, results, total_seconds);
  return 0;
}

}  // namespace bidtrail::bench
