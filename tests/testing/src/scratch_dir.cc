#include <cstdlib>
#include <filesystem>
#include <string>

#include "bidtrail/testing/status_matchers.h"

namespace bidtrail::testing {

ScratchDir::ScratchDir() {
  const char* base = std::getenv("TEST_TMPDIR");
  std::string pattern = std::string(base != nullptr ? base : "/tmp") + "/bidtrail-test-XXXXXX";
  char* made = mkdtemp(pattern.data());
  if (made == nullptr) {
    ADD_FAILURE() << "cannot create a scratch folder from " << pattern;
    return;
  }
  path_ = made;
}

ScratchDir::~ScratchDir() {
  std::error_code ignored;  // a leftover temporary folder is not a test failure
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace bidtrail::testing
