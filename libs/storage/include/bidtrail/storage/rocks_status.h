// The one map from rocksdb::Status to absl::Status, for the two libraries
// that use RocksDB (the event log and the key-value store). Pure.
#ifndef BIDTRAIL_STORAGE_ROCKS_STATUS_H_
#define BIDTRAIL_STORAGE_ROCKS_STATUS_H_

#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace bidtrail::storage {

// OK for OK; otherwise "<what>: <RocksDB's message>" with DATA_LOSS for
// corruption, UNAVAILABLE for I/O errors and conditions that pass (busy,
// timed out, try again, aborted, an incomplete operation), INTERNAL for the
// rest (a bug, an invalid argument RocksDB refused).
absl::Status FromRocks(const rocksdb::Status& status, std::string_view what);

}  // namespace bidtrail::storage

#endif  // BIDTRAIL_STORAGE_ROCKS_STATUS_H_
