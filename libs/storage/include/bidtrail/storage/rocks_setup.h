// What every RocksDB database of bidtrail (the event log, the read-model
// store) is opened with, whatever else it tunes: RocksDB's info log goes to
// a file written without RocksDB's file writer, and RocksDB's own recovery
// from background errors is off (the store and the log reopen the database
// instead). Both were measured aborting the process on a full disk with
// Debian's librocksdb 7.8, which is built with assertions: its info log's
// file writer asserts on the next line after a failed one, and its recovery
// raced the reopen.
#ifndef BIDTRAIL_STORAGE_ROCKS_SETUP_H_
#define BIDTRAIL_STORAGE_ROCKS_SETUP_H_

#include <string>

#include "rocksdb/options.h"

namespace bidtrail::storage {

// Sets options->info_log to a logger appending to `path`/LOG (the file
// RocksDB would write; the one before this open is kept as LOG.old when it
// has grown past 16 MiB). A line that cannot be written (a full disk) is
// dropped, never fatal. Warnings and errors also go to the server's log.
// Turns RocksDB's automatic error recovery off.
void SetUpRocksDb(const std::string& path, rocksdb::DBOptions* options);

}  // namespace bidtrail::storage

#endif  // BIDTRAIL_STORAGE_ROCKS_SETUP_H_
