#include "bidtrail/rpc/limits.h"

#include <atomic>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace bidtrail::rpc {
namespace {

std::atomic<CallLimits*> installed{nullptr};
constexpr size_t kMaxKnownCredentials = 10000;

}  // namespace

CallLimits::CallLimits(Options options, Identify identify)
    : options_(options), identify_(std::move(identify)) {}

CallLimits::Slot::Slot(CallLimits* limits, std::string principal, bool stream)
    : limits_(limits), principal_(std::move(principal)), stream_(stream) {}

CallLimits::Slot::Slot(Slot&& other) noexcept
    : limits_(std::exchange(other.limits_, nullptr)),
      principal_(std::move(other.principal_)),
      stream_(other.stream_) {}

CallLimits::Slot& CallLimits::Slot::operator=(Slot&& other) noexcept {
  if (this != &other) {
    Release();
    limits_ = std::exchange(other.limits_, nullptr);
    principal_ = std::move(other.principal_);
    stream_ = other.stream_;
  }
  return *this;
}

CallLimits::Slot::~Slot() { Release(); }

void CallLimits::Slot::Release() {
  if (limits_ != nullptr) limits_->Leave(principal_, stream_);
  limits_ = nullptr;
}

CallLimits::Identity CallLimits::IdentityOf(const std::string& credential) {
  const absl::Time now = absl::Now();
  {
    absl::MutexLock lock(&mu_);
    if (auto found = known_.find(credential); found != known_.end() && found->second.until > now) {
      return found->second.identity;
    }
  }
  // Outside the lock: identifying may read the access stream.
  Identity identity = identify_ ? identify_(credential) : Identity{credential, false};
  absl::MutexLock lock(&mu_);
  if (known_.size() >= kMaxKnownCredentials) known_.clear();
  // Credentials that prove nobody are not kept: anyone can make up many.
  if (!identity.principal.empty()) known_[credential] = Known{identity, now + absl::Minutes(1)};
  return identity;
}

absl::StatusOr<CallLimits::Slot> CallLimits::Enter(const std::string& credential, bool stream) {
  const Identity identity = IdentityOf(credential);
  const int limit = stream ? options_.max_streams : options_.max_calls;
  if (identity.exempt || limit <= 0) return Slot();
  absl::MutexLock lock(&mu_);
  Held& held = held_[identity.principal];
  int& count = stream ? held.streams : held.calls;
  if (count >= limit) {
    const std::string who =
        identity.principal.empty() ? "callers without a valid credential" : identity.principal;
    return absl::ResourceExhaustedError(absl::StrCat(
        who, " has ", count, stream ? " streams open" : " calls in flight", "; at most ", limit,
        stream ? " (bidtraild --max_streams_per_principal)"
               : " (bidtraild --max_calls_per_principal); retry when some have finished"));
  }
  ++count;
  return Slot(this, identity.principal, stream);
}

absl::StatusOr<CallLimits::Slot> CallLimits::EnterCall(const std::string& credential) {
  return Enter(credential, false);
}

absl::StatusOr<CallLimits::Slot> CallLimits::EnterStream(const std::string& credential) {
  return Enter(credential, true);
}

void CallLimits::Leave(const std::string& principal, bool stream) {
  absl::MutexLock lock(&mu_);
  auto found = held_.find(principal);
  if (found == held_.end()) return;
  --(stream ? found->second.streams : found->second.calls);
  if (found->second.calls == 0 && found->second.streams == 0) held_.erase(found);
}

int CallLimits::calls(const std::string& principal) const {
  absl::MutexLock lock(&mu_);
  auto found = held_.find(principal);
  return found == held_.end() ? 0 : found->second.calls;
}

int CallLimits::streams(const std::string& principal) const {
  absl::MutexLock lock(&mu_);
  auto found = held_.find(principal);
  return found == held_.end() ? 0 : found->second.streams;
}

void CallLimits::Install(CallLimits* limits) { installed.store(limits); }
CallLimits* CallLimits::Installed() { return installed.load(); }

namespace {

absl::StatusOr<std::shared_ptr<CallLimits::Slot>> Enter(const std::string& credential,
                                                        bool stream) {
  CallLimits* limits = CallLimits::Installed();
  if (limits == nullptr) return std::make_shared<CallLimits::Slot>();
  absl::StatusOr<CallLimits::Slot> slot =
      stream ? limits->EnterStream(credential) : limits->EnterCall(credential);
  if (!slot.ok()) return slot.status();
  return std::make_shared<CallLimits::Slot>(*std::move(slot));
}

}  // namespace

absl::StatusOr<std::shared_ptr<CallLimits::Slot>> EnterCall(const std::string& credential) {
  return Enter(credential, /*stream=*/false);
}

absl::StatusOr<std::shared_ptr<CallLimits::Slot>> EnterStream(const std::string& credential) {
  return Enter(credential, /*stream=*/true);
}

}  // namespace bidtrail::rpc
