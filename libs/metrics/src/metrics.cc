#include "bidtrail/metrics/metrics.h"

#include <list>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "prometheus/text_serializer.h"

namespace bidtrail::metrics {
namespace {

struct Hooks {
  absl::Mutex mu;
  std::list<std::function<void()>> hooks ABSL_GUARDED_BY(mu);
};

Hooks& AllHooks() {
  static Hooks* hooks = new Hooks();
  return *hooks;
}

class Registered final : public ScrapeHook {
 public:
  explicit Registered(std::list<std::function<void()>>::iterator it) : it_(it) {}
  ~Registered() override {
    Hooks& all = AllHooks();
    absl::MutexLock lock(&all.mu);
    all.hooks.erase(it_);
  }

 private:
  const std::list<std::function<void()>>::iterator it_;
};

}  // namespace

prometheus::Registry& Registry() {
  static prometheus::Registry* registry = new prometheus::Registry();
  return *registry;
}

prometheus::Family<prometheus::Counter>& Counters(const std::string& name,
                                                  const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(Registry());
}

prometheus::Family<prometheus::Gauge>& Gauges(const std::string& name, const std::string& help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(Registry());
}

prometheus::Family<prometheus::Histogram>& Histograms(const std::string& name,
                                                      const std::string& help) {
  return prometheus::BuildHistogram().Name(name).Help(help).Register(Registry());
}

const prometheus::Histogram::BucketBoundaries& LatencyBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,    0.5,    1,     2.5,    5,     10,   30};
  return *buckets;
}

const prometheus::Histogram::BucketBoundaries& SizeBuckets() {
  static const auto* buckets = new prometheus::Histogram::BucketBoundaries{
      1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
  return *buckets;
}

std::unique_ptr<ScrapeHook> OnScrape(std::function<void()> hook) {
  Hooks& all = AllHooks();
  absl::MutexLock lock(&all.mu);
  all.hooks.push_back(std::move(hook));
  return std::make_unique<Registered>(std::prev(all.hooks.end()));
}

std::string Exposition() {
  {
    Hooks& all = AllHooks();
    absl::MutexLock lock(&all.mu);
    for (const std::function<void()>& hook : all.hooks) hook();
  }
  return prometheus::TextSerializer().Serialize(Registry().Collect());
}

}  // namespace bidtrail::metrics
