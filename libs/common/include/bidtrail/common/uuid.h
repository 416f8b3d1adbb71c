// Name-based UUIDs: the same name always gives the same UUID, so ids derived
// from what an event is about make retries and re-imports idempotent. Pure;
// thread-safe.
#ifndef BIDTRAIL_COMMON_UUID_H_
#define BIDTRAIL_COMMON_UUID_H_

#include <string>
#include <string_view>

namespace bidtrail {

// The UUID (version 8, RFC 4122 variant) made of the first 16 bytes of
// SHA-256(name), in canonical lower-case text ("8-4-4-4-12" hex digits).
std::string NameBasedUuid(std::string_view name);

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_UUID_H_
