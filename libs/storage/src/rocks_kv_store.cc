#include "bidtrail/storage/rocks_kv_store.h"

#include <atomic>
#include <deque>
#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bidtrail/common/bulk_memory.h"
#include "bidtrail/common/log.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/storage/fault_env.h"
#include "bidtrail/storage/rocks_setup.h"
#include "bidtrail/storage/rocks_status.h"
#include "rocksdb/db.h"
#include "rocksdb/merge_operator.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"

namespace bidtrail::storage {
namespace {

rocksdb::Slice ToSlice(std::string_view bytes) {
  return rocksdb::Slice(bytes.data(), bytes.size());
}
std::string_view ToView(const rocksdb::Slice& slice) {
  return std::string_view(slice.data(), slice.size());
}

// KvStore::Batch::Append: concatenates merge operands onto the value.
class AppendOperator final : public rocksdb::MergeOperator {
 public:
  bool FullMergeV2(const MergeOperationInput& input, MergeOperationOutput* output) const override {
    size_t size = input.existing_value != nullptr ? input.existing_value->size() : 0;
    for (const rocksdb::Slice& operand : input.operand_list) size += operand.size();
    output->new_value.clear();
    output->new_value.reserve(size);
    if (input.existing_value != nullptr) {
      output->new_value.append(input.existing_value->data(), input.existing_value->size());
    }
    for (const rocksdb::Slice& operand : input.operand_list) {
      output->new_value.append(operand.data(), operand.size());
    }
    return true;
  }
  bool PartialMergeMulti(const rocksdb::Slice& /*key*/, const std::deque<rocksdb::Slice>& operands,
                         std::string* new_value, rocksdb::Logger* /*logger*/) const override {
    new_value->clear();
    for (const rocksdb::Slice& operand : operands) {
      new_value->append(operand.data(), operand.size());
    }
    return true;
  }
  // Stored in the database's options: renaming it would refuse old databases.
  const char* Name() const override { return "bidtrail.Append"; }
};

class RocksBatch final : public KvStore::Batch {
 public:
  explicit RocksBatch(size_t reserve_bytes) : batch_(reserve_bytes) {
    // A large batch is filled once, and its pages faulted in one by one
    // would cost more than the copying (docs/performance.md).
    AdviseHugePages(batch_.Data().data(), reserve_bytes);
  }

  void Put(std::string_view key, std::string_view value) override {
    // Ignored on purpose: a WriteBatch fails only past its max_bytes, which
    // is unlimited here.
    (void)batch_.Put(ToSlice(key), ToSlice(value));
  }
  void Delete(std::string_view key) override { (void)batch_.Delete(ToSlice(key)); }
  void Append(std::string_view key, std::string_view bytes) override {
    (void)batch_.Merge(ToSlice(key), ToSlice(bytes));
  }
  void DeleteRange(std::string_view from, std::string_view to) override {
    (void)batch_.DeleteRange(ToSlice(from), ToSlice(to));
  }
  void Clear() override { batch_.Clear(); }
  size_t Count() const override { return batch_.Count(); }

  rocksdb::WriteBatch* batch() { return &batch_; }

 private:
  rocksdb::WriteBatch batch_;
};

rocksdb::Options DbOptions(const RocksKvStore::Options& options, rocksdb::Env* env) {
  rocksdb::Options db_options;
  db_options.create_if_missing = true;
  db_options.IncreaseParallelism(options.background_threads);
  db_options.merge_operator = std::make_shared<AppendOperator>();
  db_options.write_buffer_size = options.write_buffer_bytes;
  // RocksDB's own recovery off (the store reopens instead: the two racing
  // each other was measured aborting the process), its info log safe on a
  // full disk.
  SetUpRocksDb(options.path, &db_options);
  if (env != nullptr) db_options.env = env;
  return db_options;
}

absl::StatusOr<std::unique_ptr<rocksdb::DB>> OpenDb(const rocksdb::Options& db_options,
                                                    const std::string& path) {
  rocksdb::DB* raw = nullptr;
  RETURN_IF_ERROR(
      FromRocks(rocksdb::DB::Open(db_options, path, &raw), absl::StrCat("opening ", path)));
  return std::unique_ptr<rocksdb::DB>(raw);
}

// After a failed write or flush, RocksDB refuses writes until it is resumed,
// and what it does on resuming depends on the error: after a full disk it
// resumes by itself once there is room, and then (measured with Debian's
// 7.8) a buffered write it acknowledged and flushed afterwards was missing
// when the database was opened again. The store does not rely on resuming:
// the next write or flush
// after a failure closes the database and opens it again, which starts from
// exactly what is durable. Buffered writes not yet flushed are lost then, as
// KvStore::Durability::kBuffered allows. Reads go on from the open database
// until then; while it cannot be opened again, every call fails.
class RocksStore final : public KvStore {
 public:
  RocksStore(const RocksKvStore::Options& options, std::unique_ptr<rocksdb::Env> env,
             std::unique_ptr<rocksdb::DB> db)
      : path_(options.path),
        env_(std::move(env)),
        db_options_(DbOptions(options, env_.get())),
        db_(std::move(db)) {}

