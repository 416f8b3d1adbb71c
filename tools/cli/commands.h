// The CLI's subcommands: their words, flags and what they run.
#ifndef BIDTRAIL_TOOLS_CLI_COMMANDS_H_
#define BIDTRAIL_TOOLS_CLI_COMMANDS_H_

#include <functional>
#include <string>
#include <vector>

#include "args.h"
#include "bidtrail/v1/tender_events.pb.h"
#include "client.h"

namespace bidtrail::cli {

struct Subcommand {
  std::vector<std::string> words;  // {"bid", "submit"}
  std::string usage;               // after the words: "TENDER_ID [flags]"
  std::string summary;             // one line
  std::string help;                // longer text for --help; empty: the summary
  std::vector<FlagSpec> flags;
  size_t min_positional = 0;
  size_t max_positional = 0;
  // Returns the exit code: 0, 1 (refused or unreachable), 2 (usage).
  std::function<int(const Client&, const Args&)> run;
};

const std::vector<Subcommand>& Subcommands();

// The groups of subcommands, each in its own file.
void AddTenderCommands(std::vector<Subcommand>* commands);
void AddQueryCommands(std::vector<Subcommand>* commands);
void AddDataCommands(std::vector<Subcommand>* commands);

// One line about an event, for people.
std::string DescribeEvent(const v1::TenderEvent& event);

}  // namespace bidtrail::cli

#endif  // BIDTRAIL_TOOLS_CLI_COMMANDS_H_
