// `bidtrail auth ...`: the first admin, who am I, tokens and roles
// (docs/security.md).
#include <termios.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/strip.h"
#include "bidtrail/common/proto_time.h"
#include "commands.h"

namespace bidtrail::cli {
namespace {

std::string RoleText(const v1::PrincipalRole& role) {
  std::string text = absl::AsciiStrToLower(v1::Role_Name(role.role()).substr(5));
  if (!role.territories().empty()) {
    absl::StrAppend(&text, " of ", absl::StrJoin(role.territories(), ", "));
  }
  return text;
}

std::string RolesText(const google::protobuf::RepeatedPtrField<v1::PrincipalRole>& roles) {
  std::vector<std::string> parts;
  for (const v1::PrincipalRole& role : roles) parts.push_back(RoleText(role));
  return parts.empty() ? "no role" : absl::StrJoin(parts, "; ");
}

std::string GrantText(v1::Role role, const google::protobuf::RepeatedPtrField<std::string>& where,
                      const std::string& principal, bool granted) {
  v1::PrincipalRole held;
  held.set_role(role);
  *held.mutable_territories() = where;
  return absl::StrCat(granted ? "granted " : "withdrew ", RoleText(held),
                      granted ? " to " : " from ", principal);
}

absl::StatusOr<v1::Role> RoleArg(const std::string& word) {
  v1::Role role;
  if (v1::Role_Parse("ROLE_" + absl::AsciiStrToUpper(word), &role) &&
      role != v1::ROLE_UNSPECIFIED) {
    return role;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("ROLE: \"", word, "\" is not one of bidder, manager, analyst, admin, service"));
}

int Init(const Client& client, const Args& args) {
  v1::InitRequest request;
  request.set_principal(args.positional().empty() ? client.actor : args.positional()[0]);
  if (request.principal().empty()) {
    return Usage("name the first admin: bidtrail auth init NAME (or set BIDTRAIL_ACTOR)");
  }
  v1::InitResponse response;
  auto context = client.Context();
  const grpc::Status status = client.access->Init(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  if (absl::Status saved = SaveToken(client.server, response.token()); !saved.ok()) {
    std::fprintf(stderr, "bidtrail: %s; keep the token yourself: %s\n",
                 std::string(saved.message()).c_str(), response.token().c_str());
    return 1;
  }
  if (client.format != Format::kTable) {
    Table table({"principal", "server", "token", "saved_in"});
    table.Add({Cell::Text(response.principal()), Cell::Text(client.server),
               Cell::Text(response.token()), Cell::Text(CredentialsPath())});
    table.Print(client.format);
    return 0;
  }
  std::printf(
      "%s is the first admin of %s. Its token, shown this once, is saved in %s (mode 0600):\n"
      "  %s\n",
      response.principal().c_str(), client.server.c_str(), CredentialsPath().c_str(),
      response.token().c_str());
  return 0;
}

// Checks a token someone was given and saves it for this server: the next
// commands use it without --token.
int Login(const Client& client, const Args& args) {
  std::string token;
  if (!args.positional().empty()) {
    token = args.positional()[0];
  } else {
    // From standard input, so that it stays out of the shell's history; at
    // a terminal, not shown as it is typed or pasted.
    termios shown{};
    const bool terminal = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &shown) == 0;
    if (terminal) {
      std::fprintf(stderr, "token (not shown): ");
      termios hidden = shown;
      hidden.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &hidden);
    }
    std::getline(std::cin, token);
    if (terminal) {
      tcsetattr(STDIN_FILENO, TCSAFLUSH, &shown);
      std::fprintf(stderr, "\n");
    }
  }
  token = std::string(absl::StripAsciiWhitespace(token));
  if (token.empty()) {
    return Usage(
        "no token given: paste the one an admin gave you (btk_...) after `bidtrail auth login`, "
        "or pass it: bidtrail auth login TOKEN");
  }
  if (token.rfind("btk_", 0) != 0) {
    return Usage("TOKEN: a bidtrail token starts with btk_ (bidtrail auth token NAME makes one)");
  }
  // This token, not the one saved before.
  auto context = client.ContextAs(token, client.actor);
  v1::WhoAmIResponse response;
  const grpc::Status status = client.access->WhoAmI(context.get(), v1::WhoAmIRequest(), &response);
  if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
    std::fprintf(stderr, "bidtrail: UNAUTHENTICATED: %s; nothing saved\n",
                 status.error_message().c_str());
    return 1;
  }
  if (!status.ok()) return client.Fail(status);
  // A token saved before for someone else (an admin's, say) is not replaced
  // by accident.
  if (const std::string saved = SavedToken(client.server); !saved.empty() && saved != token) {
    auto before = client.ContextAs(saved, client.actor);
    v1::WhoAmIResponse was;
    if (client.access->WhoAmI(before.get(), v1::WhoAmIRequest(), &was).ok() &&
        was.principal() != response.principal() && !args.Has("replace")) {
      std::fprintf(stderr,
                   "bidtrail: %s already holds a token for %s, of %s (%s); nothing saved. To "
                   "replace it with %s's, say --replace; to use %s's for one command, "
                   "--token or BIDTRAIL_TOKEN\n",
                   CredentialsPath().c_str(), client.server.c_str(), was.principal().c_str(),
                   RolesText(was.roles()).c_str(), response.principal().c_str(),
                   response.principal().c_str());
      return 1;
    }
  }
  if (absl::Status saved = SaveToken(client.server, token); !saved.ok()) {
    std::fprintf(stderr, "bidtrail: %s\n", std::string(saved.message()).c_str());
    return 1;
  }
  std::printf("signed in to %s as %s (%s); the token is saved in %s\n", client.server.c_str(),
              response.principal().c_str(), RolesText(response.roles()).c_str(),
              CredentialsPath().c_str());
  return 0;
}

