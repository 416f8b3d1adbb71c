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
  if (faults.power_cut()) {
    return IOStatus::IOError(std::string("injected fault: power cut (") + what + ")");
  }
  const std::string message = std::string("injected fault: ") + what;
  if (faults.error() == FileFaults::Error::kNoSpace) return IOStatus::NoSpace(message);
  return IOStatus::IOError(message);
}

// Tables and the write-ahead log: what holds the data. The manifest, the
// lock, the options and the CURRENT file are left alone by armed faults, so
// that a fault fails an operation and not the opening of the database (a
// power cut stops them all).
bool IsDataFile(const std::string& name) {
  auto ends_with = [&](const char* suffix) {
    const std::string s(suffix);
    return name.size() >= s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
  };
  return ends_with(".sst") || ends_with(".log") || ends_with(".blob");
}

// Every writable file: counts what is written and synced (for
// DropUnsyncedData), and fails writes and syncs of data files when armed,
// of any file once the power is cut.
class FaultyWritableFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyWritableFile(std::unique_ptr<FSWritableFile> file, std::string name, FileFaults* faults)
      : FSWritableFileOwnerWrapper(std::move(file)),
        name_(std::move(name)),
        data_(IsDataFile(name_)),
        faults_(faults) {}

  IOStatus Append(const Slice& data, const IOOptions& options, IODebugContext* dbg) override {
    if (Fails(Kind::kWrite)) return Injected(*faults_, "write");
    IOStatus status = FSWritableFileOwnerWrapper::Append(data, options, dbg);
    if (status.ok()) faults_->Appended(name_, data.size());
    return status;
  }
  IOStatus Append(const Slice& data, const IOOptions& options,
                  const rocksdb::DataVerificationInfo& info, IODebugContext* dbg) override {
    if (Fails(Kind::kWrite)) return Injected(*faults_, "write");
    IOStatus status = FSWritableFileOwnerWrapper::Append(data, options, info, dbg);
    if (status.ok()) faults_->Appended(name_, data.size());
    return status;
  }
  IOStatus PositionedAppend(const Slice& data, uint64_t offset, const IOOptions& options,
                            IODebugContext* dbg) override {
    if (Fails(Kind::kWrite)) return Injected(*faults_, "write");
    IOStatus status = FSWritableFileOwnerWrapper::PositionedAppend(data, offset, options, dbg);
    if (status.ok()) faults_->Truncated(name_, offset + data.size());
    return status;
  }
  IOStatus Truncate(uint64_t size, const IOOptions& options, IODebugContext* dbg) override {
    if (Fails(Kind::kWrite)) return Injected(*faults_, "truncate");
    IOStatus status = FSWritableFileOwnerWrapper::Truncate(size, options, dbg);
    if (status.ok()) faults_->Truncated(name_, size);
    return status;
  }
  IOStatus Sync(const IOOptions& options, IODebugContext* dbg) override {
    if (Fails(Kind::kSync)) return Injected(*faults_, "sync");
    IOStatus status = FSWritableFileOwnerWrapper::Sync(options, dbg);
    if (status.ok()) faults_->Synced(name_);
    return status;
  }
  IOStatus Fsync(const IOOptions& options, IODebugContext* dbg) override {
    if (Fails(Kind::kSync)) return Injected(*faults_, "sync");
    IOStatus status = FSWritableFileOwnerWrapper::Fsync(options, dbg);
    if (status.ok()) faults_->Synced(name_);
    return status;
  }
  IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const IOOptions& options,
                     IODebugContext* dbg) override {
    // Writes back a range without the metadata: not counted as durable.
    if (faults_->power_cut()) return Injected(*faults_, "range sync");
    return FSWritableFileOwnerWrapper::RangeSync(offset, nbytes, options, dbg);
  }
  IOStatus Close(const IOOptions& options, IODebugContext* dbg) override {
    // Closing does not make anything durable; after a cut it only lets go.
    return FSWritableFileOwnerWrapper::Close(options, dbg);
  }

 private:
  bool Fails(Kind kind) {
    if (data_) return faults_->ShouldFail(kind);
    return faults_->power_cut();
  }

  const std::string name_;
  const bool data_;
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
    if (faults_->power_cut()) return Injected(*faults_, "create");
    IOStatus status = FileSystemWrapper::NewWritableFile(name, options, file, dbg);
    Wrap(name, status, /*size=*/0, file);
    return status;
  }
  IOStatus ReopenWritableFile(const std::string& name, const FileOptions& options,
                              std::unique_ptr<FSWritableFile>* file, IODebugContext* dbg) override {
    if (faults_->power_cut()) return Injected(*faults_, "reopen");
    uint64_t size = 0;
    if (!FileSystemWrapper::GetFileSize(name, IOOptions(), &size, dbg).ok()) size = 0;
    IOStatus status = FileSystemWrapper::ReopenWritableFile(name, options, file, dbg);
    Wrap(name, status, size, file);
    return status;
  }
  IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                             const FileOptions& options, std::unique_ptr<FSWritableFile>* file,
                             IODebugContext* dbg) override {
    if (faults_->power_cut()) return Injected(*faults_, "reuse");
    IOStatus status = FileSystemWrapper::ReuseWritableFile(name, old_name, options, file, dbg);
    if (status.ok()) faults_->Deleted(old_name);
    Wrap(name, status, /*size=*/0, file);
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
  IOStatus RenameFile(const std::string& from, const std::string& to, const IOOptions& options,
                      IODebugContext* dbg) override {
    if (faults_->ShouldFail(Kind::kRename)) return Injected(*faults_, "rename");
    IOStatus status = FileSystemWrapper::RenameFile(from, to, options, dbg);
    if (status.ok()) faults_->Renamed(from, to);
    return status;
  }
  IOStatus DeleteFile(const std::string& name, const IOOptions& options,
                      IODebugContext* dbg) override {
    if (faults_->power_cut()) return Injected(*faults_, "delete");
    IOStatus status = FileSystemWrapper::DeleteFile(name, options, dbg);
    if (status.ok()) faults_->Deleted(name);
    return status;
  }

 private:
  void Wrap(const std::string& name, const IOStatus& status, uint64_t size,
            std::unique_ptr<FSWritableFile>* file) {
    if (!status.ok()) return;
    faults_->Created(name, size);
    *file = std::make_unique<FaultyWritableFile>(std::move(*file), name, faults_.get());
  }

  const std::shared_ptr<FileFaults> faults_;
};

}  // namespace

std::unique_ptr<rocksdb::Env> NewFaultInjectingEnv(std::shared_ptr<FileFaults> faults) {
  return rocksdb::NewCompositeEnv(
      std::make_shared<FaultyFileSystem>(rocksdb::FileSystem::Default(), std::move(faults)));
}

}  // namespace bidtrail::storage
