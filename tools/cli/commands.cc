#include "commands.h"

#include <cstdio>

namespace bidtrail::cli {

int Usage(const absl::Status& status) {
  std::fprintf(stderr, "bidtrail: %s\n", std::string(status.message()).c_str());
  return 2;
}

int Usage(const std::string& message) { return Usage(absl::InvalidArgumentError(message)); }

const std::vector<Subcommand>& Subcommands() {
  static const std::vector<Subcommand>* all = [] {
    auto* commands = new std::vector<Subcommand>();
    AddTenderCommands(commands);
    AddQueryCommands(commands);
    AddDataCommands(commands);
    AddAuthCommands(commands);
    return commands;
  }();
  return *all;
}

}  // namespace bidtrail::cli
