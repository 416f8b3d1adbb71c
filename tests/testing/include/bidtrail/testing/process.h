// A bidtraild started as a real child process on 127.0.0.1 with a free port,
// for tests. Test-only.
#ifndef BIDTRAIL_TESTING_PROCESS_H_
#define BIDTRAIL_TESTING_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace bidtrail::testing {

class BidtraildProcess {
 public:
  // Starts build/bin/bidtraild (the folder in $BIDTRAIL_BIN_DIR) with
  // --listen=127.0.0.1:0 and `flags`, and `env` (name, value) added to its
  // environment, and waits until it listens.
  BidtraildProcess(const std::string& scratch_dir, std::vector<std::string> flags,
                   std::vector<std::pair<std::string, std::string>> env = {});
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

// Access for a test against the bidtraild at `address` (hosting the event
// store): makes `admin` its first admin (AccessService.Init) and returns the
// admin's token.
absl::StatusOr<std::string> InitAdmin(const std::string& address, const std::string& admin);

// With an admin's token: grants `principal` `role` ("service", "manager",
// ...; bidder and manager in every territory) and returns a new token for it.
absl::StatusOr<std::string> GrantWithToken(const std::string& address,
                                           const std::string& admin_token,
                                           const std::string& principal, const std::string& role);

}  // namespace bidtrail::testing

#endif  // BIDTRAIL_TESTING_PROCESS_H_
