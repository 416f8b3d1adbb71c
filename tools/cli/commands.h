// The CLI's subcommands: their words, flags and what they run.
#ifndef BIDTRAIL_TOOLS_CLI_COMMANDS_H_
#define BIDTRAIL_TOOLS_CLI_COMMANDS_H_

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "args.h"
#include "bidtrail/common/enum_names.h"
#include "bidtrail/v1/tender_events.pb.h"
#include "client.h"
#include "google/protobuf/descriptor.h"

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
void AddAuthCommands(std::vector<Subcommand>* commands);
void AddContactCommands(std::vector<Subcommand>* commands);
void AddReviewCommands(std::vector<Subcommand>* commands);

// A usage error: prints the message, returns exit code 2 (main adds the
// usage hint).
int Usage(const absl::Status& status);
int Usage(const std::string& message);

#define RETURN_USAGE_IF_ERROR(expr)                     \
  do {                                                  \
    if (absl::Status status_ = (expr); !status_.ok()) { \
      return Usage(status_);                            \
    }                                                   \
  } while (false)

// `lhs = value of expr`, or return Usage(its status).
#define ASSIGN_OR_USAGE(lhs, expr)                                 \
  auto BIDTRAIL_CLI_CONCAT_(value_, __LINE__) = (expr);            \
  if (!BIDTRAIL_CLI_CONCAT_(value_, __LINE__).ok()) {              \
    return Usage(BIDTRAIL_CLI_CONCAT_(value_, __LINE__).status()); \
  }                                                                \
  lhs = std::move(BIDTRAIL_CLI_CONCAT_(value_, __LINE__)).value()
#define BIDTRAIL_CLI_CONCAT_INNER_(a, b) a##b
#define BIDTRAIL_CLI_CONCAT_(a, b) BIDTRAIL_CLI_CONCAT_INNER_(a, b)

// A new random request id (a version 4 UUID).
std::string NewRequestId();

// An enum value from the word people type: "technical-exchange" for
// ACTIVITY_KIND_TECHNICAL_EXCHANGE; NotOneOf naming the words otherwise.
template <typename Enum>
absl::StatusOr<Enum> EnumFlag(const Args& args, const std::string& name,
                              const google::protobuf::EnumDescriptor* descriptor,
                              const std::string& fallback) {
  const std::string word = args.Get(name, fallback);
  if (const int value = EnumValueOfWord(*descriptor, word); value != 0) {
    return static_cast<Enum>(value);
  }
  std::vector<std::string> choices = EnumWords(*descriptor);
  for (std::string& choice : choices) std::replace(choice.begin(), choice.end(), '_', '-');
  return NotOneOf(name, word, choices);
}

// One line about an event, for people.
std::string DescribeEvent(const v1::TenderEvent& event);
// "granted bidder of north to li.wei", "token for li.wei (label), ...": one
// access event, a line.
std::string DescribeAccessEvent(const v1::AccessEvent& event);

}  // namespace bidtrail::cli

#endif  // BIDTRAIL_TOOLS_CLI_COMMANDS_H_
