// Fuzz target: the OCDS reader (release and record packages, JSON lines).
// Any bytes are parsed or refused with a status, never a crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "bidtrail/ocds/release.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  (void)bidtrail::ocds::ParseDocument(json, "fuzz");
  return 0;
}
