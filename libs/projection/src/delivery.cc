#include "delivery.h"

#include <variant>

#include "actor_record.h"
#include "bidtrail/tender/codec.h"

namespace bidtrail::projection {

size_t EventCount(const eventlog::EventBatch& batch) {
  return batch.packed.empty() ? batch.events.size() : batch.packed.size();
}

eventlog::EventView EventAt(const eventlog::EventBatch& batch, size_t i) {
  return batch.packed.empty() ? eventlog::ViewOf(batch.events[i]) : batch.packed[i];
}

void Decode(Delivery* delivery) {
  if (delivery->decoded) return;
  delivery->decoded = true;
  if (!delivery->item.ok()) return;
  const auto* batch = std::get_if<eventlog::EventBatch>(&*delivery->item);
  if (batch == nullptr) return;
  const size_t count = EventCount(*batch);
  delivery->events.resize(count);
  // About 35 bytes a record: grown once or twice rather than a dozen times.
  delivery->actor_records.reserve(count * 40);
  for (size_t i = 0; i < count; ++i) {
    const eventlog::EventView event = EventAt(*batch, i);
    DecodedEvent& decoded = delivery->events[i];
    AppendActorRecord(event.stream_id, event.position, event.type, event.occurred_at,
                      event.recorded_at, &delivery->actor_records);
    decoded.record_end = delivery->actor_records.size();
    decoded.event = tender::DecodeForFold(event.type, event.data, &delivery->arena, &decoded.owned);
  }
}

}  // namespace bidtrail::projection
