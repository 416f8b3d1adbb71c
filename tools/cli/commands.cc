#include "commands.h"

#include <cstdio>
#include <random>

#include "absl/strings/str_format.h"

namespace bidtrail::cli {

std::string NewRequestId() {
  std::random_device device;
  std::mt19937_64 rng((static_cast<uint64_t>(device()) << 32) ^ device());
  const uint64_t a = rng(), b = rng();
  return absl::StrFormat("%08x-%04x-4%03x-%04x-%012x", a >> 32, (a >> 16) & 0xffff, a & 0xfff,
                         0x8000 | ((b >> 48) & 0x3fff), b & 0xffffffffffffULL);
}

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
    AddReviewCommands(commands);
    AddContactCommands(commands);
    AddAuthCommands(commands);
    return commands;
  }();
  return *all;
}

}  // namespace bidtrail::cli
