#include "bidtrail/common/enum_names.h"

#include <algorithm>

#include "absl/strings/ascii.h"

namespace bidtrail {
namespace {

constexpr char kZeroSuffix[] = "UNSPECIFIED";

size_t PrefixLength(const google::protobuf::EnumDescriptor& descriptor) {
  const std::string& zero = descriptor.value(0)->name();
  const size_t suffix = sizeof(kZeroSuffix) - 1;
  return zero.size() >= suffix ? zero.size() - suffix : 0;
}

}  // namespace

std::string EnumWord(const google::protobuf::EnumDescriptor& descriptor, int value) {
  const google::protobuf::EnumValueDescriptor* found = descriptor.FindValueByNumber(value);
  if (found == nullptr) return "";
  return absl::AsciiStrToLower(found->name().substr(PrefixLength(descriptor)));
}

std::vector<std::string> EnumWords(const google::protobuf::EnumDescriptor& descriptor) {
  std::vector<std::string> words;
  for (int i = 1; i < descriptor.value_count(); ++i) {
    words.push_back(EnumWord(descriptor, descriptor.value(i)->number()));
  }
  return words;
}

int EnumValueOfWord(const google::protobuf::EnumDescriptor& descriptor, std::string word) {
  word = absl::AsciiStrToLower(word);
  std::replace(word.begin(), word.end(), '-', '_');
  for (int i = 1; i < descriptor.value_count(); ++i) {
    const int number = descriptor.value(i)->number();
    if (EnumWord(descriptor, number) == word) return number;
  }
  return 0;
}

}  // namespace bidtrail
