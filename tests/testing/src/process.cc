#include "bidtrail/testing/process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bidtrail/v1/access.grpc.pb.h"
#include "grpcpp/create_channel.h"

namespace bidtrail::testing {

BidtraildProcess::BidtraildProcess(const std::string& scratch_dir, std::vector<std::string> flags,
                                   std::vector<std::pair<std::string, std::string>> env) {
  static int counter = 0;
  const std::string port_file = absl::StrCat(scratch_dir, "/port-", getpid(), "-", ++counter);
  const char* dir = std::getenv("BIDTRAIL_BIN_DIR");
  const std::string binary = std::string(dir != nullptr ? dir : ".") + "/bidtraild";
  flags.insert(flags.begin(), {binary, "--listen=127.0.0.1:0", "--port_file=" + port_file});
  pid_ = fork();
  if (pid_ == 0) {
    for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
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

namespace {

std::unique_ptr<v1::AccessService::Stub> AccessStub(const std::string& address) {
  return v1::AccessService::NewStub(
      grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> ContextWith(const std::string& token) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!token.empty()) context->AddMetadata("authorization", "Bearer " + token);
  return context;
}

absl::Status Failed(const char* what, const grpc::Status& status) {
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                      absl::StrCat(what, ": ", status.error_message()));
}

}  // namespace

absl::StatusOr<std::string> InitAdmin(const std::string& address, const std::string& admin) {
  v1::InitRequest request;
  request.set_principal(admin);
  v1::InitResponse response;
  const grpc::Status status = AccessStub(address)->Init(ContextWith("").get(), request, &response);
  if (!status.ok()) return Failed("Init", status);
  return response.token();
}

absl::StatusOr<std::string> GrantWithToken(const std::string& address,
                                           const std::string& admin_token,
                                           const std::string& principal, const std::string& role) {
  auto stub = AccessStub(address);
  v1::GrantRequest grant;
  grant.mutable_grant()->set_principal(principal);
  v1::Role parsed;
  if (!v1::Role_Parse("ROLE_" + absl::AsciiStrToUpper(role), &parsed)) {
    return absl::InvalidArgumentError(absl::StrCat("no role ", role));
  }
  grant.mutable_grant()->set_role(parsed);
  if (parsed == v1::ROLE_BIDDER || parsed == v1::ROLE_MANAGER) {
    grant.mutable_grant()->add_territories("*");
  }
  v1::GrantResponse granted;
  grpc::Status status = stub->Grant(ContextWith(admin_token).get(), grant, &granted);
  if (!status.ok()) return Failed("Grant", status);
  v1::IssueTokenRequest issue;
  issue.set_principal(principal);
  v1::IssueTokenResponse issued;
  status = stub->IssueToken(ContextWith(admin_token).get(), issue, &issued);
  if (!status.ok()) return Failed("IssueToken", status);
  return issued.token();
}

}  // namespace bidtrail::testing
