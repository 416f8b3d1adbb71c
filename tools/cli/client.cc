#include "client.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "bidtrail/rpc/wire.h"
#include "bidtrail/tenders/client.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "output.h"

namespace bidtrail::cli {

std::unique_ptr<grpc::ClientContext> Client::Context(std::chrono::seconds timeout) const {
  return ContextAs(token, actor, timeout);
}

std::unique_ptr<grpc::ClientContext> Client::ContextAs(const std::string& as_token,
                                                       const std::string& as_actor,
                                                       std::chrono::seconds timeout) const {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  if (!as_actor.empty()) context->AddMetadata(rpc::kActorHeader, as_actor);
  if (!as_token.empty()) context->AddMetadata("authorization", "Bearer " + as_token);
  return context;
}

std::string CredentialsPath() {
  const char* config = std::getenv("XDG_CONFIG_HOME");
  const char* home = std::getenv("HOME");
  const std::string base = config != nullptr && config[0] != '\0' ? config
                           : home != nullptr                      ? std::string(home) + "/.config"
                                                                  : std::string(".config");
  return base + "/bidtrail/credentials";
}

namespace {

// The same loopback server under its other names: localhost:P,
// 127.0.0.1:P and [::1]:P are one server, whichever a token was saved for.
std::vector<std::string> LoopbackAliases(const std::string& server) {
  const size_t colon = server.rfind(':');
  if (colon == std::string::npos) return {};
  const std::string host = server.substr(0, colon);
  const std::string port = server.substr(colon);
  static constexpr const char* kLoopback[] = {"127.0.0.1", "localhost", "[::1]"};
  if (std::find(std::begin(kLoopback), std::end(kLoopback), host) == std::end(kLoopback)) {
    return {};
  }
  std::vector<std::string> aliases;
  for (const char* other : kLoopback) {
    if (host != other) aliases.push_back(other + port);
  }
  return aliases;
}

}  // namespace

std::string SavedToken(const std::string& server) {
  std::map<std::string, std::string> saved;
  std::ifstream file(CredentialsPath());
  std::string line;
  while (std::getline(file, line)) {
    const size_t space = line.find(' ');
    if (space != std::string::npos) saved[line.substr(0, space)] = line.substr(space + 1);
  }
  // The name typed first, then its loopback aliases.
  std::vector<std::string> names = {server};
  for (std::string& alias : LoopbackAliases(server)) names.push_back(std::move(alias));
  for (const std::string& name : names) {
    if (auto found = saved.find(name); found != saved.end()) return found->second;
  }
  return "";
}

absl::Status SaveToken(const std::string& server, const std::string& token) {
  const std::filesystem::path path = CredentialsPath();
  std::error_code error;
  std::filesystem::create_directories(path.parent_path(), error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create ", path.parent_path().string(), ": ", error.message()));
  }
  std::vector<std::string> lines;
  {
    std::ifstream file(path);
    std::string line;
    while (std::getline(file, line)) {
      if (line.rfind(server + " ", 0) != 0) lines.push_back(line);
    }
  }
  lines.push_back(server + " " + token);
  // Written to a file only its owner can read, then moved into place.
  const std::string temporary = path.string() + ".new";
  const int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return absl::FailedPreconditionError(absl::StrCat("cannot write ", temporary));
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  const bool written = write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  close(fd);
  if (!written || rename(temporary.c_str(), path.c_str()) != 0) {
    return absl::FailedPreconditionError(absl::StrCat("cannot write ", path.string()));
  }
  return absl::OkStatus();
}

// The server names request fields and event types; the CLI user typed
// flags and commands. Whole words only; the first match of a word wins.
std::string InCliWords(const std::string& message) {
  static const std::vector<std::pair<std::string, std::string>> kWords = {
      {"(late.reason; bidtrail --late-reason TEXT)", "(--late-reason TEXT)"},
      {"(late.approver; bidtrail --manager NAME)", "(--manager NAME)"},
      {"check occurred_at (--at)", "check --at"},
      {"reason: required", "--reason is required"},
      {"buyer.id: required", "--buyer ID[:NAME] is required"},
      {"bidder.id: required", "--bidder ID[:NAME] is required"},
      {"amount.amount", "--amount"},
      {"bidder.id", "--bidder"},
      {"buyer.id", "--buyer"},
      {"reporting.currency", "--currency"},
      {"reporting.rates[", "--rate ["},
      {"deal_size.currency", "--thresholds-in"},
      {"thresholds.currency", "--thresholds-in"},
      {"deal_size.medium_from", "--medium-from"},
      {"deal_size.large_from", "--large-from"},
      {"occurred_by", "--happened-by"},
      {"occurred_at", "--at"},
      {"exception_approver", "--approver"},
      {"documents_available_until", "the documents cut-off (--documents-until)"},
      {"submission_deadline", "the submission deadline (--submission-deadline)"},
      {"bid_opening_at", "the opening (--opening)"},
      {"estimated_value", "--estimated"},
      {"owner_team", "--team"},
      {"source_reference", "--source"},
      {"contact_name", "--contact"},
      {"contact_id", "--contact-id"},
      {"obtained_by", "--by"},
      {"award_id", "--award-id"},
      {"bidder_id", "--bidder"},
      {"lot_ids", "--lot"},
      {"lot_id", "--lot"},
      {"time_zone", "--tender-tz"},
      {"procurement_method", "--method"},
      {"discovery_channel", "--channel"},
      {"ActivityLogged", "`activity log`"},
      {"DocumentObtained", "`doc obtained`"},
      {"(kind TENDER_DOCUMENTS)", "(--kind tender-documents)"},
  };
  auto word_char = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  std::string out = message;
  for (const auto& [word, cli] : kWords) {
    size_t at = 0;
    while ((at = out.find(word, at)) != std::string::npos) {
      const bool starts = at == 0 || !word_char(out[at - 1]) || !word_char(word.front());
      const size_t end = at + word.size();
      const bool ends = end == out.size() || !word_char(out[end]) || !word_char(word.back());
      if (!starts || !ends) {
        at = end;
        continue;
      }
      out.replace(at, word.size(), cli);
      at += cli.size();
    }
  }
  // The server writes times in UTC ("2026-03-01T04:00:00Z"); the user reads
  // them in the display zone, with the offset.
  static const std::regex kUtcTime(R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z)");
  std::string zoned;
  std::sregex_iterator it(out.begin(), out.end(), kUtcTime);
  size_t copied = 0;
  for (; it != std::sregex_iterator(); ++it) {
    absl::Time time;
    std::string error;
    const std::string text = it->str();
    zoned.append(out, copied, static_cast<size_t>(it->position()) - copied);
    copied = static_cast<size_t>(it->position() + it->length());
    zoned += absl::ParseTime(absl::RFC3339_full, text, &time, &error) ? HumanTime(time) : text;
  }
  zoned.append(out, copied, std::string::npos);
  return zoned;
}

int Client::Fail(const grpc::Status& status) const {
  const std::string message = InCliWords(status.error_message());
  if (status.error_code() == grpc::StatusCode::UNAVAILABLE &&
      (absl::StrContains(message, "failed to connect") ||
       absl::StrContains(message, "Connection refused") ||
       absl::StrContains(message, "DNS resolution failed"))) {
    std::fprintf(stderr,
                 "bidtrail: cannot reach bidtraild at %s; is it running? (tools/up starts it; "
                 "--server or BIDTRAIL_SERVER point elsewhere; a server with TLS needs "
                 "--tls_ca)\n",
                 server.c_str());
  } else if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED && !token.empty()) {
    std::fprintf(stderr,
                 "bidtrail: UNAUTHENTICATED: %s (the token from %s); `bidtrail auth login` saves "
                 "a token an admin gave you for %s\n",
                 message.c_str(), token_source.c_str(), server.c_str());
  } else if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    // No token at all: say where the CLI looked, for which server.
    std::fprintf(stderr,
                 "bidtrail: UNAUTHENTICATED: %s\n  no token for %s: none in --token or "
                 "BIDTRAIL_TOKEN, and none saved for it in %s. `bidtrail auth login` saves one "
                 "an admin gave you; on a new server, `bidtrail auth init NAME` makes the first "
                 "admin (tools/up does, for its own server)\n",
                 message.c_str(), server.c_str(), CredentialsPath().c_str());
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

namespace {

absl::Status CheckServerAddress(const std::string& server) {
  const auto starts = [&](const char* prefix) { return absl::StartsWith(server, prefix); };
  if (starts("http://") || starts("https://")) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--server ", server, ": write HOST:PORT, without http:// (bidtraild speaks gRPC there; ",
        "for example 127.0.0.1:50051)"));
  }
  // gRPC's own target forms (dns:, unix:, ipv4:, ...) are taken as they are.
  if (starts("dns:") || starts("unix:") || starts("unix-abstract:") || starts("ipv4:") ||
      starts("ipv6:") || starts("vsock:")) {
    return absl::OkStatus();
  }
  const size_t colon = server.rfind(':');
  const size_t bracket = server.rfind(']');
  if (server.empty() || colon == std::string::npos ||
      (bracket != std::string::npos && colon < bracket) || colon + 1 == server.size()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--server \"", server,
        "\": no port; write HOST:PORT (bidtraild listens on 127.0.0.1:50051 unless started "
        "with another --listen; tools/up says where it serves)"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Client> Connect(const std::string& server, const std::string& actor, Format format,
                               const TlsFiles& tls) {
  if (absl::Status address = CheckServerAddress(server); !address.ok()) return address;
  Client client;
  client.server = server;
  client.actor = actor;
  client.format = format;
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::InsecureChannelCredentials();
  if (!tls.ca.empty() || !tls.cert.empty()) {
    auto read = [](const std::string& path, const char* flag) -> absl::StatusOr<std::string> {
      std::ifstream file(path);
      if (!file) {
        return absl::InvalidArgumentError(absl::StrCat("--", flag, ": cannot read ", path));
      }
      return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    };
    grpc::SslCredentialsOptions options;
    if (!tls.ca.empty()) {
      absl::StatusOr<std::string> ca = read(tls.ca, "tls_ca");
      if (!ca.ok()) return ca.status();
      options.pem_root_certs = *ca;
    }
    if (!tls.cert.empty()) {
      absl::StatusOr<std::string> cert = read(tls.cert, "tls_cert");
      if (!cert.ok()) return cert.status();
      absl::StatusOr<std::string> key = read(tls.key, "tls_key");
      if (!key.ok()) return key.status();
      options.pem_cert_chain = *cert;
      options.pem_private_key = *key;
    }
    credentials = grpc::SslCredentials(options);
  }
  client.channel = grpc::CreateChannel(server, credentials);
  client.tenders = v1::TendersService::NewStub(client.channel);
  client.queries = v1::QueriesService::NewStub(client.channel);
  client.access = v1::AccessService::NewStub(client.channel);
  client.contacts = v1::ContactsService::NewStub(client.channel);
  return client;
}

grpc::Status SendCommand(const Client& client, const std::string& request_id,
                         const v1::TenderEvent& event, v1::CommandResult* result,
                         const v1::LateRecording& late) {
  std::unique_ptr<grpc::ClientContext> context = client.Context();
  return tenders::SendCommand(client.tenders.get(), context.get(), request_id, event, result, late);
}

}  // namespace bidtrail::cli
