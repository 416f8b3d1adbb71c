// `bidtrail-bench ocds`: how fast OCDS releases are parsed and mapped onto
// tender events, on a large generated input held in memory (no disk, no log).
#ifndef BIDTRAIL_TOOLS_BENCH_OCDS_BENCH_H_
#define BIDTRAIL_TOOLS_BENCH_OCDS_BENCH_H_

namespace bidtrail::bench {

// argv[0] is the subcommand name. Returns the process exit code: 0 when the
// measurement ran (whether or not it met its target), 1 when the generated
// input did not parse, 2 on a usage error.
int RunOcdsBench(int argc, char** argv);

}  // namespace bidtrail::bench

#endif  // BIDTRAIL_TOOLS_BENCH_OCDS_BENCH_H_
