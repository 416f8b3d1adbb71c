#include "commands.h"

namespace bidtrail::cli {

const std::vector<Subcommand>& Subcommands() {
  static const std::vector<Subcommand>* all = [] {
    auto* commands = new std::vector<Subcommand>();
    AddTenderCommands(commands);
    AddQueryCommands(commands);
    AddDataCommands(commands);
    return commands;
  }();
  return *all;
}

}  // namespace bidtrail::cli
