// `bidtrail-bench projections`: the read side over a realistic history (the
// demo generator's): a full projection rebuild against a raw RocksDB scan of
// the same log, query latencies through gRPC on loopback, and how far the
// read models trail the log while events arrive, all in one run.
#ifndef BIDTRAIL_TOOLS_BENCH_PROJECTIONS_BENCH_H_
#define BIDTRAIL_TOOLS_BENCH_PROJECTIONS_BENCH_H_

namespace bidtrail::bench {

// argv[0] is the subcommand name. Returns the process exit code: 0 when every
// measurement ran (whether or not it met its target), 1 on a storage or RPC
// error, 2 on a usage error.
int RunProjectionsBench(int argc, char** argv);

}  // namespace bidtrail::bench

#endif  // BIDTRAIL_TOOLS_BENCH_PROJECTIONS_BENCH_H_
