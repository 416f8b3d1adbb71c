#include "bidtrail/eventlog/rocks_event_log.h"

#include <pthread.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <atomic>
#include <deque>
#include <map>
#include <optional>
#include <thread>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "bidtrail/common/log.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/eventlog/upstream.h"
#include "bidtrail/metrics/metrics.h"
#include "bidtrail/storage/fault_env.h"
#include "bidtrail/storage/rocks_setup.h"
#include "bidtrail/storage/rocks_status.h"
#include "record_codec.h"
#include "rocksdb/convenience.h"
#include "rocksdb/db.h"
#include "rocksdb/filter_policy.h"
#include "rocksdb/options.h"
#include "rocksdb/slice_transform.h"
#include "rocksdb/table.h"
#include "rocksdb/utilities/checkpoint.h"
#include "rocksdb/write_batch.h"
#include "witness.h"

namespace bidtrail::eventlog {
namespace {

using ::bidtrail::storage::FromRocks;

using internal::ChainHash;
using internal::EventIdKey;
using internal::GetBigEndian64;
using internal::kHashBytes;
using internal::ParseRecord;
using internal::PositionKey;
using internal::PutBigEndian64;
using internal::ReadWitness;
using internal::RecordView;
using internal::StreamPrefix;
using internal::StreamRevisionKey;
using internal::ToRecordedEvent;
using internal::Witness;
using internal::WitnessPath;
using internal::WriteWitness;

constexpr char kFormatVersionKey[] = "bidtrail.format_version";
// With an upstream (upstream.h): the last upstream sequence the replica holds.
constexpr char kUpstreamSequenceKey[] = "bidtrail.upstream_sequence";
// Fenced publishes retried (after catching up) before an append gives up.
constexpr int kMaxFencedAttempts = 8;
// With an upstream: groups published and not yet answered, at most. Each
// holds up to one message's bytes (1 MiB by default).
constexpr size_t kMaxGroupsInFlight = 16;
// A group proposed while others are in flight holds at least this much
// (unless the ones in flight are answered first).
constexpr size_t kMinPipelinedGroupBytes = 16 * 1024;
// A fresh read waits at most this long for this log's own groups in flight
// to settle before it catches up (a publish times out after 2 s by default).
constexpr absl::Duration kFreshReadWait = absl::Seconds(5);

// The log's metrics (docs/web.md), one set for the process.
struct LogMetrics {
  prometheus::Family<prometheus::Counter>& appends = metrics::Counters(
      "bidtrail_log_appends_total",
      "Appends to the event log by outcome: ok, already_recorded (a retry), or the refusal's "
      "status code");
  prometheus::Counter& appended = appends.Add({{"outcome", "ok"}});
  prometheus::Histogram& append_seconds =
      metrics::Histograms("bidtrail_log_append_seconds",
                          "Time from an append's arrival at the log to its answer")
          .Add({}, metrics::LatencyBuckets());
  prometheus::Histogram& group_appends =
      metrics::Histograms("bidtrail_log_group_commit_appends",
                          "Appends committed together in one group commit")
          .Add({}, metrics::SizeBuckets());
  prometheus::Histogram& commit_seconds =
      metrics::Histograms("bidtrail_log_commit_seconds",
                          "Time to make a group commit durable: its write and fsync (RocksDB), "
                          "or its publish until JetStream acknowledged it")
          .Add({}, metrics::LatencyBuckets());
  prometheus::Gauge& head =
      metrics::Gauges("bidtrail_log_head_position", "The log's last committed position").Add({});
  prometheus::Gauge& subscriptions =
      metrics::Gauges("bidtrail_log_subscriptions_open",
                      "Subscriptions to the log open now (projections, remote subscribers)")
          .Add({});
};

LogMetrics& Metrics() {
  static LogMetrics* log_metrics = new LogMetrics();
  return *log_metrics;
}
// 2: one stream index entry per append (its first position and event
// count). A log of format 1 (an entry per event) is read as it is and
// marked 2 when opened for writing.
constexpr char kFormatVersion[] = "2";
constexpr char kFormatVersionOne[] = "1";

// Column families, in the order they are opened.
constexpr const char* kColumnFamilies[] = {
    "default",       // meta: the format version
    "log",           // big-endian position -> record (see record_codec.h)
    "streams",       // stream id -> big-endian last revision
    "stream_index",  // stream id '\0' big-endian first revision of an append ->
                     // big-endian first position [, big-endian count if > 1]
    "event_ids",     // stream id '\0' 16-byte event id -> revision, position
};
enum ColumnFamily { kMeta = 0, kLog, kStreams, kStreamIndex, kEventIds, kColumnFamilyCount };

// A scan of many events reads the log's files this much at a time. Without
// it RocksDB grows its automatic readahead from 8 KB again for every
// iterator, and a catch-up makes one per batch of a few thousand events:
// measured, a subscription's catch-up over 371,789 events took 0.18-0.19 s
// instead of 0.22-0.25 (docs/performance.md).
constexpr size_t kScanReadaheadBytes = size_t{512} << 10;
// Reads of fewer events keep the automatic readahead: a point read would
// otherwise read half a MB.
constexpr uint64_t kScanReadaheadFrom = 256;

// An iterator over the log family up to `head`. Its blocks bypass the block
// cache: a read of the whole log (a projection catching up, a replay, a
// verify) would otherwise pass every block through it, evict what appends
// and stream reads keep there, and grow the process by the size of the log
// (measured: it doubled the cost of a projection's catch-up read). A scan of
// `events` or more events reads ahead kScanReadaheadBytes at a time.
class LogScan {
 public:
  LogScan(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* log, uint64_t head, uint64_t events)
      : upper_(PositionKey(head + 1)), upper_bound_(upper_) {
    rocksdb::ReadOptions options;
    options.iterate_upper_bound = &upper_bound_;
    options.fill_cache = false;
    if (events >= kScanReadaheadFrom) options.readahead_size = kScanReadaheadBytes;
    iterator_.reset(db->NewIterator(options, log));
  }
  LogScan(const LogScan&) = delete;
  LogScan& operator=(const LogScan&) = delete;
  rocksdb::Iterator* iterator() { return iterator_.get(); }

 private:
  const std::string upper_;
  const rocksdb::Slice upper_bound_;  // views upper_
  std::unique_ptr<rocksdb::Iterator> iterator_;
};

// A stream index entry: an append's first revision (in the key, after the
// stream's prefix of `prefix_size` bytes), its first position, and how many
// events it holds (format 1 and single events: one, no count stored).
struct StreamIndexEntry {
  uint64_t first_revision = 0;
  uint64_t first_position = 0;
  uint64_t count = 1;
};

absl::StatusOr<StreamIndexEntry> ParseStreamIndexEntry(const rocksdb::Slice& key,
                                                       const rocksdb::Slice& value,
                                                       size_t prefix_size) {
  const std::string_view key_bytes(key.data(), key.size());
  const std::string_view value_bytes(value.data(), value.size());
  if (key_bytes.size() != prefix_size + 8 ||
      (value_bytes.size() != 8 && value_bytes.size() != 16)) {
    return absl::DataLossError(absl::StrCat("a stream index entry does not parse (key of ",
                                            key_bytes.size(), " bytes, value of ",
                                            value_bytes.size(), ")"));
  }
  StreamIndexEntry entry;
  entry.first_revision = GetBigEndian64(key_bytes.substr(prefix_size));
  entry.first_position = GetBigEndian64(value_bytes);
  if (value_bytes.size() == 16) entry.count = GetBigEndian64(value_bytes.substr(8));
  if (entry.count == 0 || entry.first_revision + entry.count < entry.first_revision) {
    return absl::DataLossError(absl::StrCat("a stream index entry holds ", entry.count,
                                            " events from revision ", entry.first_revision));
  }
  return entry;
}

std::string RevisionAndPosition(uint64_t revision, uint64_t position) {
  std::string value;
  PutBigEndian64(revision, &value);
  PutBigEndian64(position, &value);
  return value;
}

std::string ZeroHash() { return std::string(kHashBytes, '\0'); }

// An upper bound of the encoded size of `events` (record_codec.h: the
// strings, and at most 128 bytes of positions, ids, times, lengths and hash).
size_t AppendBytes(const std::vector<ProposedEvent>& events, const std::string& stream_id) {
  size_t bytes = 0;
  for (const ProposedEvent& event : events) {
    bytes += stream_id.size() + event.type.size() + event.actor.size() +
             event.correlation_id.size() + event.causation_id.size() + event.data.size() +
             event.written_by.size() + 128;
  }
  return bytes;
}

// An open RocksDB database of the log and its column family handles. The log
// opens one at start and again after a failed write (Impl::Reopen).
struct Database {
  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  bool read_only = false;
  // Whether the folder held no database before this open.
  bool created = false;
};

absl::StatusOr<Database> OpenDatabase(const RocksEventLog::Options& options, rocksdb::Env* env,
                                      bool read_only) {
  rocksdb::Options db_options;
  db_options.create_if_missing = !read_only;
  db_options.create_missing_column_families = !read_only;
  db_options.IncreaseParallelism(2);
  // Recovery replays the write-ahead log up to its first damaged record and
  // stops there: the log opens as a consistent prefix of whole group commits
  // (a torn tail from a crash is an unacknowledged append, rightly dropped).
  // A damaged record in the middle would silently drop acknowledged events
  // after it: the witness (CheckWitness) catches that and refuses to open.
  // kAbsoluteConsistency would refuse even a torn tail, the ordinary result
  // of a crash; kSkipAnyCorruptedRecords would leave gaps.
  db_options.wal_recovery_mode = rocksdb::WALRecoveryMode::kPointInTimeRecovery;
  // Recovered writes are flushed into a table at open (RocksDB's default,
  // said here because the reopen after a failed write relies on it): the
  // write-ahead log that failed, perhaps with a torn record, is then retired
  // and never replayed again ahead of newer ones.
  db_options.avoid_flush_during_recovery = false;
  // RocksDB's recovery from background errors off (the log reopens instead),
  // its info log safe on a full disk.
  storage::SetUpRocksDb(options.path, &db_options);
  if (env != nullptr) db_options.env = env;

  std::shared_ptr<rocksdb::Cache> cache = rocksdb::NewLRUCache(options.block_cache_bytes);
  rocksdb::BlockBasedTableOptions log_table;
  log_table.block_cache = cache;
  rocksdb::BlockBasedTableOptions index_table = log_table;
  // Point lookups (stream revisions, event ids) mostly ask for keys that exist
  // in exactly one file; a bloom filter skips the others.
  index_table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));

  rocksdb::ColumnFamilyOptions log_options;
  log_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(log_table));
  const std::vector<rocksdb::CompressionType> supported = rocksdb::GetSupportedCompressions();
  const rocksdb::CompressionType compression =
      std::find(supported.begin(), supported.end(), rocksdb::kLZ4Compression) != supported.end()
          ? rocksdb::kLZ4Compression
          : rocksdb::kSnappyCompression;
  log_options.compression = compression;
  // Positions only grow: with one hint for every key (an empty prefix), each
  // memtable insert starts where the last one ended instead of searching the
  // skip list from its top.
  log_options.memtable_insert_with_hint_prefix_extractor.reset(rocksdb::NewFixedPrefixTransform(0));
  rocksdb::ColumnFamilyOptions index_options;
  index_options.table_factory.reset(rocksdb::NewBlockBasedTableFactory(index_table));
  // Most event id lookups are for ids that are not there (new events): a
  // memtable bloom filter answers those without searching the memtable.
  index_options.memtable_whole_key_filtering = true;
  index_options.memtable_prefix_bloom_size_ratio = 0.05;
  index_options.compression = compression;
  // An append's event ids share its stream's prefix: with a hint (the last
  // insert's place in the skip list), each id after an append's first is
  // inserted from next to the one before instead of from the top.
  // Both hints rely on the log having one writer at a time (the committer, or
  // the replica's catch-up and settling, in turn): the same hint on the
  // read-models store, which more than one thread may write, aborted in
  // RocksDB 7.8's skip list on an assertion (Debian builds it with them on).
  rocksdb::ColumnFamilyOptions event_id_options = index_options;
  event_id_options.memtable_insert_with_hint_prefix_extractor.reset(
      rocksdb::NewFixedPrefixTransform(0));

  Database database;
  std::vector<std::string> existing;
  database.created =
      !rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(db_options), options.path, &existing)
           .ok();
  for (const std::string& name : existing) {
    if (std::find_if(std::begin(kColumnFamilies), std::end(kColumnFamilies),
                     [&](const char* known) { return name == known; }) ==
        std::end(kColumnFamilies)) {
      return absl::FailedPreconditionError(
          absl::StrCat(options.path, " holds a RocksDB database with column family \"", name,
                       "\", which a bidtrail log does not have; refusing to open it"));
    }
  }

  std::vector<rocksdb::ColumnFamilyDescriptor> families;
  for (int family = 0; family < kColumnFamilyCount; ++family) {
    families.emplace_back(kColumnFamilies[family], family == kLog        ? log_options
                                                   : family == kEventIds ? event_id_options
                                                                         : index_options);
  }
  rocksdb::DB* raw_db = nullptr;
  const rocksdb::Status opened =
      read_only ? rocksdb::DB::OpenForReadOnly(db_options, options.path, families,
                                               &database.handles, &raw_db)
                : rocksdb::DB::Open(db_options, options.path, families, &database.handles, &raw_db);
  RETURN_IF_ERROR(FromRocks(opened, absl::StrCat("opening ", options.path)));
  database.db.reset(raw_db);
  database.read_only = read_only;
  return database;
}

