// The process's metrics, in one Prometheus registry: what /metrics serves
// (docs/web.md lists them). Libraries make their families once (a function
// static) and update them where the work happens; values that belong to an
// object (a log's head, a projection's lag, RocksDB's state) are read at
// scrape time by hooks their owner registers. Thread-safe.
#ifndef BIDTRAIL_METRICS_METRICS_H_
#define BIDTRAIL_METRICS_METRICS_H_

#include <functional>
#include <memory>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace bidtrail::metrics {

prometheus::Registry& Registry();

// Families by name; the same name gives the same family.
prometheus::Family<prometheus::Counter>& Counters(const std::string& name, const std::string& help);
prometheus::Family<prometheus::Gauge>& Gauges(const std::string& name, const std::string& help);
prometheus::Family<prometheus::Histogram>& Histograms(const std::string& name,
                                                      const std::string& help);

// Seconds from 100 µs to 30 s, for latencies.
const prometheus::Histogram::BucketBoundaries& LatencyBuckets();
// 1 to 4,096 in powers of two, for sizes (appends in a group commit).
const prometheus::Histogram::BucketBoundaries& SizeBuckets();

// Runs `hook` before each scrape, until the returned handle is destroyed.
class ScrapeHook {
 public:
  virtual ~ScrapeHook() = default;
};
std::unique_ptr<ScrapeHook> OnScrape(std::function<void()> hook);

// Runs the scrape hooks, then writes every family in the text format
// (version 0.0.4).
std::string Exposition();

}  // namespace bidtrail::metrics

#endif  // BIDTRAIL_METRICS_METRICS_H_
