#include "writer.h"

#include <pthread.h>

#include "absl/time/clock.h"
#include "bidtrail/common/log.h"

namespace bidtrail::projection {

void AddInKeyOrder(const PendingWrite& write, storage::KvStore::Batch* batch) {
  std::vector<size_t> next(write.runs.size(), 0);
  while (true) {
    const PendingWrite::Change* change = nullptr;
    size_t from = 0;
    for (size_t r = 0; r < write.runs.size(); ++r) {
      if (next[r] == write.runs[r].size()) continue;
      const PendingWrite::Change& candidate = write.runs[r][next[r]];
      if (change == nullptr || PendingWrite::Change::ByKey(candidate, *change)) {
        change = &candidate;
        from = r;
      }
    }
    if (change == nullptr) return;
    ++next[from];
    switch (change->kind) {
      case PendingWrite::Kind::kPut:
        batch->Put(change->key, change->value);
        break;
      case PendingWrite::Kind::kDelete:
        batch->Delete(change->key);
        break;
      case PendingWrite::Kind::kAppend:
        batch->Append(change->key, change->value);
        break;
    }
  }
}

Writer::Writer(storage::KvStore* store, uint64_t epoch, Publish publish,
               std::function<void()> on_failure, std::atomic<bool>* cancel_compaction)
    : store_(store),
      epoch_(epoch),
      publish_(std::move(publish)),
      on_failure_(std::move(on_failure)),
      cancel_compaction_(cancel_compaction),
      thread_([this] { Loop(); }) {}

Writer::~Writer() {
  {
    absl::MutexLock lock(&mu_);
    mu_.Await(absl::Condition(this, &Writer::Idle));
    closing_ = true;
  }
  thread_.join();
}

absl::Status Writer::Submit(std::unique_ptr<PendingWrite> write) {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &Writer::Idle));
  if (!status_.ok()) return status_;
  pending_ = std::move(write);
  return absl::OkStatus();
}

absl::Status Writer::Drain() {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &Writer::Idle));
  return status_;
}

absl::Status Writer::Write(PendingWrite& write) {
  // A catch-up write is a hundred MB or more: the batch is sized once rather
  // than grown by doubling (each step a copy into freshly faulted pages).
  size_t bytes = 4096;
  for (const std::vector<PendingWrite::Change>& run : write.runs) {
    for (const PendingWrite::Change& change : run) {
      bytes += change.key.size() + change.value.size() + 16;
    }
  }
  if (batch_ == nullptr || batch_reserved_ < bytes) {
    batch_.reset();  // freed before the next is allocated
    batch_ = store_->NewBatch(bytes);
    batch_reserved_ = bytes;
  } else {
    batch_->Clear();  // keeps its memory
  }
  AddInKeyOrder(write, batch_.get());
  // The batch holds its own copy now: what it was copied from (tens of MB in
  // a catch-up write) goes before the memtables take a third copy, while
  // the runner fills the next write.
  std::vector<BulkBuffer>().swap(write.stored);
  decltype(write.actor_chunks)().swap(write.actor_chunks);
  std::vector<std::vector<PendingWrite::Change>>().swap(write.runs);
  // Not logged: the read models are derived from the log (KvStore::
  // Durability::kBuffered). A crash loses a suffix of these writes, the
  // checkpoint with them, and the runner folds those events again.
  absl::Status written = store_->Write(*batch_, storage::KvStore::Durability::kBuffered, epoch_);
  if (written.ok() && !write.compact_from.empty()) {
    const absl::Time began = absl::Now();
    written = store_->Compact(write.compact_from, write.compact_to, cancel_compaction_);
    if (absl::IsCancelled(written)) {
      // Stopping: the write has landed whole, the store's own compactions
      // reach the deletions later.
      log::Info("projection", "compaction cancelled: the runner is stopping",
                {{"catch_up_writes", write.catch_up_writes}, {"took", absl::Now() - began}});
      written = absl::OkStatus();
    } else {
      log::Info("projection", "indexes compacted at the end of a catch-up",
                {{"catch_up_writes", write.catch_up_writes},
                 {"took", absl::Now() - began},
                 {"status", written}});
    }
  }
  if (write.caught_up) {
    // Writes are small from now on: the memory goes.
    batch_.reset();
    batch_reserved_ = 0;
  }
  if (written.ok()) publish_(write);
  return written;
}

void Writer::Loop() {
  pthread_setname_np(pthread_self(), "proj-writer");
  while (true) {
    PendingWrite* write;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(this, &Writer::HasWork));
      if (pending_ == nullptr) return;  // closing, nothing left
      write = pending_.get();
    }
    absl::Status written = Write(*write);
    if (!written.ok()) on_failure_();
    std::unique_ptr<PendingWrite> done;  // freed here, off the runner's thread
    absl::MutexLock lock(&mu_);
    if (status_.ok()) status_ = written;
    done = std::move(pending_);
  }
}

}  // namespace bidtrail::projection
