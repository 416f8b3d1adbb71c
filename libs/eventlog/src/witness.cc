#include "witness.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace bidtrail::eventlog::internal {
namespace {

constexpr char kHeader[] = "bidtrail log witness 1";

absl::Status Errno(const std::string& what) {
  return absl::UnavailableError(absl::StrCat(what, ": ", std::strerror(errno)));
}

absl::Status SyncPath(const std::string& path, int flags) {
  const int fd = open(path.c_str(), flags);
  if (fd < 0) return Errno(absl::StrCat("opening ", path));
  const int synced = fsync(fd);
  close(fd);
  if (synced != 0) return Errno(absl::StrCat("syncing ", path));
  return absl::OkStatus();
}

}  // namespace

std::string WitnessPath(const std::string& dir) { return dir + "/BIDTRAIL-WITNESS"; }

absl::StatusOr<std::optional<Witness>> ReadWitness(const std::string& dir) {
  std::ifstream file(WitnessPath(dir));
  if (!file) return std::optional<Witness>();
  std::string header, position_word, position, hash_word, hash_hex;
  std::getline(file, header);
  file >> position_word >> position >> hash_word >> hash_hex;
  Witness witness;
  if (header != kHeader || position_word != "position" || hash_word != "hash" ||
      !absl::SimpleAtoi(position, &witness.position) || hash_hex.size() != 64) {
    return absl::DataLossError(
        absl::StrCat(WitnessPath(dir), " does not parse as a bidtrail log witness"));
  }
  witness.hash = absl::HexStringToBytes(hash_hex);
  return std::optional<Witness>(std::move(witness));
}

absl::Status WriteWitness(const std::string& dir, const Witness& witness) {
  const std::string path = WitnessPath(dir);
  const std::string temporary = path + ".new";
  const std::string text = absl::StrCat(kHeader, "\nposition ", witness.position, "\nhash ",
                                        absl::BytesToHexString(witness.hash), "\n");
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Errno(absl::StrCat("writing ", temporary));
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const bool synced = written && fsync(fd) == 0;
  close(fd);
  if (!synced) return Errno(absl::StrCat("writing ", temporary));
  if (rename(temporary.c_str(), path.c_str()) != 0) return Errno(absl::StrCat("renaming ", path));
  return SyncPath(dir, O_RDONLY | O_DIRECTORY);
}

}  // namespace bidtrail::eventlog::internal
