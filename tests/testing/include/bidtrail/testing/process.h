// A bidtraild started as a real child process on 127.0.0.1 with a free port,
// for tests. Test-only.
#ifndef BIDTRAIL_TESTING_PROCESS_H_
#define BIDTRAIL_TESTING_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

namespace bidtrail::testing {

class BidtraildProcess {
 public:
  // Starts build/bin/bidtraild (the folder in $BIDTRAIL_BIN_DIR) with
  // --listen=127.0.0.1:0 and `flags`, and waits until it listens.
  BidtraildProcess(const std::string& scratch_dir, std::vector<std::string> flags);
  // Stops it (SIGTERM) if still running.
  ~BidtraildProcess();
  BidtraildProcess(const BidtraildProcess&) = delete;
  BidtraildProcess& operator=(const BidtraildProcess&) = delete;

  // 0 when it did not start.
  int port() const { return port_; }
  std::string address() const;
  // SIGTERM, then the exit status (-1 when killed by a signal).
  int Stop();

 private:
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace bidtrail::testing

#endif  // BIDTRAIL_TESTING_PROCESS_H_
