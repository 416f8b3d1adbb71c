// FileFaults: failures to inject into the files under a RocksDB database,
// for tests of what the layers above do when storage fails (as LevelDB's
// fault-injection Env). A store opened with a FileFaults routes every file
// operation through it; tests arm it to fail the next writes, syncs or
// reads of data files with an I/O error. Thread-safe; armed and cleared at
// any time.
#ifndef BIDTRAIL_STORAGE_FILE_FAULTS_H_
#define BIDTRAIL_STORAGE_FILE_FAULTS_H_

#include <atomic>
#include <cstdint>

namespace bidtrail::storage {

class FileFaults {
 public:
  enum class Kind { kWrite = 0, kSync = 1, kRead = 2 };
  // What an injected failure says. RocksDB treats them differently: after a
  // full disk it resumes writing once there is room again; after another I/O
  // error it refuses writes until the database is opened again.
  enum class Error { kIoError, kNoSpace };

  // Fails the next `count` operations of `kind` on data files (tables and
  // the write-ahead log; not the manifest, the lock or the options file);
  // a negative count fails every one until Clear.
  void Fail(Kind kind, int64_t count, Error error = Error::kIoError) {
    no_space_.store(error == Error::kNoSpace);
    armed_[Index(kind)].store(count);
  }
  Error error() const { return no_space_.load() ? Error::kNoSpace : Error::kIoError; }
  // Disarms every kind.
  void Clear() {
    for (auto& armed : armed_) armed.store(0);
  }
  // Failures injected so far, of `kind`.
  uint64_t injected(Kind kind) const { return injected_[Index(kind)].load(); }

  // For the file system wrapper: true (and counted) when this operation is
  // to fail.
  bool ShouldFail(Kind kind) {
    std::atomic<int64_t>& armed = armed_[Index(kind)];
    int64_t left = armed.load();
    while (left != 0) {
      if (left < 0 || armed.compare_exchange_weak(left, left - 1)) {
        ++injected_[Index(kind)];
        return true;
      }
    }
    return false;
  }

 private:
  static int Index(Kind kind) { return static_cast<int>(kind); }
  std::atomic<int64_t> armed_[3] = {0, 0, 0};
  std::atomic<bool> no_space_{false};
  std::atomic<uint64_t> injected_[3] = {0, 0, 0};
};

}  // namespace bidtrail::storage

#endif  // BIDTRAIL_STORAGE_FILE_FAULTS_H_
