#include "bidtrail/web/http_face.h"

#include <httplib.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "bidtrail/api/message_json.h"
#include "bidtrail/common/json.h"
#include "bidtrail/common/log.h"
#include "bidtrail/metrics/metrics.h"
#include "bidtrail/v1/contacts.grpc.pb.h"
#include "bidtrail/v1/queries.grpc.pb.h"
#include "bidtrail/web/calendar.h"
#include "bidtrail/web/params.h"
#include "grpcpp/client_context.h"
#include "pages.h"

namespace bidtrail::web {
namespace {

// The gRPC code's name, as the error JSON carries it (gRPC's codes are
// absl's).
std::string CodeName(grpc::StatusCode code) {
  return absl::StatusCodeToString(static_cast<absl::StatusCode>(code));
}

// The HTTP status that fits a gRPC code (as grpc-gateway maps them).
int HttpStatus(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::OK:
      return 200;
    case grpc::StatusCode::CANCELLED:
      return 499;
    case grpc::StatusCode::INVALID_ARGUMENT:
    case grpc::StatusCode::FAILED_PRECONDITION:
    case grpc::StatusCode::OUT_OF_RANGE:
      return 400;
    case grpc::StatusCode::UNAUTHENTICATED:
      return 401;
    case grpc::StatusCode::PERMISSION_DENIED:
      return 403;
    case grpc::StatusCode::NOT_FOUND:
      return 404;
    case grpc::StatusCode::ALREADY_EXISTS:
    case grpc::StatusCode::ABORTED:
      return 409;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return 429;
    case grpc::StatusCode::UNIMPLEMENTED:
      return 501;
    case grpc::StatusCode::UNAVAILABLE:
      return 503;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return 504;
    default:
      return 500;
  }
}

void Error(httplib::Response& response, grpc::StatusCode code, const std::string& message) {
  response.status = HttpStatus(code);
  if (code == grpc::StatusCode::UNAUTHENTICATED) {
    response.set_header("WWW-Authenticate", "Bearer realm=\"bidtrail\"");
  }
  response.set_content(absl::StrCat("{\"error\":{\"code\":", JsonString(CodeName(code)),
                                    ",\"message\":", JsonString(message), "}}\n"),
                       "application/json");
}

void Error(httplib::Response& response, const absl::Status& status) {
  Error(response, static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

// The caller's token: the Authorization header ("Bearer btk_..."), else the
// sign-in cookie, else (calendar feeds only: calendar apps send no headers)
// the token parameter.
std::string Authorization(const httplib::Request& request, bool token_parameter) {
  if (std::string header = request.get_header_value("Authorization"); !header.empty()) {
    return header;
  }
  for (absl::string_view cookie :
       absl::StrSplit(request.get_header_value("Cookie"), ';', absl::SkipWhitespace())) {
    cookie = absl::StripAsciiWhitespace(cookie);
    if (absl::ConsumePrefix(&cookie, "bidtrail_token=") && !cookie.empty()) {
      return absl::StrCat("Bearer ", cookie);
    }
  }
  if (token_parameter && request.has_param("token")) {
    return absl::StrCat("Bearer ", request.get_param_value("token"));
  }
  return "";
}

// Percent-encodes all but the unreserved characters (RFC 3986): a path
// and its query as one parameter's value.
std::string UrlEncode(absl::string_view text) {
  std::string out;
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      constexpr char kDigits[] = "0123456789ABCDEF";
      out += {'%', kDigits[c >> 4], kDigits[c & 15]};
    }
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> Params(const httplib::Request& request) {
  return {request.params.begin(), request.params.end()};
}

// An IANA zone ("Asia/Shanghai", "UTC") or a fixed offset ("+08:00", whose
// "+" arrives as a space when left unencoded in a URL).
bool LoadZone(const std::string& text, absl::TimeZone* zone) {
  if (absl::LoadTimeZone(text, zone)) return true;
  int hours = 0;
  int minutes = 0;
  if (text.size() == 6 && (text[0] == '+' || text[0] == '-' || text[0] == ' ') && text[3] == ':' &&
      absl::SimpleAtoi(text.substr(1, 2), &hours) &&
      absl::SimpleAtoi(text.substr(4, 2), &minutes) && hours <= 14 && minutes < 60) {
    const int seconds = (hours * 60 + minutes) * 60;
    *zone = absl::FixedTimeZone(text[0] == '-' ? -seconds : seconds);
    return true;
  }
  return false;
}

}  // namespace

class HttpFace::Impl {
 public:
  Impl(std::unique_ptr<httplib::Server> server, std::shared_ptr<grpc::Channel> queries, bool tls)
      : server_(std::move(server)),
        stub_(queries != nullptr ? v1::QueriesService::NewStub(queries) : nullptr),
        // The notebook, where this process hosts it (with the event store);
        // elsewhere its calls answer UNIMPLEMENTED, said as such.
        contacts_(queries != nullptr ? v1::ContactsService::NewStub(queries) : nullptr),
        tls_(tls) {}

  ~Impl() {
    server_->stop();
    if (thread_.joinable()) thread_.join();
  }

  absl::Status Listen(const std::string& listen) {
    const size_t colon = listen.rfind(':');
    int port = 0;
    if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), &port) ||
        port < 0 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("http: \"", listen, "\" is not HOST:PORT (such as 127.0.0.1:8080)"));
    }
    host_ = listen.substr(0, colon);
    if (host_.size() > 2 && host_.front() == '[' && host_.back() == ']') {
      host_ = host_.substr(1, host_.size() - 2);
    }
    // The face only reads: a form field is all a request body holds.
    server_->set_payload_max_length(64 * 1024);
    // A response is written as headers then body: with Nagle's algorithm
    // the body waits for the client's delayed acknowledgement (40 ms on
    // Linux) on a kept-alive connection. Pages make several requests each.
    server_->set_tcp_nodelay(true);
    server_->set_keep_alive_max_count(100);
    // httplib compresses with brotli, at its slowest quality, whenever a
    // client offers it: 60-90 ms of CPU for 50 KB, where gzip takes 3 ms
    // and is nearly as small. Browsers offer both: they get gzip.
    server_->set_pre_routing_handler([](const httplib::Request& request, httplib::Response&) {
      // The request is the server's own, not const: only its handlers'
      // view of it is.
      httplib::Headers& headers = const_cast<httplib::Request&>(request).headers;
      const auto [first, last] = headers.equal_range("Accept-Encoding");
      for (auto it = first; it != last; ++it) {
        std::vector<std::string> kept;
        for (absl::string_view token : absl::StrSplit(it->second, ',', absl::SkipWhitespace())) {
          token = absl::StripAsciiWhitespace(token);
          if (!absl::StartsWith(token, "br")) kept.emplace_back(token);
        }
        it->second = absl::StrJoin(kept, ", ");
      }
      return httplib::Server::HandlerResponse::Unhandled;
    });
    Routes();
    if (port == 0) {
      port_ = server_->bind_to_any_port(host_);
    } else if (server_->bind_to_port(host_, port)) {
      port_ = port;
    }
    if (port_ <= 0) {
      return absl::UnavailableError(
          absl::StrCat("http: cannot listen on ", listen, " (in use? pick another with --http)"));
    }
    thread_ = std::thread([this] { server_->listen_after_bind(); });
    for (int i = 0; i < 500 && !server_->is_running(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return absl::OkStatus();
  }

  int port() const { return port_; }
  std::string url() const {
    const std::string host = host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_;
    return absl::StrCat(tls_ ? "https" : "http", "://", host, ":", port_);
  }

 private:
  using Stub = v1::QueriesService::Stub;

  // GET `pattern`: the request's fields from the URL parameters (and from
  // the path: `from_path` sets them from the pattern's groups), the call,
  // the response as JSON.
  template <typename Service, typename Request, typename Response>
  void Api(const std::string& pattern,
           grpc::Status (Service::*call)(grpc::ClientContext*, const Request&, Response*),
           std::function<void(const httplib::Match&, Request*)> from_path = nullptr) {
    server_->Get(pattern, [this, call, from_path](const httplib::Request& http,
                                                  httplib::Response& out) {
      absl::TimeZone zone = absl::UTCTimeZone();
      if (http.has_param("tz") && !LoadZone(http.get_param_value("tz"), &zone)) {
        Error(out, grpc::StatusCode::INVALID_ARGUMENT,
              absl::StrCat("tz: \"", http.get_param_value("tz"),
                           "\" is not a time zone (an IANA name such as Asia/Shanghai, UTC, or "
                           "an offset such as %2B08:00)"));
        return;
      }
      if (http.has_param("token")) {
        Error(out, grpc::StatusCode::UNAUTHENTICATED,
              "token: a token in the URL is taken by the calendar feeds only; send it as the "
              "header Authorization: Bearer <token>");
        return;
      }
      Request request;
      if (from_path) from_path(http.matches, &request);
      if (absl::Status filled = FillRequest(Params(http), {"tz"}, zone, &request); !filled.ok()) {
        Error(out, filled);
        return;
      }
      Response response;
      const grpc::Status status = Call(http, false, call, request, &response);
      if (!status.ok()) {
        Error(out, status.error_code(), status.error_message());
        return;
      }
      // What a caller's token may read is not for shared caches, nor for a
      // browser's back button after signing out.
      out.set_header("Cache-Control", "no-store");
      out.set_content(api::MessageJson(response, zone) + "\n", "application/json");
    });
  }

  template <typename Service, typename Request, typename Response>
  grpc::Status Call(const httplib::Request& http, bool token_parameter,
                    grpc::Status (Service::*call)(grpc::ClientContext*, const Request&, Response*),
                    const Request& request, Response* response) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    if (const std::string authorization = Authorization(http, token_parameter);
        !authorization.empty()) {
      context.AddMetadata("authorization", authorization);
    }
    if constexpr (std::is_same_v<Service, v1::ContactsService::Stub>) {
      const grpc::Status status = (contacts_.get()->*call)(&context, request, response);
      if (status.error_code() == grpc::StatusCode::UNIMPLEMENTED) {
        return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                            "the customer notebook is kept by the bidtraild that hosts the event "
                            "store; this one does not");
      }
      return status;
    } else {
      return (stub_.get()->*call)(&context, request, response);
    }
  }

  // GET /calendar/...: the open deadlines the parameters select, for a
  // year ahead unless `within` says otherwise, as an iCalendar feed.
  // `path_field`: the request field the path sets ("owner_team",
  // "territory"; "" for none): not a parameter then.
  void Calendar(
      const std::string& pattern, const std::string& path_field,
      std::function<std::string(const httplib::Match&, v1::DeadlinesRequest*)> set_from_path) {
    server_->Get(pattern, [this, path_field, set_from_path](const httplib::Request& http,
                                                            httplib::Response& out) {
      if (!path_field.empty() && http.has_param(path_field)) {
        Error(out, grpc::StatusCode::INVALID_ARGUMENT,
              absl::StrCat(path_field, ": the feed's path names it (", http.path,
                           "); leave the parameter out"));
        return;
      }
      v1::DeadlinesRequest request;
      const std::string name = set_from_path(http.matches, &request);
      request.mutable_within()->set_seconds(365 * 24 * 3600);
      request.set_page_size(1000);
      if (absl::Status filled = FillRequest(Params(http), {"token"}, absl::UTCTimeZone(), &request);
          !filled.ok()) {
        Error(out, filled);
        return;
      }
      std::vector<v1::DeadlineItem> deadlines;
      for (int page = 0; page < 100; ++page) {
        v1::DeadlinesResponse response;
        grpc::Status status = Call(http, true, &Stub::Deadlines, request, &response);
        if (!status.ok()) {
          Error(out, status.error_code(), status.error_message());
          return;
        }
        for (v1::DeadlineItem& item : *response.mutable_deadlines()) {
          deadlines.push_back(std::move(item));
        }
        if (response.next_page_token().empty()) break;
        request.set_page_token(response.next_page_token());
      }
      if (deadlines.empty() && (path_field == "owner_team" || path_field == "territory")) {
        // A feed named after a team or territory no tender has stays empty
        // forever in a calendar app: a typo is said, not served.
        const bool team = path_field == "owner_team";
        v1::ListTendersRequest any;
        if (team) any.set_owner_team(request.owner_team());
        if (!team) any.set_territory(request.territory());
        any.set_page_size(1);
        v1::ListTendersResponse found;
        grpc::Status status = Call(http, true, &Stub::ListTenders, any, &found);
        if (status.ok() && found.tenders_size() == 0) {
          Error(out, grpc::StatusCode::NOT_FOUND,
                absl::StrCat("no tender of ", team ? "team \"" : "territory \"",
                             team ? request.owner_team() : request.territory(),
                             "\" is recorded; names are as tenders record them (bidtrail tender "
                             "search shows each tender's team and territory)"));
          return;
        }
      }
      CalendarOptions options;
      options.name = absl::StrCat("bidtrail deadlines: ", name);
      options.tender_url_prefix = absl::StrCat(url(), "/tenders/");
      out.set_content(DeadlinesCalendar(deadlines, options), "text/calendar; charset=utf-8");
    });
  }

  void Routes() {
    // Prometheus scrapes this (deploy/prometheus): counts and timings, no
    // business data, so no token (docs/web.md).
    server_->Get("/metrics", [](const httplib::Request&, httplib::Response& out) {
      out.set_content(metrics::Exposition(), "text/plain; version=0.0.4; charset=utf-8");
    });
    // The face only reads: other methods are refused as such.
    auto read_only = [](const httplib::Request& request, httplib::Response& out) {
      Error(out, grpc::StatusCode::UNIMPLEMENTED,
            absl::StrCat(request.method, " ", request.path,
                         ": this server only reads (GET); record with the CLI or gRPC"));
      out.status = 405;
      out.set_header("Allow", "GET");
    };
    if (stub_ != nullptr) Pages();
    server_->Post(".*", read_only);
    server_->Put(".*", read_only);
    server_->Patch(".*", read_only);
    server_->Delete(".*", read_only);
    SetErrorHandlers();
    if (stub_ == nullptr) return;  // metrics only: no queries service to answer through
    const std::string id = "([^/]+)";
    Api("/api/v1/status", &Stub::GetProjectionStatus);
    Api("/api/v1/deadlines", &Stub::Deadlines);
    Api("/api/v1/winloss", &Stub::WinLoss);
    Api("/api/v1/segments", &Stub::Segments);
    Api("/api/v1/competitors", &Stub::Competitors);
    Api("/api/v1/signals", &Stub::Signals);
    Api("/api/v1/review", &Stub::PipelineReview);
    // The notebook (docs/notebook.md): read-only here, as everything.
    Api("/api/v1/contacts", &v1::ContactsService::Stub::ListContacts);
    Api<v1::ContactsService::Stub, v1::GetContactRequest, v1::GetContactResponse>(
        "/api/v1/contacts/" + id, &v1::ContactsService::Stub::GetContact,
        [](const httplib::Match& match, v1::GetContactRequest* request) {
          request->set_contact_id(match[1].str());
        });
    Api<v1::ContactsService::Stub, v1::BuyerCoverageRequest, v1::BuyerCoverageResponse>(
        "/api/v1/buyers/" + id + "/coverage", &v1::ContactsService::Stub::BuyerCoverage,
        [](const httplib::Match& match, v1::BuyerCoverageRequest* request) {
          request->set_buyer_id(match[1].str());
        });
    Api("/api/v1/tenders", &Stub::ListTenders);
    Api("/api/v1/history", &Stub::ActorHistory);
    Api("/api/v1/verify", &Stub::VerifyLog);
    Api<Stub, v1::TimelineRequest, v1::TimelineResponse>(
        "/api/v1/tenders/" + id + "/timeline", &Stub::Timeline,
        [](const httplib::Match& match, v1::TimelineRequest* request) {
          request->set_tender_id(match[1].str());
        });
    Api<Stub, v1::TenderAsOfRequest, v1::TenderAsOfResponse>(
        "/api/v1/tenders/" + id + "/as_of", &Stub::TenderAsOf,
        [](const httplib::Match& match, v1::TenderAsOfRequest* request) {
          request->set_tender_id(match[1].str());
        });
    Calendar("/calendar/all\\.ics", "",
             [](const httplib::Match&, v1::DeadlinesRequest*) { return std::string("all teams"); });
    // The caller's own: the tenders the token's principal recorded on.
    Calendar("/calendar/mine\\.ics", "mine",
             [](const httplib::Match&, v1::DeadlinesRequest* request) {
               request->set_mine(true);
               return std::string("mine");
             });
    Calendar("/calendar/team/" + id + "\\.ics", "owner_team",
             [](const httplib::Match& match, v1::DeadlinesRequest* request) {
               request->set_owner_team(match[1].str());
               return "team " + match[1].str();
             });
    Calendar("/calendar/territory/" + id + "\\.ics", "territory",
             [](const httplib::Match& match, v1::DeadlinesRequest* request) {
               request->set_territory(match[1].str());
               return "territory " + match[1].str();
             });
  }

  // Where a page sends a caller without valid credentials: the sign-in
  // page, which comes back here once signed in.
  static void ToSignIn(const httplib::Request& http, httplib::Response& out, bool refused) {
    std::string here = http.path;
    if (const size_t query = http.target.find('?'); query != std::string::npos) {
      here += http.target.substr(query);
    }
    out.status = 303;
    out.set_header("Location",
                   absl::StrCat("/signin?next=", UrlEncode(here), refused ? "&refused=1" : ""));
    if (refused) ClearCookie(out);
  }

  static void ClearCookie(httplib::Response& out) {
    out.set_header("Set-Cookie", "bidtrail_token=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict");
  }

  // A page's headers: no framing, no sniffing, scripts and styles from this
  // server only (uPlot sets styles from script).
  static void PageHeaders(httplib::Response& out) {
    out.set_header("Content-Security-Policy",
                   "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
                   "frame-ancestors 'none'; form-action 'self'; base-uri 'none'");
    out.set_header("X-Content-Type-Options", "nosniff");
    out.set_header("X-Frame-Options", "DENY");
    out.set_header("Referrer-Policy", "same-origin");
    out.set_header("Cache-Control", "no-store");
  }

  // Whether a form post comes from a page of this server: a browser sends
  // Origin with every POST; another site's form is refused (no one is
  // signed in or out behind their back).
  bool SameOrigin(const httplib::Request& http) const {
    const std::string origin = http.get_header_value("Origin");
    if (origin.empty()) return true;  // not a browser's cross-site post
    return origin == absl::StrCat(tls_ ? "https://" : "http://", http.get_header_value("Host"));
  }

  // Whether `token` proves someone: one call with it. Only UNAUTHENTICATED
  // refuses it (a role without this call is still signed in).
  grpc::StatusCode Check(const std::string& authorization) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.AddMetadata("authorization", authorization);
    v1::GetProjectionStatusResponse response;
    return stub_->GetProjectionStatus(&context, {}, &response).error_code();
  }

  void Page(const std::string& pattern, const std::string& page, const std::string& title) {
    server_->Get(pattern, [this, page, title](const httplib::Request& http,
                                              httplib::Response& out) {
      const std::string authorization = Authorization(http, false);
      if (authorization.empty()) return ToSignIn(http, out, false);
      if (Check(authorization) == grpc::StatusCode::UNAUTHENTICATED) {
        return ToSignIn(http, out, true);
      }
      // The tender's or the buyer's id, for the page's script.
      const std::string tender = page == "tender" || page == "buyer" ? http.matches[1].str() : "";
      PageHeaders(out);
      out.set_content(PageHtml(page, tender.empty() ? title : tender, tender),
                      "text/html; charset=utf-8");
    });
  }

  // The dashboard (docs/web.md): pages, sign-in and out, static files.
  void Pages() {
    server_->Get("/", [](const httplib::Request&, httplib::Response& out) {
      out.set_redirect("/board", 303);
    });
    Page("/board", "board", "Deadlines");
    Page("/winloss", "winloss", "Win/loss");
    Page("/segments", "segments", "Nine-grid");
    Page("/competitors", "competitors", "Competitors");
    Page("/signals", "signals", "Signals");
    Page("/review", "review", "Weekly review");
    Page("/buyers/([^/]+)", "buyer", "Buyer");
    Page("/tenders/([^/]+)", "tender", "Tender");
    server_->Get("/signin", [](const httplib::Request& http, httplib::Response& out) {
      PageHeaders(out);
      out.set_content(
          SignInHtml(
              http.get_param_value("next"),
              http.has_param("refused")
                  ? "Your token was not accepted (revoked, expired or mistyped): sign in again."
                  : ""),
          "text/html; charset=utf-8");
    });
    server_->Post("/signin", [this](const httplib::Request& http, httplib::Response& out) {
      httplib::Params form;
      httplib::detail::parse_query_text(http.body, form);
      auto field = [&form](const std::string& name) {
        auto it = form.find(name);
        return it == form.end() ? std::string() : it->second;
      };
      const std::string next = LocalPath(field("next"));
      PageHeaders(out);
      if (!SameOrigin(http)) {
        out.status = 403;
        out.set_content(SignInHtml(next, "This sign-in came from another site's page: refused."),
                        "text/html; charset=utf-8");
        return;
      }
      const std::string token(absl::StripAsciiWhitespace(field("token")));
      const bool well_formed = !token.empty() && token.size() < 512 &&
                               std::all_of(token.begin(), token.end(), [](char c) {
                                 return absl::ascii_isalnum(c) || c == '_' || c == '-';
                               });
      const grpc::StatusCode checked =
          well_formed ? Check("Bearer " + token) : grpc::StatusCode::UNAUTHENTICATED;
      if (checked == grpc::StatusCode::UNAUTHENTICATED) {
        out.status = 401;
        out.set_content(
            SignInHtml(next, token.empty() ? "Give your token."
                                           : "That token is not accepted (revoked, expired or "
                                             "mistyped). Tokens look like btk_…"),
            "text/html; charset=utf-8");
        return;
      }
      if (checked == grpc::StatusCode::UNAVAILABLE) {
        out.status = 503;
        out.set_content(SignInHtml(next, "The server cannot check tokens now; try again shortly."),
                        "text/html; charset=utf-8");
        return;
      }
      // HttpOnly: no script reads it; SameSite=Strict: no other site's
      // page sends it; Secure under TLS. A session cookie: it ends with the
      // browser, and the token's own expiry and revocation still hold.
      out.set_header("Set-Cookie",
                     absl::StrCat("bidtrail_token=", token, "; Path=/; HttpOnly; SameSite=Strict",
                                  tls_ ? "; Secure" : ""));
      out.status = 303;
      out.set_header("Location", next);
    });
    server_->Post("/signout", [this](const httplib::Request& http, httplib::Response& out) {
      if (!SameOrigin(http)) {
        out.status = 403;
        out.set_content("sign-out from another site's page: refused\n", "text/plain");
        return;
      }
      ClearCookie(out);
      out.status = 303;
      out.set_header("Location", "/signin");
    });
    server_->Get("/static/([^/]+)", [](const httplib::Request& http, httplib::Response& out) {
      std::optional<StaticResponse> file = FindStatic(http.matches[1].str());
      if (!file) {
        out.status = 404;
        out.set_content("no such file\n", "text/plain");
        return;
      }
      // The pages name files with the build's version: cached for good.
      out.set_header("Cache-Control", http.get_param_value("v") == StaticVersion()
                                          ? "public, max-age=31536000, immutable"
                                          : "no-cache");
      out.set_header("X-Content-Type-Options", "nosniff");
      out.set_content(std::string(file->content), file->content_type);
    });
  }

  void SetErrorHandlers() {
    const bool api = stub_ != nullptr;
    server_->set_error_handler([api](const httplib::Request& request, httplib::Response& out) {
      if (out.status == 404 && out.body.empty() && !api) {
        Error(out, grpc::StatusCode::NOT_FOUND,
              absl::StrCat(request.path,
                           ": this bidtraild serves only /metrics; the API and the calendar "
                           "feeds are served by the one that hosts the queries service"));
      } else if (out.status == 404 && out.body.empty() &&
                 !absl::StartsWith(request.path, "/api/") &&
                 !absl::StartsWith(request.path, "/calendar/") &&
                 absl::StrContains(request.get_header_value("Accept"), "text/html")) {
        // A browser: a page, not JSON.
        out.set_content(NotFoundHtml(request.path), "text/html; charset=utf-8");
      } else if (out.status == 404 && out.body.empty()) {
        Error(out, grpc::StatusCode::NOT_FOUND,
              absl::StrCat(request.path,
                           ": no such page; the dashboard is at /board, the API is under /api/v1/ "
                           "(status, deadlines, "
                           "winloss, segments, competitors, signals, review, contacts, "
                           "buyers/ID/coverage, tenders, tenders/ID/timeline, "
                           "tenders/ID/as_of, history, verify), the feeds under /calendar/, "
                           "metrics at /metrics"));
      }
    });
    server_->set_exception_handler(
        [](const httplib::Request&, httplib::Response& out, std::exception_ptr) {
          Error(out, grpc::StatusCode::INTERNAL, "the request failed inside the server");
        });
    server_->set_logger([](const httplib::Request& request, const httplib::Response& response) {
      static prometheus::Family<prometheus::Counter>& requests = metrics::Counters(
          "bidtrail_http_requests_total",
          "HTTP requests answered, by method and status (refusals before any gRPC call "
          "included)");
      requests.Add({{"method", request.method}, {"status", std::to_string(response.status)}})
          .Increment();
      if (response.status >= 500) {
        log::Warn("http", "request failed", {{"path", request.path}, {"status", response.status}});
      }
    });
  }

  std::unique_ptr<httplib::Server> server_;
  std::unique_ptr<Stub> stub_;
  std::unique_ptr<v1::ContactsService::Stub> contacts_;
  const bool tls_;
  std::string host_;
  int port_ = 0;
  std::thread thread_;
};

