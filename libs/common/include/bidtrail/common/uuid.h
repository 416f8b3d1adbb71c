// UUIDs: 16 raw bytes, their canonical text, and name-based UUIDs (the same
// name always gives the same UUID, so ids derived from what an event is about
// make retries and re-imports idempotent). Pure; thread-safe.
#ifndef BIDTRAIL_COMMON_UUID_H_
#define BIDTRAIL_COMMON_UUID_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace bidtrail {

// 16 raw bytes of a UUID.
using Uuid = std::array<uint8_t, 16>;

// Parses canonical UUID text (8-4-4-4-12 hex digits, either case).
// INVALID_ARGUMENT naming `field` when malformed or nil (all zero).
absl::StatusOr<Uuid> ParseUuid(std::string_view text, std::string_view field);
// Lower-case canonical text ("8-4-4-4-12" hex digits).
std::string FormatUuid(const Uuid& uuid);

// The UUID (version 8, RFC 4122 variant) made of the first 16 bytes of
// SHA-256(name), in canonical lower-case text.
std::string NameBasedUuid(std::string_view name);

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_UUID_H_
