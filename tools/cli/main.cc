// bidtrail: the command-line client of bidtraild. One subcommand for every
// command of the Tenders service and every query; tables for people, --json
// and --csv for programs. Exit status: 0 done, 1 the server refused or could
// not be reached (one line on stderr), 2 a usage error (the subcommand's
// help on stderr).
#include <unistd.h>

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
      {"actor", "NAME", "who records (default $BIDTRAIL_ACTOR, else $USER)"},
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
      "wins.\n\nusage: bidtrail COMMAND [ARGS] [--server HOST:PORT] [--actor NAME] [--json|--csv]\n"
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
      "(2026-03-01T12:00:00+08:00),\ndurations like 48h or 7d, money like \"1250000.00 CNY\".\n");
}

int Main(int argc, char** argv) {
  std::vector<std::string> rest(argv + 1, argv + argc);
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
      std::fprintf(stderr, "bidtrail: unknown command \"%s\"; `bidtrail --help` lists them\n",
                   rest[0].c_str());
      return 2;
    }
    std::fprintf(stderr, "bidtrail %s: say which one:\n", rest[0].c_str());
    for (const Subcommand* command : group) {
      std::fprintf(stderr, "  bidtrail %s  %s\n", absl::StrJoin(command->words, " ").c_str(),
                   command->summary.c_str());
    }
    const bool asked = rest.size() > 1 && (rest[1] == "--help" || rest[1] == "-h");
    return asked ? 0 : 2;
  }
  std::vector<FlagSpec> flags = chosen->flags;
  flags.insert(flags.end(), GlobalFlags().begin(), GlobalFlags().end());
  Args args(absl::StrCat("bidtrail ", absl::StrJoin(chosen->words, " "), " ", chosen->usage),
            chosen->help.empty() ? chosen->summary : chosen->help, flags);
  const std::vector<std::string> tail(rest.begin() + chosen->words.size(), rest.end());
  if (absl::Status parsed = args.Parse(tail); !parsed.ok()) {
    std::fprintf(stderr, "bidtrail: %s\n\n%s", std::string(parsed.message()).c_str(),
                 args.HelpText().c_str());
    return 2;
  }
  if (args.help()) {
    std::printf("%s", args.HelpText().c_str());
    return 0;
  }
  if (args.positional().size() < chosen->min_positional ||
      args.positional().size() > chosen->max_positional) {
    std::fprintf(stderr, "bidtrail: wrong number of arguments\n\n%s", args.HelpText().c_str());
    return 2;
  }
  if (args.Has("json") && args.Has("csv")) {
    std::fprintf(stderr, "bidtrail: --json and --csv: choose one\n");
    return 2;
  }
  const Format format = args.Has("json")  ? Format::kJson
                        : args.Has("csv") ? Format::kCsv
                                          : Format::kTable;
  const std::string server = args.Get("server", EnvOr("BIDTRAIL_SERVER", "127.0.0.1:50051"));
  const std::string actor = args.Get("actor", EnvOr("BIDTRAIL_ACTOR", EnvOr("USER", "")));
  Client client = Connect(server, actor, format);
  const int code = chosen->run(client, args);
  if (code == 2) std::fprintf(stderr, "\n%s", args.HelpText().c_str());
  return code;
}

}  // namespace
}  // namespace bidtrail::cli

int main(int argc, char** argv) { return bidtrail::cli::Main(argc, argv); }
