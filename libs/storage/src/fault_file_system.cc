#include <string>
#include <utility>

#include "bidtrail/storage/fault_env.h"
#include "rocksdb/file_system.h"

namespace bidtrail::storage {
namespace {

using rocksdb::FileOptions;
using rocksdb::FSRandomAccessFile;
using rocksdb::FSSequentialFile;
using rocksdb::FSWritableFile;
using rocksdb::IODebugContext;
using rocksdb::IOOptions;
using rocksdb::IOStatus;
using rocksdb::Slice;

using Kind = FileFaults::Kind;

IOStatus Injected(const FileFaults& faults, const char* what) {
  const std::string message = std::string("injected fault: ") + what;
  if (faults.error() == FileFaults::Error::kNoSpace) return IOStatus::NoSpace(message);
  return IOStatus::IOError(message);
}

// Tables and the write-ahead log: what holds the data. The manifest, the
// lock, the options and the CURRENT file are left alone, so that a fault
// fails an operation and not the opening of the database.
bool IsDataFile(const std::string& name) {
  auto ends_with = [&](const char* suffix) {
    const std::string s(suffix);
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends_with(".sst") || ends_with(".log") || ends_with(".blob");
}

class FaultyWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyWritableFile(std::unique_ptr<FSWritableFile> file, FileFaults* faults)
      : FSWritableFileOwnerWrapper(std::move(file)), faults_(faults) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->ShouldFail(Kind::kWrite)) return Injected(*faults_, "write");
    return FSWritableFileOwnerWrapper::Append(data, options, dbg);
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
    if (faults_->ShouldFail(Kind::kWrite)) return Injected(*faults_, "write");
    return FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->ShouldFail(Kind::kSync)) return Injected(*faults_, "sync");
    return FSWritableFileOwnerWrapper::Sync(options, dbg);
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (faults_->ShouldFail(Kind::kSync)) return Injected(*faults_, "sync");
    return FSWritableFileOwnerWrapper::Fsync(options, dbg);
  }

 private:
  FileFaults* const faults_;
};

class FaultyRandomAccessFile final : public rocksdb::FSRandomAccessFileOwnerWrapper {
 public:
  FaultyRandomAccessFile(std::unique_ptr<FSRandomAccessFile> file, FileFaults* faults)
      : FSRandomAccessFileOwnerWrapper(std::move(file)), faults_(faults) {}

  IOStatus Read(uint64_t offset, size_t n, const IOOptions& options, Slice* result, char* scratch,
                IODebugContext* dbg) const override {
    if (faults_->ShouldFail(Kind::kRead)) return Injected(*faults_, "read");
    return FSRandomAccessFileOwnerWrapper::Read(offset, n, options, result, scratch, dbg);
  }
  IOStatus MultiRead(rocksdb::FSReadRequest* requests, size_t count, const IOOptions& options,
                     IODebugContext* dbg) override {
    if (faults_->ShouldFail(Kind::kRead)) return Injected(*faults_, "read");
    return FSRandomAccessFileOwnerWrapper::MultiRead(requests, count, options, dbg);
  }

 private:
  FileFaults* const faults_;
};

class FaultyFileSystem final : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem(const std::shared_ptr<rocksdb::FileSystem>& base,
                   std::shared_ptr<FileFaults> faults)
      : FileSystemWrapper(base), faults_(std::move(faults)) {}

  const char* Name() const override { return "bidtrail.FaultyFileSystem"; }

  IOStatus NewWritableFile(const std::string& name, const FileOptions& options,
                           std::unique_ptr<FSWritableFile>* file, IODebugContext* dbg) override {
    IOStatus status = FileSystemWrapper::NewWritableFile(name, options, file, dbg);
    Wrap(name, status, file);
    return status;
  }
  IOStatus ReopenWritableFile(const std::string& name, const FileOptions& options,
                              std::unique_ptr<FSWritableFile>* file, IODebugContext* dbg) override {
    IOStatus status = FileSystemWrapper::ReopenWritableFile(name, options, file, dbg);
    Wrap(name, status, file);
    return status;
  }
  IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                             const FileOptions& options, std::unique_ptr<FSWritableFile>* file,
                             IODebugContext* dbg) override {
    IOStatus status = FileSystemWrapper::ReuseWritableFile(name, old_name, options, file, dbg);
    Wrap(name, status, file);
    return status;
  }
  IOStatus NewRandomAccessFile(const std::string& name, const FileOptions& options,
                               std::unique_ptr<FSRandomAccessFile>* file,
                               IODebugContext* dbg) override {
    IOStatus status = FileSystemWrapper::NewRandomAccessFile(name, options, file, dbg);
    if (status.ok() && IsDataFile(name)) {
      *file = std::make_unique<FaultyRandomAccessFile>(std::move(*file), faults_.get());
    }
    return status;
  }

 private:
  void Wrap(const std::string& name, const IOStatus& status,
            std::unique_ptr<FSWritableFile>* file) {
    if (status.ok() && IsDataFile(name)) {
      *file = std::make_unique<FaultyWritableFile>(std::move(*file), faults_.get());
    }
  }

  const std::shared_ptr<FileFaults> faults_;
};

}  // namespace

std::unique_ptr<rocksdb::Env> NewFaultInjectingEnv(std::shared_ptr<FileFaults> faults) {
  return rocksdb::NewCompositeEnv(
      std::make_shared<FaultyFileSystem>(rocksdb::FileSystem::Default(), std::move(faults)));
}

}  // namespace bidtrail::storage
