// An EventStore that passes every call to another: the base of decorators
// that change a few calls (a store that fails on purpose in tests, one that
// drops read hints). Thread-safe when the wrapped store is.
#ifndef BIDTRAIL_EVENTLOG_FORWARDING_EVENT_STORE_H_
#define BIDTRAIL_EVENTLOG_FORWARDING_EVENT_STORE_H_

#include <memory>
#include <string>
#include <vector>

#include "bidtrail/eventlog/event_store.h"

namespace bidtrail::eventlog {

class ForwardingEventStore : public EventStore {
 public:
  // `store` must outlive this object.
  explicit ForwardingEventStore(EventStore* store) : store_(store) {}

  absl::StatusOr<AppendResult> Append(const std::string& stream_id,
                                      const ExpectedRevision& expected,
                                      const std::vector<ProposedEvent>& events) override {
    return store_->Append(stream_id, expected, events);
  }
  // AppendAsync is not forwarded: the default goes through Append, so that
  // a decorator changing Append changes both.
  absl::StatusOr<ReadStreamResult> ReadStream(const ReadStreamRequest& request) override {
    return store_->ReadStream(request);
  }
  absl::StatusOr<ReadAllResult> ReadAll(const ReadAllRequest& request) override {
    return store_->ReadAll(request);
  }
  absl::StatusOr<StreamInfo> GetStreamInfo(const std::string& stream_id) override {
    return store_->GetStreamInfo(stream_id);
  }
  absl::StatusOr<uint64_t> HeadPosition() override { return store_->HeadPosition(); }
  absl::StatusOr<std::unique_ptr<Subscription>> Subscribe(
      const SubscribeRequest& request) override {
    return store_->Subscribe(request);
  }
  absl::StatusOr<VerifyResult> Verify() override { return store_->Verify(); }
  absl::StatusOr<uint64_t> Backup(const std::string& path) override { return store_->Backup(path); }

 protected:
  EventStore* store() const { return store_; }

 private:
  EventStore* const store_;
};

}  // namespace bidtrail::eventlog

#endif  // BIDTRAIL_EVENTLOG_FORWARDING_EVENT_STORE_H_
