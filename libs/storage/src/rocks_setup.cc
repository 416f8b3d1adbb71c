#include "bidtrail/storage/rocks_setup.h"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <cstdarg>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <memory>
#include <string_view>
#include <system_error>

#include "bidtrail/common/log.h"
#include "rocksdb/env.h"
#include "rocksdb/listener.h"

namespace bidtrail::storage {
namespace {

constexpr uintmax_t kRollBytes = uintmax_t{16} << 20;

// RocksDB's info log, written with write(2): a failed write loses a line and
// nothing else. (RocksDB's own logger writes through a WritableFileWriter,
// which after one failed append aborts the process on the next, when the
// library is built with assertions as Debian's is.)
class InfoLog final : public rocksdb::Logger {
 public:
  explicit InfoLog(std::string path)
      : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), path_(std::move(path)) {
    std::error_code error;
    if (std::filesystem::file_size(path_, error) > kRollBytes && !error) {
      std::filesystem::rename(path_, path_ + ".old", error);
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  }
  ~InfoLog() override {
    if (fd_ >= 0) ::close(fd_);
  }

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    Write(rocksdb::InfoLogLevel::INFO_LEVEL, format, ap);
  }
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override {
    if (level < GetInfoLogLevel()) return;
    Write(level, format, ap);
  }

 protected:
  rocksdb::Status CloseImpl() override { return rocksdb::Status::OK(); }

 private:
  void Write(rocksdb::InfoLogLevel level, const char* format, va_list ap) {
    char line[8192];
    struct timeval now;
    gettimeofday(&now, nullptr);
    struct tm utc;
    gmtime_r(&now.tv_sec, &utc);
    int used = std::snprintf(line, sizeof(line), "%04d/%02d/%02d-%02d:%02d:%02d.%06ld ",
                             utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                             utc.tm_min, utc.tm_sec, static_cast<long>(now.tv_usec));
    const int prefix = used;
    va_list copy;
    va_copy(copy, ap);
    const int wrote = std::vsnprintf(line + used, sizeof(line) - used - 1, format, copy);
    va_end(copy);
    if (wrote < 0) return;
    used = std::min<int>(used + wrote, sizeof(line) - 2);
    if (line[used - 1] != '\n') line[used++] = '\n';
    if (fd_ >= 0) {
      // Ignored on purpose: a full disk loses this line, nothing else.
      (void)!::write(fd_, line, used);
    }
    if (level >= rocksdb::InfoLogLevel::WARN_LEVEL && level < rocksdb::InfoLogLevel::HEADER_LEVEL) {
      const std::string_view text(line + prefix, used - prefix - 1);
      log::Write(
          level >= rocksdb::InfoLogLevel::ERROR_LEVEL ? log::Level::kError : log::Level::kWarning,
          "rocksdb", text, {{"log", path_}});
    }
  }

  const std::string path_;
  int fd_ = -1;
};

// Turns RocksDB's own recovery from background errors off.
class NoAutoRecovery final : public rocksdb::EventListener {
 public:
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason /*reason*/, rocksdb::Status /*bg_error*/,
                            bool* auto_recovery) override {
    *auto_recovery = false;
  }
};

}  // namespace

void SetUpRocksDb(const std::string& path, rocksdb::DBOptions* options) {
  std::error_code error;
  std::filesystem::create_directories(path, error);  // RocksDB reports what fails
  options->info_log = std::make_shared<InfoLog>(path + "/LOG");
  options->max_bgerror_resume_count = 0;
  options->listeners.push_back(std::make_shared<NoAutoRecovery>());
}

}  // namespace bidtrail::storage