// Releases the handles and closes the database.
void CloseDatabase(Database* database) {
  if (database->db == nullptr) return;
  for (rocksdb::ColumnFamilyHandle* handle : database->handles) {
    // Ignored on purpose: destroying a handle only fails for the default
    // family, whose handle the DB owns; nothing else can be done at close.
    (void)database->db->DestroyColumnFamilyHandle(handle);
  }
  database->handles.clear();
  // Ignored on purpose: every acknowledged append is already in the WAL.
  (void)database->db->Close();
  database->db.reset();
}

}  // namespace

class RocksEventLog::Impl {
 public:
  Impl(const Options& options, std::unique_ptr<rocksdb::Env> env, Database database)
      : options_(options),
        max_group_bytes_(options.upstream != nullptr
                             ? std::min(options.max_group_bytes, options.upstream->MaxGroupBytes())
                             : options.max_group_bytes),
        env_(std::move(env)),
        db_(std::move(database)) {}

  ~Impl() {
    storage_metrics_.reset();  // waits for a scrape reading the database
    CancelSubscriptions();
    StopThreads();
    // What was acknowledged is in the WAL; synced and witnessed at close so
    // that the next open can tell a damaged WAL from a clean stop.
    // Only a log that passed its witness check: a refused open must leave
    // the witness as it found it, or the next open would not see the loss.
    // Not after a failed write: RocksDB 7.8 (Debian's, assertions on) aborts
    // the process when a WAL that failed is synced again.
    bool write_failed;
    {
      absl::MutexLock lock(&write_mu_);
      write_failed = !write_error_.ok();
    }
    absl::MutexLock db_lock(&db_mu_);
    if (witness_checked_ && !write_failed && db_.db != nullptr && !db_.read_only &&
        db_.db->SyncWAL().ok()) {
      if (absl::Status witnessed = WriteWitness(options_.path, {Head(), ChainHead()});
          !witnessed.ok()) {
        log::Warn("eventlog", "could not write the witness at close",
                  {{"path", options_.path}, {"error", witnessed}});
      }
    }
    CloseDatabase(&db_);
  }

  // Reads the last record of the log (its position, chain hash and recording
  // time) into the writer's state and publishes it.
  absl::Status Restore() ABSL_LOCKS_EXCLUDED(write_mu_, db_mu_);

  // Compares the restored log with its witness: DATA_LOSS naming what is
  // missing or different, unless options_.accept_data_loss, which records
  // the loss in the "$log" stream and goes on. Then witnesses the head, and
  // with sync on keeps witnessing it (every 100 ms while it moves).
  absl::Status CheckWitness();
  void StartWitness();
  // Stops the witness thread and, with an upstream, the follower thread.
  void StopThreads();

  // OK while the data's file system has options_.min_free_bytes free;
  // RESOURCE_EXHAUSTED naming the folder and the figures otherwise (said once
  // in the server's log per episode).
  absl::Status CheckFreeSpace() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_);

  // The chain hash of the record at `position`; nullopt when there is none.
  absl::StatusOr<std::optional<std::string>> HashAt(uint64_t position)
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);

  // `system`: a stream of the log's own ("$log"), which clients may not name.
  absl::StatusOr<AppendResult> Append(const std::string& stream_id,
                                      const ExpectedRevision& expected,
                                      const std::vector<ProposedEvent>& events,
                                      bool system = false);
  // As EventStore::AppendAsync. Without an upstream, the append waits in the
  // writer queue without a thread of its own: the committer thread leads its
  // group and calls `done` after the group's sync. With an upstream, Append
  // on this thread.
  void AppendAsync(std::string stream_id, ExpectedRevision expected,
                   std::vector<ProposedEvent> events, AppendDone done);
  // Append without its metrics.
  absl::StatusOr<AppendResult> Decide(const std::string& stream_id,
                                      const ExpectedRevision& expected,
                                      const std::vector<ProposedEvent>& events, bool system);
  absl::StatusOr<ReadStreamResult> ReadStream(const ReadStreamRequest& request);
  absl::StatusOr<ReadAllResult> ReadAll(const ReadAllRequest& request);
  absl::StatusOr<StreamInfo> GetStreamInfo(const std::string& stream_id);
  absl::StatusOr<VerifyResult> Verify();
  absl::StatusOr<uint64_t> Backup(const std::string& path);

  uint64_t Head() const { return committed_head_.load(std::memory_order_acquire); }

  std::string ChainHead() {
    absl::MutexLock lock(&head_mu_);
    return committed_chain_head_;
  }

  // Blocks until the head reaches `position`; false when `cancelled` is set or
  // all subscriptions were cancelled.
  bool WaitForHead(uint64_t position, const std::atomic<bool>* cancelled) {
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(head_mu_) {
      return committed_head_.load(std::memory_order_relaxed) >= position ||
             cancelled->load(std::memory_order_acquire) || subscriptions_cancelled_;
    };
    absl::MutexLock lock(&head_mu_, absl::Condition(&ready));
    return !cancelled->load(std::memory_order_acquire) && !subscriptions_cancelled_;
  }

  // Makes blocked waiters re-check their condition (absl::Mutex evaluates
  // conditions when it is released).
  void Wake() { absl::MutexLock lock(&head_mu_); }

  bool SubscriptionsCancelled() {
    absl::MutexLock lock(&head_mu_);
    return subscriptions_cancelled_;
  }

  void CancelSubscriptions() {
    absl::MutexLock lock(&head_mu_);
    subscriptions_cancelled_ = true;
  }

  const Options& options() const { return options_; }

 private:
  struct AsyncAppend;
  // One append waiting in the writer queue.
  struct Writer {
    Writer(const std::string* stream_id, const ExpectedRevision* expected,
           const std::vector<ProposedEvent>* events, const std::vector<Uuid>* event_ids)
        : stream_id(stream_id), expected(expected), events(events), event_ids(event_ids) {}
    const std::string* stream_id;
    const ExpectedRevision* expected;
    const std::vector<ProposedEvent>* events;
    const std::vector<Uuid>* event_ids;
    absl::StatusOr<AppendResult> result = absl::InternalError("not committed");
    bool done = false;
    absl::CondVar cv;
    // With an upstream: times its group was fenced off and decided again.
    int attempts = 0;
    // AppendBytes of its events.
    size_t bytes = 0;
    // Set for an AppendAsync: the append that owns this writer, which the
    // thread that commits it completes (no thread waits on `cv`).
    AsyncAppend* async = nullptr;
  };

  // An AppendAsync waiting in the writer queue: its own copy of what an
  // Append's caller would hold, and whom to tell.
  struct AsyncAppend {
    AsyncAppend(std::string stream_id_in, ExpectedRevision expected_in,
                std::vector<ProposedEvent> events_in, std::vector<Uuid> event_ids_in,
                AppendDone done_in, absl::Time began_in)
        : stream_id(std::move(stream_id_in)),
          expected(expected_in),
          events(std::move(events_in)),
          event_ids(std::move(event_ids_in)),
          done(std::move(done_in)),
          began(began_in),
          writer(&stream_id, &expected, &events, &event_ids) {
      writer.async = this;
    }
    std::string stream_id;
    ExpectedRevision expected;
    std::vector<ProposedEvent> events;
    std::vector<Uuid> event_ids;
    AppendDone done;
    absl::Time began;
    Writer writer;
  };

  // What a group commit has decided so far but not yet written.
  struct PendingGroup {
    uint64_t last_position = 0;
    std::string chain_head;
    // With an upstream: the group's records as published (upstream.h).
    std::string upstream_group;
    absl::flat_hash_map<std::string, uint64_t> stream_revisions;
    // Event ids appended by this group: where they land, and what they hold
    // (the proposing writer's event, alive until the group commits).
    struct Placed {
      uint64_t revision;
      uint64_t position;
      const ProposedEvent* event;
    };
    absl::flat_hash_map<std::string, Placed> event_ids;
  };

  // With an upstream: a group proposed and not yet settled.
  // Published without waiting; groups are settled (applied to the replica,
  // their writers answered) in the order they were proposed.
  struct InFlight {
    std::vector<Writer*> group;
    // Its decisions, which groups proposed after it build on.
    PendingGroup pending;
    rocksdb::WriteBatch batch;
    absl::Time recorded_at;
    // The upstream sequence it lands at, and its GroupId; 0 and "" when it
    // had nothing to publish (every append refused or already recorded).
    uint64_t sequence_due = 0;
    std::string group_id;
    // The upstream's answer (immediately when nothing was published).
    bool answered = false;
    absl::StatusOr<uint64_t> outcome = absl::InternalError("not answered");
    // When it was published (bidtrail_log_commit_seconds).
    absl::Time published_at;
  };
  using Ahead = std::vector<std::shared_ptr<const InFlight>>;

  // The last record of the database: position (0 when empty), chain hash,
  // recording time.
  struct Tail {
    uint64_t position = 0;
    std::string hash;
    absl::Time recorded_at = absl::InfinitePast();
  };
  absl::StatusOr<Tail> ReadTail() ABSL_SHARED_LOCKS_REQUIRED(db_mu_);

  // After a failed write: closes the database and opens it again, which
  // replays its write-ahead log as at a restart, and takes up the head found
  // there. OK when appends can go on; otherwise the reason they cannot, with
  // the database open read-only if it could be, so that reads go on.
  absl::Status Reopen() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) ABSL_LOCKS_EXCLUDED(db_mu_);

 public:
  // With an upstream: applies every group the upstream holds after
  // upstream_seq_ to the replica, checking that positions follow on and the
  // chain holds, and publishes the new head. DATA_LOSS when the upstream
  // holds fewer groups than the replica applied, or a group that does not
  // follow on.
  absl::Status CatchUp() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) ABSL_LOCKS_EXCLUDED(db_mu_);
  // With an upstream: reads the upstream sequence the replica holds, then
  // catches up. At open, before any other thread runs.
  absl::Status StartFromUpstream() ABSL_LOCKS_EXCLUDED(write_mu_, db_mu_);
  // With an upstream: brings the replica up to everything the upstream held
  // when the call began (ReadStreamRequest::fresh), once this log's own
  // groups in flight have settled (they are applied as they are answered;
  // a group of another writer's between them fences them off, and the
  // catch-up after that takes it). Without one, nothing to do.
  absl::Status CatchUpNow() ABSL_LOCKS_EXCLUDED(write_mu_, db_mu_);
  // With an upstream: a thread that catches the replica up whenever the
  // upstream moves (every options_.upstream_poll), so that a replica nobody
  // appends through still follows the log live.
  void StartFollower();

 private:
  // Puts a record under its position, and its event-id entry, into `batch`:
  // for new records (Prepare) and for records decided elsewhere (PutRecord).
  void PutRecordAndEventId(uint64_t revision, uint64_t position, const std::string& id_key,
                           std::string_view value, rocksdb::WriteBatch* batch)
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  // Puts the stream index entry of `count` events of `stream_id` from
  // `first_revision` at consecutive positions from `first_position`, and the
  // stream's new last revision.
  void PutStreamIndex(std::string_view stream_id, uint64_t first_revision, uint64_t first_position,
                      uint64_t count, rocksdb::WriteBatch* batch)
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  // Puts a record decided elsewhere (an upstream's group) and its event-id
  // entry into `batch`; its stream's index entry and revision are the
  // caller's (one entry for a run of consecutive records of one stream).
  void PutRecord(const RecordView& view, std::string_view value, rocksdb::WriteBatch* batch)
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  absl::StatusOr<uint64_t> ReadUpstreamSequence() ABSL_SHARED_LOCKS_REQUIRED(db_mu_);

  // OK while the database is open; UNAVAILABLE when a reopen could not open
  // it even for reading.
  absl::Status Usable() ABSL_SHARED_LOCKS_REQUIRED(db_mu_) {
    if (db_.db != nullptr) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(
        "the log at ", options_.path,
        " could not be opened again after a failed write; it retries on the next append"));
  }
  rocksdb::DB* db() ABSL_SHARED_LOCKS_REQUIRED(db_mu_) { return db_.db.get(); }

  std::vector<Writer*> CollectGroup() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_);
  // Takes the `count` committed writers off the front of the queue: waiting
  // Appends (other than `leader`) are woken, AppendAsyncs returned for the
  // caller to complete once the lock is released; then the next writer leads.
  std::vector<AsyncAppend*> RemoveCommitted(size_t count, const Writer* leader)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_);
  // Hands the lead to the writer now at the front, if any: an Append's
  // thread, or the committer thread for an AppendAsync.
  void PassLead() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_);
  // The committer thread: leads the groups whose front is an AppendAsync.
  void CommitterLoop() ABSL_LOCKS_EXCLUDED(queue_mu_);
  // Metrics, then `done`; frees `append`.
  void Complete(AsyncAppend* append);
  void Measure(absl::Time began, const absl::StatusOr<AppendResult>& result);
  void CommitGroup(const std::vector<Writer*>& group) ABSL_LOCKS_EXCLUDED(write_mu_, db_mu_);
  // Decides one append on top of the replica, the groups `ahead` (proposed,
  // not yet settled; oldest first) and what `pending` decided already.
  absl::StatusOr<AppendResult> Prepare(const Writer& writer, absl::Time recorded_at,
                                       rocksdb::WriteBatch* batch, PendingGroup* pending,
                                       const Ahead& ahead = {})
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  // Before a group commit: reopens after a failed write, checks the free
  // space, and with an upstream catches a stale replica up. OK when the
  // group may be decided; the error its appends get otherwise.
  absl::Status ReadyToCommit() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) ABSL_LOCKS_EXCLUDED(db_mu_);

  // With an upstream. The writer at the front of the queue takes what is
  // queued as a group, decides it on top of the groups still in flight and
  // publishes it without waiting (Propose); groups are settled in order as
  // the upstream answers (Answered, Settle): several group commits are on their way at once, which
  // is where a replicated log gets its throughput. A group refused because another writer got there
  // first makes every group behind it refused too (their fences name it); their appends are decided
  // again, in the same order, once all have been answered and the replica has caught up. Whether a
  // group may be proposed now: none is being proposed, no drain, room in flight; and behind a group
  // in flight, small appends wait for more to join them (or for that group's answer): a message
  // each would cost the cluster more than their wait costs them.
  bool MayPropose() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
    return !proposing_ && !draining_ && !closing_ && in_flight_.size() < kMaxGroupsInFlight &&
           (in_flight_.empty() || queued_bytes_ >= kMinPipelinedGroupBytes);
  }
  void Propose(const std::vector<Writer*>& group, const Ahead& ahead)
      ABSL_LOCKS_EXCLUDED(queue_mu_, write_mu_, db_mu_);
  // Takes the upstream's answer for `group`; then, unless another thread is
  // settling, settles the answered groups at the front, in order, on this
  // thread (the upstream's, usually: no hand-off to another thread).
  void Answered(const std::shared_ptr<InFlight>& group, absl::StatusOr<uint64_t> outcome)
      ABSL_LOCKS_EXCLUDED(queue_mu_, write_mu_, db_mu_);
  // For the oldest group in flight once it is answered.
  void Settle(const std::shared_ptr<InFlight>& settled)
      ABSL_LOCKS_EXCLUDED(queue_mu_, write_mu_, db_mu_);
  absl::StatusOr<std::optional<uint64_t>> LastRevision(const std::string& stream_id)
      ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  // OK when each of `events` holds what was recorded under its id (at the
  // position in `found`, or proposed earlier in this group); ALREADY_EXISTS
  // naming the first id whose content differs.
  absl::Status SameAsRecorded(
      const std::string& stream_id, const std::vector<ProposedEvent>& events,
      const std::vector<std::optional<std::pair<uint64_t, uint64_t>>>& found,
      const std::vector<const ProposedEvent*>& found_pending) ABSL_SHARED_LOCKS_REQUIRED(db_mu_);
  void Publish(uint64_t head, const std::string& chain_head);

  rocksdb::ColumnFamilyHandle* cf(ColumnFamily family) ABSL_SHARED_LOCKS_REQUIRED(db_mu_) {
    return db_.handles[family];
  }

  const Options options_;
  // Bytes of events in one group commit at most (with an upstream, what one
  // of its messages holds).
  const size_t max_group_bytes_;
  // Outlives the database (tests' fault injection; null otherwise).
  const std::unique_ptr<rocksdb::Env> env_;

  // The writer queue. The writer at the front is the leader: it commits the
  // group, the others wait on their own condition variable.
  absl::Mutex queue_mu_;
  std::deque<Writer*> writers_ ABSL_GUARDED_BY(queue_mu_);

  // State only the leader touches, held for the whole group commit.
  absl::Mutex write_mu_ ABSL_ACQUIRED_AFTER(queue_mu_);
  uint64_t last_position_ ABSL_GUARDED_BY(write_mu_) = 0;
  std::string chain_head_ ABSL_GUARDED_BY(write_mu_);
  absl::Time last_recorded_at_ ABSL_GUARDED_BY(write_mu_) = absl::InfinitePast();
  // Set when a write failed: RocksDB may or may not have the group in its WAL,
  // so the in-memory head can no longer be trusted, and RocksDB refuses
  // writes after a failed WAL write or sync until it is opened again. The
  // next append reopens the database (Reopen), which restores the head from
  // disk; until that succeeds appends get this error.
  absl::Status write_error_ ABSL_GUARDED_BY(write_mu_);
  // Set when the reopened log lacks what was acknowledged: no more reopens,
  // appends refused with DATA_LOSS until an operator restarts the server
  // (whose witness check then says what is missing).
  bool data_lost_ ABSL_GUARDED_BY(write_mu_) = false;
  absl::Time last_reopen_ ABSL_GUARDED_BY(write_mu_) = absl::InfinitePast();
  // With an upstream: the last upstream sequence applied to the replica, and
  // whether the replica may lack a group (a publish whose outcome is
  // unknown): then it catches up before deciding anything.
  uint64_t upstream_seq_ ABSL_GUARDED_BY(write_mu_) = 0;
  // The position of the last record catch-ups have seen in the upstream.
  uint64_t upstream_position_ ABSL_GUARDED_BY(write_mu_) = 0;
  bool upstream_stale_ ABSL_GUARDED_BY(write_mu_) = false;
  std::thread follower_thread_;
  // Upstream mode: groups proposed and not settled, oldest first, and the
  // ones among them that were published.
  std::deque<std::shared_ptr<InFlight>> in_flight_ ABSL_GUARDED_BY(queue_mu_);
  size_t published_in_flight_ ABSL_GUARDED_BY(write_mu_) = 0;
  // Set when a group in flight was not acknowledged: nothing more is
  // proposed until every group in flight has been answered (draining_),
  // then the appends fenced off are decided again (drain_fenced_) or all are
  // answered with drain_error_ (an outcome not known).
  bool draining_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool drain_fenced_ ABSL_GUARDED_BY(write_mu_) = false;
  absl::Status drain_error_ ABSL_GUARDED_BY(write_mu_);
  std::vector<Writer*> drain_again_ ABSL_GUARDED_BY(write_mu_);
  // Whether a writer is proposing a group (one at a time: groups reach the
  // upstream in the order they were decided).
  bool proposing_ ABSL_GUARDED_BY(queue_mu_) = false;
  // Set at close: appends are refused.
  bool closing_ ABSL_GUARDED_BY(queue_mu_) = false;
  // The committer thread (started by the first AppendAsync): it leads when
  // an AppendAsync reaches the front of the queue (committer_turn_), and is
  // busy until that group's writers are answered.
  std::thread committer_thread_;
  bool committer_started_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool committer_turn_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool committer_busy_ ABSL_GUARDED_BY(queue_mu_) = false;
  bool committer_stop_ ABSL_GUARDED_BY(queue_mu_) = false;
  // AppendBytes of the appends in writers_ (upstream mode).
  size_t queued_bytes_ ABSL_GUARDED_BY(queue_mu_) = 0;
  // Whether a thread is settling groups (Answered).
  bool settling_ ABSL_GUARDED_BY(queue_mu_) = false;

  // The database. Readers hold this lock shared while they use it; a reopen
  // holds it exclusively, so it waits for reads in progress and reads wait
  // for it (a reopen takes milliseconds; long reads such as Verify release it
  // between chunks). db_.db is null only while a reopen could not open it.
  absl::Mutex db_mu_ ABSL_ACQUIRED_AFTER(write_mu_);
  Database db_ ABSL_GUARDED_BY(db_mu_);
  // RocksDB's write stalls and compactions, read when /metrics is scraped.
  std::unique_ptr<metrics::ScrapeHook> storage_metrics_;

 public:
  void ExportStorageMetrics();

 private:
  // The witness writer (sync on): wakes every 100 ms, witnesses a moved head.
  std::thread witness_thread_;
  absl::Mutex witness_mu_;
  bool witness_stop_ ABSL_GUARDED_BY(witness_mu_) = false;
  // Whether appends are being refused for want of space (logged once).
  bool disk_full_ ABSL_GUARDED_BY(write_mu_) = false;
  // Set once CheckWitness passed (at open, before any other thread runs).
  bool witness_checked_ = false;

  // What readers and subscribers may see: only committed (durable) positions.
  absl::Mutex head_mu_ ABSL_ACQUIRED_AFTER(write_mu_, db_mu_);
  std::atomic<uint64_t> committed_head_{0};  // written under head_mu_
  std::string committed_chain_head_ ABSL_GUARDED_BY(head_mu_);
  bool subscriptions_cancelled_ ABSL_GUARDED_BY(head_mu_) = false;
};

