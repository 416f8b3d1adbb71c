#include "bidtrail/testing/process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace bidtrail::testing {

BidtraildProcess::BidtraildProcess(const std::string& scratch_dir, std::vector<std::string> flags) {
  static int counter = 0;
  const std::string port_file = absl::StrCat(scratch_dir, "/port-", getpid(), "-", ++counter);
  const char* dir = std::getenv("BIDTRAIL_BIN_DIR");
  const std::string binary = std::string(dir != nullptr ? dir : ".") + "/bidtraild";
  flags.insert(flags.begin(), {binary, "--listen=127.0.0.1:0", "--port_file=" + port_file});
  pid_ = fork();
  if (pid_ == 0) {
    std::vector<char*> argv;
    for (std::string& flag : flags) argv.push_back(flag.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  for (int i = 0; i < 400 && port_ == 0; ++i) {
    std::ifstream in(port_file);
    if (!(in >> port_)) {
      port_ = 0;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {  // exited before listening
        pid_ = -1;
        return;
      }
      absl::SleepFor(absl::Milliseconds(25));
    }
  }
}

BidtraildProcess::~BidtraildProcess() {
  if (pid_ > 0) Stop();
}

std::string BidtraildProcess::address() const { return absl::StrCat("127.0.0.1:", port_); }

int BidtraildProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace bidtrail::testing
