// A rocksdb::FileSystem that consults a FileFaults before each write, sync
// and read of a data file (tables, write-ahead log) and fails it with an I/O
// error when armed. For the stores of libs/storage and the log of libs/eventlog.
#ifndef BIDTRAIL_STORAGE_FAULT_ENV_H_
#define BIDTRAIL_STORAGE_FAULT_ENV_H_

#include <memory>

#include "bidtrail/storage/file_faults.h"
#include "rocksdb/env.h"

namespace bidtrail::storage {

// An Env for DBOptions::env whose files go through `faults`.
std::unique_ptr<rocksdb::Env> NewFaultInjectingEnv(std::shared_ptr<FileFaults> faults);

}  // namespace bidtrail::storage

#endif  // BIDTRAIL_STORAGE_FAULT_ENV_H_
