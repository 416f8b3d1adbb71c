#include "client.h"

#include <cstdio>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "bidtrail/rpc/wire.h"
#include "bidtrail/tenders/client.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace bidtrail::cli {

std::unique_ptr<grpc::ClientContext> Client::Context(std::chrono::seconds timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!actor.empty()) context->AddMetadata(rpc::kActorHeader, actor);
  return context;
}

int Client::Fail(const grpc::Status& status) const {
  const std::string& message = status.error_message();
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      (absl::StrContains(message, "failed to connect") ||
       absl::StrContains(message, "Connection refused") ||
       absl::StrContains(message, "DNS resolution failed"))) {
    std::fprintf(stderr,
                 "bidtrail: cannot reach bidtraild at %s; is it running? (tools/up starts it; "
                 "--server or BIDTRAIL_SERVER point elsewhere)\n",
                 server.c_str());
  } else if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
    std::fprintf(stderr, "bidtrail: the bidtraild at %s does not host this service (%s)\n",
                 server.c_str(), message.c_str());
  } else {
    std::fprintf(
        stderr, "bidtrail: %s: %s\n",
        absl::StatusCodeToString(static_cast<absl::StatusCode>(status.error_code())).c_str(),
        message.c_str());
  }
  return 1;
}

Client Connect(const std::string& server, const std::string& actor, Format format) {
  Client client;
  client.server = server;
  client.actor = actor;
  client.format = format;
  client.channel = grpc::CreateChannel(server, grpc::InsecureChannelCredentials());
  client.tenders = v1::TendersService::NewStub(client.channel);
  client.queries = v1::QueriesService::NewStub(client.channel);
  return client;
}

grpc::Status SendCommand(const Client& client, const std::string& request_id,
                         const v1::TenderEvent& event, v1::CommandResult* result,
                         const v1::LateRecording& late) {
  std::unique_ptr<grpc::ClientContext> context = client.Context();
  return tenders::SendCommand(client.tenders.get(), context.get(), request_id, event, result, late);
}

}  // namespace bidtrail::cli
