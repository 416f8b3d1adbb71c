// Fuzz target: the tender event decoders, the fold and the rules. The input
// is a stream of events, each a type selector byte, a length byte and that
// many bytes of payload; the last one is the command. Decoding, folding and
// deciding must never crash, whatever the bytes; an event that decodes must
// encode and decode to the same event; the fold's own decoder (which skims
// activity events for their tender and time) must take exactly the events
// the full decoder takes and read the same tender and time from them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "bidtrail/tender/codec.h"
#include "bidtrail/tender/decide.h"
#include "bidtrail/tender/state.h"
#include "google/protobuf/util/message_differencer.h"

namespace {

const std::vector<std::string>& TypeNames() {
  static const std::vector<std::string>* names = [] {
    auto* out = new std::vector<std::string>();
    const google::protobuf::OneofDescriptor* oneof =
        bidtrail::v1::TenderEvent::descriptor()->oneof_decl(0);
    for (int i = 0; i < oneof->field_count(); ++i) {
      out->push_back(oneof->field(i)->message_type()->full_name());
    }
    return out;
  }();
  return *names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace bidtrail;
  std::vector<v1::TenderEvent> events;
  std::vector<uint64_t> revisions;
  size_t at = 0;
  while (at + 2 <= size) {
    const std::string& type = TypeNames()[data[at] % TypeNames().size()];
    const size_t length = std::min<size_t>(data[at + 1], size - at - 2);
    const std::string payload(reinterpret_cast<const char*>(data + at + 2), length);
    at += 2 + length;
    std::optional<v1::TenderEvent> event = tender::DecodeEvent(type, payload);
    // The fold's decoder (with its skim of activity events) takes exactly
    // what the full decoder takes, and reads the same tender and time.
    google::protobuf::Arena arena;
    std::unique_ptr<v1::TenderEvent> owned;
    const v1::TenderEvent* folded = tender::DecodeForFold(type, payload, &arena, &owned);
    if ((folded != nullptr) != event.has_value()) std::abort();
    if (folded != nullptr && (tender::TenderIdOf(*folded) != tender::TenderIdOf(*event) ||
                              tender::OccurredAtOf(*folded) != tender::OccurredAtOf(*event))) {
      std::abort();
    }
    if (!event) continue;
    std::optional<v1::TenderEvent> again =
        tender::DecodeEvent(tender::EventTypeName(*event), tender::EncodeEventData(*event));
    if (!again || !google::protobuf::util::MessageDifferencer::Equals(*event, *again)) {
      std::abort();  // an event that does not survive its own encoding
    }
    revisions.push_back(events.size());
    events.push_back(*std::move(event));
  }
  if (events.empty()) return 0;
  const v1::TenderEvent command = events.back();
  events.pop_back();
  revisions.pop_back();
  const tender::TenderState state = tender::FoldStream(events, revisions);
  tender::DomainConfig config;
  (void)tender::Decide(state, command, config, absl::FromUnixSeconds(1767225600),
                       {"fuzz", "fuzz-manager"});
  return 0;
}
