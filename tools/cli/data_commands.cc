// The commands that move data in and out: backups, the demo history, imports.
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "bidtrail/eventstore/grpc_client.h"
#include "commands.h"

namespace bidtrail::cli {
namespace {

int Backup(const Client& client, const Args& args) {
  eventstore::GrpcEventStore store(client.channel, eventstore::GrpcEventStore::Options());
  absl::StatusOr<uint64_t> head = store.Checkpoint(args.positional()[0]);
  if (!head.ok()) {
    return client.Fail(grpc::Status(static_cast<grpc::StatusCode>(head.status().code()),
                                    std::string(head.status().message())));
  }
  Table table({"path", "head_position"});
  table.Add({Cell::Text(args.positional()[0]), Cell::Integer(static_cast<int64_t>(*head))});
  if (client.format == Format::kTable) {
    std::printf(
        "backup of the log up to position %llu written to %s on the server's machine\n"
        "restore: stop bidtraild, move it into place as <data_dir>/eventlog, start\n",
        static_cast<unsigned long long>(*head), args.positional()[0].c_str());
    return 0;
  }
  table.Print(client.format);
  return 0;
}

}  // namespace

void AddDataCommands(std::vector<Subcommand>* commands) {
  commands->push_back(
      {{"backup"},
       "PATH",
       "copy the log, online, into a new folder on the server's machine",
       "Writes a consistent copy of the event log (a RocksDB checkpoint) into PATH, "
       "a folder that must not exist yet, on the machine bidtraild runs on.",
       {},
       1,
       1,
       Backup});
}

}  // namespace bidtrail::cli