namespace {

class LogSubscription final : public Subscription {
 public:
  LogSubscription(RocksEventLog::Impl* log, const SubscribeRequest& request)
      : log_(log),
        filter_(request.filter),
        max_batch_(std::max<uint32_t>(1, request.max_batch)),
        max_batch_bytes_(request.max_batch_bytes),
        lean_(request.lean),
        packed_(request.packed),
        records_(request.records),
        cursor_(std::max<uint64_t>(1, request.from_position)) {
    Metrics().subscriptions.Increment();
  }
  ~LogSubscription() override { Metrics().subscriptions.Decrement(); }

  absl::StatusOr<SubscriptionItem> Next() override {
    while (true) {
      if (cancelled_.load(std::memory_order_acquire) || log_->SubscriptionsCancelled()) {
        return absl::CancelledError("subscription cancelled");
      }
      const uint64_t head = log_->Head();
      if (cursor_ <= head) {
        // Every read comes from storage at this subscriber's own cursor: there
        // is no per-subscriber queue, so a slow subscriber costs only its
        // cursor and can never be dropped or grow a buffer.
        ReadAllRequest read;
        read.from_position = cursor_;
        read.max_count = max_batch_;
        read.max_scan = std::max<uint64_t>(max_batch_, 4096);
        read.max_bytes = max_batch_bytes_;
        read.filter = filter_;
        read.lean = lean_;
        read.packed = packed_;
        read.records = records_;
        ASSIGN_OR_RETURN(ReadAllResult result, log_->ReadAll(read));
        cursor_ = result.next_position;
        if (!result.events.empty() || !result.packed.empty() || !result.records.empty()) {
          return EventBatch{std::move(result.events), std::move(result.packed),
                            std::move(result.records), cursor_};
        }
        continue;
      }
      if (!caught_up_sent_) {
        caught_up_sent_ = true;
        return CaughtUp{head};
      }
      if (!log_->WaitForHead(cursor_, &cancelled_)) {
        return absl::CancelledError("subscription cancelled");
      }
    }
  }

  void Cancel() override {
    cancelled_.store(true, std::memory_order_release);
    log_->Wake();
  }

 private:
  RocksEventLog::Impl* const log_;
  const EventFilter filter_;
  const uint32_t max_batch_;
  const uint64_t max_batch_bytes_;
  const bool lean_;
  const bool packed_;
  const bool records_;
  std::atomic<bool> cancelled_{false};
  // Used by the one thread calling Next().
  uint64_t cursor_;
  bool caught_up_sent_ = false;
};

}  // namespace

absl::StatusOr<RocksEventLog::Impl::Tail> RocksEventLog::Impl::ReadTail() {
  RETURN_IF_ERROR(Usable());
  std::unique_ptr<rocksdb::Iterator> it(db()->NewIterator(rocksdb::ReadOptions(), cf(kLog)));
  it->SeekToLast();
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the last record"));
  Tail tail;
  tail.hash = ZeroHash();
  if (it->Valid()) {
    RecordView view;
    RETURN_IF_ERROR(ParseRecord(std::string_view(it->value().data(), it->value().size()), &view));
    tail.position = GetBigEndian64(std::string_view(it->key().data(), it->key().size()));
    if (view.position != tail.position) {
      return absl::DataLossError(absl::StrCat("the last record is stored under position ",
                                              tail.position, " but says position ", view.position));
    }
    tail.hash.assign(view.hash);
    tail.recorded_at = absl::FromUnixNanos(view.recorded_at_ns);
  }
  return tail;
}

absl::Status RocksEventLog::Impl::Restore() {
  Tail tail;
  {
    absl::ReaderMutexLock db_lock(&db_mu_);
    ASSIGN_OR_RETURN(tail, ReadTail());
  }
  {
    absl::MutexLock lock(&write_mu_);
    last_position_ = tail.position;
    chain_head_ = tail.hash;
    // recorded_at never goes backwards along the log, across restarts too.
    last_recorded_at_ = tail.recorded_at;
  }
  Publish(tail.position, tail.hash);
  return absl::OkStatus();
}

