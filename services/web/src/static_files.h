// The dashboard's static files (services/web/static/ and uPlot), built into
// the binary by services/web/embed.cmake.
#ifndef BIDTRAIL_WEB_STATIC_FILES_H_
#define BIDTRAIL_WEB_STATIC_FILES_H_

#include <string_view>
#include <vector>

namespace bidtrail::web {

struct StaticFile {
  std::string_view name;  // "app.js"
  std::string_view content;
};

const std::vector<StaticFile>& StaticFiles();

}  // namespace bidtrail::web

#endif  // BIDTRAIL_WEB_STATIC_FILES_H_
