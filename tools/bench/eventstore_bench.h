// `bidtrail-bench eventstore`: the event store's durable write and replay
// throughput, raw RocksDB against the bidtrail log in process and over gRPC,
// all measured in one run so that the ratios hold on a disk whose fsync cost
// changes from minute to minute.
#ifndef BIDTRAIL_TOOLS_BENCH_EVENTSTORE_BENCH_H_
#define BIDTRAIL_TOOLS_BENCH_EVENTSTORE_BENCH_H_

namespace bidtrail::bench {

// argv[0] is the subcommand name. Returns the process exit code: 0 when every
// measurement ran (whether or not it met its target), 1 on a storage or RPC
// error, 2 on a usage error.
int RunEventstoreBench(int argc, char** argv);

}  // namespace bidtrail::bench

#endif  // BIDTRAIL_TOOLS_BENCH_EVENTSTORE_BENCH_H_