absl::Status RocksEventLog::Impl::Reopen() {
  last_reopen_ = absl::Now();
  absl::MutexLock db_lock(&db_mu_);
  // No SyncWAL before the close: that WAL failed, and Debian's RocksDB 7.8
  // (assertions on) aborts the process when a failed WAL is synced again.
  CloseDatabase(&db_);
  absl::StatusOr<Database> opened = OpenDatabase(options_, env_.get(), /*read_only=*/false);
  if (!opened.ok()) {
    // Reads go on from a read-only open (it writes nothing) while the
    // read-write one fails; the next append tries again.
    absl::StatusOr<Database> readable = OpenDatabase(options_, env_.get(), /*read_only=*/true);
    if (readable.ok()) db_ = std::move(readable).value();
    log::Error("eventlog", "reopening the log after a failed write failed; retrying later",
               {{"path", options_.path},
                {"error", opened.status()},
                {"reads", readable.ok() ? "go on" : "refused"}});
    return absl::UnavailableError(absl::StrCat(
        "the log at ", options_.path, " failed a write and could not be opened again (",
        opened.status().message(), "); appends are refused, the next one tries again"));
  }
  db_ = std::move(opened).value();
  ASSIGN_OR_RETURN(const Tail tail, ReadTail());
  // Everything acknowledged must be there: the head this log published, with
  // its chain hash. The failed group may be there too (its write reached the
  // file before the sync failed): it was not acknowledged, and its retry by
  // event id finds it.
  absl::StatusOr<std::optional<std::string>> hash = HashAt(last_position_);
  if (tail.position < last_position_ || !hash.ok() ||
      (last_position_ > 0 && (!hash->has_value() || **hash != chain_head_))) {
    data_lost_ = true;
    const std::string problem =
        tail.position < last_position_
            ? absl::StrCat("it ends at position ", tail.position, ", but positions ",
                           tail.position + 1, " to ", last_position_, " were acknowledged")
            : absl::StrCat("its record at position ", last_position_,
                           " is not the one acknowledged there");
    log::Error("eventlog", "the log reopened after a failed write lacks acknowledged events",
               {{"path", options_.path}, {"problem", problem}});
    return absl::DataLossError(absl::StrCat(
        "the log at ", options_.path, " was reopened after a failed write and ", problem,
        "; appends are refused; restart the server, which checks the log against its witness "
        "(docs/reliability.md)"));
  }
  if (tail.position > last_position_) {
    log::Warn("eventlog", "the failed group commit was in the write-ahead log after all",
              {{"path", options_.path}, {"from", last_position_ + 1}, {"to", tail.position}});
  }
  last_position_ = tail.position;
  chain_head_ = tail.hash;
  last_recorded_at_ = std::max(last_recorded_at_, tail.recorded_at);
  if (options_.upstream != nullptr) {
    // The failed group may be upstream already: catch up before deciding.
    ASSIGN_OR_RETURN(upstream_seq_, ReadUpstreamSequence());
    upstream_stale_ = true;
  }
  Publish(last_position_, chain_head_);
  log::Info("eventlog", "reopened after a failed write; appends go on",
            {{"path", options_.path}, {"head", last_position_}});
  return absl::OkStatus();
}

void RocksEventLog::Impl::PutRecordAndEventId(uint64_t revision, uint64_t position,
                                              const std::string& id_key, std::string_view value,
                                              rocksdb::WriteBatch* batch) {
  batch->Put(cf(kLog), PositionKey(position), rocksdb::Slice(value.data(), value.size()));
  batch->Put(cf(kEventIds), id_key, RevisionAndPosition(revision, position));
}

void RocksEventLog::Impl::PutStreamIndex(std::string_view stream_id, uint64_t first_revision,
                                         uint64_t first_position, uint64_t count,
                                         rocksdb::WriteBatch* batch) {
  // One entry per append (format 2): its first position, and how many
  // events when more than one (format 1 had an entry per event).
  std::string value;
  PutBigEndian64(first_position, &value);
  if (count > 1) PutBigEndian64(count, &value);
  batch->Put(cf(kStreamIndex), StreamRevisionKey(stream_id, first_revision), value);
  std::string last_revision;
  PutBigEndian64(first_revision + count - 1, &last_revision);
  batch->Put(cf(kStreams), rocksdb::Slice(stream_id.data(), stream_id.size()), last_revision);
}

void RocksEventLog::Impl::PutRecord(const RecordView& view, std::string_view value,
                                    rocksdb::WriteBatch* batch) {
  std::string id_key = StreamPrefix(view.stream_id);
  id_key.append(view.event_id);
  PutRecordAndEventId(view.revision, view.position, id_key, value, batch);
}

absl::StatusOr<uint64_t> RocksEventLog::Impl::ReadUpstreamSequence() {
  RETURN_IF_ERROR(Usable());
  std::string value;
  const rocksdb::Status got =
      db()->Get(rocksdb::ReadOptions(), cf(kMeta), kUpstreamSequenceKey, &value);
  if (got.IsNotFound()) return uint64_t{0};
  RETURN_IF_ERROR(FromRocks(got, "reading the upstream sequence"));
  if (value.size() != 8) return absl::DataLossError("the upstream sequence does not parse");
  return GetBigEndian64(value);
}

absl::Status RocksEventLog::Impl::CatchUp() {
  Upstream* const upstream = options_.upstream.get();
  auto apply = [&](uint64_t sequence, std::string_view group) -> absl::Status {
    absl::ReaderMutexLock db_lock(&db_mu_);
    RETURN_IF_ERROR(Usable());
    rocksdb::WriteBatch batch;
    uint64_t position = last_position_;
    std::string chain = chain_head_;
    absl::Time recorded_at = last_recorded_at_;
    // The records applied last, of one stream at consecutive revisions and
    // positions (an append, or several in a row): one stream index entry.
    struct Run {
      std::string stream_id;
      uint64_t first_revision = 0;
      uint64_t first_position = 0;
      uint64_t count = 0;
    } run;
    auto end_run = [&] {
      if (run.count == 0) return;
      PutStreamIndex(run.stream_id, run.first_revision, run.first_position, run.count, &batch);
      run.count = 0;
    };
    RETURN_IF_ERROR(internal::ForEachRecordInGroup(group, [&](std::string_view value) {
      RecordView view;
      RETURN_IF_ERROR(ParseRecord(value, &view));
      // A record the replica holds already (it was the source of an
      // --import_log, or applied a group whose sequence it did not keep):
      // the same record, or the replica is of another log.
      if (view.position <= position && position == last_position_) {
        ASSIGN_OR_RETURN(const std::optional<std::string> held, HashAt(view.position));
        if (held.has_value() && *held == view.hash) {
          upstream_position_ = view.position;
          return absl::OkStatus();
        }
        return absl::DataLossError(absl::StrCat(upstream->Describe(), ": group ", sequence,
                                                " holds another record at position ", view.position,
                                                " than this replica (", options_.path,
                                                "); is it the replica of another log?"));
      }
      if (view.position != position + 1) {
        return absl::DataLossError(absl::StrCat(upstream->Describe(), ": group ", sequence,
                                                " holds position ", view.position, " where ",
                                                position + 1, " was due"));
      }
      if (ChainHash(chain, view.record_bytes) != view.hash) {
        return absl::DataLossError(absl::StrCat(upstream->Describe(), ": group ", sequence,
                                                " breaks the hash chain at position ",
                                                view.position));
      }
      PutRecord(view, value, &batch);
      if (run.count == 0 || view.stream_id != run.stream_id ||
          view.revision != run.first_revision + run.count ||
          view.position != run.first_position + run.count) {
        end_run();
        run.stream_id.assign(view.stream_id);
        run.first_revision = view.revision;
        run.first_position = view.position;
      }
      ++run.count;
      position = view.position;
      upstream_position_ = view.position;
      chain.assign(view.hash);
      recorded_at = std::max(recorded_at, absl::FromUnixNanos(view.recorded_at_ns));
      return absl::OkStatus();
    }));
    end_run();
    std::string value;
    PutBigEndian64(sequence, &value);
    batch.Put(cf(kMeta), kUpstreamSequenceKey, value);
    RETURN_IF_ERROR(
        FromRocks(db()->Write(rocksdb::WriteOptions(), &batch), "applying a group from upstream"));
    last_position_ = position;
    chain_head_ = chain;
    last_recorded_at_ = recorded_at;
    upstream_seq_ = sequence;
    Publish(position, chain);
    return absl::OkStatus();
  };
  ASSIGN_OR_RETURN(const uint64_t reached, upstream->ReadAfter(upstream_seq_, apply));
  upstream_seq_ = std::max(upstream_seq_, reached);
  upstream_stale_ = false;
  return absl::OkStatus();
}

absl::Status RocksEventLog::Impl::StartFromUpstream() {
  absl::MutexLock lock(&write_mu_);
  {
    absl::ReaderMutexLock db_lock(&db_mu_);
    ASSIGN_OR_RETURN(upstream_seq_, ReadUpstreamSequence());
  }
  // A folder with a log of its own that never was this stream's replica
  // (the source of an --import_log) is taken on only if the stream holds
  // all of it: positions it holds beyond the stream's would otherwise be
  // followed there by positions the stream has never seen.
  const bool adopting = upstream_seq_ == 0 && last_position_ > 0;
  RETURN_IF_ERROR(CatchUp());
  if (adopting && upstream_position_ < last_position_) {
    return absl::DataLossError(absl::StrCat(
        options_.path, " holds positions ", upstream_position_ + 1, " to ", last_position_,
        ", which ", options_.upstream->Describe(),
        " does not: this folder is not a replica of that stream. Start with an empty data "
        "folder, or copy this log into an empty stream first (bidtraild --import_log)"));
  }
  log::Info("eventlog", "caught up with the upstream",
            {{"upstream", options_.upstream->Describe()},
             {"sequence", upstream_seq_},
             {"head", last_position_}});
  return absl::OkStatus();
}

absl::Status RocksEventLog::Impl::CatchUpNow() {
  Upstream* const upstream = options_.upstream.get();
  if (upstream == nullptr) return absl::OkStatus();
  ASSIGN_OR_RETURN(const uint64_t last, upstream->LastSequence());
  absl::MutexLock lock(&write_mu_);
  auto settled = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(write_mu_) {
    return upstream_seq_ >= last || (published_in_flight_ == 0 && drain_error_.ok());
  };
  if (!write_mu_.AwaitWithTimeout(absl::Condition(&settled), kFreshReadWait)) {
    return absl::DeadlineExceededError(
        absl::StrCat("a fresh read waited ", absl::FormatDuration(kFreshReadWait),
                     " for this server's appends to ", upstream->Describe(), " to settle"));
  }
  if (upstream_seq_ >= last) return absl::OkStatus();
  return CatchUp();
}

void RocksEventLog::Impl::ExportStorageMetrics() {
  storage_metrics_ = metrics::OnScrape([this] {
    static prometheus::Gauge& stopped =
        metrics::Gauges("bidtrail_rocksdb_write_stopped",
                        "1 while RocksDB stops the event log's writes (a write stall)")
            .Add({});
    static prometheus::Gauge& delayed =
        metrics::Gauges("bidtrail_rocksdb_delayed_write_rate_bytes",
                        "The rate RocksDB slows the event log's writes to while it delays "
                        "them, in bytes per second; 0 when it does not")
            .Add({});
    static prometheus::Family<prometheus::Gauge>& stalls = metrics::Gauges(
        "bidtrail_rocksdb_write_stalls",
        "Write stalls of the event log's database since it opened, by kind: stop, slowdown");
    static prometheus::Gauge& stops = stalls.Add({{"kind", "stop"}});
    static prometheus::Gauge& slowdowns = stalls.Add({{"kind", "slowdown"}});
    static prometheus::Gauge& compacted =
        metrics::Gauges("bidtrail_rocksdb_compaction_write_bytes",
                        "Bytes compactions of the event log's database wrote since it opened")
            .Add({});
    static prometheus::Gauge& pending =
        metrics::Gauges("bidtrail_rocksdb_pending_compaction_bytes",
                        "Bytes RocksDB estimates the event log's compactions still rewrite")
            .Add({});
    absl::ReaderMutexLock db_lock(&db_mu_);
    if (db_.db == nullptr) return;
    uint64_t value = 0;
    if (db()->GetIntProperty("rocksdb.is-write-stopped", &value)) stopped.Set(value);
    if (db()->GetIntProperty("rocksdb.actual-delayed-write-rate", &value)) delayed.Set(value);
    double stop_count = 0;
    double slowdown_count = 0;
    double written = 0;
    double to_compact = 0;
    auto number = [](const std::map<std::string, std::string>& stats, const char* key) {
      auto it = stats.find(key);
      double parsed = 0;
      return it != stats.end() && absl::SimpleAtod(it->second, &parsed) ? parsed : 0.0;
    };
    for (rocksdb::ColumnFamilyHandle* handle : db_.handles) {
      std::map<std::string, std::string> stats;
      if (db()->GetMapProperty(handle, "rocksdb.cfstats", &stats)) {
        stop_count += number(stats, "io_stalls.total_stop");
        slowdown_count += number(stats, "io_stalls.total_slowdown");
        written += number(stats, "compaction.Sum.WriteGB") * (1 << 30);
      }
      if (db()->GetIntProperty(handle, "rocksdb.estimate-pending-compaction-bytes", &value)) {
        to_compact += static_cast<double>(value);
      }
    }
    stops.Set(stop_count);
    slowdowns.Set(slowdown_count);
    compacted.Set(written);
    pending.Set(to_compact);
  });
}

