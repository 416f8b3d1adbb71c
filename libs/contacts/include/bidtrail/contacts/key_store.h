// KeyStore: the contacts' keys, one file each (<dir>/<id>.key, 32 random
// bytes, mode 0600), kept outside the log so that destroying one erases a
// person while the log stays as it was (docs/notebook.md). A key is written
// and synced before anything sealed with it is appended; Destroy overwrites
// the file with zeros, syncs it, removes it and syncs the folder, so the key
// is gone from the disk, not marked deleted. Thread-safe.
#ifndef BIDTRAIL_CONTACTS_KEY_STORE_H_
#define BIDTRAIL_CONTACTS_KEY_STORE_H_

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace bidtrail::contacts {

class KeyStore {
 public:
  // Opens (creating, mode 0700) the folder `dir`.
  static absl::StatusOr<std::unique_ptr<KeyStore>> Open(const std::string& dir);
  ~KeyStore();

  // The key of `id`, made and synced first when there is none.
  absl::StatusOr<std::string> GetOrCreate(std::string_view id);
  // The key of `id`; NOT_FOUND when it was never made or was destroyed.
  absl::StatusOr<std::string> Get(std::string_view id);
  // Destroys the key of `id` (OK when there is none).
  absl::Status Destroy(std::string_view id);
  // Copies every key into the new folder `dir` (synced), for a backup.
  absl::Status CopyTo(const std::string& dir);

  const std::string& dir() const { return dir_; }

 private:
  explicit KeyStore(std::string dir) : dir_(std::move(dir)) {}
  std::string PathOf(std::string_view id) const;

  const std::string dir_;
  absl::Mutex mu_;
  // Keys read or made since opening; erased (and wiped) when destroyed.
  std::map<std::string, std::string, std::less<>> cache_ ABSL_GUARDED_BY(mu_);
};

}  // namespace bidtrail::contacts

#endif  // BIDTRAIL_CONTACTS_KEY_STORE_H_
