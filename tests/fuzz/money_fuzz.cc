// Fuzz target: the money syntax people type ("1,250,000.00 CNY"): an amount
// is normalised or refused with a status, never a crash; a normalised amount
// normalises to itself.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "bidtrail/common/currency.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::string> normal = bidtrail::NormalizeAmount(text);
  (void)bidtrail::SuggestCurrency(text);
  if (!normal.ok()) return 0;
  absl::StatusOr<std::string> again = bidtrail::NormalizeAmount(*normal);
  if (!again.ok() || *again != *normal) std::abort();  // not a fixed point
  return 0;
}
