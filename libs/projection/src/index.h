// The index entries a tender's state calls for (the board's deadlines, the
// outstanding ones, the stale clock), as keys (keys.h, without the
// generation prefix) and stored values (storage/v1/read_models.proto): what
// the board reads, one range and nothing else. Which entries there are is
// readmodel/board.h's to say; this file only lays them out. Pure.
#ifndef BIDTRAIL_PROJECTION_INDEX_H_
#define BIDTRAIL_PROJECTION_INDEX_H_

#include <map>
#include <string>
#include <string_view>

#include "bidtrail/tender/state.h"

namespace bidtrail::projection {

// key -> value, in key order.
using IndexEntries = std::map<std::string, std::string>;

IndexEntries IndexEntriesOf(const tender::TenderState& state, std::string_view own_party_id);

}  // namespace bidtrail::projection

#endif  // BIDTRAIL_PROJECTION_INDEX_H_
