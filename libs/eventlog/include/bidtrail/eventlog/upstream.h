// Upstream: where a log's commits are decided when the local database is a
// replica of a log kept elsewhere, such as a replicated JetStream stream
// (nats_upstream.h; design in docs/nats.md). The upstream is a sequence of
// groups, each the records of one group commit; it serialises publishes
// with a fence: a publish names the upstream sequence it was decided on top
// of, and is refused when that is no longer the last one. RocksEventLog with
// Options::upstream decides against its replica, publishes, and applies to
// its replica only what the upstream acknowledged.
#ifndef BIDTRAIL_EVENTLOG_UPSTREAM_H_
#define BIDTRAIL_EVENTLOG_UPSTREAM_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bidtrail::eventlog {

class Upstream {
 public:
  virtual ~Upstream() = default;

  // Publishes one group on top of upstream sequence `after` (0: the upstream
  // is empty of groups) and returns the group's sequence, once the upstream
  // holds it durably. FAILED_PRECONDITION, saying "fenced", when `after` is
  // no longer the last sequence (another writer got there first);
  // UNAVAILABLE or DEADLINE_EXCEEDED when the outcome is unknown.
  virtual absl::StatusOr<uint64_t> Publish(uint64_t after, std::string_view group) = 0;

  // Where a publish that does not wait (PublishAsync) must land: right after
  // upstream sequence `after`, and, when `after_group_id` is not empty, right
  // after the group of that GroupId. A publish pipelined behind one of this
  // client's own that is still in flight names it: a sequence alone could
  // be met by another writer's group landing where the earlier one was
  // refused.
  struct Fence {
    uint64_t after = 0;
    std::string after_group_id;
  };
  using PublishDone = std::function<void(absl::StatusOr<uint64_t>)>;

  // Publishes without waiting for the upstream. `done` is called exactly
  // once, on another thread (or on this one when the publish could not be
  // sent), with what Publish would return; publishes made one after another
  // reach the upstream in that order. The caller keeps the upstream alive
  // until every `done` has been called.
  virtual void PublishAsync(const Fence& fence, std::string_view group, PublishDone done) = 0;

  // The identifier the upstream gives `group` (a digest of its bytes).
  virtual std::string GroupId(std::string_view group) const = 0;

  // Calls `apply` with every group after sequence `after`, in order, up to
  // the last one when the call began; returns the last sequence it reached
  // (at least `after` unless the upstream lost groups: then DATA_LOSS).
  virtual absl::StatusOr<uint64_t> ReadAfter(
      uint64_t after,
      const std::function<absl::Status(uint64_t sequence, std::string_view group)>& apply) = 0;

  // The last sequence the upstream holds now (groups or not).
  virtual absl::StatusOr<uint64_t> LastSequence() = 0;

  // The largest group Publish takes, in bytes (a JetStream message's limit).
  virtual size_t MaxGroupBytes() const = 0;

  // For messages and logs: "nats://127.0.0.1:4222 stream BIDTRAIL".
  virtual std::string Describe() const = 0;
};

// True for the status Upstream::Publish returns when fenced off.
bool IsFenced(const absl::Status& status);

}  // namespace bidtrail::eventlog

#endif  // BIDTRAIL_EVENTLOG_UPSTREAM_H_