void RocksEventLog::Impl::StartFollower() {
  follower_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "log-follower");
    bool failing = false;
    while (true) {
      {
        absl::MutexLock lock(&witness_mu_);
        witness_mu_.AwaitWithTimeout(absl::Condition(&witness_stop_), options_.upstream_poll);
        if (witness_stop_) return;
      }
      absl::StatusOr<uint64_t> last = options_.upstream->LastSequence();
      absl::Status caught = last.status();
      if (last.ok()) {
        absl::MutexLock lock(&write_mu_);
        // Not under groups in flight: Settle applies those, and the
        // upstream's moving past them is theirs, or fences them off.
        if (published_in_flight_ == 0 && drain_error_.ok() && *last > upstream_seq_) {
          caught = CatchUp();
        }
      }
      if (!caught.ok() && !failing) {
        log::Warn("eventlog", "cannot follow the upstream; retrying",
                  {{"upstream", options_.upstream->Describe()}, {"error", caught}});
      } else if (caught.ok() && failing) {
        log::Info("eventlog", "following the upstream again",
                  {{"upstream", options_.upstream->Describe()}});
      }
      failing = !caught.ok();
    }
  });
}

absl::Status RocksEventLog::Impl::CheckFreeSpace() {
  if (options_.min_free_bytes == 0) return absl::OkStatus();
  absl::StatusOr<uint64_t> free_bytes;
  if (options_.free_bytes) {
    free_bytes = options_.free_bytes(options_.path);
  } else {
    struct statvfs fs;
    if (statvfs(options_.path.c_str(), &fs) != 0) return absl::OkStatus();  // cannot tell
    free_bytes = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  }
  if (!free_bytes.ok()) return absl::OkStatus();
  if (*free_bytes >= options_.min_free_bytes) {
    if (disk_full_) {
      disk_full_ = false;
      log::Info("eventlog", "free space is back; appends resume",
                {{"path", options_.path}, {"free_mib", *free_bytes >> 20}});
    }
    return absl::OkStatus();
  }
  const absl::Status refused = absl::ResourceExhaustedError(absl::StrCat(
      "the disk of ", options_.path, " has ", *free_bytes >> 20, " MiB free, below the floor of ",
      options_.min_free_bytes >> 20,
      " MiB (bidtraild --min_free_disk): appends are refused until space is freed, then resume "
      "by themselves; reads go on, nothing acknowledged is lost"));
  if (!disk_full_) {
    disk_full_ = true;
    log::Error("eventlog", "disk nearly full; appends refused",
               {{"path", options_.path},
                {"free_mib", *free_bytes >> 20},
                {"floor_mib", options_.min_free_bytes >> 20}});
  }
  return refused;
}

absl::StatusOr<std::optional<std::string>> RocksEventLog::Impl::HashAt(uint64_t position) {
  RETURN_IF_ERROR(Usable());
  std::string value;
  const rocksdb::Status got =
      db()->Get(rocksdb::ReadOptions(), cf(kLog), PositionKey(position), &value);
  if (got.IsNotFound()) return std::optional<std::string>();
  RETURN_IF_ERROR(FromRocks(got, "reading a record"));
  RecordView view;
  RETURN_IF_ERROR(ParseRecord(value, &view));
  return std::optional<std::string>(std::string(view.hash));
}

absl::Status RocksEventLog::Impl::CheckWitness() {
  ASSIGN_OR_RETURN(const std::optional<Witness> witness, ReadWitness(options_.path));
  const uint64_t head = Head();
  std::string problem;
  if (witness && head < witness->position) {
    problem = absl::StrCat("the log ends at position ", head, ", but positions ", head + 1, " to ",
                           witness->position, " were acknowledged (", WitnessPath(options_.path),
                           " says so)");
  } else if (witness && witness->position > 0) {
    absl::StatusOr<std::optional<std::string>> hash;
    {
      absl::ReaderMutexLock db_lock(&db_mu_);
      hash = HashAt(witness->position);
    }
    RETURN_IF_ERROR(hash.status());
    if (!hash->has_value() || **hash != witness->hash) {
      problem = absl::StrCat("the record at position ", witness->position,
                             " is not the one acknowledged there: its chain hash differs from "
                             "the one in ",
                             WitnessPath(options_.path));
    }
  }
  if (!problem.empty()) {
    if (!options_.accept_data_loss) {
      return absl::DataLossError(absl::StrCat(
          options_.path, ": ", problem,
          ". The write-ahead log may be damaged or cut. Restore the log from a backup, or "
          "start with --accept_data_loss to go on with the log as it is (the loss is recorded "
          "in the log)"));
    }
    log::Error("eventlog", "data loss accepted at open",
               {{"path", options_.path}, {"problem", problem}});
    ProposedEvent incident;
    // Named by what was lost: accepting the same loss again is one event.
    incident.event_id = NameBasedUuid(absl::StrCat("data loss\n", head, "\n", problem));
    incident.type = "bidtrail.v1.DataLossAccepted";
    incident.data =
        absl::StrCat("{\"problem\":\"", problem, "\",\"head_found\":", head,
                     ",\"witness_position\":", witness->position, ",\"witness_hash\":\"",
                     absl::BytesToHexString(witness->hash), "\"}");
    incident.occurred_at = absl::Now();
    incident.actor =
        options_.accepted_by.empty() ? "bidtraild --accept_data_loss" : options_.accepted_by;
    RETURN_IF_ERROR(
        Append(kLogStream, ExpectedRevision::Any(), {incident}, /*system=*/true).status());
  }
  RETURN_IF_ERROR(WriteWitness(options_.path, {Head(), ChainHead()}));
  witness_checked_ = true;
  return absl::OkStatus();
}

void RocksEventLog::Impl::StartWitness() {
  if (!options_.sync) return;  // unsynced appends are witnessed at close only
  witness_thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "log-witness");
    uint64_t witnessed = Head();
    bool failing = false;
    while (true) {
      {
        absl::MutexLock lock(&witness_mu_);
        witness_mu_.AwaitWithTimeout(absl::Condition(&witness_stop_), absl::Milliseconds(100));
        if (witness_stop_) return;
      }
      if (Head() == witnessed) continue;
      // Head and hash read together: Publish sets both under head_mu_.
      Witness witness;
      {
        absl::MutexLock lock(&head_mu_);
        witness.position = committed_head_.load(std::memory_order_acquire);
        witness.hash = committed_chain_head_;
      }
      const absl::Status written = WriteWitness(options_.path, witness);
      if (written.ok()) {
        witnessed = witness.position;
        failing = false;
      } else if (!failing) {
        failing = true;
        log::Warn("eventlog", "could not write the witness; retrying",
                  {{"path", options_.path}, {"error", written}});
      }
    }
  });
}

void RocksEventLog::Impl::StopThreads() {
  {
    absl::MutexLock lock(&witness_mu_);
    witness_stop_ = true;
  }
  if (witness_thread_.joinable()) witness_thread_.join();
  if (follower_thread_.joinable()) follower_thread_.join();
  // Nothing more is proposed; what is in flight is settled as it is answered
  // (the upstream answers every publish, within its timeout); appends still
  // queued are refused.
  absl::MutexLock lock(&queue_mu_);
  closing_ = true;
  auto settled = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
    return in_flight_.empty() && !settling_ && !proposing_;
  };
  queue_mu_.Await(absl::Condition(&settled));
  const absl::Status closing = absl::UnavailableError(
      absl::StrCat("the log at ", options_.path, " is closing; nothing was written"));
  // A group the committer thread is committing is finished first.
  queue_mu_.Await(absl::Condition(
      +[](bool* busy) { return !*busy; }, &committer_busy_));
  std::vector<AsyncAppend*> refused;
  for (Writer* writer : writers_) {
    writer->result = closing;
    writer->done = true;
    if (writer->async != nullptr) {
      refused.push_back(writer->async);
    } else {
      writer->cv.Signal();
    }
  }
  writers_.clear();
  queued_bytes_ = 0;
  committer_turn_ = false;
  committer_stop_ = true;
  queue_mu_.Unlock();
  for (AsyncAppend* append : refused) Complete(append);
  if (committer_thread_.joinable()) committer_thread_.join();
  queue_mu_.Lock();
}

void RocksEventLog::Impl::Publish(uint64_t head, const std::string& chain_head) {
  Metrics().head.Set(static_cast<double>(head));
  absl::MutexLock lock(&head_mu_);
  committed_chain_head_ = chain_head;
  committed_head_.store(head, std::memory_order_release);
}

absl::StatusOr<AppendResult> RocksEventLog::Impl::Append(const std::string& stream_id,
                                                         const ExpectedRevision& expected,
                                                         const std::vector<ProposedEvent>& events,
                                                         bool system) {
  const absl::Time began = absl::Now();
  absl::StatusOr<AppendResult> result = Decide(stream_id, expected, events, system);
  Measure(began, result);
  return result;
}

void RocksEventLog::Impl::Measure(absl::Time began, const absl::StatusOr<AppendResult>& result) {
  LogMetrics& measured = Metrics();
  measured.append_seconds.Observe(absl::ToDoubleSeconds(absl::Now() - began));
  if (result.ok() && !result->already_recorded) {
    measured.appended.Increment();
  } else {
    const std::string outcome =
        result.ok() ? "already_recorded"
                    : absl::AsciiStrToLower(absl::StatusCodeToString(result.status().code()));
    measured.appends.Add({{"outcome", outcome}}).Increment();
  }
}

void RocksEventLog::Impl::AppendAsync(std::string stream_id, ExpectedRevision expected,
                                      std::vector<ProposedEvent> events, AppendDone done) {
  if (options_.upstream != nullptr) {
    done(Append(stream_id, expected, events));
    return;
  }
  const absl::Time began = absl::Now();
  absl::StatusOr<std::vector<Uuid>> event_ids = ValidateAppend(stream_id, events, options_.limits);
  if (!event_ids.ok()) {
    absl::StatusOr<AppendResult> refused = event_ids.status();
    Measure(began, refused);
    done(std::move(refused));
    return;
  }
  const size_t bytes = AppendBytes(events, stream_id);
  auto append = std::make_unique<AsyncAppend>(std::move(stream_id), expected, std::move(events),
                                              *std::move(event_ids), std::move(done), began);
  append->writer.bytes = bytes;
  {
    absl::MutexLock lock(&queue_mu_);
    if (!closing_) {
      if (!committer_started_) {
        committer_started_ = true;
        committer_thread_ = std::thread([this] {
          // Its own name, not its starter's (often a gRPC thread).
          pthread_setname_np(pthread_self(), "log-committer");
          CommitterLoop();
        });
      }
      writers_.push_back(&append->writer);
      if (writers_.size() == 1) PassLead();
      append.release();  // completed by whoever commits it
      return;
    }
  }
  append->writer.result = absl::UnavailableError(
      absl::StrCat("the log at ", options_.path, " is closing; nothing was written"));
  Complete(append.release());
}

void RocksEventLog::Impl::Complete(AsyncAppend* append) {
  std::unique_ptr<AsyncAppend> owned(append);
  Measure(owned->began, owned->writer.result);
  owned->done(std::move(owned->writer.result));
}

void RocksEventLog::Impl::PassLead() {
  if (writers_.empty()) return;
  Writer* const next = writers_.front();
  if (next->async != nullptr) {
    committer_turn_ = true;
  } else {
    next->cv.Signal();
  }
}

std::vector<RocksEventLog::Impl::AsyncAppend*> RocksEventLog::Impl::RemoveCommitted(
    size_t count, const Writer* leader) {
  std::vector<AsyncAppend*> finished;
  for (size_t i = 0; i < count; ++i) {
    Writer* committed = writers_.front();
    writers_.pop_front();
    if (committed == leader) continue;
    committed->done = true;
    if (committed->async != nullptr) {
      finished.push_back(committed->async);
    } else {
      committed->cv.Signal();
    }
  }
  PassLead();
  return finished;
}

void RocksEventLog::Impl::CommitterLoop() {
  absl::MutexLock lock(&queue_mu_);
  auto woken = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
    return committer_turn_ || committer_stop_;
  };
  while (true) {
    queue_mu_.Await(absl::Condition(&woken));
    if (!committer_turn_) return;  // stopping, nothing to lead
    committer_turn_ = false;
    committer_busy_ = true;
    const std::vector<Writer*> group = CollectGroup();
    queue_mu_.Unlock();
    CommitGroup(group);
    queue_mu_.Lock();
    const std::vector<AsyncAppend*> finished = RemoveCommitted(group.size(), nullptr);
    queue_mu_.Unlock();
    // Answered outside the lock: `done` may take its time (a gRPC Finish).
    for (AsyncAppend* append : finished) Complete(append);
    queue_mu_.Lock();
    committer_busy_ = false;
  }
}

