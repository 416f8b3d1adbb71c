#include "raw_jetstream.h"

#include <nats/nats.h>

#include "absl/strings/str_cat.h"

namespace bidtrail::bench {
namespace {

absl::Status Check(natsStatus status, const std::string& what) {
  if (status == NATS_OK) return absl::OkStatus();
  return absl::UnavailableError(absl::StrCat(what, ": ", natsStatus_GetText(status)));
}

}  // namespace

class RawJetStream::Impl {
 public:
  ~Impl() {
    if (js_ != nullptr) {
      jsErrCode error = static_cast<jsErrCode>(0);
      js_DeleteStream(js_, stream_.c_str(), nullptr, &error);
      jsCtx_Destroy(js_);
    }
    if (connection_ != nullptr) natsConnection_Destroy(connection_);
    if (options_ != nullptr) natsOptions_Destroy(options_);
  }

  absl::Status Create(const std::vector<std::string>& servers, const std::string& stream,
                      int replicas) {
    stream_ = stream;
    subject_ = stream + ".raw";
    if (absl::Status made = Check(natsOptions_Create(&options_), "NATS options"); !made.ok()) {
      return made;
    }
    std::vector<const char*> urls;
    for (const std::string& server : servers) urls.push_back(server.c_str());
    natsOptions_SetServers(options_, urls.data(), static_cast<int>(urls.size()));
    if (absl::Status connected =
            Check(natsConnection_Connect(&connection_, options_), "connecting to NATS");
        !connected.ok()) {
      return connected;
    }
    jsOptions js_options;
    jsOptions_Init(&js_options);
    js_options.Wait = 10000;
    js_options.PublishAsync.MaxPending = 4096;
    if (absl::Status js =
            Check(natsConnection_JetStream(&js_, connection_, &js_options), "JetStream");
        !js.ok()) {
      return js;
    }
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = stream_.c_str();
    const char* subjects[] = {subject_.c_str()};
    config.Subjects = subjects;
    config.SubjectsLen = 1;
    config.Storage = js_FileStorage;
    config.Replicas = replicas;
    jsStreamInfo* info = nullptr;
    jsErrCode error = static_cast<jsErrCode>(0);
    absl::Status added =
        Check(js_AddStream(&info, js_, &config, nullptr, &error), "making the raw stream");
    if (info != nullptr) jsStreamInfo_Destroy(info);
    return added;
  }

  absl::Status PublishAsync(std::string_view data) {
    return Check(
        js_PublishAsync(js_, subject_.c_str(), data.data(), static_cast<int>(data.size()), nullptr),
        "publishing");
  }
  absl::Status Complete() {
    jsPubOptions options;
    jsPubOptions_Init(&options);
    options.MaxWait = 60000;
    return Check(js_PublishAsyncComplete(js_, &options), "waiting for acknowledgements");
  }
  absl::Status PublishSync(std::string_view data) {
    jsPubAck* ack = nullptr;
    jsErrCode error = static_cast<jsErrCode>(0);
    absl::Status published = Check(js_Publish(&ack, js_, subject_.c_str(), data.data(),
                                              static_cast<int>(data.size()), nullptr, &error),
                                   "publishing");
    if (ack != nullptr) jsPubAck_Destroy(ack);
    return published;
  }

 private:
  std::string stream_;
  std::string subject_;
  natsOptions* options_ = nullptr;
  natsConnection* connection_ = nullptr;
  jsCtx* js_ = nullptr;
};

absl::StatusOr<std::unique_ptr<RawJetStream>> RawJetStream::Create(
    const std::vector<std::string>& servers, const std::string& stream, int replicas) {
  auto impl = std::make_unique<Impl>();
  if (absl::Status made = impl->Create(servers, stream, replicas); !made.ok()) return made;
  return std::unique_ptr<RawJetStream>(new RawJetStream(std::move(impl)));
}

absl::Status RawJetStream::Delete(const std::vector<std::string>& servers,
                                  const std::string& stream) {
  natsOptions* options = nullptr;
  natsConnection* connection = nullptr;
  jsCtx* js = nullptr;
  absl::Status deleted = Check(natsOptions_Create(&options), "NATS options");
  std::vector<const char*> urls;
  for (const std::string& server : servers) urls.push_back(server.c_str());
  if (deleted.ok()) natsOptions_SetServers(options, urls.data(), static_cast<int>(urls.size()));
  if (deleted.ok()) deleted = Check(natsConnection_Connect(&connection, options), "connecting");
  if (deleted.ok())
    deleted = Check(natsConnection_JetStream(&js, connection, nullptr), "JetStream");
  if (deleted.ok()) {
    jsErrCode error = static_cast<jsErrCode>(0);
    deleted = Check(js_DeleteStream(js, stream.c_str(), nullptr, &error), "deleting " + stream);
  }
  if (js != nullptr) jsCtx_Destroy(js);
  if (connection != nullptr) natsConnection_Destroy(connection);
  if (options != nullptr) natsOptions_Destroy(options);
  return deleted;
}

RawJetStream::RawJetStream(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RawJetStream::~RawJetStream() = default;

absl::Status RawJetStream::PublishAsync(std::string_view data) { return impl_->PublishAsync(data); }
absl::Status RawJetStream::Complete() { return impl_->Complete(); }
absl::Status RawJetStream::PublishSync(std::string_view data) { return impl_->PublishSync(data); }

}  // namespace bidtrail::bench
