// A tender's state in its stored form (storage::v1::TenderRecord): what the
// projection keeps per tender, and what it folds on from after a restart.
// One field list, in LendRecord; RecordOf copies what it lends, and StateOf
// reads a record back. Pure; thread-safe for distinct arguments.
#ifndef BIDTRAIL_READMODEL_TENDER_RECORD_H_
#define BIDTRAIL_READMODEL_TENDER_RECORD_H_

#include <cstdint>

#include "bidtrail/storage/v1/read_models.pb.h"
#include "bidtrail/tender/state.h"

namespace bidtrail::readmodel {

// The record of `state` folded up to stream revision `revision`; an empty
// record (no details) for a tender that does not exist.
storage::v1::TenderRecord RecordOf(const tender::TenderState& state, uint64_t revision);

// RecordOf without copying, into `record`: the record points at the state's
// messages (details, lot values, bids, awards) where RecordOf copies every
// string of the tender, and reuses the lot, bid and award entries `record`
// already has (a record lent and given back again and again allocates only
// when a tender has more of them than any before). Equal to RecordOf in
// every field. Until GiveBack(record): `record` is read only, and `state`
// must not change, move or be destroyed.
void LendRecord(const tender::TenderState& state, uint64_t revision,
                storage::v1::TenderRecord* record);
// Lets go of what LendRecord pointed `record` at; `record` keeps its entries
// for the next LendRecord, and may then be destroyed.
void GiveBack(storage::v1::TenderRecord* record);

// The state back from its record: StateOf(RecordOf(s, r)) folds on like s.
tender::TenderState StateOf(const storage::v1::TenderRecord& record);

}  // namespace bidtrail::readmodel

#endif  // BIDTRAIL_READMODEL_TENDER_RECORD_H_