absl::StatusOr<AppendResult> RocksEventLog::Impl::Decide(const std::string& stream_id,
                                                         const ExpectedRevision& expected,
                                                         const std::vector<ProposedEvent>& events,
                                                         bool system) {
  // A system stream's events are held to the same limits as any other's.
  ASSIGN_OR_RETURN(
      const std::vector<Uuid> event_ids,
      ValidateAppend(system ? stream_id.substr(1) : stream_id, events, options_.limits));
  // An upstream takes a group of at most so many bytes (JetStream: the
  // cluster's largest message): one append must fit in one.
  const size_t bytes = AppendBytes(events, stream_id);
  if (options_.upstream != nullptr && bytes > max_group_bytes_) {
    return absl::InvalidArgumentError(
        absl::StrCat("events: this append takes up to ", bytes, " bytes, more than one message of ",
                     options_.upstream->Describe(), " holds (", max_group_bytes_,
                     " bytes); split it, or raise the cluster's max_payload"));
  }
  Writer writer(&stream_id, &expected, &events, &event_ids);
  writer.bytes = bytes;

  if (options_.upstream != nullptr) {
    // The writer at the front proposes what is queued (itself included) when
    // a group may be proposed; the thread that takes the upstream's answer
    // settles it and answers its writers.
    absl::MutexLock lock(&queue_mu_);
    if (closing_) {
      return absl::UnavailableError(
          absl::StrCat("the log at ", options_.path, " is closing; nothing was written"));
    }
    writers_.push_back(&writer);
    queued_bytes_ += writer.bytes;
    auto turn = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(queue_mu_) {
      return writer.done || (writers_.front() == &writer && MayPropose());
    };
    while (true) {
      queue_mu_.Await(absl::Condition(&turn));
      if (writer.done) return std::move(writer.result);
      proposing_ = true;
      const std::vector<Writer*> group = CollectGroup();
      writers_.erase(writers_.begin(), writers_.begin() + group.size());
      for (const Writer* queued : group) queued_bytes_ -= queued->bytes;
      const Ahead ahead(in_flight_.begin(), in_flight_.end());
      queue_mu_.Unlock();
      Propose(group, ahead);
      queue_mu_.Lock();
      proposing_ = false;
    }
  }

  queue_mu_.Lock();
  writers_.push_back(&writer);
  while (!writer.done && writers_.front() != &writer) writer.cv.Wait(&queue_mu_);
  if (writer.done) {
    queue_mu_.Unlock();
    return std::move(writer.result);
  }
  // This writer leads: commit it and everything queued behind it.
  const std::vector<Writer*> group = CollectGroup();
  queue_mu_.Unlock();

  CommitGroup(group);

  queue_mu_.Lock();
  const std::vector<AsyncAppend*> finished = RemoveCommitted(group.size(), &writer);
  queue_mu_.Unlock();
  for (AsyncAppend* append : finished) Complete(append);
  return std::move(writer.result);
}

std::vector<RocksEventLog::Impl::Writer*> RocksEventLog::Impl::CollectGroup() {
  std::vector<Writer*> group;
  size_t bytes = 0;
  for (Writer* writer : writers_) {
    const size_t writer_bytes = writer->bytes;
    if (!group.empty() &&
        (group.size() >= options_.max_group_appends || bytes + writer_bytes > max_group_bytes_)) {
      break;
    }
    group.push_back(writer);
    bytes += writer_bytes;
  }
  return group;
}

absl::Status RocksEventLog::Impl::ReadyToCommit() {
  if (!write_error_.ok()) {
    // After a failed write: reopen (at most once per min_reopen_interval
    // while reopening fails), then go on with this group.
    if (!data_lost_ && absl::Now() - last_reopen_ >= options_.min_reopen_interval) {
      if (absl::Status reopened = Reopen(); reopened.ok()) {
        write_error_ = absl::OkStatus();
      } else {
        write_error_ = reopened;
      }
    }
    RETURN_IF_ERROR(write_error_);
  }
  // Below the free-space floor: refused before RocksDB meets a full disk.
  RETURN_IF_ERROR(CheckFreeSpace());
  // A replica that may lack a group (a publish of unknown outcome) catches
  // up before deciding anything.
  if (Upstream* const upstream = options_.upstream.get(); upstream != nullptr && upstream_stale_) {
    if (absl::Status caught = CatchUp(); !caught.ok()) {
      return absl::UnavailableError(
          absl::StrCat("catching up with ", upstream->Describe(), ": ", caught.message()));
    }
  }
  return absl::OkStatus();
}

void RocksEventLog::Impl::CommitGroup(const std::vector<Writer*>& group) {
  absl::MutexLock lock(&write_mu_);
  if (absl::Status ready = ReadyToCommit(); !ready.ok()) {
    for (Writer* writer : group) writer->result = ready;
    return;
  }
  // recorded_at never goes backwards along the log, even if the clock does.
  const absl::Time recorded_at = std::max(absl::Now(), last_recorded_at_);
  PendingGroup pending{last_position_, chain_head_, {}, {}, {}};
  absl::Status written;
  {
    absl::ReaderMutexLock db_lock(&db_mu_);
    rocksdb::WriteBatch batch;
    bool anything_to_write = false;
    for (Writer* writer : group) {
      writer->result = Prepare(*writer, recorded_at, &batch, &pending);
      anything_to_write |= writer->result.ok() && !writer->result->already_recorded;
    }
    if (!anything_to_write) return;
    rocksdb::WriteOptions write_options;
    write_options.sync = options_.sync;
    const absl::Time began = absl::Now();
    written = FromRocks(db()->Write(write_options, &batch), "appending");
    Metrics().commit_seconds.Observe(absl::ToDoubleSeconds(absl::Now() - began));
    Metrics().group_appends.Observe(static_cast<double>(group.size()));
  }
  if (!written.ok()) {
    // Not acknowledged, and not known to be absent: the write may have reached
    // the WAL before the sync failed. A retry with the same event ids settles
    // it either way (already_recorded, or written then).
    write_error_ = absl::UnavailableError(absl::StrCat(
        written.message(),
        "; not acknowledged: the append may or may not be in the log, a retry with the same "
        "event ids settles it (the log reopens itself on the next append)"));
    log::Error("eventlog", "a group commit failed; the log reopens on the next append",
               {{"path", options_.path}, {"head", last_position_}, {"error", written}});
    for (Writer* writer : group) {
      if (writer->result.ok() && !writer->result->already_recorded) writer->result = write_error_;
    }
    return;
  }
  last_position_ = pending.last_position;
  chain_head_ = pending.chain_head;
  last_recorded_at_ = recorded_at;
  Publish(last_position_, chain_head_);
}

void RocksEventLog::Impl::Answered(const std::shared_ptr<InFlight>& group,
                                   absl::StatusOr<uint64_t> outcome) {
  {
    absl::MutexLock lock(&queue_mu_);
    group->outcome = std::move(outcome);
    group->answered = true;
    if (settling_) return;
    settling_ = true;
  }
  while (true) {
    std::shared_ptr<InFlight> front;
    {
      absl::MutexLock lock(&queue_mu_);
      if (in_flight_.empty() || !in_flight_.front()->answered) {
        settling_ = false;
        return;
      }
      front = in_flight_.front();
    }
    Settle(front);
  }
}

void RocksEventLog::Impl::Propose(const std::vector<Writer*>& group, const Ahead& ahead) {
  Upstream* const upstream = options_.upstream.get();
  auto proposed = std::make_shared<InFlight>();
  proposed->group = group;
  Upstream::Fence fence;
  {
    absl::MutexLock lock(&write_mu_);
    // The last group ahead that publishes something: this one builds on it.
    const InFlight* base = nullptr;
    for (const std::shared_ptr<const InFlight>& earlier : ahead) {
      if (earlier->sequence_due != 0) base = earlier.get();
    }
    // Reopening or catching up changes the replica under the groups in
    // flight: only when there are none.
    absl::Status ready = base == nullptr ? ReadyToCommit() : CheckFreeSpace();
    if (!ready.ok()) {
      for (Writer* writer : group) writer->result = ready;
    } else {
      // recorded_at never goes backwards along the log, even if the clock does.
      proposed->recorded_at =
          std::max(absl::Now(), base != nullptr ? base->recorded_at : last_recorded_at_);
      proposed->pending =
          base != nullptr
              ? PendingGroup{base->pending.last_position, base->pending.chain_head, {}, {}, {}}
              : PendingGroup{last_position_, chain_head_, {}, {}, {}};
      bool anything_to_write = false;
      {
        absl::ReaderMutexLock db_lock(&db_mu_);
        for (Writer* writer : group) {
          writer->result =
              Prepare(*writer, proposed->recorded_at, &proposed->batch, &proposed->pending, ahead);
          anything_to_write |= writer->result.ok() && !writer->result->already_recorded;
        }
      }
      if (anything_to_write) {
        fence.after = base != nullptr ? base->sequence_due : upstream_seq_;
        if (base != nullptr) fence.after_group_id = base->group_id;
        proposed->sequence_due = fence.after + 1;
        proposed->group_id = upstream->GroupId(proposed->pending.upstream_group);
        ++published_in_flight_;
      }
    }
  }
  {
    absl::MutexLock lock(&queue_mu_);
    in_flight_.push_back(proposed);
  }
  if (proposed->sequence_due == 0) {
    Answered(proposed, uint64_t{0});
    return;
  }
  Metrics().group_appends.Observe(static_cast<double>(group.size()));
  proposed->published_at = absl::Now();
  if (fence.after_group_id.empty() &&
      proposed->pending.upstream_group.size() < kMinPipelinedGroupBytes) {
    // A small group with none in flight ahead: nothing is proposed behind it
    // before it is answered (MayPropose), so a publish that waits costs
    // nothing, and takes the answer one thread hand-off sooner.
    Answered(proposed, upstream->Publish(fence.after, proposed->pending.upstream_group));
    return;
  }
  // Answered on the upstream's thread, which settles it in turn.
  upstream->PublishAsync(fence, proposed->pending.upstream_group,
                         [this, proposed](absl::StatusOr<uint64_t> outcome) {
                           Answered(proposed, std::move(outcome));
                         });
}

void RocksEventLog::Impl::Settle(const std::shared_ptr<InFlight>& settled) {
  Upstream* const upstream = options_.upstream.get();
  const bool published = settled->sequence_due != 0;
  // What went wrong with this group, if anything: its publish, or applying
  // it to the replica.
  absl::Status failed;
  if (!settled->outcome.ok()) {
    failed = settled->outcome.status();
  } else if (published && *settled->outcome != settled->sequence_due) {
    failed = absl::DataLossError(absl::StrCat(upstream->Describe(), " took a group at sequence ",
                                              *settled->outcome, " where ", settled->sequence_due,
                                              " was due"));
  }
  bool draining;
  {
    absl::MutexLock lock(&write_mu_);
    draining = !drain_error_.ok();
  }
  bool apply_failed = false;
  if (failed.ok() && published && !draining) {
    // Applied without the writer lock, so that the next groups are decided
    // meanwhile: they see this one in flight until it is popped below,
    // after it is in the replica. Not synced: the upstream holds it.
    std::string value;
    PutBigEndian64(settled->sequence_due, &value);
    absl::ReaderMutexLock db_lock(&db_mu_);
    failed = Usable();
    if (failed.ok()) {
      settled->batch.Put(cf(kMeta), kUpstreamSequenceKey, value);
      failed = FromRocks(db()->Write(rocksdb::WriteOptions(), &settled->batch),
                         "applying a published group");
    }
    if (!failed.ok()) {
      apply_failed = true;
      log::Error("eventlog", "a published group could not be applied to the replica",
                 {{"path", options_.path}, {"error", failed}});
    }
  }
  std::vector<Writer*> answer;
  {
    absl::MutexLock lock(&write_mu_);
    if (published) --published_in_flight_;
    if (!draining) {
      if (failed.ok()) {
        if (published) {
          Metrics().commit_seconds.Observe(
              absl::ToDoubleSeconds(absl::Now() - settled->published_at));
          upstream_seq_ = settled->sequence_due;
          last_position_ = settled->pending.last_position;
          chain_head_ = settled->pending.chain_head;
          last_recorded_at_ = settled->recorded_at;
          Publish(last_position_, chain_head_);
        }
        answer = settled->group;
      } else {
        // Nothing more is proposed; every group in flight is answered first.
        drain_error_ = failed;
        drain_fenced_ = IsFenced(failed);
        // In the upstream, not in the replica: the next group reopens the
        // database and catches up (ReadyToCommit).
        if (apply_failed) write_error_ = failed;
        if (!drain_fenced_) {
          log::Warn("eventlog", "a group commit was not acknowledged",
                    {{"upstream", upstream->Describe()}, {"error", failed}});
        }
      }
    } else if (drain_fenced_ && published && settled->outcome.ok()) {
      // Behind a group fenced off, yet taken: its fence should have refused it.
      drain_fenced_ = false;
      drain_error_ = absl::DataLossError(
          absl::StrCat(upstream->Describe(), " took a group behind one it refused (sequence ",
                       *settled->outcome, ")"));
    }
    if (!drain_error_.ok()) {
      drain_again_.insert(drain_again_.end(), settled->group.begin(), settled->group.end());
    }
    draining = !drain_error_.ok();
  }
  bool drained;
  {
    absl::MutexLock lock(&queue_mu_);
    in_flight_.pop_front();
    // Set before anything else is proposed on top of a failed group (those
    // proposed before are in flight, and are answered before the drain ends).
    draining_ = draining;
    drained = draining && in_flight_.empty();
    for (Writer* writer : answer) {
      writer->done = true;
      writer->cv.Signal();
    }
  }
  if (!drained) return;

  // Every group in flight has been answered.
  std::vector<Writer*> again;
  answer.clear();
  {
    absl::MutexLock lock(&write_mu_);
    absl::Status refused;
    if (drain_fenced_) {
      // Another writer got there first: decide again on top of what it
      // wrote, so that nothing is accepted on a stale view.
      refused = CatchUp();
      if (!refused.ok()) upstream_stale_ = true;
    } else {
      upstream_stale_ = true;
      refused = drain_error_;
    }
    for (Writer* writer : drain_again_) {
      if (refused.ok() && ++writer->attempts < kMaxFencedAttempts) {
        again.push_back(writer);
        continue;
      }
      if (refused.ok()) refused = drain_error_;  // fenced off too often
      // A stream that does not follow on from the replica is not something
      // a retry settles: said as it is.
      writer->result =
          absl::IsDataLoss(refused)
              ? refused
              : absl::UnavailableError(absl::StrCat(
                    "publishing to ", upstream->Describe(), ": ", refused.message(),
                    "; not acknowledged: the append may or may not be in the log, a retry with "
                    "the same event ids settles it"));
      answer.push_back(writer);
    }
    drain_again_.clear();
    drain_error_ = absl::OkStatus();
    drain_fenced_ = false;
  }
  absl::MutexLock lock(&queue_mu_);
  for (Writer* writer : answer) {
    writer->done = true;
    writer->cv.Signal();
  }
  writers_.insert(writers_.begin(), again.begin(), again.end());
  for (const Writer* writer : again) queued_bytes_ += writer->bytes;
  draining_ = false;
}

