#include "bidtrail/rpc/status.h"

#include <string>

#include "absl/strings/str_cat.h"

namespace bidtrail::rpc {

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // A message travels in the call's trailing metadata (8 KiB by default): one
  // that quotes a long value would turn a clear refusal into
  // RESOURCE_EXHAUSTED. Cut it, and say so.
  std::string message(status.message());
  if (message.size() > kMaxStatusMessageBytes) {
    const size_t total = message.size();
    message.resize(kMaxStatusMessageBytes);
    // Not in the middle of a UTF-8 sequence.
    while (!message.empty() && (static_cast<unsigned char>(message.back()) & 0xC0) == 0x80) {
      message.pop_back();
    }
    if (!message.empty() && (static_cast<unsigned char>(message.back()) & 0x80) != 0) {
      message.pop_back();
    }
    absl::StrAppend(&message, "... (message cut: ", total, " bytes)");
  }
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), message);
}

absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(status.error_code()), status.error_message());
}

}  // namespace bidtrail::rpc