int WhoAmI(const Client& client, const Args&) {
  v1::WhoAmIResponse response;
  auto context = client.Context();
  const grpc::Status status = client.access->WhoAmI(context.get(), v1::WhoAmIRequest(), &response);
  if (!status.ok()) return client.Fail(status);
  Table table({"principal", "roles"});
  table.Add({Cell::Text(response.principal()), Cell::Text(RolesText(response.roles()))});
  table.Print(client.format);
  return 0;
}

int GrantOrWithdraw(const Client& client, const Args& args, bool grant) {
  ASSIGN_OR_USAGE(const v1::Role role, RoleArg(args.positional()[1]));
  grpc::Status status;
  auto context = client.Context();
  if (grant) {
    v1::GrantRequest request;
    request.mutable_grant()->set_principal(args.positional()[0]);
    request.mutable_grant()->set_role(role);
    for (const std::string& territory : args.GetAll("territory")) {
      request.mutable_grant()->add_territories(territory);
    }
    v1::GrantResponse response;
    status = client.access->Grant(context.get(), request, &response);
  } else {
    v1::WithdrawRequest request;
    request.mutable_withdrawal()->set_principal(args.positional()[0]);
    request.mutable_withdrawal()->set_role(role);
    for (const std::string& territory : args.GetAll("territory")) {
      request.mutable_withdrawal()->add_territories(territory);
    }
    v1::WithdrawResponse response;
    status = client.access->Withdraw(context.get(), request, &response);
  }
  if (!status.ok()) return client.Fail(status);
  v1::PrincipalRole held;
  held.set_role(role);
  for (const std::string& territory : args.GetAll("territory")) held.add_territories(territory);
  std::printf("%s %s %s %s\n", grant ? "granted" : "withdrew", RoleText(held).c_str(),
              grant ? "to" : "from", args.positional()[0].c_str());
  return 0;
}

int Grant(const Client& client, const Args& args) { return GrantOrWithdraw(client, args, true); }
int Withdraw(const Client& client, const Args& args) {
  return GrantOrWithdraw(client, args, false);
}

int IssueToken(const Client& client, const Args& args) {
  v1::IssueTokenRequest request;
  request.set_principal(args.positional()[0]);
  request.set_label(args.Get("label"));
  ASSIGN_OR_USAGE(const std::optional<absl::Time> expires, args.Time("expires"));
  if (expires) ToProtoTime(*expires, request.mutable_expires_at());
  v1::IssueTokenResponse response;
  auto context = client.Context();
  const grpc::Status status = client.access->IssueToken(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  std::printf(
      "token for %s (shown this once; give it to them, e.g. as BIDTRAIL_TOKEN):\n  %s\n"
      "hash (to revoke it): %s\n",
      request.principal().c_str(), response.token().c_str(), response.token_hash().c_str());
  return 0;
}

int Revoke(const Client& client, const Args& args) {
  v1::RevokeTokenRequest request;
  const std::string& which = args.positional()[0];
  (which.rfind("btk_", 0) == 0 ? request.mutable_token() : request.mutable_token_hash())
      ->assign(which);
  request.set_reason(args.Get("reason"));
  v1::RevokeTokenResponse response;
  auto context = client.Context();
  const grpc::Status status = client.access->RevokeToken(context.get(), request, &response);
  if (!status.ok()) return client.Fail(status);
  std::printf("revoked token %s: refused from the next call on\n", response.token_hash().c_str());
  return 0;
}

int List(const Client& client, const Args& args) {
  v1::ListAccessResponse response;
  auto context = client.Context();
  const grpc::Status status =
      client.access->ListAccess(context.get(), v1::ListAccessRequest(), &response);
  if (!status.ok()) return client.Fail(status);
  Table principals({"principal", "roles"});
  for (const v1::PrincipalAccess& each : response.principals()) {
    principals.Add({Cell::Text(each.principal()), Cell::Text(RolesText(each.roles()))});
  }
  Table tokens({"token_hash", "principal", "expires", "revoked"});
  for (const v1::TokenSummary& each : response.tokens()) {
    tokens.Add({Cell::Text(each.token_hash()), Cell::Text(each.principal()),
                Cell::Time(each.has_expires_at()
                               ? std::optional<absl::Time>(FromProtoTime(each.expires_at()))
                               : std::nullopt),
                Cell::Bool(each.revoked())});
  }
  if (client.format != Format::kTable) {
    (args.Has("tokens") ? tokens : principals).Print(client.format);
    return 0;
  }
  principals.Print(client.format, "(no principal)");
  std::printf("\n");
  tokens.Print(client.format, "(no token)");
  return 0;
}

}  // namespace

