// The log's witness: a small file beside its data saying how far the log had
// acknowledged (a position and the chain hash there), written after syncs
// and at close, so that a log that comes back shorter or different from a
// damaged write-ahead log is noticed at open instead of served. Internal to
// libs/eventlog (docs/reliability.md).
#ifndef BIDTRAIL_EVENTLOG_SRC_WITNESS_H_
#define BIDTRAIL_EVENTLOG_SRC_WITNESS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/statusor.h"

namespace bidtrail::eventlog::internal {

struct Witness {
  uint64_t position = 0;
  std::string hash;  // 32 raw bytes: the chain hash at `position`
};

// The witness file of the log in `dir`.
std::string WitnessPath(const std::string& dir);

// The witness of the log in `dir`; nullopt when it has none (a log made
// before witnesses, or a copy of one). DATA_LOSS when the file is there but
// does not parse.
absl::StatusOr<std::optional<Witness>> ReadWitness(const std::string& dir);

// Replaces the witness atomically and durably: a new file, synced, renamed
// over the old one, the folder synced.
absl::Status WriteWitness(const std::string& dir, const Witness& witness);

}  // namespace bidtrail::eventlog::internal

#endif  // BIDTRAIL_EVENTLOG_SRC_WITNESS_H_