  ~RocksStore() override {
    absl::WriterMutexLock lock(&mu_);
    Close();
  }

  std::unique_ptr<Batch> NewBatch(size_t reserve_bytes) override {
    return std::make_unique<RocksBatch>(reserve_bytes);
  }

  absl::Status Write(Batch& batch, Durability durability, uint64_t epoch) override {
    RETURN_IF_ERROR(ReopenAfterFailure());
    rocksdb::WriteOptions options;
    options.sync = durability == Durability::kSynced;
    options.disableWAL = durability == Durability::kBuffered;
    absl::ReaderMutexLock lock(&mu_);
    RETURN_IF_ERROR(Usable());
    if (epoch != kAnyEpoch && epoch != epoch_) {
      return absl::AbortedError(absl::StrCat(path_, " dropped buffered writes (epoch ", epoch_,
                                             ", the write was made for ", epoch,
                                             "): read back what you rely on and write again"));
    }
    return Noted(FromRocks(db_->Write(options, static_cast<RocksBatch&>(batch).batch()),
                           absl::StrCat("writing ", path_)));
  }

  uint64_t Epoch() override {
    absl::ReaderMutexLock lock(&mu_);
    return epoch_;
  }

  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    absl::ReaderMutexLock lock(&mu_);
    RETURN_IF_ERROR(Usable());
    std::string value;
    const rocksdb::Status got = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
    if (got.IsNotFound()) return std::optional<std::string>();
    RETURN_IF_ERROR(FromRocks(got, absl::StrCat("reading ", path_)));
    return std::optional<std::string>(std::move(value));
  }

  absl::Status Scan(std::string_view from, std::string_view to, const Visitor& visit) override {
    absl::ReaderMutexLock lock(&mu_);
    RETURN_IF_ERROR(Usable());
    const rocksdb::Slice upper = ToSlice(to);
    rocksdb::ReadOptions options;
    options.iterate_upper_bound = &upper;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(options));
    for (it->Seek(ToSlice(from)); it->Valid(); it->Next()) {
      if (!visit(ToView(it->key()), ToView(it->value()))) break;
    }
    return FromRocks(it->status(), absl::StrCat("reading ", path_));
  }

  absl::Status Flush() override {
    RETURN_IF_ERROR(ReopenAfterFailure());
    absl::ReaderMutexLock lock(&mu_);
    RETURN_IF_ERROR(Usable());
    return Noted(FromRocks(db_->Flush(rocksdb::FlushOptions()), absl::StrCat("flushing ", path_)));
  }

  absl::Status Compact(std::string_view from, std::string_view to,
                       std::atomic<bool>* cancel) override {
    RETURN_IF_ERROR(ReopenAfterFailure());
    absl::ReaderMutexLock lock(&mu_);
    RETURN_IF_ERROR(Usable());
    const rocksdb::Slice begin = ToSlice(from);
    const rocksdb::Slice end = ToSlice(to);
    rocksdb::CompactRangeOptions options;
    // Into the last level, where deletions are dropped for good.
    options.bottommost_level_compaction = rocksdb::BottommostLevelCompaction::kForceOptimized;
    // Beside RocksDB's own compactions: exclusive, a cancel would wait for them.
    options.exclusive_manual_compaction = false;
    options.canceled = cancel;
    const rocksdb::Status compacted = db_->CompactRange(options, &begin, &end);
    if (compacted.IsManualCompactionPaused()) return CompactionCancelled();
    RETURN_IF_ERROR(Noted(FromRocks(compacted, absl::StrCat("compacting ", path_))));
    return AwaitCompactions(cancel);
  }

