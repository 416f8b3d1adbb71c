// What every bidtrail server and client agrees on beyond the .proto files:
// the request metadata names and the message size limit. Header-only.
#ifndef BIDTRAIL_RPC_WIRE_H_
#define BIDTRAIL_RPC_WIRE_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "grpcpp/security/auth_context.h"
#include "grpcpp/server_context.h"

namespace bidtrail::rpc {

// Who records (the actor stored on every event), and the correlation id a
// client may give to tie its calls together.
inline constexpr char kActorHeader[] = "x-bidtrail-actor";
inline constexpr char kCorrelationHeader[] = "x-bidtrail-correlation-id";

// The largest message a server or client sends or accepts: a page of events
// (up to 10,000 events of up to 1 MiB each are refused by the log's own
// limits first; pages are cut by bytes well below this).
inline constexpr int kMaxMessageBytes = 64 << 20;

// The value of request metadata `name`, or "" when absent.
// The refusal of a recording call that says nobody (no credential checker,
// and no kActorHeader).
inline absl::Status ActorRequired() {
  return absl::UnauthenticatedError(
      absl::StrCat("metadata ", kActorHeader,
                   ": required; say who records this (bidtrail --actor NAME, or BIDTRAIL_ACTOR)"));
}

inline std::string Metadata(const grpc::ServerContextBase& context, const char* name) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(name);
  if (it == metadata.end()) return "";
  return std::string(it->second.data(), it->second.size());
}

// What proves the caller of a call: its `authorization` metadata ("Bearer
// btk_..."), else the verified client certificate's subject as
// "\nx509:<name>" (a SAN's DNS name, else the CN). The newline cannot occur
// in metadata a client sends, so no client can claim a certificate it did not
// present. "" when neither.
inline std::string Credential(const grpc::ServerContextBase& context) {
  std::string authorization = Metadata(context, "authorization");
  if (!authorization.empty()) return authorization;
  const std::shared_ptr<const grpc::AuthContext> auth = context.auth_context();
  if (auth == nullptr || !auth->IsPeerAuthenticated()) return "";
  for (const char* property : {"x509_subject_alternative_name", "x509_common_name"}) {
    for (const grpc::string_ref& value : auth->FindPropertyValues(property)) {
      if (value.size() > 0) return "\nx509:" + std::string(value.data(), value.size());
    }
  }
  return "";
}

}  // namespace bidtrail::rpc

#endif  // BIDTRAIL_RPC_WIRE_H_
