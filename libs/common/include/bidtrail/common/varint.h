// Unsigned LEB128 varints (protobuf's encoding) for compact storage values.
// Header-only; pure.
#ifndef BIDTRAIL_COMMON_VARINT_H_
#define BIDTRAIL_COMMON_VARINT_H_

#include <cstdint>
#include <string>
#include <string_view>

namespace bidtrail {

inline void PutVarint(uint64_t value, std::string* out) {
  char buf[10];
  int n = 0;
  while (value >= 0x80) {
    buf[n++] = static_cast<char>(value | 0x80);
    value >>= 7;
  }
  buf[n++] = static_cast<char>(value);
  out->append(buf, n);
}

// Reads a varint from the front of `in` and removes it; false (and `in`
// unspecified) when `in` ends first, the varint is longer than 64 bits, or it
// is not the one encoding PutVarint writes (a needless trailing zero group:
// one value, one encoding, as a hash over stored bytes wants).
inline bool GetVarint(std::string_view* in, uint64_t* value) {
  uint64_t v = 0;
  for (int shift = 0; shift <= 63 && !in->empty(); shift += 7) {
    const uint8_t byte = static_cast<uint8_t>((*in)[0]);
    in->remove_prefix(1);
    if (shift == 63 && byte > 1) return false;  // bits beyond 64
    v |= uint64_t{byte & 0x7fu} << shift;
    if ((byte & 0x80) == 0) {
      if (byte == 0 && shift > 0) return false;  // not minimal
      *value = v;
      return true;
    }
  }
  return false;
}

// Signed values as unsigned ones for varints, small magnitudes small
// (protobuf's sint64 encoding): 0, -1, 1, -2 ... become 0, 1, 2, 3 ...
inline uint64_t ZigZag(int64_t value) {
  return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63);
}
inline int64_t UnZigZag(uint64_t value) {
  return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1);
}

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_VARINT_H_