std::string DescribeAccessEvent(const v1::AccessEvent& event) {
  switch (event.event_case()) {
    case v1::AccessEvent::kTokenIssued: {
      const v1::TokenIssued& issued = event.token_issued();
      std::string text = absl::StrCat("token ", issued.token_hash().substr(0, 12), " issued to ",
                                      issued.principal());
      if (!issued.label().empty()) absl::StrAppend(&text, " (", issued.label(), ")");
      if (issued.has_expires_at()) {
        absl::StrAppend(&text, ", until ", HumanTime(FromProtoTime(issued.expires_at())));
      }
      return text;
    }
    case v1::AccessEvent::kTokenRevoked: {
      const v1::TokenRevoked& revoked = event.token_revoked();
      std::string text = absl::StrCat("token ", revoked.token_hash().substr(0, 12), " revoked");
      if (!revoked.reason().empty()) absl::StrAppend(&text, ": ", revoked.reason());
      return text;
    }
    case v1::AccessEvent::kRoleGranted:
      return GrantText(event.role_granted().role(), event.role_granted().territories(),
                       event.role_granted().principal(), true);
    case v1::AccessEvent::kRoleWithdrawn:
      return GrantText(event.role_withdrawn().role(), event.role_withdrawn().territories(),
                       event.role_withdrawn().principal(), false);
    case v1::AccessEvent::EVENT_NOT_SET:
      break;
  }
  return "";
}

void AddAuthCommands(std::vector<Subcommand>* commands) {
  commands->push_back({{"auth", "init"},
                       "[NAME]",
                       "make the first admin (only while nobody has any right) and save its token",
                       "Creates the first admin, NAME (default: the actor), and its API token, "
                       "only while the server's access stream is empty. The token is shown once "
                       "and saved in ~/.config/bidtrail/credentials (mode 0600) for this server.",
                       {},
                       0,
                       1,
                       Init});
  commands->push_back({{"auth", "login"},
                       "[TOKEN] [--replace]",
                       "check a token you were given and save it for this server",
                       "Asks the server who TOKEN proves, then saves it in "
                       "~/.config/bidtrail/credentials (mode 0600) for this server; the next "
                       "commands use it. A token saved before for someone else is replaced only "
                       "with --replace. Without TOKEN, reads it from standard input (it then "
                       "stays out of your shell's history).",
                       {{"replace", "", "replace a token saved for another principal"}},
                       0,
                       1,
                       Login});
  commands->push_back(
      {{"auth", "whoami"}, "", "who your token proves, and your roles", "", {}, 0, 0, WhoAmI});
  const std::vector<FlagSpec> role_flags = {
      {"territory", "T", "for bidder and manager: a territory (* for all)", true}};
  commands->push_back({{"auth", "grant"},
                       "PRINCIPAL ROLE [--territory T]...",
                       "give a role: bidder, manager (of territories), analyst, admin, service",
                       "",
                       role_flags,
                       2,
                       2,
                       Grant});
  commands->push_back({{"auth", "withdraw"},
                       "PRINCIPAL ROLE [--territory T]...",
                       "take a role back (in the territories named, else all)",
                       "",
                       role_flags,
                       2,
                       2,
                       Withdraw});
  commands->push_back({{"auth", "token"},
                       "PRINCIPAL [--expires TIME] [--label TEXT]",
                       "issue an API token for a principal (shown once)",
                       "",
                       {{"expires", "TIME", "when it stops working (e.g. +90d); default never"},
                        {"label", "TEXT", "what it is for"}},
                       1,
                       1,
                       IssueToken});
  commands->push_back({{"auth", "revoke"},
                       "TOKEN_OR_HASH [--reason TEXT]",
                       "end a token: the token, its hash, or 8+ hex digits of the hash",
                       "",
                       {{"reason", "TEXT", "why"}},
                       1,
                       1,
                       Revoke});
  commands->push_back({{"auth", "list"},
                       "[--tokens]",
                       "principals and their roles; tokens (hashes)",
                       "",
                       {{"tokens", "", "with --json/--csv: the tokens instead of the principals"}},
                       0,
                       0,
                       List});
}

}  // namespace bidtrail::cli
