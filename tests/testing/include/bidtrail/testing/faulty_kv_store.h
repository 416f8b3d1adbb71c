// FaultyKvStore: a KvStore in front of another that fails chosen operations
// on command, for tests of what the read side does when its store fails.
// Thread-safe. Test-only; header-only.
#ifndef BIDTRAIL_TESTING_FAULTY_KV_STORE_H_
#define BIDTRAIL_TESTING_FAULTY_KV_STORE_H_

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "bidtrail/storage/kv_store.h"

namespace bidtrail::testing {

class FaultyKvStore final : public storage::KvStore {
 public:
  enum class Op { kWrite, kGet, kScan, kFlush, kCompact };

  explicit FaultyKvStore(std::unique_ptr<storage::KvStore> inner) : inner_(std::move(inner)) {}

  // The next `count` operations `op` (a negative count: every one until
  // Clear) fail with `status`; for kGet and kScan only those whose key (the
  // scan's start) begins with `key_prefix`.
  void Fail(Op op, int count, absl::Status status, std::string key_prefix = "") {
    absl::MutexLock lock(&mu_);
    armed_[op] = Armed{count, std::move(status), std::move(key_prefix)};
  }
  void Clear() {
    absl::MutexLock lock(&mu_);
    armed_.clear();
  }
  // Operations `op` failed so far.
  int failed(Op op) {
    absl::MutexLock lock(&mu_);
    return failed_[op];
  }
  storage::KvStore& inner() { return *inner_; }
  // From now on, Compact compacts nothing and returns only once its cancel
  // flag is set (CANCELLED), or after 30 s (DEADLINE_EXCEEDED): a compaction
  // that takes as long as its caller lets it.
  void HoldCompactions() {
    absl::MutexLock lock(&mu_);
    hold_compactions_ = true;
  }

  std::unique_ptr<Batch> NewBatch(size_t reserve_bytes) override {
    return inner_->NewBatch(reserve_bytes);
  }
  absl::Status Write(Batch& batch, Durability durability, uint64_t epoch) override {
    if (absl::Status injected = Injected(Op::kWrite, ""); !injected.ok()) return injected;
    return inner_->Write(batch, durability, epoch);
  }
  uint64_t Epoch() override { return inner_->Epoch(); }
  absl::StatusOr<std::optional<std::string>> Get(std::string_view key) override {
    if (absl::Status injected = Injected(Op::kGet, key); !injected.ok()) return injected;
    return inner_->Get(key);
  }
  absl::Status Scan(std::string_view from, std::string_view to, const Visitor& visit) override {
    if (absl::Status injected = Injected(Op::kScan, from); !injected.ok()) return injected;
    return inner_->Scan(from, to, visit);
  }
  absl::Status Flush() override {
    if (absl::Status injected = Injected(Op::kFlush, ""); !injected.ok()) return injected;
    return inner_->Flush();
  }
  absl::Status Compact(std::string_view from, std::string_view to,
                       std::atomic<bool>* cancel) override {
    {
      absl::MutexLock lock(&mu_);
      compacted_.emplace_back(from, to);
    }
    if (absl::Status injected = Injected(Op::kCompact, from); !injected.ok()) return injected;
    bool hold;
    {
      absl::MutexLock lock(&mu_);
      hold = hold_compactions_;
    }
    if (hold) {
      const absl::Time deadline = absl::Now() + absl::Seconds(30);
      while (cancel == nullptr || !cancel->load()) {
        if (absl::Now() > deadline) return absl::DeadlineExceededError("held compaction");
        absl::SleepFor(absl::Milliseconds(1));
      }
      return absl::CancelledError("compaction cancelled");
    }
    return inner_->Compact(from, to, cancel);
  }
  // The ranges Compact was asked for, failed ones included.
  std::vector<std::pair<std::string, std::string>> compacted() {
    absl::MutexLock lock(&mu_);
    return compacted_;
  }

 private:
  struct Armed {
    int count = 0;
    absl::Status status;
    std::string key_prefix;
  };

  absl::Status Injected(Op op, std::string_view key) {
    absl::MutexLock lock(&mu_);
    auto it = armed_.find(op);
    if (it == armed_.end() || it->second.count == 0) return absl::OkStatus();
    Armed& armed = it->second;
    if (key.substr(0, armed.key_prefix.size()) != armed.key_prefix) return absl::OkStatus();
    if (armed.count > 0) --armed.count;
    ++failed_[op];
    return armed.status;
  }

  const std::unique_ptr<storage::KvStore> inner_;
  absl::Mutex mu_;
  std::map<Op, Armed> armed_ ABSL_GUARDED_BY(mu_);
  std::map<Op, int> failed_ ABSL_GUARDED_BY(mu_);
  std::vector<std::pair<std::string, std::string>> compacted_ ABSL_GUARDED_BY(mu_);
  bool hold_compactions_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace bidtrail::testing

#endif  // BIDTRAIL_TESTING_FAULTY_KV_STORE_H_
