// A subscription item as the runner consumes it: the batch of events, and
// once decoded, each event ready to fold and its actor record. Decoding
// needs no read model, so that the reader thread can take it on when it is
// ahead (read_ahead.h). Not thread-safe; handed from thread to thread.
#ifndef BIDTRAIL_PROJECTION_DELIVERY_H_
#define BIDTRAIL_PROJECTION_DELIVERY_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bidtrail/eventlog/event_store.h"
#include "bidtrail/v1/tender_events.pb.h"
#include "google/protobuf/arena.h"

namespace bidtrail::projection {

// An event of a delivered batch, decoded for the runner.
struct DecodedEvent {
  // On the heap when Apply keeps its payload (it is moved from), otherwise on
  // the delivery's arena; null: not a tender event (skipped, counted).
  v1::TenderEvent* event = nullptr;
  std::unique_ptr<v1::TenderEvent> owned;  // the event, when on the heap
  // Where its actor record ends in Delivery::actor_records.
  size_t record_end = 0;
};

struct Delivery {
  explicit Delivery(absl::StatusOr<eventlog::SubscriptionItem> item) : item(std::move(item)) {}
  absl::StatusOr<eventlog::SubscriptionItem> item;
  bool decoded = false;
  // Events only read by Apply: their strings and messages are freed at once.
  google::protobuf::Arena arena;
  std::vector<DecodedEvent> events;  // one per event of the batch
  // Each event's actor record (actor_record.h), in position order.
  std::string actor_records;
};

// The number of events in a batch, and the i-th, packed or not (a remote
// store delivers them unpacked).
size_t EventCount(const eventlog::EventBatch& batch);
eventlog::EventView EventAt(const eventlog::EventBatch& batch, size_t i);

// Decodes the delivery's batch, once; nothing for an error or CaughtUp.
void Decode(Delivery* delivery);

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_DELIVERY_H_
