#include "bidtrail/storage/file_faults.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace bidtrail::storage {

void FileFaults::Created(const std::string& name, uint64_t size) {
  absl::MutexLock lock(&files_mu_);
  // What was there before this handle counts as durable.
  files_[name] = FileState{size, size};
}

void FileFaults::Appended(const std::string& name, uint64_t bytes) {
  absl::MutexLock lock(&files_mu_);
  files_[name].size += bytes;
}

void FileFaults::Truncated(const std::string& name, uint64_t size) {
  absl::MutexLock lock(&files_mu_);
  FileState& file = files_[name];
  file.size = size;
  file.synced = std::min(file.synced, size);
}

void FileFaults::Synced(const std::string& name) {
  absl::MutexLock lock(&files_mu_);
  FileState& file = files_[name];
  file.synced = file.size;
}

void FileFaults::Renamed(const std::string& from, const std::string& to) {
  absl::MutexLock lock(&files_mu_);
  auto it = files_.find(from);
  if (it == files_.end()) {
    files_.erase(to);
    return;
  }
  const FileState state = it->second;
  files_.erase(it);
  files_[to] = state;
}

void FileFaults::Deleted(const std::string& name) {
  absl::MutexLock lock(&files_mu_);
  files_.erase(name);
}

absl::Status FileFaults::DropUnsyncedData() {
  absl::MutexLock lock(&files_mu_);
  for (auto& [name, state] : files_) {
    std::error_code error;
    const uintmax_t size = std::filesystem::file_size(name, error);
    if (error) continue;  // gone: nothing to take back
    if (size <= state.synced) continue;
    std::filesystem::resize_file(name, state.synced, error);
    if (error) {
      return absl::InternalError(
          absl::StrCat("dropping the unsynced end of ", name, ": ", error.message()));
    }
    dropped_bytes_ += size - state.synced;
    state.size = state.synced;
  }
  RestorePower();
  return absl::OkStatus();
}

}  // namespace bidtrail::storage
