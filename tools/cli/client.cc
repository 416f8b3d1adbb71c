#include "client.h"

#include <cstdio>

#include "absl/strings/match.h"
#include "bidtrail/tenders/client.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"

namespace bidtrail::cli {
namespace {

const char* CodeName(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::ABORTED:
      return "ABORTED";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::DATA_LOSS:
      return "DATA_LOSS";
    default:
      return "ERROR";
  }
}

}  // namespace

std::unique_ptr<grpc::ClientContext> Client::Context(std::chrono::seconds timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!actor.empty()) context->AddMetadata("x-bidtrail-actor", actor);
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
    std::fprintf(stderr, "bidtrail: %s: %s\n", CodeName(status.error_code()), message.c_str());
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
                         const v1::TenderEvent& event, v1::CommandResult* result) {
  std::unique_ptr<grpc::ClientContext> context = client.Context();
  return tenders::SendCommand(client.tenders.get(), context.get(), request_id, event, result);
}

}  // namespace bidtrail::cli
