#include "bidtrail/contacts/key_store.h"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "bidtrail/common/status_macros.h"
#include "bidtrail/contacts/seal.h"

namespace bidtrail::contacts {
namespace {

absl::Status Errno(std::string_view what, const std::string& path) {
  return absl::InternalError(
      absl::StrCat("key store: ", std::string(what), " ", path, ": ", std::strerror(errno)));
}

absl::Status SyncPath(const std::string& path, int flags) {
  const int fd = ::open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return Errno("open", path);
  const int synced = ::fsync(fd);
  ::close(fd);
  return synced == 0 ? absl::OkStatus() : Errno("fsync", path);
}

// Writes `bytes` to a new file `path` (mode 0600) through a temporary name,
// synced, then the folder synced.
absl::Status WriteFileSynced(const std::string& dir, const std::string& path,
                             std::string_view bytes) {
  const std::string temporary = path + ".new";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return Errno("create", temporary);
  const bool written =
      ::write(fd, bytes.data(), bytes.size()) == static_cast<ssize_t>(bytes.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  if (!written) return Errno("write", temporary);
  if (::rename(temporary.c_str(), path.c_str()) != 0) return Errno("rename", temporary);
  return SyncPath(dir, O_RDONLY | O_DIRECTORY);
}

// A key id names a file: lower-case letters, digits and '-', 1 to 64.
bool SafeId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<std::unique_ptr<KeyStore>> KeyStore::Open(const std::string& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("key store ", dir, ": cannot be created: ", error.message()));
  }
  ::chmod(dir.c_str(), 0700);
  return std::unique_ptr<KeyStore>(new KeyStore(dir));
}

KeyStore::~KeyStore() {
  absl::MutexLock lock(&mu_);
  for (auto& [id, key] : cache_) OPENSSL_cleanse(key.data(), key.size());
}

std::string KeyStore::PathOf(std::string_view id) const {
  return absl::StrCat(dir_, "/", std::string(id), ".key");
}

absl::StatusOr<std::string> KeyStore::Get(std::string_view id) {
  if (!SafeId(id))
    return absl::InvalidArgumentError(absl::StrCat("key id \"", std::string(id), "\""));
  absl::MutexLock lock(&mu_);
  if (auto found = cache_.find(id); found != cache_.end()) return found->second;
  const std::string path = PathOf(id);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::NotFoundError(absl::StrCat("no key for ", std::string(id)));
    return Errno("open", path);
  }
  std::string key(kKeyBytes, '\0');
  const ssize_t got = ::read(fd, key.data(), key.size());
  ::close(fd);
  if (got != static_cast<ssize_t>(kKeyBytes)) {
    return absl::DataLossError(
        absl::StrCat("key store: ", path, " is not a ", kKeyBytes, "-byte key"));
  }
  cache_.emplace(std::string(id), key);
  return key;
}

absl::StatusOr<std::string> KeyStore::GetOrCreate(std::string_view id) {
  absl::StatusOr<std::string> found = Get(id);
  if (!absl::IsNotFound(found.status())) return found;
  absl::MutexLock lock(&mu_);
  if (auto cached = cache_.find(id); cached != cache_.end()) return cached->second;
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), kKeyBytes) != 1) {
    return absl::InternalError("key store: no random bytes for a key");
  }
  RETURN_IF_ERROR(WriteFileSynced(dir_, PathOf(id), key));
  cache_.emplace(std::string(id), key);
  return key;
}

absl::Status KeyStore::Destroy(std::string_view id) {
  if (!SafeId(id))
    return absl::InvalidArgumentError(absl::StrCat("key id \"", std::string(id), "\""));
  absl::MutexLock lock(&mu_);
  if (auto cached = cache_.find(id); cached != cache_.end()) {
    OPENSSL_cleanse(cached->second.data(), cached->second.size());
    cache_.erase(cached);
  }
  const std::string path = PathOf(id);
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return Errno("open", path);
  }
  // Zeros over the key's bytes, on the disk, before the name goes.
  const std::string zeros(kKeyBytes, '\0');
  const bool wiped =
      ::pwrite(fd, zeros.data(), zeros.size(), 0) == static_cast<ssize_t>(zeros.size()) &&
      ::fsync(fd) == 0;
  ::close(fd);
  if (!wiped) return Errno("overwrite", path);
  if (::unlink(path.c_str()) != 0) return Errno("remove", path);
  return SyncPath(dir_, O_RDONLY | O_DIRECTORY);
}

absl::Status KeyStore::CopyTo(const std::string& dir) {
  std::error_code error;
  if (std::filesystem::exists(dir, error)) {
    return absl::AlreadyExistsError(absl::StrCat("key store copy ", dir, ": already exists"));
  }
  std::filesystem::create_directories(dir, error);
  if (error)
    return absl::InternalError(absl::StrCat("key store copy ", dir, ": ", error.message()));
  ::chmod(dir.c_str(), 0700);
  absl::MutexLock lock(&mu_);  // no key made or destroyed meanwhile
  for (const auto& entry : std::filesystem::directory_iterator(dir_, error)) {
    const std::string name = entry.path().filename().string();
    if (name.size() < 5 || name.substr(name.size() - 4) != ".key") continue;
    const int fd = ::open(entry.path().c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Errno("open", entry.path().string());
    std::string key(kKeyBytes, '\0');
    const ssize_t got = ::read(fd, key.data(), key.size());
    ::close(fd);
    if (got != static_cast<ssize_t>(kKeyBytes)) continue;
    absl::Status copied = WriteFileSynced(dir, absl::StrCat(dir, "/", name), key);
    OPENSSL_cleanse(key.data(), key.size());
    RETURN_IF_ERROR(copied);
  }
  if (error) return absl::InternalError(absl::StrCat("key store ", dir_, ": ", error.message()));
  return absl::OkStatus();
}

}  // namespace bidtrail::contacts
