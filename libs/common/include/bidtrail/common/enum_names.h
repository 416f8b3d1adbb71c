// The words of protobuf enum values without their shared prefix, as people
// read and type them: PROCUREMENT_METHOD_OPEN is "open", ACTIVITY_KIND_
// TECHNICAL_EXCHANGE is "technical_exchange". Every enum of bidtrail's protos
// starts with <PREFIX>_UNSPECIFIED = 0, which gives the prefix. Pure;
// thread-safe.
#ifndef BIDTRAIL_COMMON_ENUM_NAMES_H_
#define BIDTRAIL_COMMON_ENUM_NAMES_H_

#include <string>
#include <vector>

#include "google/protobuf/descriptor.h"

namespace bidtrail {

// The value's name after the enum's prefix, lower case ("open"); "" for a
// number the enum does not have.
std::string EnumWord(const google::protobuf::EnumDescriptor& descriptor, int value);
// The words of every value but the zero one, in declaration order.
std::vector<std::string> EnumWords(const google::protobuf::EnumDescriptor& descriptor);
// The number of the value whose word is `word` (case and '-' versus '_' do
// not matter), or 0 when none is.
int EnumValueOfWord(const google::protobuf::EnumDescriptor& descriptor, std::string word);

}  // namespace bidtrail

#endif  // BIDTRAIL_COMMON_ENUM_NAMES_H_