namespace {

// The first field in which `proposed` differs from the stored record, or ""
// when they hold the same event (the store's own fields aside).
std::string DifferingField(const ProposedEvent& proposed, const internal::RecordView& stored) {
  if (proposed.type != stored.type) return "type";
  if (proposed.data != stored.data) return "data";
  if (absl::ToUnixNanos(proposed.occurred_at) != stored.occurred_at_ns) return "occurred_at";
  if (proposed.actor != stored.actor) return "actor";
  if (proposed.correlation_id != stored.correlation_id) return "correlation_id";
  if (proposed.causation_id != stored.causation_id) return "causation_id";
  if (proposed.written_by != stored.written_by) return "written_by";
  return "";
}

std::string DifferingField(const ProposedEvent& proposed, const ProposedEvent& earlier) {
  internal::RecordView view;
  view.type = earlier.type;
  view.data = earlier.data;
  view.occurred_at_ns = absl::ToUnixNanos(earlier.occurred_at);
  view.actor = earlier.actor;
  view.correlation_id = earlier.correlation_id;
  view.causation_id = earlier.causation_id;
  view.written_by = earlier.written_by;
  return DifferingField(proposed, view);
}

}  // namespace

absl::Status RocksEventLog::Impl::SameAsRecorded(
    const std::string& stream_id, const std::vector<ProposedEvent>& events,
    const std::vector<std::optional<std::pair<uint64_t, uint64_t>>>& found,
    const std::vector<const ProposedEvent*>& found_pending) {
  auto differs = [&](size_t i, const std::string& field) {
    return absl::AlreadyExistsError(absl::StrCat(
        "stream ", stream_id, ": events[", i, "].event_id ", events[i].event_id,
        " is already recorded at revision ", found[i]->first, " with a different ", field,
        "; an event id names one event forever (a retry repeats it exactly, a new event needs a "
        "new id), nothing was written"));
  };
  std::vector<std::string> keys;
  std::vector<size_t> stored;
  for (size_t i = 0; i < events.size(); ++i) {
    if (found_pending[i] != nullptr) {
      if (std::string field = DifferingField(events[i], *found_pending[i]); !field.empty()) {
        return differs(i, field);
      }
      continue;
    }
    keys.push_back(PositionKey(found[i]->second));
    stored.push_back(i);
  }
  if (keys.empty()) return absl::OkStatus();
  std::vector<rocksdb::Slice> key_slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db()->MultiGet(rocksdb::ReadOptions(), cf(kLog), keys.size(), key_slices.data(), values.data(),
                 statuses.data());
  for (size_t k = 0; k < keys.size(); ++k) {
    RETURN_IF_ERROR(FromRocks(statuses[k], "reading a recorded event to compare a retry"));
    internal::RecordView view;
    RETURN_IF_ERROR(
        internal::ParseRecord(std::string_view(values[k].data(), values[k].size()), &view));
    if (std::string field = DifferingField(events[stored[k]], view); !field.empty()) {
      return differs(stored[k], field);
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> RocksEventLog::Impl::LastRevision(
    const std::string& stream_id) {
  std::string value;
  const rocksdb::Status status = db()->Get(rocksdb::ReadOptions(), cf(kStreams), stream_id, &value);
  if (status.IsNotFound()) return std::optional<uint64_t>();
  RETURN_IF_ERROR(FromRocks(status, "reading stream info"));
  return std::optional<uint64_t>(GetBigEndian64(value));
}

absl::StatusOr<AppendResult> RocksEventLog::Impl::Prepare(const Writer& writer,
                                                          absl::Time recorded_at,
                                                          rocksdb::WriteBatch* batch,
                                                          PendingGroup* pending,
                                                          const Ahead& ahead) {
  const std::string& stream_id = *writer.stream_id;
  const std::vector<ProposedEvent>& events = *writer.events;
  const std::vector<Uuid>& ids = *writer.event_ids;

  // What this group, then the groups ahead of it (newest first), decided.
  auto pending_revision = [&]() -> std::optional<uint64_t> {
    if (auto it = pending->stream_revisions.find(stream_id);
        it != pending->stream_revisions.end()) {
      return it->second;
    }
    for (auto group = ahead.rbegin(); group != ahead.rend(); ++group) {
      const auto& revisions = (*group)->pending.stream_revisions;
      if (auto it = revisions.find(stream_id); it != revisions.end()) return it->second;
    }
    return std::nullopt;
  };
  auto pending_id = [&](const std::string& key) -> const PendingGroup::Placed* {
    if (auto it = pending->event_ids.find(key); it != pending->event_ids.end()) return &it->second;
    for (auto group = ahead.rbegin(); group != ahead.rend(); ++group) {
      const auto& placed = (*group)->pending.event_ids;
      if (auto it = placed.find(key); it != placed.end()) return &it->second;
    }
    return nullptr;
  };

  std::optional<uint64_t> last_revision = pending_revision();
  if (!last_revision.has_value()) {
    ASSIGN_OR_RETURN(last_revision, LastRevision(stream_id));
  }

  // Idempotency: are these event ids already in the stream? A stream with no
  // events has none, so a first append skips the lookups.
  std::vector<std::optional<std::pair<uint64_t, uint64_t>>> found(ids.size());
  // For ids of this group: the event proposed with them.
  std::vector<const ProposedEvent*> found_pending(ids.size(), nullptr);
  size_t found_count = 0;
  if (last_revision.has_value()) {
    std::vector<std::string> keys;
    keys.reserve(ids.size());
    for (const Uuid& id : ids) keys.push_back(EventIdKey(stream_id, id));
    std::vector<rocksdb::Slice> key_slices(keys.begin(), keys.end());
    std::vector<rocksdb::PinnableSlice> values(keys.size());
    std::vector<rocksdb::Status> statuses(keys.size());
    db()->MultiGet(rocksdb::ReadOptions(), cf(kEventIds), keys.size(), key_slices.data(),
                   values.data(), statuses.data());
    for (size_t i = 0; i < ids.size(); ++i) {
      if (const PendingGroup::Placed* placed = pending_id(keys[i]); placed != nullptr) {
        found[i] = std::make_pair(placed->revision, placed->position);
        found_pending[i] = placed->event;
      } else if (!statuses[i].IsNotFound()) {
        RETURN_IF_ERROR(FromRocks(statuses[i], "reading the event id index"));
        const std::string_view value(values[i].data(), values[i].size());
        found[i] = std::make_pair(GetBigEndian64(value), GetBigEndian64(value.substr(8)));
      }
      if (found[i]) ++found_count;
    }
  }
  if (found_count == ids.size()) {
    for (size_t i = 1; i < ids.size(); ++i) {
      if (found[i]->first != found[0]->first + i) {
        return absl::AlreadyExistsError(
            absl::StrCat("stream ", stream_id,
                         ": every event id of this append is already recorded, but not "
                         "in this order (events[0] is at revision ",
                         found[0]->first, ", events[", i, "] at revision ", found[i]->first,
                         "); a retry must repeat the original append"));
      }
    }
    // An event id names one event forever: a retry must carry the same event.
    RETURN_IF_ERROR(SameAsRecorded(stream_id, events, found, found_pending));
    AppendResult result;
    result.first_revision = found.front()->first;
    result.last_revision = found.back()->first;
    result.first_position = found.front()->second;
    result.last_position = found.back()->second;
    result.already_recorded = true;
    return result;
  }
  if (found_count > 0) {
    size_t recorded = 0;
    while (!found[recorded]) ++recorded;
    size_t missing = 0;
    while (found[missing]) ++missing;
    return absl::AlreadyExistsError(absl::StrCat(
        "stream ", stream_id, ": events[", recorded, "].event_id ", events[recorded].event_id,
        " is already recorded at revision ", found[recorded]->first, " but events[", missing,
        "].event_id ", events[missing].event_id,
        " is not; a retry must repeat the original append exactly, nothing was written"));
  }

  const std::string actual =
      last_revision ? absl::StrCat("its last revision is ", *last_revision) : "it does not exist";
  const ExpectedRevision& expected = *writer.expected;
  bool matches = true;
  switch (expected.kind()) {
    case ExpectedRevision::Kind::kAny:
      break;
    case ExpectedRevision::Kind::kNoStream:
      matches = !last_revision.has_value();
      break;
    case ExpectedRevision::Kind::kStreamExists:
      matches = last_revision.has_value();
      break;
    case ExpectedRevision::Kind::kExact:
      matches = last_revision.has_value() && *last_revision == expected.revision();
      break;
  }
  if (!matches) {
    return absl::AbortedError(
        absl::StrCat("stream ", stream_id, ": expected ", expected.ToString(), " but ", actual));
  }

  AppendResult result;
  result.first_revision = last_revision ? *last_revision + 1 : 0;
  result.first_position = pending->last_position + 1;
  std::string value;
  for (size_t i = 0; i < events.size(); ++i) {
    internal::Placement placement{stream_id, result.first_revision + i, result.first_position + i,
                                  recorded_at};
    value.clear();
    internal::EncodeRecordBytes(placement, ids[i], events[i], &value);
    pending->chain_head = ChainHash(pending->chain_head, value);
    value.append(pending->chain_head);
    if (options_.upstream != nullptr) internal::AppendToGroup(value, &pending->upstream_group);
    std::string id_key = EventIdKey(stream_id, ids[i]);
    PutRecordAndEventId(placement.revision, placement.position, id_key, value, batch);
    pending->event_ids[std::move(id_key)] = {placement.revision, placement.position, &events[i]};
  }
  PutStreamIndex(stream_id, result.first_revision, result.first_position, events.size(), batch);
  result.last_revision = result.first_revision + events.size() - 1;
  result.last_position = result.first_position + events.size() - 1;
  pending->last_position = result.last_position;
  pending->stream_revisions[stream_id] = result.last_revision;
  return result;
}

absl::StatusOr<ReadStreamResult> RocksEventLog::Impl::ReadStream(const ReadStreamRequest& request) {
  // System streams ("$log") are read like any other; only appends are theirs.
  RETURN_IF_ERROR(ValidateStreamId(request.stream_id, options_.limits, /*allow_system=*/true));
  RETURN_IF_ERROR(ValidateReadCount(request.max_count, options_.limits));
  if (request.fresh) RETURN_IF_ERROR(CatchUpNow());
  const uint64_t head = Head();
  absl::ReaderMutexLock db_lock(&db_mu_);
  RETURN_IF_ERROR(Usable());
  const std::string prefix = StreamPrefix(request.stream_id);
  std::string upper = prefix;
  upper.back() = '\1';
  const rocksdb::Slice upper_bound(upper);
  const rocksdb::Slice lower_bound(prefix);
  rocksdb::ReadOptions read_options;
  read_options.iterate_upper_bound = &upper_bound;
  read_options.iterate_lower_bound = &lower_bound;
  std::unique_ptr<rocksdb::Iterator> it(db()->NewIterator(read_options, cf(kStreamIndex)));
  // The stream's last revision from its last index entry (written in the same
  // batch as kStreams' entry, and next to the entries read below): one seek
  // in this family instead of a lookup in another.
  it->SeekToLast();
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the stream index"));
  if (!it->Valid()) {
    return absl::NotFoundError(absl::StrCat("stream ", request.stream_id, " does not exist"));
  }
  ASSIGN_OR_RETURN(const StreamIndexEntry last_entry,
                   ParseStreamIndexEntry(it->key(), it->value(), prefix.size()));
  const uint64_t last_revision = last_entry.first_revision + last_entry.count - 1;
  const bool forward = request.direction == Direction::kForward;
  ReadStreamResult result;
  uint64_t from = request.has_from_revision ? request.from_revision : (forward ? 0 : last_revision);
  if (forward && from > last_revision) return result;
  from = std::min(from, last_revision);

  // The entry of the append that holds `from`: the last one starting at or
  // before it (an append's revisions and positions are consecutive); the
  // iterator is there already when that is the last append.
  if (from < last_entry.first_revision) it->SeekForPrev(StreamRevisionKey(request.stream_id, from));
  std::vector<std::string> keys;
  keys.reserve(std::min<uint64_t>(request.max_count, last_revision + 1));
  while (it->Valid() && keys.size() < request.max_count) {
    ASSIGN_OR_RETURN(const StreamIndexEntry entry,
                     ParseStreamIndexEntry(it->key(), it->value(), prefix.size()));
    const uint64_t last = entry.first_revision + entry.count - 1;
    if (forward) {
      for (uint64_t revision = std::max(entry.first_revision, from);
           revision <= last && keys.size() < request.max_count; ++revision) {
        keys.push_back(PositionKey(entry.first_position + (revision - entry.first_revision)));
      }
      it->Next();
    } else {
      for (uint64_t revision = std::min(last, from) + 1;
           revision-- > entry.first_revision && keys.size() < request.max_count;) {
        keys.push_back(PositionKey(entry.first_position + (revision - entry.first_revision)));
      }
      it->Prev();
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the stream index"));

  std::vector<rocksdb::Slice> key_slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  db()->MultiGet(rocksdb::ReadOptions(), cf(kLog), keys.size(), key_slices.data(), values.data(),
                 statuses.data());
  bool reached_head = false;
  for (size_t i = 0; i < keys.size(); ++i) {
    RETURN_IF_ERROR(FromRocks(statuses[i], "reading a record"));
    RecordView view;
    RETURN_IF_ERROR(ParseRecord(std::string_view(values[i].data(), values[i].size()), &view));
    // A record written to RocksDB but not yet acknowledged is not visible.
    if (view.position > head) {
      reached_head = true;
      break;
    }
    ToRecordedEvent(view, &result.events.emplace_back());
  }
  if (result.events.empty()) return result;
  const uint64_t last_read = result.events.back().revision;
  result.end_of_stream = forward ? last_read >= last_revision || reached_head : last_read == 0;
  result.next_revision = forward ? last_read + 1 : (last_read == 0 ? 0 : last_read - 1);
  return result;
}

absl::StatusOr<ReadAllResult> RocksEventLog::Impl::ReadAll(const ReadAllRequest& request) {
  if (request.max_count == 0) {
    return absl::InvalidArgumentError("max_count: must be at least 1");
  }
  const uint64_t head = Head();
  ReadAllResult result;
  const uint64_t from = std::max<uint64_t>(1, request.from_position);
  result.next_position = from;
  if (from > head) return result;

  const bool filtered = !request.filter.Empty();
  const uint64_t max_scan = std::max(request.max_scan, request.max_count);
  const uint64_t most = std::min({request.max_count, max_scan, head - from + 1});
  absl::ReaderMutexLock db_lock(&db_mu_);
  RETURN_IF_ERROR(Usable());
  LogScan scan(db(), cf(kLog), head, std::min(max_scan, head - from + 1));
  rocksdb::Iterator* const it = scan.iterator();
  if (request.records) {
    // About 400 bytes a record, 16 MB at most: a guess, the buffer grows.
    result.records.reserve(std::min<uint64_t>(most * 400, uint64_t{16} << 20));
  } else if (request.packed) {
    // About 200 bytes an event, 16 MB at most: a guess, the buffer grows.
    result.packed.Reserve(most, std::min<uint64_t>(most * 200, uint64_t{16} << 20));
  } else {
    result.events.reserve(most);
  }
  uint64_t scanned = 0;
  uint64_t bytes = 0;
  uint64_t returned = 0;
  for (it->Seek(PositionKey(from));
       it->Valid() && returned < request.max_count && scanned < max_scan &&
       (request.max_bytes == 0 || bytes < request.max_bytes);
       it->Next()) {
    RecordView view;
    RETURN_IF_ERROR(ParseRecord(std::string_view(it->value().data(), it->value().size()), &view));
    ++scanned;
    result.next_position = view.position + 1;
    if (filtered && !request.filter.Matches(view.stream_id, view.type)) continue;
    bytes += view.data.size();
    ++returned;
    if (request.records) {
      internal::AppendToGroup(std::string_view(it->value().data(), it->value().size()),
                              &result.records);
    } else if (request.packed) {
      result.packed.Add(ToEventView(view));
    } else {
      ToRecordedEvent(view, &result.events.emplace_back(), request.lean);
    }
  }
  RETURN_IF_ERROR(FromRocks(it->status(), "reading the log"));
  return result;
}

absl::StatusOr<StreamInfo> RocksEventLog::Impl::GetStreamInfo(const std::string& stream_id) {
  RETURN_IF_ERROR(ValidateStreamId(stream_id, options_.limits, /*allow_system=*/true));
  absl::ReaderMutexLock db_lock(&db_mu_);
  RETURN_IF_ERROR(Usable());
  ASSIGN_OR_RETURN(std::optional<uint64_t> last_revision, LastRevision(stream_id));
  StreamInfo info;
  if (last_revision) {
    info.exists = true;
    info.last_revision = *last_revision;
    info.event_count = *last_revision + 1;
  }
  return info;
}

absl::StatusOr<VerifyResult> RocksEventLog::Impl::Verify() {
  const uint64_t head = Head();
  VerifyResult result;
  std::string previous = ZeroHash();
  uint64_t expected = 1;
  auto fail = [&](uint64_t position, std::string problem) {
    result.ok = false;
    result.first_bad_position = position;
    result.problem = std::move(problem);
  };
  // In chunks, each under its own hold of the database, so that a reopen
  // after a failed write does not wait for a whole check of a long log.
  constexpr uint64_t kChunk = 1 << 16;
  bool done = false;
  while (!done && result.ok) {
    absl::ReaderMutexLock db_lock(&db_mu_);
    RETURN_IF_ERROR(Usable());
    LogScan scan(db(), cf(kLog), head, std::min(kChunk, head - expected + 1));
    rocksdb::Iterator* const it = scan.iterator();
    uint64_t checked = 0;
    if (expected == 1) {
      it->SeekToFirst();
    } else {
      it->Seek(PositionKey(expected));
    }
    for (; it->Valid() && checked < kChunk; it->Next(), ++expected, ++checked) {
      const uint64_t key = GetBigEndian64(std::string_view(it->key().data(), it->key().size()));
      if (it->key().size() != 8 || key != expected) {
        fail(expected, absl::StrCat("position ", expected, " is missing; the next stored key is ",
                                    absl::BytesToHexString(it->key().ToString())));
        break;
      }
      RecordView view;
      if (absl::Status parsed =
              ParseRecord(std::string_view(it->value().data(), it->value().size()), &view);
          !parsed.ok()) {
        fail(expected, absl::StrCat("the record cannot be decoded: ", parsed.message()));
        break;
      }
      if (view.position != expected) {
        fail(expected, absl::StrCat("the record says position ", view.position));
        break;
      }
      const std::string hash = ChainHash(previous, view.record_bytes);
      if (hash != view.hash) {
        fail(expected,
             absl::StrCat("hash mismatch: stored ", absl::BytesToHexString(std::string(view.hash)),
                          ", recomputed ", absl::BytesToHexString(hash)));
        break;
      }
      previous = hash;
      ++result.records_checked;
    }
    RETURN_IF_ERROR(FromRocks(it->status(), "reading the log"));
    done = checked < kChunk;
  }
  if (result.ok && result.records_checked != head) {
    fail(result.records_checked + 1,
         absl::StrCat("the log ends at position ", result.records_checked, " but the head is ",
                      head));
  }
  result.head_hash = previous;
  return result;
}

absl::StatusOr<uint64_t> RocksEventLog::Impl::Backup(const std::string& path) {
  if (path.empty()) return absl::InvalidArgumentError("path: required");
  // Appends wait while the copy is taken, so the head it holds is exact (a
  // checkpoint of hard links takes milliseconds).
  absl::MutexLock lock(&write_mu_);
  absl::ReaderMutexLock db_lock(&db_mu_);
  RETURN_IF_ERROR(Usable());
  rocksdb::Checkpoint* raw = nullptr;
  RETURN_IF_ERROR(FromRocks(rocksdb::Checkpoint::Create(db(), &raw), "checkpoint"));
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  const rocksdb::Status made = checkpoint->CreateCheckpoint(path);
  if (made.IsInvalidArgument() && made.ToString().find("exists") != std::string::npos) {
    return absl::AlreadyExistsError(absl::StrCat("path: ", path, " already exists"));
  }
  if (!made.ok()) {
    // Where the copy goes is the server's setup (a folder it may not write,
    // another file system, a full disk): not a failure a retry mends.
    return absl::FailedPreconditionError(absl::StrCat(
        "checkpoint into ", path, ": ", made.ToString(),
        " (the backup folder must be writable, with room, on the data folder's file system)"));
  }
  log::Info("eventlog", "backup written", {{"path", path}, {"head", last_position_}});
  return last_position_;
}

RocksEventLog::RocksEventLog(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RocksEventLog::~RocksEventLog() = default;

absl::StatusOr<std::unique_ptr<RocksEventLog>> RocksEventLog::Open(const Options& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("path: required");
  std::unique_ptr<rocksdb::Env> env;
  if (options.faults != nullptr) env = storage::NewFaultInjectingEnv(options.faults);
  ASSIGN_OR_RETURN(Database database, OpenDatabase(options, env.get(), /*read_only=*/false));
  rocksdb::DB* const db = database.db.get();
  rocksdb::ColumnFamilyHandle* const meta = database.handles[kMeta];
  const bool is_new = database.created;

  std::string version;
  const rocksdb::Status got = db->Get(rocksdb::ReadOptions(), meta, kFormatVersionKey, &version);
  absl::Status format_ok;
  auto write_format_version = [&] {
    rocksdb::WriteOptions write_options;
    write_options.sync = true;
    return FromRocks(db->Put(write_options, meta, kFormatVersionKey, kFormatVersion),
                     "writing the format version");
  };
  if (got.IsNotFound() && is_new) {
    format_ok = write_format_version();
  } else if (got.IsNotFound()) {
    format_ok = absl::FailedPreconditionError(
        absl::StrCat(options.path,
                     " holds a RocksDB database without a bidtrail format version; refusing to "
                     "open it"));
  } else if (!got.ok()) {
    format_ok = FromRocks(got, "reading the format version");
  } else if (version == kFormatVersionOne) {
    // Format 1's entries are format 2's entries of one event: from now on
    // an older build must not read the appends this one writes.
    format_ok = write_format_version();
    if (format_ok.ok()) {
      log::Info("eventlog", "log format upgraded",
                {{"path", options.path}, {"from", kFormatVersionOne}, {"to", kFormatVersion}});
    }
  } else if (version != kFormatVersion) {
    format_ok = absl::FailedPreconditionError(absl::StrCat(
        options.path, " holds a bidtrail log of format version \"", version,
        "\"; this build reads format versions ", kFormatVersionOne, " and ", kFormatVersion));
  }
  auto impl = std::make_unique<Impl>(options, std::move(env), std::move(database));
  RETURN_IF_ERROR(format_ok);
  RETURN_IF_ERROR(impl->Restore());
  impl->ExportStorageMetrics();
  if (options.upstream != nullptr) {
    // The log is the upstream's; this database is its replica, which a
    // restart catches up (the upstream is the witness of what was
    // acknowledged).
    RETURN_IF_ERROR(impl->StartFromUpstream());
    impl->StartFollower();
  } else {
    RETURN_IF_ERROR(impl->CheckWitness());
    impl->StartWitness();
  }
  auto opened = std::unique_ptr<RocksEventLog>(new RocksEventLog(std::move(impl)));
  log::Info("eventlog", "opened",
            {{"path", options.path},
             {"head", opened->HeadPosition().value_or(0)},
             {"sync", options.sync}});
  return opened;
}

absl::StatusOr<AppendResult> RocksEventLog::Append(const std::string& stream_id,
                                                   const ExpectedRevision& expected,
                                                   const std::vector<ProposedEvent>& events) {
  return impl_->Append(stream_id, expected, events);
}

void RocksEventLog::AppendAsync(std::string stream_id, ExpectedRevision expected,
                                std::vector<ProposedEvent> events, AppendDone done) {
  impl_->AppendAsync(std::move(stream_id), expected, std::move(events), std::move(done));
}

bool RocksEventLog::AppendsAsynchronously() const { return impl_->options().upstream == nullptr; }

absl::StatusOr<ReadStreamResult> RocksEventLog::ReadStream(const ReadStreamRequest& request) {
  return impl_->ReadStream(request);
}

absl::StatusOr<ReadAllResult> RocksEventLog::ReadAll(const ReadAllRequest& request) {
  return impl_->ReadAll(request);
}

absl::StatusOr<StreamInfo> RocksEventLog::GetStreamInfo(const std::string& stream_id) {
  return impl_->GetStreamInfo(stream_id);
}

absl::StatusOr<uint64_t> RocksEventLog::HeadPosition() { return impl_->Head(); }

absl::StatusOr<std::unique_ptr<Subscription>> RocksEventLog::Subscribe(
    const SubscribeRequest& request) {
  return std::unique_ptr<Subscription>(new LogSubscription(impl_.get(), request));
}

absl::StatusOr<VerifyResult> RocksEventLog::Verify() { return impl_->Verify(); }

absl::StatusOr<uint64_t> RocksEventLog::Backup(const std::string& path) {
  return impl_->Backup(path);
}

void RocksEventLog::CancelSubscriptions() { impl_->CancelSubscriptions(); }

std::string RocksEventLog::ChainHead() { return impl_->ChainHead(); }

}  // namespace bidtrail::eventlog
