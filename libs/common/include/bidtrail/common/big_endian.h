// Big-endian integers for storage keys: keys that sort in numeric order.
// Header-only; pure.
#ifndef BIDTRAIL_COMMON_BIG_ENDIAN_H_
#define BIDTRAIL_COMMON_BIG_ENDIAN_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace bidtrail {

inline void PutBigEndian64(uint64_t value, std::string* out) {
  char buf[8];
  for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(value >> (8 * (7 - i)));
  out->append(buf, 8);
}

// Reads the first 8 bytes (fewer when `bytes` is shorter).
inline uint64_t GetBigEndian64(std::string_view bytes) {
  uint64_t value = 0;
  for (size_t i = 0; i < 8 && i < bytes.size(); ++i) {
    value = value << 8 | static_cast<uint8_t>(bytes[i]);
  }
  return value;
}

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_BIG_ENDIAN_H_
