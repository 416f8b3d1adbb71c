// The CLI's connection to bidtraild: stubs with deadlines, the actor header,
// and errors turned into one clear line. Not thread-safe for setup; the
// stubs themselves are thread-safe.
#ifndef BIDTRAIL_TOOLS_CLI_CLIENT_H_
#define BIDTRAIL_TOOLS_CLI_CLIENT_H_

#include <chrono>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "bidtrail/v1/access.grpc.pb.h"
#include "bidtrail/v1/contacts.grpc.pb.h"
#include "bidtrail/v1/queries.grpc.pb.h"
#include "bidtrail/v1/tenders.grpc.pb.h"
#include "grpcpp/channel.h"
#include "grpcpp/client_context.h"
#include "output.h"

namespace bidtrail::cli {

struct Client {
  std::string server;
  std::string actor;
  // Sent as `authorization: Bearer <token>` when not empty.
  std::string token;
  // Where `token` came from, for messages: "--token", "BIDTRAIL_TOKEN", or
  // the credentials file.
  std::string token_source;
  Format format = Format::kTable;
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<v1::TendersService::Stub> tenders;
  std::unique_ptr<v1::QueriesService::Stub> queries;
  std::unique_ptr<v1::AccessService::Stub> access;
  std::unique_ptr<v1::ContactsService::Stub> contacts;

  // A context with the actor header and a deadline.
  std::unique_ptr<grpc::ClientContext> Context(
      std::chrono::seconds timeout = std::chrono::seconds(30)) const;
  // The same for a call made with another token and actor (another
  // principal's token, a person a service records for).
  std::unique_ptr<grpc::ClientContext> ContextAs(
      const std::string& as_token, const std::string& as_actor,
      std::chrono::seconds timeout = std::chrono::seconds(30)) const;

  // Prints the failed call's status as one line on stderr; returns the exit
  // code (1).
  int Fail(const grpc::Status& status) const;
};

// PEM files for TLS: the CA that signed the server's certificate (empty:
// plaintext), and the client's own certificate and key for mTLS.
struct TlsFiles {
  std::string ca;
  std::string cert;
  std::string key;
};

// INVALID_ARGUMENT naming the flag when a file cannot be read.
absl::StatusOr<Client> Connect(const std::string& server, const std::string& actor, Format format,
                               const TlsFiles& tls = TlsFiles());

// The credentials file: $XDG_CONFIG_HOME/bidtrail/credentials, else
// ~/.config/bidtrail/credentials; a line "SERVER TOKEN" per server.
std::string CredentialsPath();
// The token saved for `server`, "" when none.
std::string SavedToken(const std::string& server);
// Saves `token` for `server` (replacing its line), the file mode 0600.
absl::Status SaveToken(const std::string& server, const std::string& token);

// Sends a tender command through the RPC for its type.
grpc::Status SendCommand(const Client& client, const std::string& request_id,
                         const v1::TenderEvent& event, v1::CommandResult* result,
                         const v1::LateRecording& late = v1::LateRecording());

}  // namespace bidtrail::cli

#endif  // BIDTRAIL_TOOLS_CLI_CLIENT_H_