 private:
  // Waits until RocksDB runs and plans no compaction or flush, at most
  // kMaxSettle: a range compacted into the last level leaves the levels
  // above it over their targets, and the compactions that follow rewrite
  // the rest of the store for seconds (at a million tenders).
  absl::Status AwaitCompactions(std::atomic<bool>* cancel) ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    const absl::Time began = absl::Now();
    while (true) {
      bool busy = false;
      for (const char* property :
           {"rocksdb.compaction-pending", "rocksdb.num-running-compactions",
            "rocksdb.mem-table-flush-pending", "rocksdb.num-running-flushes"}) {
        uint64_t value = 0;
        if (db_->GetIntProperty(property, &value) && value > 0) busy = true;
      }
      if (!busy) return absl::OkStatus();
      if (cancel != nullptr && cancel->load()) return CompactionCancelled();
      if (absl::Now() - began >= kMaxSettle) {
        log::Warn("storage", "compactions still running after a range was compacted; going on",
                  {{"path", path_}, {"waited", absl::Now() - began}});
        return absl::OkStatus();
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  }

  static constexpr absl::Duration kMaxSettle = absl::Minutes(2);

  absl::Status CompactionCancelled() const {
    return absl::CancelledError(absl::StrCat("compacting ", path_, ": cancelled"));
  }

  absl::Status Usable() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    if (db_ != nullptr) return absl::OkStatus();
    return absl::UnavailableError(absl::StrCat(path_, " could not be opened again after a failed ",
                                               "write: ", reopen_error_.message()));
  }

  absl::Status Noted(absl::Status status) {
    if (!status.ok()) failed_.store(true);
    return status;
  }

  absl::Status ReopenAfterFailure() ABSL_LOCKS_EXCLUDED(mu_) {
    if (!failed_.load()) return absl::OkStatus();
    absl::WriterMutexLock lock(&mu_);
    if (!failed_.load()) return absl::OkStatus();  // another caller reopened it
    Close();
    absl::StatusOr<std::unique_ptr<rocksdb::DB>> opened = OpenDb(db_options_, path_);
    if (!opened.ok()) {
      reopen_error_ = opened.status();
      return Usable();
    }
    db_ = std::move(opened).value();
    ++epoch_;
    failed_.store(false);
    log::Warn("storage",
              "opened again after a failed write; buffered writes since the last flush were "
              "dropped",
              {{"path", path_}});
    return absl::OkStatus();
  }

  void Close() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (db_ == nullptr) return;
    // Close flushes the memtables: buffered writes become durable.
    if (absl::Status closed = FromRocks(db_->Close(), "closing"); !closed.ok()) {
      log::Warn("storage", "closing dropped the buffered writes since the last flush",
                {{"path", path_}, {"error", closed}});
    }
    db_.reset();
  }

  const std::string path_;
  const std::unique_ptr<rocksdb::Env> env_;  // outlives the database
  const rocksdb::Options db_options_;
  // Set by a failed write or flush: the next one reopens the database.
  std::atomic<bool> failed_{false};
  absl::Mutex mu_;
  // Null while it could not be opened again.
  std::unique_ptr<rocksdb::DB> db_ ABSL_GUARDED_BY(mu_);
  absl::Status reopen_error_ ABSL_GUARDED_BY(mu_);
  // Incremented each time the database is opened again after a failure.
  uint64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

absl::StatusOr<std::unique_ptr<KvStore>> RocksKvStore::Open(const Options& options) {
  if (options.path.empty()) return absl::InvalidArgumentError("path: required");
  std::error_code error;
  std::filesystem::create_directories(options.path, error);
  if (error) {
    return absl::UnavailableError(absl::StrCat("creating ", options.path, ": ", error.message()));
  }
  std::unique_ptr<rocksdb::Env> env;
  if (options.faults != nullptr) env = NewFaultInjectingEnv(options.faults);
  ASSIGN_OR_RETURN(std::unique_ptr<rocksdb::DB> db,
                   OpenDb(DbOptions(options, env.get()), options.path));
  return std::unique_ptr<KvStore>(new RocksStore(options, std::move(env), std::move(db)));
}

}  // namespace bidtrail::storage
