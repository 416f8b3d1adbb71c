// HttpFace: bidtraild's HTTP face (docs/web.md). The JSON API under
// /api/v1/ mirrors the QueriesService call for call, with the request's
// fields as URL parameters and the response as the CLI's --json prints it;
// /calendar/... serves open deadlines as iCalendar feeds. Every request is
// answered through the QueriesService with the caller's token, so the same
// credentials and roles hold as on gRPC.
#ifndef BIDTRAIL_WEB_HTTP_FACE_H_
#define BIDTRAIL_WEB_HTTP_FACE_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"

namespace bidtrail::web {

class HttpFace {
 public:
  struct Options {
    // host:port to listen on (port 0: any free one).
    std::string listen = "127.0.0.1:8080";
    // PEM certificate chain and key to serve HTTPS with; both or neither.
    std::string tls_cert_file;
    std::string tls_key_file;
  };

  // Listens, and answers through `queries` (a channel to a QueriesService:
  // the process's own, or another bidtraild's); with no channel, serves
  // /metrics alone. INVALID_ARGUMENT for a bad address or certificate;
  // UNAVAILABLE when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<HttpFace>> Start(const Options& options,
                                                         std::shared_ptr<grpc::Channel> queries);
  // Stops listening; requests in progress finish first.
  ~HttpFace();

  int port() const;
  // "http://127.0.0.1:8080" (https with TLS).
  std::string url() const;

  class Impl;

 private:
  explicit HttpFace(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bidtrail::web

#endif  // BIDTRAIL_WEB_HTTP_FACE_H_
