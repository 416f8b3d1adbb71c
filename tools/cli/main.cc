// bidtrail: the command-line client of bidtraild. One subcommand for every
// command of the Tenders service and every query; tables for people, --json
// and --csv for programs. Exit status: 0 done, 1 the server refused or could
// not be reached (one line on stderr), 2 a usage error (the subcommand's
// help on stderr).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "args.h"
#include "bidtrail/common/proto_time.h"
#include "client.h"
#include "commands.h"
#include "output.h"

namespace bidtrail::cli {
namespace {

const std::vector<FlagSpec>& GlobalFlags() {
  static const std::vector<FlagSpec> flags = {
      {"server", "HOST:PORT", "bidtraild to talk to (default $BIDTRAIL_SERVER or 127.0.0.1:50051)"},
      {"actor", "NAME",
       "with a service token: the person it records for (default $BIDTRAIL_ACTOR, else $USER); "
       "anyone else records as the principal its token proves"},
      {"tls_ca", "FILE",
       "PEM CA of the server's TLS certificate: talk TLS (default $BIDTRAIL_TLS_CA; none: "
       "plaintext)"},
      {"tls_cert", "FILE", "PEM client certificate for mTLS (default $BIDTRAIL_TLS_CERT)"},
      {"tls_key", "FILE", "PEM key of --tls_cert (default $BIDTRAIL_TLS_KEY)"},
      {"token", "TOKEN",
       "API token (default $BIDTRAIL_TOKEN, else the one `bidtrail auth init` or `auth login` "
       "saved for the server)"},
      {"tz", "ZONE",
       "zone to show and read times in: an IANA name (Asia/Shanghai), an offset (+08:00), UTC, "
       "or `tender` for each tender's own zone (default $BIDTRAIL_TZ, else the system's)"},
      {"json", "", "one JSON object per line"},
      {"csv", "", "comma-separated values with a header"},
  };
  return flags;
}

std::string EnvOr(const char* name, const std::string& fallback) {
  const char* value = std::getenv(name);
  return value != nullptr && value[0] != '\0' ? value : fallback;
}

void PrintTopHelp() {
  std::printf(
      "bidtrail: record what happens to tenders and ask what is due, what happened, and who "
      "wins.\n\nusage: bidtrail COMMAND [ARGS] [--server HOST:PORT] [--token TOKEN] [--tz ZONE] "
      "[--json|--csv]\n"
      "\ncommands:\n");
  size_t width = 0;
  for (const Subcommand& command : Subcommands()) {
    width = std::max(width, absl::StrJoin(command.words, " ").size());
  }
  for (const Subcommand& command : Subcommands()) {
    const std::string words = absl::StrJoin(command.words, " ");
    std::printf("  %s%s  %s\n", words.c_str(), std::string(width - words.size(), ' ').c_str(),
                command.summary.c_str());
  }
  std::printf(
      "\n`bidtrail COMMAND --help` tells more. Times are ISO-8601 with their offset "
      "(2026-03-01T12:00:00+08:00)\nor a date (midnight in the --tz zone); durations like 48h "
      "or 7d; money like \"1250000.00 CNY\".\nTimes print in the --tz zone ($BIDTRAIL_TZ, else "
      "the system's), each with its offset.\n");
}

// The global flags written before the command words (`bidtrail --server X
// deadlines`), moved after them, where every subcommand parses them.
std::vector<std::string> GlobalFlagsLast(std::vector<std::string> argv) {
  std::vector<std::string> globals;
  size_t at = 0;
  while (at < argv.size() && argv[at].size() > 2 && argv[at].compare(0, 2, "--") == 0) {
    const std::string name = argv[at].substr(2, argv[at].find('=') - 2);
    const auto spec = std::find_if(GlobalFlags().begin(), GlobalFlags().end(),
                                   [&](const FlagSpec& flag) { return flag.name == name; });
    if (spec == GlobalFlags().end()) break;
    globals.push_back(argv[at++]);
    if (!spec->value_name.empty() && globals.back().find('=') == std::string::npos &&
        at < argv.size()) {
      globals.push_back(argv[at++]);
    }
  }
  std::vector<std::string> reordered(argv.begin() + static_cast<std::ptrdiff_t>(at), argv.end());
  reordered.insert(reordered.end(), globals.begin(), globals.end());
  return reordered;
}

// --tz, else $BIDTRAIL_TZ, else the system's zone.
absl::StatusOr<TimeDisplay> TimeDisplayOf(const Args& args) {
  const std::string typed = args.Get("tz", EnvOr("BIDTRAIL_TZ", ""));
  TimeDisplay display;
  display.zone = SystemZone();
  if (typed.empty() || typed == "local") return display;
  if (typed == "tender") {
    display.per_tender = true;
    return display;
  }
  absl::StatusOr<NamedZone> zone = ParseZone(typed);
  if (!zone.ok()) {
    const std::string message(zone.status().message());
    const size_t did = message.find("; did you mean");
    return absl::InvalidArgumentError(absl::StrCat(
        args.Has("tz") ? "--tz" : "BIDTRAIL_TZ", ": \"", typed,
        "\" is not a time zone; write an IANA name (Asia/Shanghai, Europe/Paris, UTC), a UTC "
        "offset (+08:00), local (the system's) or tender (each tender's own)",
        did == std::string::npos ? std::string() : message.substr(did)));
  }
  display.zone = *zone;
  return display;
}

int Main(int argc, char** argv) {
  std::vector<std::string> rest = GlobalFlagsLast(std::vector<std::string>(argv + 1, argv + argc));
  if (!rest.empty() && (rest[0] == "--version" || rest[0] == "version")) {
    std::printf("bidtrail %s\n", BIDTRAIL_VERSION);
    return 0;
  }
  // `bidtrail help tender` is `bidtrail tender --help`.
  if (rest.size() > 1 && rest[0] == "help") {
    rest.erase(rest.begin());
    rest.push_back("--help");
  }
  if (rest.empty() || rest[0] == "--help" || rest[0] == "-h" || rest[0] == "help") {
    PrintTopHelp();
    return rest.empty() ? 2 : 0;
  }
  // The longest run of command words that names a subcommand.
  const Subcommand* chosen = nullptr;
  for (const Subcommand& command : Subcommands()) {
    if (command.words.size() > rest.size()) continue;
    if (!std::equal(command.words.begin(), command.words.end(), rest.begin())) continue;
    if (chosen == nullptr || command.words.size() > chosen->words.size()) chosen = &command;
  }
  if (chosen == nullptr) {
    // A group name alone ("bidtrail tender") lists what it holds.
    std::vector<const Subcommand*> group;
    for (const Subcommand& command : Subcommands()) {
      if (command.words[0] == rest[0]) group.push_back(&command);
    }
    if (group.empty()) {
      std::vector<std::string> names;
      for (const Subcommand& command : Subcommands()) names.push_back(command.words[0]);
      const std::optional<std::string> near = Nearest(rest[0], names);
      std::fprintf(stderr, "bidtrail: unknown command \"%s\"%s (`bidtrail --help` lists them)\n",
                   rest[0].c_str(),
                   near ? absl::StrCat("; did you mean `bidtrail ", *near, "`?").c_str() : "");
      return 2;
    }
    if (rest.size() > 1 && rest[1].compare(0, 1, "-") != 0) {
      std::vector<std::string> names;
      for (const Subcommand* command : group) {
        if (command->words.size() > 1) names.push_back(command->words[1]);
      }
      if (const std::optional<std::string> near = Nearest(rest[1], names)) {
        std::fprintf(stderr,
                     "bidtrail: unknown command \"%s %s\"; did you mean `bidtrail %s %s`?\n",
                     rest[0].c_str(), rest[1].c_str(), rest[0].c_str(), near->c_str());
        return 2;
      }
    }
    // Asked for (--help): the list on standard output; else a usage error.
    const bool asked = rest.size() > 1 && (rest[1] == "--help" || rest[1] == "-h");
    FILE* out = asked ? stdout : stderr;
    std::fprintf(out, "bidtrail %s: %s\n", rest[0].c_str(),
                 asked ? "its commands (`bidtrail COMMAND --help` tells more)" : "say which one:");
    size_t width = 0;
    for (const Subcommand* command : group) {
      width = std::max(width, absl::StrJoin(command->words, " ").size());
    }
    for (const Subcommand* command : group) {
      const std::string words = absl::StrJoin(command->words, " ");
      std::fprintf(out, "  bidtrail %s%s  %s\n", words.c_str(),
                   std::string(width - words.size(), ' ').c_str(), command->summary.c_str());
    }
    return asked ? 0 : 2;
  }
  std::vector<FlagSpec> flags = chosen->flags;
  flags.insert(flags.end(), GlobalFlags().begin(), GlobalFlags().end());
  Args args(absl::StrCat("bidtrail ", absl::StrJoin(chosen->words, " ")), chosen->usage,
            chosen->help.empty() ? chosen->summary : chosen->help, flags);
  const std::vector<std::string> tail(rest.begin() + chosen->words.size(), rest.end());
  if (absl::Status parsed = args.Parse(tail); !parsed.ok()) {
    std::fprintf(stderr, "bidtrail: %s\n%s", std::string(parsed.message()).c_str(),
                 args.UsageHint().c_str());
    return 2;
  }
  if (args.help()) {
    std::printf("%s", args.HelpText().c_str());
    return 0;
  }
  if (const std::string problem =
          args.PositionalProblem(chosen->min_positional, chosen->max_positional);
      !problem.empty()) {
    std::fprintf(stderr, "bidtrail: %s\n%s", problem.c_str(), args.UsageHint().c_str());
    return 2;
  }
  absl::StatusOr<TimeDisplay> display = TimeDisplayOf(args);
  if (!display.ok()) {
    std::fprintf(stderr, "bidtrail: %s\n", std::string(display.status().message()).c_str());
    return 2;
  }
  SetTimeDisplay(*display);
  if (args.Has("json") && args.Has("csv")) {
    std::fprintf(stderr, "bidtrail: --json and --csv: choose one\n");
    return 2;
  }
  const Format format = args.Has("json")  ? Format::kJson
                        : args.Has("csv") ? Format::kCsv
                                          : Format::kTable;
  const std::string server = args.Get("server", EnvOr("BIDTRAIL_SERVER", "127.0.0.1:50051"));
  const std::string actor = args.Get("actor", EnvOr("BIDTRAIL_ACTOR", EnvOr("USER", "")));
  TlsFiles tls;
  tls.ca = args.Get("tls_ca", EnvOr("BIDTRAIL_TLS_CA", ""));
  tls.cert = args.Get("tls_cert", EnvOr("BIDTRAIL_TLS_CERT", ""));
  tls.key = args.Get("tls_key", EnvOr("BIDTRAIL_TLS_KEY", ""));
  absl::StatusOr<Client> connected = Connect(server, actor, format, tls);
  if (!connected.ok()) {
    std::fprintf(stderr, "bidtrail: %s\n", std::string(connected.status().message()).c_str());
    return 2;
  }
  Client client = *std::move(connected);
  if (args.Has("token")) {
    client.token = args.Get("token");
    client.token_source = "--token";
  } else if (const std::string from_env = EnvOr("BIDTRAIL_TOKEN", ""); !from_env.empty()) {
    client.token = from_env;
    client.token_source = "BIDTRAIL_TOKEN";
  } else {
    client.token = SavedToken(server);
    if (!client.token.empty()) client.token_source = CredentialsPath();
  }
  const int code = chosen->run(client, args);
  if (code == 2) std::fprintf(stderr, "%s", args.UsageHint().c_str());
  return code;
}

}  // namespace
}  // namespace bidtrail::cli

int main(int argc, char** argv) { return bidtrail::cli::Main(argc, argv); }
