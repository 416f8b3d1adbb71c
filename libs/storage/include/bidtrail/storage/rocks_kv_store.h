// RocksKvStore: the KvStore on an embedded RocksDB database in a folder of
// its own. One column family; Append is a RocksDB merge that concatenates.
// Thread-safe (as KvStore).
#ifndef BIDTRAIL_STORAGE_ROCKS_KV_STORE_H_
#define BIDTRAIL_STORAGE_ROCKS_KV_STORE_H_

#include <cstddef>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bidtrail/storage/file_faults.h"
#include "bidtrail/storage/kv_store.h"

namespace bidtrail::storage {

class RocksKvStore {
 public:
  struct Options {
    // Folder of the database; created with its parents when missing.
    std::string path;
    // Size of a memtable before it is flushed to a table file. Large writes
    // (a read-model rebuild writes hundreds of MB in a few batches) go
    // faster with fewer flushes and compactions competing with the writer.
    size_t write_buffer_bytes = size_t{128} << 20;
    // Threads for flushes and compactions.
    int background_threads = 2;
    // Tests only: failures to inject into the database's files.
    std::shared_ptr<FileFaults> faults;
  };

  // Opens (creating when missing) the database. Errors: INVALID_ARGUMENT for
  // an empty path; UNAVAILABLE when the folder cannot be created or opened
  // (in use by another process, no permission); DATA_LOSS when RocksDB finds
  // it corrupt.
  static absl::StatusOr<std::unique_ptr<KvStore>> Open(const Options& options);
};

}  // namespace bidtrail::storage

#endif  // BIDTRAIL_STORAGE_ROCKS_KV_STORE_H_
