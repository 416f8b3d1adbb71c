// How tender events are stored in the log: the event's full type name (for
// example "bidtrail.v1.BidSubmitted") and its serialized bytes. Pure;
// thread-safe.
#ifndef BIDTRAIL_TENDER_CODEC_H_
#define BIDTRAIL_TENDER_CODEC_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "bidtrail/v1/tender_events.pb.h"
#include "google/protobuf/arena.h"

namespace bidtrail::tender {

// The full type name of the event held, or "" when none is set.
std::string EventTypeName(const v1::TenderEvent& event);
// The serialized bytes of the event held.
std::string EncodeEventData(const v1::TenderEvent& event);
// The event of that type, or std::nullopt for a type this build does not know
// (readers skip those) or bytes that do not parse.
std::optional<v1::TenderEvent> DecodeEvent(const std::string& type, const std::string& data);
// Decodes for folding, at the least cost: an event whose payload
// Apply(TenderEvent&&) moves into the state (a discovery, a bid, an award) is
// created on the heap and handed over in `*owned`; any other, which Apply only
// reads (nearly half of a typical log is activity), is created on `arena`,
// freed with it. (Moving a payload out of a message on an arena copies it.)
// An ActivityLogged carries only what Apply reads of it: tender id and time.
// Returns the event, or nullptr for an unknown type or bytes that do not
// parse.
v1::TenderEvent* DecodeForFold(std::string_view type, std::string_view data,
                               google::protobuf::Arena* arena,
                               std::unique_ptr<v1::TenderEvent>* owned);
// True when the type is one of the tender events.
bool IsTenderEventType(const std::string& type);

// Fields every tender event has.
const std::string& TenderIdOf(const v1::TenderEvent& event);
// Business time; absl::InfinitePast() when unset.
absl::Time OccurredAtOf(const v1::TenderEvent& event);

}  // namespace bidtrail::tender

#endif  // BIDTRAIL_TENDER_CODEC_H_