absl::StatusOr<std::unique_ptr<HttpFace>> HttpFace::Start(const Options& options,
                                                          std::shared_ptr<grpc::Channel> queries) {
  std::unique_ptr<httplib::Server> server;
  const bool tls = !options.tls_cert_file.empty() || !options.tls_key_file.empty();
  if (tls) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty()) {
      return absl::InvalidArgumentError("http TLS: give both a certificate and its key");
    }
    auto secure = std::make_unique<httplib::SSLServer>(options.tls_cert_file.c_str(),
                                                       options.tls_key_file.c_str());
    if (!secure->is_valid()) {
      return absl::InvalidArgumentError(absl::StrCat("http TLS: cannot use ", options.tls_cert_file,
                                                     " with ", options.tls_key_file));
    }
    server = std::move(secure);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  auto impl = std::make_unique<Impl>(std::move(server), std::move(queries), tls);
  if (absl::Status listening = impl->Listen(options.listen); !listening.ok()) return listening;
  return std::unique_ptr<HttpFace>(new HttpFace(std::move(impl)));
}

HttpFace::HttpFace(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HttpFace::~HttpFace() = default;
int HttpFace::port() const { return impl_->port(); }
std::string HttpFace::url() const { return impl_->url(); }

}  // namespace bidtrail::web
