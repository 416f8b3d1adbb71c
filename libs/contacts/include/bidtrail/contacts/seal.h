// Sealing a contact's personal fields: AES-256-GCM under the contact's own
// key (docs/notebook.md). Pure but for the random nonce; thread-safe.
#ifndef BIDTRAIL_CONTACTS_SEAL_H_
#define BIDTRAIL_CONTACTS_SEAL_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "bidtrail/v1/contacts.pb.h"

namespace bidtrail::contacts {

// Bytes of a key.
inline constexpr size_t kKeyBytes = 32;

// `personal` encrypted under `key` (kKeyBytes) with a fresh random nonce,
// bound to `contact_id` (the additional authenticated data): a sealed value
// copied onto another contact does not open. INTERNAL when the cipher fails.
absl::StatusOr<v1::Sealed> Seal(std::string_view key, std::string_view contact_id,
                                const v1::ContactPersonal& personal);

// The personal fields `sealed` holds. DATA_LOSS when it does not open under
// `key` for `contact_id` (another key, altered bytes), or holds no message.
absl::StatusOr<v1::ContactPersonal> Unseal(std::string_view key, std::string_view contact_id,
                                           const v1::Sealed& sealed);

}  // namespace bidtrail::contacts

#endif  // BIDTRAIL_CONTACTS_SEAL_H_
