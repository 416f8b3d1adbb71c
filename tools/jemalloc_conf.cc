// jemalloc's settings for the binaries that link it (bidtraild, the bench),
// read by jemalloc at start; the MALLOC_CONF environment variable overrides
// them (docs/operations.md, "Memory").
//
// Freed pages stay with the process for about a minute (jemalloc's default:
// 10 s) before they go back to the kernel. On a VM a page fault costs 10-15
// µs; with 10 s a WinLoss over 100,000 tenders took 40 to 480 page faults a
// call for the same work (up to 5 ms of a 10 ms call, and most of its p99),
// with 60 s 27-30 (docs/performance.md). Pages are returned with
// MADV_DONTNEED as before (muzzy decay stays 0: MADV_FREE'd pages measured
// worse here, 400 faults a call).
extern "C" {
// NOLINTNEXTLINE: the name jemalloc looks for.
const char* malloc_conf = "dirty_decay_ms:60000";
}
