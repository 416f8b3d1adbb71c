// The raw JetStream baseline of `bidtrail-bench eventstore --log nats://...`:
// a stream of the bench's own on the same cluster, published to directly
// with the C client, as the bidtrail log's JetStream backend would if it had
// nothing to decide.
#ifndef BIDTRAIL_TOOLS_BENCH_RAW_JETSTREAM_H_
#define BIDTRAIL_TOOLS_BENCH_RAW_JETSTREAM_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace bidtrail::bench {

class RawJetStream {
 public:
  // Makes the stream `stream` (file storage, `replicas` copies), deleted
  // again when this object goes.
  static absl::StatusOr<std::unique_ptr<RawJetStream>> Create(
      const std::vector<std::string>& servers, const std::string& stream, int replicas);
  ~RawJetStream();

  // Deletes the stream `stream` (the bench's own, at the end of a run).
  static absl::Status Delete(const std::vector<std::string>& servers, const std::string& stream);

  // A publish that returns at once; Complete waits for every acknowledgement.
  absl::Status PublishAsync(std::string_view data);
  absl::Status Complete();
  // A publish that waits for its acknowledgement (a majority has it on disk).
  absl::Status PublishSync(std::string_view data);

  class Impl;

 private:
  explicit RawJetStream(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bidtrail::bench

#endif  // BIDTRAIL_TOOLS_BENCH_RAW_JETSTREAM_H_
