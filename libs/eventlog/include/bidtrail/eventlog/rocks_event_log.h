// RocksEventLog: the embedded event store, an append-only log in one RocksDB
// database on local disk. Thread-safe.
//
// Writes go through a writer queue (as LevelDB's DBImpl::Write): concurrent
// appends wait in line, and the writer at the front commits everything queued
// behind it as one RocksDB write and one WAL sync (group commit). Global
// positions and the hash chain are assigned by that one writer, so they follow
// commit order. A position becomes visible to readers and subscribers only
// after its write has returned, so nobody sees a position that is not durable,
// or a gap.
//
// Storage layout and the reasons for it: docs/architecture.md.
#ifndef BIDTRAIL_EVENTLOG_ROCKS_EVENT_LOG_H_
#define BIDTRAIL_EVENTLOG_ROCKS_EVENT_LOG_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/eventlog/limits.h"
#include "bidtrail/eventlog/upstream.h"
#include "bidtrail/storage/file_faults.h"

namespace bidtrail::eventlog {

class RocksEventLog final : public EventStore {
 public:
  struct Options {
    // Folder of the database; created when missing.
    std::string path;
    // true (default): an acknowledged append has been synced to disk (fsync of
    // the write-ahead log) and survives a power loss. false: acknowledged
    // appends survive a crash of the process but the last ones may be lost on
    // a machine crash or power loss; for tests and bulk loads. Either way the
    // log stays consistent: a suffix of whole appends can be lost, never part
    // of one, never a gap.
    bool sync = true;
    Limits limits;
    // RocksDB block cache shared by all column families.
    size_t block_cache_bytes = size_t{256} << 20;
    // Largest number of appends committed in one group write.
    size_t max_group_appends = 1024;
    // Stop adding appends to a group once it holds this many bytes of events.
    size_t max_group_bytes = size_t{8} << 20;
    // At open, a log shorter than its witness (or different at the witnessed
    // position) is refused with DATA_LOSS; true goes on with it, recording
    // the loss as a DataLossAccepted event in kLogStream, by `accepted_by`.
    bool accept_data_loss = false;
    std::string accepted_by;
    // Appends are refused with RESOURCE_EXHAUSTED while the file system of
    // `path` has less free space than this (checked before each group
    // commit), before RocksDB reaches a failing write; they resume by
    // themselves once space is freed. Reads go on. 0: no floor.
    uint64_t min_free_bytes = uint64_t{128} << 20;
    // Free bytes of the file system holding `path`; statvfs when unset
    // (tests give their own).
    std::function<absl::StatusOr<uint64_t>(const std::string& path)> free_bytes;
    // After a failed write (an I/O error from the write-ahead log, a full
    // disk the floor did not foresee) RocksDB refuses writes until it is
    // opened again: the next append closes and reopens the database, as a
    // restart would, and goes on. While reopening fails, appends are refused
    // (UNAVAILABLE) and a new attempt waits at least this long; reads go on
    // from a read-only open meanwhile.
    absl::Duration min_reopen_interval = absl::Seconds(1);
    // When set, the log is kept upstream (a replicated JetStream stream,
    // nats_upstream.h; docs/nats.md) and this database is its replica: an
    // append is decided against the replica, published upstream, and
    // acknowledged once the upstream holds it; at open and whenever the
    // upstream moves (polled every upstream_poll) the replica catches up.
    // The witness is not used: the upstream is the record of what was
    // acknowledged. `sync` then applies to the upstream, not the replica.
    std::shared_ptr<Upstream> upstream;
    absl::Duration upstream_poll = absl::Milliseconds(50);
    // Tests: failures to inject into the log's files (bidtrail/storage/file_faults.h).
    std::shared_ptr<storage::FileFaults> faults;
  };

  // The log's own stream (incidents such as an accepted data loss); clients
  // cannot append to it ('$' is reserved).
  static constexpr char kLogStream[] = "$log";

  // Opens (or creates) the log at options.path and restores the head position,
  // the chain head and the stream revisions. The log keeps a witness of how far
  // it acknowledged (a file in options.path, written after syncs and at
  // close); a log that comes back shorter, or different at the witnessed
  // position, is DATA_LOSS naming the missing positions (see
  // Options::accept_data_loss).
  // Errors: FAILED_PRECONDITION when the folder holds data of an unknown
  // format version, or a RocksDB database that is not a bidtrail log;
  // INVALID_ARGUMENT for an empty path; UNAVAILABLE when RocksDB cannot open it
  // (for example, another process holds its lock).
  static absl::StatusOr<std::unique_ptr<RocksEventLog>> Open(const Options& options);

  // Cancels open subscriptions (their Next() returns CANCELLED) and closes the
  // database. Every Subscription must be destroyed before the log.
  ~RocksEventLog() override;

  absl::StatusOr<AppendResult> Append(const std::string& stream_id,
                                      const ExpectedRevision& expected,
                                      const std::vector<ProposedEvent>& events) override;
  // Without an upstream, the append waits in the writer queue without a
  // thread: the log's committer thread commits it with its group and calls
  // `done` after the group's sync. With an upstream, as Append.
  void AppendAsync(std::string stream_id, ExpectedRevision expected,
                   std::vector<ProposedEvent> events, AppendDone done) override;
  bool AppendsAsynchronously() const override;
  absl::StatusOr<ReadStreamResult> ReadStream(const ReadStreamRequest& request) override;
  absl::StatusOr<ReadAllResult> ReadAll(const ReadAllRequest& request) override;
  absl::StatusOr<StreamInfo> GetStreamInfo(const std::string& stream_id) override;
  absl::StatusOr<uint64_t> HeadPosition() override;
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(const SubscribeRequest& request) override;
  absl::StatusOr<VerifyResult> Verify() override;
  // A RocksDB checkpoint: hard links to the immutable files, copies of the
  // rest; opening `path` with Open() gives the log as of the returned head.
  absl::StatusOr<uint64_t> Backup(const std::string& path) override;

  // Makes every open subscription's Next() return CANCELLED, now and later.
  // Used at shutdown, before the log is destroyed.
  void CancelSubscriptions();

  // The current chain head: the hash of the record at HeadPosition() (32 zero
  // bytes when empty).
  std::string ChainHead();

  class Impl;

 private:
  explicit RocksEventLog(std::unique_ptr<Impl> impl);
  const std::unique_ptr<Impl> impl_;
};

}  // namespace bidtrail::eventlog

#endif  // BIDTRAIL_EVENTLOG_ROCKS_EVENT_LOG_H_
