// FileFaults: failures to inject into the files under a RocksDB database,
// for tests of what the layers above do when storage fails (as LevelDB's
// fault-injection Env). A store opened with a FileFaults routes every file
// operation through it; tests arm it to fail the next writes, syncs, reads
// or renames with an I/O error or a full disk, or to cut the power: from
// that moment nothing reaches the disk any more, and DropUnsyncedData then
// takes every file back to what its last sync made durable. Thread-safe;
// armed and cleared at any time.
#ifndef BIDTRAIL_STORAGE_FILE_FAULTS_H_
#define BIDTRAIL_STORAGE_FILE_FAULTS_H_

#include <atomic>
#include <cstdint>
#include <map>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"

namespace bidtrail::storage {

class FileFaults {
 public:
  // kWrite, kSync and kRead apply to data files (tables and the write-ahead
  // log; not the manifest, the lock or the options file, so that a fault
  // fails an operation and not the opening of the database); kRename to
  // every rename (the CURRENT file is installed by one at each open).
  enum class Kind { kWrite = 0, kSync = 1, kRead = 2, kRename = 3 };
  // What an injected failure does. RocksDB treats the first two differently:
  // after a full disk it may resume by itself; after another I/O error it
  // refuses writes until the database is opened again. kPowerCut fails the
  // operation and cuts the power at that moment (CutPower).
  enum class Error { kIoError, kNoSpace, kPowerCut };

  // Fails the next `count` operations of `kind`; a negative count fails
  // every one until Clear.
  void Fail(Kind kind, int64_t count, Error error = Error::kIoError) {
    error_.store(static_cast<int>(error));
    armed_[Index(kind)].store(count);
  }
  Error error() const { return static_cast<Error>(error_.load()); }
  // Disarms every kind (a cut power stays cut until RestorePower).
  void Clear() {
    for (auto& armed : armed_) armed.store(0);
  }
  // Failures injected so far, of `kind`.
  uint64_t injected(Kind kind) const { return injected_[Index(kind)].load(); }

  // The power cut. From now on every write, sync, rename, creation and
  // deletion of a file fails (the machine is off; the process does not know
  // yet). Reads go on: they come from memory.
  void CutPower() { power_cut_.store(true); }
  bool power_cut() const { return power_cut_.load(); }
  // After the store that used these files is closed: takes each file written
  // since the FileFaults was made back to its size at its last sync, as a
  // restart after the cut would find it. Only file contents are lost:
  // creations, renames and deletions of files count as durable at once
  // (RocksDB syncs the folder after each). Then the power is back.
  absl::Status DropUnsyncedData();
  void RestorePower() { power_cut_.store(false); }
  // Bytes dropped by DropUnsyncedData so far.
  uint64_t dropped_bytes() const { return dropped_bytes_.load(); }

  // For the file system wrapper: true (and counted) when this operation is
  // to fail; cuts the power when that is the armed error.
  bool ShouldFail(Kind kind) {
    if (kind != Kind::kRead && power_cut()) return true;
    std::atomic<int64_t>& armed = armed_[Index(kind)];
    int64_t left = armed.load();
    while (left != 0) {
      if (left < 0 || armed.compare_exchange_weak(left, left - 1)) {
        ++injected_[Index(kind)];
        if (error() == Error::kPowerCut) CutPower();
        return true;
      }
    }
    return false;
  }
  // For the file system wrapper: what the files hold and what is durable.
  void Created(const std::string& name, uint64_t size) ABSL_LOCKS_EXCLUDED(files_mu_);
  void Appended(const std::string& name, uint64_t bytes) ABSL_LOCKS_EXCLUDED(files_mu_);
  void Truncated(const std::string& name, uint64_t size) ABSL_LOCKS_EXCLUDED(files_mu_);
  void Synced(const std::string& name) ABSL_LOCKS_EXCLUDED(files_mu_);
  void Renamed(const std::string& from, const std::string& to) ABSL_LOCKS_EXCLUDED(files_mu_);
  void Deleted(const std::string& name) ABSL_LOCKS_EXCLUDED(files_mu_);

 private:
  static int Index(Kind kind) { return static_cast<int>(kind); }
  std::atomic<int64_t> armed_[4] = {0, 0, 0, 0};
  std::atomic<int> error_{0};
  std::atomic<uint64_t> injected_[4] = {0, 0, 0, 0};
  std::atomic<bool> power_cut_{false};
  std::atomic<uint64_t> dropped_bytes_{0};

  struct FileState {
    uint64_t size = 0;
    uint64_t synced = 0;
  };
  absl::Mutex files_mu_;
  std::map<std::string, FileState> files_ ABSL_GUARDED_BY(files_mu_);
};

}  // namespace bidtrail::storage

#endif  // BIDTRAIL_STORAGE_FILE_FAULTS_H_
